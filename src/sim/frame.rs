//! The TCP framing of the applet channel on port 9506: every frame is a
//! 2-octet big-endian length followed by that many octets of payload.
//!
//! The declared length is judged as soon as its two octets are there,
//! before anything else is buffered (shared/STYLE.md rule 2): below
//! [`MIN_PAYLOAD_LEN`] or above the configured maximum (default
//! [`DEFAULT_MAX_PAYLOAD_LEN`], 1024) is a [`FrameError`], which the driver
//! turns into a close reason without reading the body. Until the whole frame
//! is there the decoder says `Ok(None)`, so any fragmentation, down to
//! single octets as a SIM's SEND DATA may produce, is fine.

/// Octets of the length prefix.
pub const LENGTH_PREFIX_LEN: usize = 2;
/// The default largest payload: a SIM's channel buffer is about 1500
/// octets, and applet messages stay well below it.
pub const DEFAULT_MAX_PAYLOAD_LEN: u16 = 1024;
/// The smallest payload: no message of the applet protocol is empty.
pub const MIN_PAYLOAD_LEN: u16 = 1;

/// A frame that cannot be taken or made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The peer declared a payload above the maximum. The stream has no
    /// trustworthy next boundary: the session ends (close reason "frame too
    /// large").
    #[error("frame of {declared} octets is above the maximum of {max}")]
    TooLarge {
        /// The declared payload length.
        declared: u16,
        /// The configured maximum.
        max: u16,
    },
    /// The peer declared an empty payload.
    #[error("empty frame")]
    Empty,
    /// A payload to send is above the maximum (or above 65535).
    #[error("payload of {len} octets does not fit a frame of at most {max}")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The maximum.
        max: u16,
    },
}

/// Where the next whole frame ends in `buf`: `Ok(Some((start, end)))` means
/// `buf[start..end]` is its payload and `buf[..end]` the whole frame.
/// `Ok(None)`: more octets are needed. Never panics.
pub fn next_frame(buf: &[u8], max_payload: u16) -> Result<Option<(usize, usize)>, FrameError> {
    let Some(prefix) = buf.first_chunk::<LENGTH_PREFIX_LEN>() else {
        return Ok(None);
    };
    let declared = u16::from_be_bytes(*prefix);
    if declared < MIN_PAYLOAD_LEN {
        return Err(FrameError::Empty);
    }
    if declared > max_payload {
        return Err(FrameError::TooLarge { declared, max: max_payload });
    }
    let end = LENGTH_PREFIX_LEN + usize::from(declared);
    Ok((buf.len() >= end).then_some((LENGTH_PREFIX_LEN, end)))
}

/// Appends one frame carrying `payload` to `out`.
pub fn write_frame(payload: &[u8], max_payload: u16, out: &mut Vec<u8>) -> Result<(), FrameError> {
    let len = u16::try_from(payload.len())
        .ok()
        .filter(|&n| (MIN_PAYLOAD_LEN..=max_payload).contains(&n))
        .ok_or(FrameError::PayloadTooLarge { len: payload.len(), max: max_payload })?;
    out.reserve(LENGTH_PREFIX_LEN + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Collects a byte stream into whole frame payloads, holding at most one
/// frame's worth of octets: the sans-IO buffer both session sides use.
#[derive(Debug, Clone)]
pub struct FrameReader {
    /// Octets of the frame in progress; never more than the prefix plus
    /// the maximum payload, since a longer length is refused first.
    buf: Vec<u8>,
    /// The largest payload accepted.
    max_payload: u16,
}

impl FrameReader {
    /// A reader accepting payloads up to `max_payload` octets.
    pub const fn new(max_payload: u16) -> Self {
        Self { buf: Vec::new(), max_payload }
    }

    /// Takes octets from `input` until one frame is whole or `input` is
    /// used up; returns how many octets it took and the payload if a frame
    /// is complete. Reserves only what the length prefix promises.
    pub fn push(&mut self, input: &[u8]) -> Result<(usize, Option<Vec<u8>>), FrameError> {
        let mut taken = 0;
        if self.buf.len() < LENGTH_PREFIX_LEN {
            taken = (LENGTH_PREFIX_LEN - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..taken]);
            if self.buf.len() < LENGTH_PREFIX_LEN {
                return Ok((taken, None));
            }
            // The length is judged before a single body octet is kept.
            next_frame(&self.buf, self.max_payload)?;
        }
        let declared = u16::from_be_bytes([self.buf[0], self.buf[1]]);
        let end = LENGTH_PREFIX_LEN + usize::from(declared);
        self.buf.reserve(end.saturating_sub(self.buf.len()));
        let n = end.saturating_sub(self.buf.len()).min(input.len() - taken);
        self.buf.extend_from_slice(&input[taken..taken + n]);
        taken += n;
        if self.buf.len() < end {
            return Ok((taken, None));
        }
        let payload = self.buf.split_off(LENGTH_PREFIX_LEN);
        self.buf = Vec::new();
        Ok((taken, Some(payload)))
    }

    /// Octets held of the frame in progress.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_judged_from_two_octets() {
        assert_eq!(next_frame(&[], 1024), Ok(None));
        assert_eq!(next_frame(&[0], 1024), Ok(None));
        assert_eq!(next_frame(&[0, 0], 1024), Err(FrameError::Empty));
        assert_eq!(next_frame(&[0x04, 0x01], 1024), Err(FrameError::TooLarge { declared: 1025, max: 1024 }));
        assert_eq!(
            next_frame(&[0xFF, 0xFF], 1024),
            Err(FrameError::TooLarge { declared: 0xFFFF, max: 1024 })
        );
        assert_eq!(next_frame(&[0x04, 0x00], 1024), Ok(None));
        assert_eq!(next_frame(&[0, 2, 9], 1024), Ok(None));
        assert_eq!(next_frame(&[0, 2, 9, 8, 7], 1024), Ok(Some((2, 4))));
    }

    #[test]
    fn write_then_read_round_trips_over_instances() {
        let payloads: Vec<Vec<u8>> = vec![vec![1], vec![0; 1024], (0..=255).collect(), vec![0xAA; 77]];
        for p in &payloads {
            let mut wire = Vec::new();
            write_frame(p, 1024, &mut wire).unwrap();
            assert_eq!(wire.len(), p.len() + 2);
            assert_eq!(next_frame(&wire, 1024), Ok(Some((2, wire.len()))));
            assert_eq!(&wire[2..], &p[..]);
        }
        let mut out = Vec::new();
        assert_eq!(write_frame(&[], 1024, &mut out), Err(FrameError::PayloadTooLarge { len: 0, max: 1024 }));
        assert_eq!(
            write_frame(&[0; 1025], 1024, &mut out),
            Err(FrameError::PayloadTooLarge { len: 1025, max: 1024 })
        );
        assert!(out.is_empty());
    }

    #[test]
    fn reader_tolerates_any_fragmentation() {
        let payloads: Vec<Vec<u8>> = vec![vec![1, 2, 3], vec![9; 300], vec![7]];
        let mut wire = Vec::new();
        for p in &payloads {
            write_frame(p, 1024, &mut wire).unwrap();
        }
        for chunk in [1, 2, 3, 5, 64, wire.len()] {
            let mut reader = FrameReader::new(1024);
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                let mut rest = piece;
                while !rest.is_empty() {
                    let (n, frame) = reader.push(rest).unwrap();
                    assert!(n > 0 || frame.is_some());
                    got.extend(frame);
                    rest = &rest[n..];
                }
            }
            assert_eq!(got, payloads, "chunks of {chunk}");
            assert_eq!(reader.buffered(), 0);
        }
    }

    #[test]
    fn reader_refuses_a_large_length_before_buffering_the_body() {
        let mut reader = FrameReader::new(1024);
        assert_eq!(reader.push(&[0x7F]), Ok((1, None)));
        assert_eq!(reader.push(&[0xFF, 1, 2, 3]), Err(FrameError::TooLarge { declared: 0x7FFF, max: 1024 }));
        assert!(reader.buffered() <= 2);
    }
}
