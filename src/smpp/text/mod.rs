//! Short-message text: GSM 03.38, UCS-2, Latin-1, IA5 and binary; choosing
//! the cheapest encoding; splitting long messages; reassembling parts.
//!
//! All of it is pure and bounded: no I/O, no clock reads (the reassembler
//! takes `now` as a value), no randomness (concatenation references come
//! from the caller), and no panics on any input.
//!
//! - [`gsm7`]: the GSM 7-bit default alphabet and extension table
//!   (3GPP TS 23.038 6.2.1), text to and from unpacked septets.
//! - [`gsm7_pack`]: 7-bit packing (TS 23.038 6.1.2.1) with UDH fill bits.
//! - [`ucs2`]: UCS-2 as big-endian UTF-16, surrogate pairs included.
//! - [`latin1`]: ISO-8859-1 and IA5.
//! - [`encoding`]: data_coding values and the encoding chooser.
//! - [`udh`]: user data header parsing and concatenation headers
//!   (TS 23.040 9.2.3.24).
//! - [`split`]: segmentation with UDH 8/16-bit, SAR TLVs or message_payload.
//! - [`reassembly`]: bounded reassembly of incoming parts.
//! - [`error`]: the typed errors of all of the above.

pub mod encoding;
pub mod error;
pub mod gsm7;
pub mod gsm7_pack;
pub mod latin1;
pub mod reassembly;
pub mod split;
pub mod ucs2;
pub mod udh;

#[cfg(test)]
mod proptests;

pub use encoding::{ChooserConfig, Encoding, EncodingChoice, choose_encoding};
pub use error::{DecodeError, EncodeError, ReassemblyError, SplitError, UdhError};
pub use reassembly::{
    AddressPair, CompleteMessage, Expired, ExpiryReason, IncomingPart, Offered, Reassembler, ReassemblyLimits,
};
pub use split::{
    Concatenation, Gsm7Form, Part, PartCapacity, SarSegment, SplitConfig, split_binary, split_text,
};
pub use udh::{ConcatInfo, ConcatRef, InformationElement, Udh, parse_udh};
