//! Errors of the delivery-receipt parser: why a `deliver_sm` body is not a
//! receipt simgate can act on, why a receipt date is invalid, and why a
//! string is not an SMSC message id.
//!
//! The parser is lenient about everything it can skip (unknown fields, an
//! unreadable `sub:`/`dlvrd:`/`err:`, a missing `Text:`). It fails only
//! when the receipt cannot be correlated (no id), cannot be acted on (no
//! state), or carries a value the specification forbids.

use thiserror::Error;

/// Why a delivery receipt could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReceiptError {
    /// Neither the text nor the TLVs carry a message id or a state: the
    /// body has no `id:` and no `stat:` field and no receipt TLV is set.
    /// Usually a mobile-originated message wrongly flagged as a receipt.
    #[error("not a delivery receipt: no message id and no state in the text or the TLVs")]
    NotAReceipt,

    /// A state was found but no message id: no usable `id:` field (absent
    /// or empty) and no `receipted_message_id` TLV (v3.4 5.3.2.12).
    #[error("delivery receipt without a message id")]
    MissingMessageId,

    /// A message id was found but no state: no `stat:` field and no
    /// `message_state` TLV (v3.4 5.3.2.35).
    #[error("delivery receipt without a state")]
    MissingState,

    /// The message id is longer than 64 octets. The `message_id` field is a
    /// C-octet string of at most 65 octets including its NUL (v3.4 5.2.23),
    /// so no SMSC id can be longer.
    #[error("message id of {len} octets is longer than the 64 SMPP allows")]
    MessageIdTooLong {
        /// Length of the offending id in octets, after trimming.
        len: usize,
    },

    /// The `message_state` TLV holds a value outside 0-9 (v3.4 5.2.28,
    /// v5.0 4.7.15).
    #[error("message_state TLV value {value} is not a defined message state")]
    InvalidTlvState {
        /// The octet received.
        value: u8,
    },

    /// The text's `stat:` value is not one of the defined states and no
    /// `message_state` TLV supplies the state instead.
    #[error("unrecognised stat value {value:?} in the receipt text")]
    UnrecognisedStat {
        /// The value as received, cut to 16 characters.
        value: String,
    },

    /// A `submit date:` or `done date:` value is present but is not a
    /// valid date in one of the accepted layouts.
    #[error("invalid {field} in the receipt text: {reason}")]
    BadDate {
        /// Which field: `"submit date"` or `"done date"`.
        field: &'static str,
        /// What is wrong with it.
        reason: DateError,
    },
}

/// Why a receipt date is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DateError {
    /// The value is not 10 (`YYMMDDhhmm`, v3.4 Appendix B), 12
    /// (`YYMMDDhhmmss`) or 14 (`YYYYMMDDhhmmss`) characters long.
    #[error("{len} characters; expected 10, 12 or 14 digits")]
    BadLength {
        /// Length of the value in octets.
        len: usize,
    },
    /// The value has the right length but a character that is not an
    /// ASCII digit.
    #[error("not all digits")]
    NotDigits,
    /// A component is out of its calendar range (month 1-12, day within
    /// the month, hour 0-23, minute and second 0-59).
    #[error("{component} {value} out of range")]
    OutOfRange {
        /// Which component: `"month"`, `"day"`, `"hour"`, `"minute"` or
        /// `"second"`.
        component: &'static str,
        /// The value found.
        value: u16,
    },
}

/// Why a string is not an SMSC message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MessageIdError {
    /// Nothing is left after trimming whitespace and NULs.
    #[error("empty message id")]
    Empty,
    /// Longer than 64 octets after trimming (v3.4 5.2.23: 65 with the NUL).
    #[error("message id of {len} octets is longer than the 64 SMPP allows")]
    TooLong {
        /// Length in octets after trimming.
        len: usize,
    },
}

impl From<MessageIdError> for ReceiptError {
    fn from(err: MessageIdError) -> Self {
        match err {
            MessageIdError::Empty => ReceiptError::MissingMessageId,
            MessageIdError::TooLong { len } => ReceiptError::MessageIdTooLong { len },
        }
    }
}
