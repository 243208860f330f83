//! The one error type of the shared state: what failed and in which
//! operation. Values (message ids, addresses, receipt texts, idempotency
//! keys) are never part of an error's text, so errors are safe to log.

use super::metrics::Op;

/// Why a shared-state operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Redis could not be reached, refused the command or script, or did
    /// not answer within the connection's response timeout. The operation
    /// may or may not have taken effect; every operation here is safe to
    /// retry.
    #[error("redis {op}: {source}")]
    Redis {
        /// The operation that failed.
        op: Op,
        /// What the client reported.
        #[source]
        source: redis::RedisError,
    },
    /// An argument was refused before anything was sent: empty, too long,
    /// or with characters that would break the key scheme (see
    /// `docs/state.md`, "Limits").
    #[error("{op}: invalid {what}: {reason}")]
    InvalidInput {
        /// The operation that refused it.
        op: Op,
        /// Which argument (`account`, `instance id`, `receipt`, ...).
        what: &'static str,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// A concatenated MO part that cannot belong to a valid message:
    /// sequence number 0 or above the total, a total of 0 or above the
    /// configured maximum, or data longer than the configured maximum
    /// (3GPP TS 23.040 9.2.3.24.1).
    #[error("mo_add: invalid part: {reason}")]
    InvalidPart {
        /// Which rule the part broke.
        reason: &'static str,
    },
    /// Redis answered with something the script or command never returns,
    /// or a stored value did not decode: another writer used simgate's
    /// keys, or versions disagree about the stored format.
    #[error("{op}: unexpected reply or stored value: {what}")]
    Corrupt {
        /// The operation that read it.
        op: Op,
        /// What did not fit.
        what: &'static str,
    },
    /// A message id already has the most parked receipts allowed; the
    /// receipt was not parked. The caller records it as unmatched.
    #[error("receipt_park: already {limit} receipts parked under this id")]
    ParkedFull {
        /// The limit that was reached.
        limit: usize,
    },
    /// The account already has the most parked ids allowed (nobody polls
    /// `due_parked`, or the SMSC sends receipts for messages simgate never
    /// recorded); the receipt was not parked. The caller records it as
    /// unmatched.
    #[error("receipt_park: already {limit} ids parked for this account")]
    AccountParkingFull {
        /// The limit that was reached.
        limit: usize,
    },
    /// [`KeySpace::new`](super::KeySpace::new) with a prefix that is empty,
    /// longer than 32 octets, or has characters other than `a-z 0-9 _ . -`.
    #[error("invalid key prefix: must be 1 to 32 of a-z 0-9 _ . -")]
    InvalidKeyPrefix,
}

impl StateError {
    /// The operation that failed, for metric labels and log fields.
    pub fn op(&self) -> Op {
        match self {
            StateError::Redis { op, .. }
            | StateError::InvalidInput { op, .. }
            | StateError::Corrupt { op, .. } => *op,
            StateError::InvalidPart { .. } => Op::MoAdd,
            StateError::ParkedFull { .. } | StateError::AccountParkingFull { .. } => Op::ReceiptPark,
            StateError::InvalidKeyPrefix => Op::KeySpace,
        }
    }
}
