//! `smpp::pdu::decode` on arbitrary frames: never panics, and what it
//! reports on failure (the command, the sequence number, the status and
//! kind of reply the session will send) is consistent with the header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::pdu::{self, CommandId, HEADER_LEN, Header};

fuzz_target!(|frame: &[u8]| {
    match pdu::decode(frame) {
        Ok(pdu) => {
            assert_eq!(pdu.encoded_len(), frame.len(), "command_length counts the whole frame");
            let header = Header::peek(frame).expect("a decoded frame has a header");
            assert_eq!(header.command_id, pdu.command_id().as_u32());
            assert_eq!(header.sequence_number, pdu.sequence_number);
            assert_eq!(header.command_status, pdu.command_status);
        }
        Err(err) => {
            // The session answers from these; they must not panic and must
            // echo only what the header really said.
            let _ = err.command_status();
            let _ = err.reply();
            let _ = err.to_string();
            match Header::peek(frame) {
                Ok(header) => {
                    assert_eq!(err.command_id, Some(header.command_id));
                    assert_eq!(err.sequence_number, Some(header.sequence_number));
                    assert_eq!(err.command(), CommandId::from_u32(header.command_id));
                }
                Err(_) => {
                    assert!(frame.len() < HEADER_LEN);
                    assert_eq!((err.command_id, err.sequence_number), (None, None));
                }
            }
        }
    }
});
