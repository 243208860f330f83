//! The message store: every message accepted by `POST /v1/messages`, its
//! parts and their state history, in MongoDB.
//!
//! A request is answered 202 only once [`MessageStore::insert_accepted`]
//! returned. Instances then share the work through claims
//! ([`MessageStore::claim_for_submit`]): whatever an instance leaves
//! unfinished (SIGTERM, crash) is claimed by another once the claim runs
//! out. Every write is a single-document operation, so several instances
//! may update one message at once without transactions: part changes are
//! optimistic (the update names the version it read, and is retried on a
//! conflict), claims are atomic find-and-modify operations.
//!
//! The rules of the data (collections, fields, indexes, TTL, the state
//! machines) are in docs/store.md.

mod claims;
mod error;
mod indexes;
mod messages;
mod metrics;
mod model;
mod parts;
mod settle;
mod state;

pub use error::StoreError;
pub use indexes::{HISTORY_TTL_INDEX, MESSAGES_TTL_INDEX};
pub use messages::{Inserted, MessageStore};
pub use metrics::StoreMetrics;
pub use model::{
    Claim, Content, HistoryEntry, MAX_CONTENT_LEN, MAX_PARTS, MessageId, MessageRecord, MessageView,
    NewMessage, PartRecord, PartSeq, SETTLE_NEVER, part_key,
};
pub use parts::PartOutcome;
pub use state::{MessageState, PartState};

/// Collection of messages, one document each with its parts.
pub const MESSAGES: &str = "messages";
/// Insert-only collection of state changes, refused ones included.
pub const HISTORY: &str = "message_history";
