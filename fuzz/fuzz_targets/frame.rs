//! `smpp::frame::next_frame` on arbitrary stream prefixes and limits: never
//! panics, a yielded frame is whole, within 16..=max and exactly the
//! declared command_length, "need more" only when the bytes are not all
//! there, and every frame cut from the stream goes through `pdu::decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::frame::{DEFAULT_MAX_PDU_LEN, FrameError, HEADER_LEN, next_frame};
use simgate::smpp::pdu;

/// Checks one call of `next_frame` against the framing rules of SMPP v3.4 3.2.
fn check(buf: &[u8], max_len: u32) -> Option<usize> {
    let declared = buf.first_chunk::<4>().map(|b| u32::from_be_bytes(*b));
    match next_frame(buf, max_len) {
        Ok(Some(n)) => {
            assert_eq!(Some(n as u64), declared.map(u64::from), "frame length is command_length");
            assert!(n >= HEADER_LEN && n as u64 <= u64::from(max_len), "{n} outside 16..={max_len}");
            assert!(n <= buf.len(), "frame of {n} from {} octets", buf.len());
            Some(n)
        }
        Ok(None) => {
            if let Some(len) = declared {
                assert!((HEADER_LEN as u32..=max_len).contains(&len), "bad length {len} not refused");
                assert!((len as usize) > buf.len(), "whole frame of {len} not yielded");
            }
            None
        }
        Err(FrameError::InvalidLength { command_length, max, sequence }) => {
            assert_eq!(Some(command_length), declared);
            assert_eq!(max, max_len);
            assert!(!(HEADER_LEN as u32..=max_len).contains(&command_length));
            assert_eq!(sequence.is_some(), buf.len() >= HEADER_LEN);
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first octet picks the maximum: the production default, or a small
    // one so the upper bound is hit often.
    let Some((&pick, stream)) = data.split_first() else {
        check(data, DEFAULT_MAX_PDU_LEN);
        return;
    };
    let max_len = match pick % 4 {
        0 => DEFAULT_MAX_PDU_LEN,
        1 => u32::from(pick),
        2 => 0,
        _ => u32::MAX,
    };
    // Cut the stream the way the driver does, decoding each frame.
    let mut rest = stream;
    while let Some(n) = check(rest, max_len) {
        let (frame, tail) = rest.split_at(n);
        let _ = pdu::decode(frame);
        rest = tail;
    }
    // Every prefix of what is left is also judged without panicking.
    for cut in 0..rest.len().min(20) {
        check(&rest[..cut], max_len);
    }
});
