//! Typed errors of the short-message text layer: encoding, decoding, UDH
//! parsing, segmentation and reassembly each have their own enum so a caller
//! can map them to the right SMPP command_status without string matching.

use super::encoding::Encoding;

/// A text could not be encoded in the requested alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// `ch` (at byte offset `at` of the UTF-8 text) has no code in `encoding`:
    /// not in the GSM 03.38 default alphabet or its extension table
    /// (TS 23.038 6.2.1, 6.2.1.1), above U+00FF for Latin-1, or above U+007F
    /// for IA5.
    #[error("character {ch:?} at byte {at} cannot be encoded as {encoding:?}")]
    Unrepresentable {
        /// The alphabet that was asked for.
        encoding: Encoding,
        /// The offending character.
        ch: char,
        /// Its byte offset in the UTF-8 input.
        at: usize,
    },
    /// A text encoding was asked for binary data (data_coding 2/4 carries
    /// octets, not characters).
    #[error("binary (8-bit) data is not a text encoding")]
    NotText,
}

/// User data could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Binary (8-bit) data was asked to decode as text.
    #[error("binary (8-bit) data is not text")]
    NotText,
    /// An unpacked GSM septet (one per octet) had its high bit set.
    #[error("octet {value:#04x} at {at} is not a 7-bit GSM septet")]
    SeptetOutOfRange {
        /// The octet seen.
        value: u8,
        /// Its offset.
        at: usize,
    },
    /// An IA5 (data_coding 1) octet above 0x7F.
    #[error("octet {value:#04x} at {at} is not IA5")]
    NotIa5 {
        /// The octet seen.
        value: u8,
        /// Its offset.
        at: usize,
    },
    /// UCS-2 data had an odd number of octets.
    #[error("UCS-2 data of {len} octets is not a whole number of 16-bit units")]
    OddUcs2Length {
        /// Octets received.
        len: usize,
    },
    /// Fill bits before packed septets are 0 to 6 (TS 23.040 9.2.3.24).
    #[error("{fill_bits} fill bits requested; at most 6 are possible")]
    InvalidFillBits {
        /// The value passed.
        fill_bits: u8,
    },
    /// The declared septet count needs more bits than the octets hold.
    #[error("{septets} septets do not fit in {octets} octets after {fill_bits} fill bits")]
    PackedTooShort {
        /// Septets declared.
        septets: usize,
        /// Octets available.
        octets: usize,
        /// Fill bits before the first septet.
        fill_bits: u8,
    },
}

/// A user data header could not be parsed (TS 23.040 9.2.3.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UdhError {
    /// UDHI was set but the user data is empty, so there is no UDHL octet.
    #[error("UDHI set but user data is empty")]
    Empty,
    /// The UDHL octet claims more octets than the user data has.
    #[error("UDH length {udhl} exceeds the {available} octets that follow it")]
    HeaderBeyondData {
        /// The UDHL value.
        udhl: usize,
        /// Octets after the UDHL octet.
        available: usize,
    },
    /// An information element's length runs past the end of the header.
    #[error("IE {iei:#04x} of length {length} exceeds the {available} header octets left")]
    ElementBeyondHeader {
        /// The IEI.
        iei: u8,
        /// Its declared IEDL.
        length: usize,
        /// Header octets left after the IEI and IEDL octets.
        available: usize,
    },
    /// An element is too long to be written: IEDL is one octet, and the
    /// whole header must fit UDHL's single octet.
    #[error("UDH of {len} octets does not fit a one-octet length")]
    TooLong {
        /// The length that would have been written.
        len: usize,
    },
}

/// A message could not be split into parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The text could not be encoded in the chosen alphabet.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The input exceeds the configured maximum, checked before any work.
    #[error("message of {len} octets exceeds the configured maximum of {max}")]
    TooLong {
        /// Octets in the input (UTF-8 text or binary data).
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// More parts would be needed than allowed: at most 255 by TS 23.040
    /// 9.2.3.24.1 (one-octet maximum number), or fewer when configured.
    #[error("message needs more than {max} parts")]
    TooManyParts {
        /// The configured or protocol limit.
        max: u8,
    },
    /// A configured per-part capacity cannot work: it must hold a GSM escape
    /// pair (2 septets) and a surrogate pair (4 octets), and fit the 254
    /// octets of short_message (SMPP v3.4 5.2.21).
    #[error("invalid per-part capacity: {septets} septets, {octets} octets")]
    InvalidCapacity {
        /// Configured septets per part.
        septets: usize,
        /// Configured octets per part.
        octets: usize,
    },
}

/// An incoming part was rejected by the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// Total 0, sequence 0, or sequence above total (TS 23.040 9.2.3.24.1,
    /// SMPP v3.4 5.3.2.23-24).
    #[error("segment {seq} of {total} is not a valid position")]
    InvalidSequence {
        /// Declared total.
        total: u8,
        /// Declared sequence number.
        seq: u8,
    },
    /// The declared total exceeds the configured maximum parts per message.
    #[error("{total} parts exceed the configured maximum of {max}")]
    TooManyParts {
        /// Declared total.
        total: u8,
        /// Configured limit.
        max: u8,
    },
    /// A single part is larger than the whole reassembly byte budget.
    #[error("part of {len} octets exceeds the reassembly budget of {max}")]
    PartTooLarge {
        /// Payload octets.
        len: usize,
        /// Configured byte budget.
        max: usize,
    },
    /// The part declares a different total from earlier parts of the same
    /// message; it is dropped and the stored parts are kept.
    #[error("part declares {got} parts but the message has {expected}")]
    InconsistentTotal {
        /// Total of the stored message.
        expected: u8,
        /// Total in the rejected part.
        got: u8,
    },
}
