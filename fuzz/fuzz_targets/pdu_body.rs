//! Every PDU body decoder, reached without guessing command ids: the first
//! octet picks a `CommandId` from `CommandId::ALL`, the next picks
//! command_status, and the rest is the body (mandatory fields, then TLVs)
//! behind a valid 16-octet header. Decoding never panics, and what decodes
//! re-encodes byte-exact and decodes again to an equal `Pdu`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::pdu::{self, CommandId, CommandStatus, HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let [pick, status, body @ ..] = data else { return };
    let id = CommandId::ALL[usize::from(*pick) % CommandId::ALL.len()];
    // Mostly ESME_ROK; sometimes an error, which lets responses go bodyless.
    let status = match status {
        0..=191 => CommandStatus::ESME_ROK,
        s => CommandStatus(u32::from(s - 191)),
    };
    let len = HEADER_LEN + body.len();
    let mut frame = Vec::with_capacity(len);
    frame.extend_from_slice(&(len as u32).to_be_bytes());
    frame.extend_from_slice(&id.as_u32().to_be_bytes());
    frame.extend_from_slice(&status.0.to_be_bytes());
    frame.extend_from_slice(&7u32.to_be_bytes());
    frame.extend_from_slice(body);

    let decoded = match pdu::decode(&frame) {
        Ok(pdu) => pdu,
        Err(err) => {
            // A whole header is there, so the error names the command.
            assert_eq!(err.command(), Some(id));
            assert_eq!(err.sequence_number, Some(7));
            return;
        }
    };
    assert_eq!(decoded.command_id(), id);
    let encoded = decoded.to_vec().unwrap_or_else(|e| panic!("decoded {decoded:?} does not encode: {e}"));
    assert_eq!(encoded, frame, "decode then encode is not byte-exact for {decoded:?}");
    assert_eq!(pdu::decode(&encoded).ok(), Some(decoded));
});
