//! The 16-octet PDU header (SMPP v3.4 3.2): command_length, command_id,
//! command_status, sequence_number, all big-endian.

use bytes::BufMut;

use super::error::PduError;
use super::status::CommandStatus;

/// Octets of the header; also the least valid command_length.
pub const HEADER_LEN: usize = 16;

/// A header as read from the wire; `command_id` stays raw so an unknown id
/// can still be reported and its sequence number echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Octets in the whole PDU, header included (v3.4 3.2).
    pub command_length: u32,
    /// Raw command id (v3.4 5.1.2).
    pub command_id: u32,
    /// Zero in requests (v3.4 5.1.3).
    pub command_status: CommandStatus,
    /// Echoed in the response; 1..=0x7FFFFFFF (v3.4 5.1.4).
    pub sequence_number: u32,
}

impl Header {
    /// Read the header at the front of `frame` without checking it.
    pub fn peek(frame: &[u8]) -> Result<Header, PduError> {
        match frame.first_chunk::<HEADER_LEN>() {
            Some(&[l0, l1, l2, l3, i0, i1, i2, i3, s0, s1, s2, s3, n0, n1, n2, n3]) => Ok(Header {
                command_length: u32::from_be_bytes([l0, l1, l2, l3]),
                command_id: u32::from_be_bytes([i0, i1, i2, i3]),
                command_status: CommandStatus(u32::from_be_bytes([s0, s1, s2, s3])),
                sequence_number: u32::from_be_bytes([n0, n1, n2, n3]),
            }),
            None => Err(PduError::ShortHeader { len: frame.len() }),
        }
    }

    /// Write the header.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        // One 16-octet write: one capacity check instead of four.
        buf.put_slice(&self.to_bytes());
    }

    /// The 16 octets of the header.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut octets = [0u8; HEADER_LEN];
        let fields = [self.command_length, self.command_id, self.command_status.0, self.sequence_number];
        for (chunk, field) in octets.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&field.to_be_bytes());
        }
        octets
    }
}
