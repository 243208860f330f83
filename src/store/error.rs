//! [`StoreError`]: why a message-store operation did not happen.

use super::model::PartSeq;

/// An operation on the message store that could not be carried out.
///
/// Outcomes that are part of normal traffic (a duplicate idempotency key, a
/// receipt for a part that is already final, a message that does not
/// exist) are not errors; they are variants of the operation's result.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// MongoDB refused the operation or could not be reached.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A value could not be encoded as BSON (a bug, not bad input).
    #[error("bson encoding: {0}")]
    Encode(#[from] mongodb::bson::ser::Error),
    /// A new message was rejected before anything was written.
    #[error("invalid message: {0}")]
    Invalid(&'static str),
    /// The message exists but has no part with this number.
    #[error("message {message_id} has no part {seq}")]
    NoSuchPart {
        /// The message asked for.
        message_id: String,
        /// The part number asked for.
        seq: PartSeq,
    },
    /// A receipt was to be applied with a state that is not final.
    #[error("{0} is not a final part state")]
    NotFinal(&'static str),
    /// Other writers kept changing the message between our read and our
    /// write, more times than the store retries.
    #[error("message {message_id} changed concurrently {attempts} times in a row; giving up")]
    Contended {
        /// The message being updated.
        message_id: String,
        /// Attempts made.
        attempts: u32,
    },
}
