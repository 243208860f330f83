//! `sim::frame::next_frame` and `FrameReader` on arbitrary streams and
//! limits: never panics; a yielded frame is exactly the declared length,
//! within 1..=max and inside the buffer; "need more" only when the octets
//! are not all there; a refused length really is out of range; and the
//! reader, fed in pieces of any size, yields the same payloads as cutting
//! the whole stream with `next_frame`, never holding more than one frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::frame::{FrameError, FrameReader, LENGTH_PREFIX_LEN, next_frame};

fn check(buf: &[u8], max: u16) -> Option<(usize, usize)> {
    let declared = buf.first_chunk::<2>().map(|b| u16::from_be_bytes(*b));
    match next_frame(buf, max) {
        Ok(Some((start, end))) => {
            let d = declared.expect("a frame has a length");
            assert_eq!((start, end), (LENGTH_PREFIX_LEN, LENGTH_PREFIX_LEN + usize::from(d)));
            assert!(d >= 1 && d <= max && end <= buf.len());
            Some((start, end))
        }
        Ok(None) => {
            if let Some(d) = declared {
                assert!(d >= 1 && d <= max, "bad length {d} not refused");
                assert!(LENGTH_PREFIX_LEN + usize::from(d) > buf.len(), "whole frame not yielded");
            }
            None
        }
        Err(FrameError::TooLarge { declared: d, max: m }) => {
            assert_eq!((Some(d), m), (declared, max));
            assert!(d > max);
            None
        }
        Err(FrameError::Empty) => {
            assert_eq!(declared, Some(0));
            None
        }
        Err(e @ FrameError::PayloadTooLarge { .. }) => panic!("decoder gave an encoder error: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Some((&piece, stream)) = rest.split_first() else {
        return;
    };
    let max = match pick % 4 {
        0 => 1024,
        1 => u16::from(pick),
        2 => 0,
        _ => u16::MAX,
    };
    // Cut the stream with next_frame.
    let mut cut = Vec::new();
    let mut tail = stream;
    let failed = loop {
        match check(tail, max) {
            Some((start, end)) => {
                cut.push(tail[start..end].to_vec());
                tail = &tail[end..];
            }
            None => break next_frame(tail, max).is_err(),
        }
    };
    // Feed the same stream to a reader in pieces of 1..=16 octets.
    let size = usize::from(piece % 16) + 1;
    let mut reader = FrameReader::new(max);
    let mut read = Vec::new();
    let mut reader_failed = false;
    'outer: for chunk in stream.chunks(size) {
        let mut rest = chunk;
        while !rest.is_empty() {
            match reader.push(rest) {
                Ok((n, frame)) => {
                    assert!(n > 0 || frame.is_some(), "no progress");
                    assert!(reader.buffered() <= LENGTH_PREFIX_LEN + usize::from(max));
                    read.extend(frame);
                    rest = &rest[n..];
                }
                Err(_) => {
                    reader_failed = true;
                    break 'outer;
                }
            }
        }
    }
    assert_eq!(read, cut, "reader and next_frame disagree");
    assert_eq!(reader_failed, failed);
});
