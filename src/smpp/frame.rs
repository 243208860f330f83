//! Splitting a byte stream into whole SMPP PDUs, before any PDU is decoded.
//!
//! Every PDU starts with a 4-octet command_length that counts the whole PDU,
//! itself included (SMPP v3.4 section 3.2), so a PDU is never shorter than
//! its 16-octet header. The declared length is checked against that minimum
//! and a configured maximum as soon as the four octets are there, before
//! anything else is buffered: a peer cannot make simgate reserve memory by
//! announcing a huge PDU. A bad length leaves the stream without a reliable
//! next boundary, so the connection must end after the error is answered.
//!
//! [`FrameDecoder`] is the tokio-util codec around [`next_frame`]; it needs
//! the `io` feature. [`next_frame`] itself is pure.

pub use super::pdu::HEADER_LEN;

/// The default largest PDU accepted: a submit_sm with a 64 KiB
/// message_payload and its headers fits.
pub const DEFAULT_MAX_PDU_LEN: u32 = 70 * 1024;

/// A stream that cannot be split into PDUs any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// command_length is below 16 (v3.4 3.2) or above the configured maximum.
    /// The answer is generic_nack with ESME_RINVCMDLEN, echoing `sequence`
    /// when the header could be read, and then closing the connection.
    #[error("command_length {command_length} outside 16..={max}")]
    InvalidLength {
        /// The length the peer declared.
        command_length: u32,
        /// The configured maximum.
        max: u32,
        /// The sequence number, when the 16 header octets were available.
        sequence: Option<u32>,
    },
}

/// Where the next whole PDU ends in `buf`.
///
/// `Ok(Some(n))`: `buf[..n]` is one whole PDU. `Ok(None)`: more bytes are
/// needed (not an error, shared/STYLE.md rule 2). Never panics.
pub fn next_frame(buf: &[u8], max_len: u32) -> Result<Option<usize>, FrameError> {
    let Some(len_bytes) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let command_length = u32::from_be_bytes(*len_bytes);
    if !(HEADER_LEN as u32..=max_len).contains(&command_length) {
        let sequence = buf.get(12..16).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_be_bytes);
        return Err(FrameError::InvalidLength { command_length, max: max_len, sequence });
    }
    let len = command_length as usize;
    Ok((buf.len() >= len).then_some(len))
}

#[cfg(feature = "io")]
pub use codec::{FrameCodec, FrameDecoder};

#[cfg(feature = "io")]
mod codec {
    use super::{DEFAULT_MAX_PDU_LEN, FrameError, next_frame};
    use bytes::{Bytes, BytesMut};
    use tokio_util::codec::{Decoder, Encoder};

    /// Error of the framed stream: a bad frame or the socket.
    #[derive(Debug, thiserror::Error)]
    pub enum FrameCodecError {
        /// The peer sent a length that cannot be a PDU.
        #[error(transparent)]
        Frame(#[from] FrameError),
        /// The underlying stream failed.
        #[error(transparent)]
        Io(#[from] std::io::Error),
    }

    /// Splits a byte stream into whole PDUs (as [`Bytes`], ready to decode)
    /// and writes encoded PDUs as they are.
    #[derive(Debug, Clone, Copy)]
    pub struct FrameDecoder {
        max_len: u32,
    }

    /// The same type, named for use on both directions of a `Framed`.
    pub type FrameCodec = FrameDecoder;

    impl FrameDecoder {
        /// A codec accepting PDUs up to `max_len` octets.
        pub const fn new(max_len: u32) -> Self {
            Self { max_len }
        }
    }

    impl Default for FrameDecoder {
        fn default() -> Self {
            Self::new(DEFAULT_MAX_PDU_LEN)
        }
    }

    impl Decoder for FrameDecoder {
        type Item = Bytes;
        type Error = FrameCodecError;

        fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameCodecError> {
            match next_frame(src, self.max_len)? {
                Some(len) => Ok(Some(src.split_to(len).freeze())),
                None => {
                    // Reserve only what the header promises, once it is known.
                    if let Some(len) = src.first_chunk::<4>().map(|b| u32::from_be_bytes(*b) as usize) {
                        src.reserve(len.saturating_sub(src.len()));
                    }
                    Ok(None)
                }
            }
        }
    }

    impl Encoder<Bytes> for FrameDecoder {
        type Error = FrameCodecError;

        fn encode(&mut self, pdu: Bytes, dst: &mut BytesMut) -> Result<(), FrameCodecError> {
            dst.extend_from_slice(&pdu);
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        use tokio_util::codec::FramedRead;

        fn pdu(command_id: u32, seq: u32, body: &[u8]) -> Vec<u8> {
            let mut v = Vec::new();
            v.extend_from_slice(&(16 + body.len() as u32).to_be_bytes());
            v.extend_from_slice(&command_id.to_be_bytes());
            v.extend_from_slice(&0u32.to_be_bytes());
            v.extend_from_slice(&seq.to_be_bytes());
            v.extend_from_slice(body);
            v
        }

        #[tokio::test]
        async fn bind_resp_and_next_pdu_in_one_segment_then_one_pdu_over_many_reads() {
            let bind_resp = pdu(0x8000_0009, 1, b"SMSC\0");
            let deliver = pdu(0x0000_0005, 2, &[7u8; 40]);
            let enquire = pdu(0x0000_0015, 3, b"");
            let (mut tx, rx) = tokio::io::duplex(8);
            let mut frames = FramedRead::new(rx, FrameDecoder::default());
            let mut wire = [bind_resp.clone(), deliver.clone()].concat();
            wire.extend_from_slice(&enquire);
            let writer = tokio::spawn(async move {
                // Tiny duplex buffer: the PDUs arrive split over many reads.
                for byte in wire {
                    tx.write_all(&[byte]).await.unwrap();
                }
            });
            assert_eq!(frames.next().await.unwrap().unwrap(), bind_resp);
            assert_eq!(frames.next().await.unwrap().unwrap(), deliver);
            assert_eq!(frames.next().await.unwrap().unwrap(), enquire);
            writer.await.unwrap();
            assert!(frames.next().await.is_none(), "clean end of stream");
        }

        #[tokio::test]
        async fn many_pdus_in_one_read() {
            let pdus: Vec<Vec<u8>> = (1..=50).map(|s| pdu(0x15, s, b"")).collect();
            let mut buf = BytesMut::from(&pdus.concat()[..]);
            let mut codec = FrameDecoder::default();
            for expected in &pdus {
                assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), expected[..]);
            }
            assert!(codec.decode(&mut buf).unwrap().is_none());
        }

        #[test]
        fn oversized_length_is_refused_before_buffering() {
            let mut codec = FrameDecoder::new(1024);
            let mut buf = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff][..]);
            let cap_before = buf.capacity();
            let err = codec.decode(&mut buf).unwrap_err();
            assert!(matches!(
                err,
                FrameCodecError::Frame(FrameError::InvalidLength {
                    command_length: 0x7fff_ffff,
                    sequence: None,
                    ..
                })
            ));
            assert_eq!(buf.capacity(), cap_before, "nothing reserved for a refused length");
        }

        #[test]
        fn reserves_only_what_the_header_promises() {
            let mut codec = FrameDecoder::new(4096);
            let mut buf = BytesMut::from(&pdu(0x4, 9, &[0u8; 100])[..20]);
            assert!(codec.decode(&mut buf).unwrap().is_none());
            assert!(buf.capacity() >= 116 && buf.capacity() < 4096, "{}", buf.capacity());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_four_octets_to_judge_and_the_whole_pdu_to_yield() {
        assert_eq!(next_frame(&[], 1024), Ok(None));
        assert_eq!(next_frame(&[0, 0, 0], 1024), Ok(None));
        assert_eq!(next_frame(&[0, 0, 0, 16], 1024), Ok(None));
        let enquire = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA];
        assert_eq!(next_frame(&enquire, 1024), Ok(Some(16)));
    }

    #[test]
    fn lengths_below_the_header_or_above_the_maximum_are_refused() {
        let short = [0, 0, 0, 15, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9];
        assert_eq!(
            next_frame(&short, 1024),
            Err(FrameError::InvalidLength { command_length: 15, max: 1024, sequence: Some(9) })
        );
        assert_eq!(
            next_frame(&[0, 0, 0, 0], 1024),
            Err(FrameError::InvalidLength { command_length: 0, max: 1024, sequence: None })
        );
        assert!(next_frame(&[0, 0, 4, 1], 1024).is_err());
        assert_eq!(next_frame(&[0, 0, 4, 0], 1024), Ok(None));
    }

    #[test]
    fn never_panics_on_arbitrary_prefixes() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..10_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (seed >> (i % 8 * 8)) as u8).collect();
            let _ = next_frame(&bytes, (seed % 200) as u32);
        }
    }
}
