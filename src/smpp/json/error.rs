//! Errors of the JSON view: bad hex, and JSON that does not describe a
//! PDU simgate can encode. Every [`JsonError`] names the field path
//! (`body.source_addr`, `tlvs[2].value`) so an operator can find it.

use crate::smpp::pdu::{PduError, ValueError};
use crate::smpp::text::{DecodeError as TextDecodeError, EncodeError, UdhError};

/// Hex text that is not whole octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor an allowed separator.
    #[error("{ch:?} at offset {at} is not a hex digit")]
    BadDigit {
        /// The character.
        ch: char,
        /// Its byte offset in the text.
        at: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits")]
    OddDigits,
    /// No digits at all.
    #[error("no hex digits")]
    Empty,
}

/// What is wrong at a [`JsonError`]'s path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonErrorKind {
    /// A key the PDU or field does not have.
    #[error("unknown field")]
    UnknownField,
    /// A key that must be present is missing.
    #[error("missing field")]
    Missing,
    /// The value has the wrong JSON type.
    #[error("expected {expected}")]
    WrongType {
        /// What was expected, e.g. "an integer 0..=255".
        expected: &'static str,
    },
    /// A name (command, status, TLV) simgate does not know.
    #[error("unknown {what} {name:?}")]
    UnknownName {
        /// What kind of name.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// Two fields that must agree do not (e.g. `name` and `tag`, `text`
    /// and `hex`, `command_length` and the encoded length).
    #[error("{0}")]
    Mismatch(String),
    /// Hex text that is not whole octets.
    #[error("bad hex: {0}")]
    Hex(#[from] HexError),
    /// A value outside its field's limits (v3.4 3.1 field sizes).
    #[error("{0}")]
    Value(#[from] ValueError),
    /// Text that cannot be written in the data_coding's alphabet.
    #[error("{0}")]
    Text(#[from] EncodeError),
    /// A data_coding that names no alphabet simgate can write text in.
    #[error("data_coding 0x{data_coding:02X} has no text alphabet; give \"hex\"")]
    NoTextAlphabet {
        /// The data_coding.
        data_coding: u8,
    },
    /// A user data header that does not parse.
    #[error("{0}")]
    Udh(#[from] UdhError),
    /// The codec refused the PDU (a rule across fields, a TLV length).
    #[error("{error} (an SMSC would answer {status})", status = error.command_status())]
    Pdu {
        /// The codec's error.
        error: PduError,
    },
}

/// JSON that cannot be encoded, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {kind}", path = if path.is_empty() { "(top level)" } else { path })]
pub struct JsonError {
    /// Where: `body.short_message.text`, `tlvs[0].value`, or empty for the
    /// top-level object.
    pub path: String,
    /// What.
    pub kind: JsonErrorKind,
}

impl JsonError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, kind: impl Into<JsonErrorKind>) -> Self {
        JsonError { path: path.into(), kind: kind.into() }
    }
}

impl From<PduError> for JsonErrorKind {
    fn from(error: PduError) -> Self {
        JsonErrorKind::Pdu { error }
    }
}

/// Text the decoder could not show as text (kept for the JSON view's
/// `text_error`).
pub(crate) fn text_error(e: TextDecodeError) -> String {
    e.to_string()
}
