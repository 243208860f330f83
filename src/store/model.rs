//! The documents of the `messages` and `message_history` collections, and
//! the request that creates a message.
//!
//! A message's parts live inside its own document, keyed by zero-padded
//! part number (`parts."001"`), so every change to a part, the message's
//! derived state and its version is one single-document write.

use super::error::StoreError;
use super::state::{MessageState, PartState};
use mongodb::bson::DateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A part's number within its message, from 1.
pub type PartSeq = u16;

/// Most parts of one message: a concatenated SMS has at most 255 segments
/// (3GPP TS 23.040 9.2.3.24.1, one octet for the count).
pub const MAX_PARTS: PartSeq = 255;

/// Longest source or destination address: SMPP v3.4 5.2.8 and 5.2.9 allow
/// a C-Octet String of 21 octets with its NUL.
pub const MAX_ADDRESS_LEN: usize = 20;

/// Longest idempotency key a client may send.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// Largest content accepted, in octets of text or of hex digits.
pub const MAX_CONTENT_LEN: usize = 64 * 1024;

/// Longest `detail` kept in a history entry; longer ones are cut.
pub const MAX_DETAIL_LEN: usize = 256;

/// simgate's id of a message: a UUID v7 as 32 lower-case hex digits, so ids
/// sort by creation time (the claim order) and are unique across instances
/// without coordination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(String);

impl MessageId {
    /// A new id for a message accepted now.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    /// An id given by a client (`GET /v1/messages/{id}`).
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let ok = text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(StoreError::Invalid("message id must be 32 lower-case hex digits"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the handset is to receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "encoding", rename_all = "lowercase")]
pub enum Content {
    /// Text, encoded for the SMSC when split (GSM 7-bit, Latin-1 or UCS-2
    /// according to `data_coding`).
    Text {
        /// The text as the client sent it.
        text: String,
    },
    /// Octets sent as they are (binary SMS).
    Binary {
        /// The octets as lower-case hex.
        hex: String,
    },
    /// An OTA message for the SIM (TS 23.040 9.2.3.9 "(U)SIM data
    /// download"): the complete user data of each part, its header
    /// included, one submit_sm each, sent as stored.
    #[serde(rename = "sim_data")]
    SimData {
        /// Each part's user data as lower-case hex, in part order.
        parts: Vec<String>,
    },
}

impl Content {
    fn check(&self) -> Result<(), StoreError> {
        match self {
            Content::Text { text } if text.len() > MAX_CONTENT_LEN => {
                Err(StoreError::Invalid("text content too long"))
            }
            Content::Binary { hex } if hex.len() > MAX_CONTENT_LEN => {
                Err(StoreError::Invalid("binary content too long"))
            }
            Content::Binary { hex } if !is_hex(hex) => {
                Err(StoreError::Invalid("binary content must be an even number of hex digits"))
            }
            Content::SimData { parts } if parts.is_empty() || parts.len() > usize::from(MAX_PARTS) => {
                Err(StoreError::Invalid("SIM data content must have 1 to 255 parts"))
            }
            Content::SimData { parts } if parts.iter().map(String::len).sum::<usize>() > MAX_CONTENT_LEN => {
                Err(StoreError::Invalid("SIM data content too long"))
            }
            Content::SimData { parts } if !parts.iter().all(|p| !p.is_empty() && is_hex(p)) => {
                Err(StoreError::Invalid("SIM data parts must be even numbers of hex digits"))
            }
            _ => Ok(()),
        }
    }
}

fn is_hex(text: &str) -> bool {
    text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A request to store a message as accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The id to store it under; a fresh one when `None`. The API picks it
    /// first so the idempotency fast path can name it.
    pub id: Option<MessageId>,
    /// The client's idempotency key: a repeated request with the same key
    /// gets the first message back instead of a new one.
    pub idempotency_key: Option<String>,
    /// Originator address (`source_addr`).
    pub source: String,
    /// Recipient MSISDN (`destination_addr`).
    pub destination: String,
    /// What to send.
    pub content: Content,
    /// SMPP `data_coding` (v3.4 5.2.19).
    pub data_coding: u8,
    /// Whether a delivery receipt is asked for (v3.4 5.2.17).
    pub registered_delivery: bool,
    /// When the SMSC may stop trying (v3.4 5.2.15 `validity_period`).
    pub validity: Option<DateTime>,
    /// SMPP `priority_flag`, 0 to 3 (v3.4 5.2.14).
    pub priority: u8,
    /// How many `submit_sm` the content was split into, 1 to [`MAX_PARTS`].
    pub parts_total: PartSeq,
}

impl NewMessage {
    /// Every rule a new message must meet before it is written.
    pub fn check(&self) -> Result<(), StoreError> {
        if let Some(key) = &self.idempotency_key {
            let printable = key.bytes().all(|b| b.is_ascii_graphic());
            if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || !printable {
                return Err(StoreError::Invalid(
                    "idempotency key must be 1 to 128 printable ASCII characters",
                ));
            }
        }
        for (address, what) in [(&self.source, "source"), (&self.destination, "destination")] {
            if address.is_empty() || address.len() > MAX_ADDRESS_LEN || !address.is_ascii() {
                return Err(StoreError::Invalid(match what {
                    "source" => "source must be 1 to 20 ASCII characters",
                    _ => "destination must be 1 to 20 ASCII characters",
                }));
            }
        }
        if self.priority > 3 {
            return Err(StoreError::Invalid("priority must be 0 to 3"));
        }
        if self.parts_total == 0 || self.parts_total > MAX_PARTS {
            return Err(StoreError::Invalid("parts_total must be 1 to 255"));
        }
        self.content.check()
    }
}

/// Which instance is working on a message, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// `instance.id` of the claimer.
    pub owner: String,
    /// After this the claim is void and another instance may take over.
    pub until: DateTime,
}

/// One SMPP part of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// Where the part stands.
    pub state: PartState,
    /// The SMSC's message id as received in `submit_sm_resp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsc_message_id: Option<String>,
    /// Its correlation key (`smpp::receipt::CorrelationKey`), also listed
    /// in the message's `smsc_keys` for the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsc_key: Option<String>,
    /// `command_status` of the last `submit_sm_resp` (v3.4 5.1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_status: Option<u32>,
    /// `err:` of the delivery receipt that made the part final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u16>,
    /// How many times a `submit_sm` for this part was started.
    #[serde(default)]
    pub attempts: u32,
    /// When the SMSC accepted the part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime>,
    /// When the part reached a final state (the receipt's time when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_at: Option<DateTime>,
    /// Last change of this part.
    pub updated_at: DateTime,
    /// simgate gave up finding out what became of the part: it stays
    /// `unknown` for good and nothing changes it any more (no late answer
    /// within the window, or query_sm failed `sms.query_attempts` times).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub given_up: bool,
    /// query_sm rounds asked about this part.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub queries: u32,
    /// Of those, the rounds without a usable answer (ESME_RQUERYFAIL, an
    /// error status, no response).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub query_failures: u32,
    /// When the last query_sm round ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queried_at: Option<DateTime>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl PartRecord {
    /// Whether nothing changes the part any more: a final state, or given up.
    pub fn is_final(&self) -> bool {
        self.state.is_final() || self.given_up
    }

    pub(crate) fn pending(now: DateTime) -> Self {
        Self {
            state: PartState::Pending,
            smsc_message_id: None,
            smsc_key: None,
            command_status: None,
            error_code: None,
            attempts: 0,
            submitted_at: None,
            final_at: None,
            updated_at: now,
            given_up: false,
            queries: 0,
            query_failures: 0,
            queried_at: None,
        }
    }
}

/// The key of part `seq` inside a message's `parts` sub-document: three
/// digits, so the keys sort in part order.
pub fn part_key(seq: PartSeq) -> String {
    format!("{seq:03}")
}

/// [`MessageRecord::settle_at`] of a message with nothing left to settle.
pub const SETTLE_NEVER: DateTime = DateTime::MAX;

/// A document of the `messages` collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// simgate's id, the document's `_id`.
    #[serde(rename = "_id")]
    pub id: MessageId,
    /// Unique among messages that have one (partial unique index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Originator address.
    pub source: String,
    /// Recipient MSISDN.
    pub destination: String,
    /// What to send.
    pub content: Content,
    /// SMPP `data_coding`.
    pub data_coding: u8,
    /// Whether a delivery receipt was asked for.
    pub registered_delivery: bool,
    /// Absolute validity, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<DateTime>,
    /// SMPP `priority_flag`.
    pub priority: u8,
    /// Number of parts; `parts` has exactly the keys `001..=parts_total`.
    pub parts_total: PartSeq,
    /// The parts by [`part_key`].
    pub parts: BTreeMap<String, PartRecord>,
    /// Always `MessageState::derive` of the parts' states: both are written
    /// by the same update.
    pub state: MessageState,
    /// Incremented by every change; writers update only the version they
    /// read (optimistic concurrency), so no change is lost.
    pub version: i64,
    /// Correlation keys of the parts' SMSC ids (multikey index), for
    /// finding a part from a receipt when Redis has no correlation.
    #[serde(default)]
    pub smsc_keys: Vec<String>,
    /// The instance submitting the message, while it has parts to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// When the resolver next looks at the message's parts that have no
    /// final state (claimed by moving it past now); absent until its first
    /// look, [`SETTLE_NEVER`] once nothing is left to settle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_at: Option<DateTime>,
    /// When the message was accepted; the TTL index counts from here.
    pub created_at: DateTime,
    /// Last change.
    pub updated_at: DateTime,
}

impl MessageRecord {
    /// A freshly accepted message: every part pending, version 1.
    pub(crate) fn accepted(new: &NewMessage, now: DateTime) -> Self {
        let parts = (1..=new.parts_total).map(|seq| (part_key(seq), PartRecord::pending(now))).collect();
        Self {
            id: new.id.clone().unwrap_or_else(MessageId::generate),
            idempotency_key: new.idempotency_key.clone(),
            source: new.source.clone(),
            destination: new.destination.clone(),
            content: new.content.clone(),
            data_coding: new.data_coding,
            registered_delivery: new.registered_delivery,
            validity: new.validity,
            priority: new.priority,
            parts_total: new.parts_total,
            parts,
            state: MessageState::Accepted,
            version: 1,
            smsc_keys: Vec::new(),
            claim: None,
            settle_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Part `seq`, if the message has it.
    pub fn part(&self, seq: PartSeq) -> Option<&PartRecord> {
        self.parts.get(&part_key(seq))
    }

    /// The parts in order with their numbers; entries whose key is not a
    /// part number are skipped.
    pub fn parts(&self) -> impl Iterator<Item = (PartSeq, &PartRecord)> {
        self.parts.iter().filter_map(|(k, p)| k.parse::<PartSeq>().ok().map(|seq| (seq, p)))
    }

    /// The numbers of the parts still to send, in order.
    pub fn pending_parts(&self) -> Vec<PartSeq> {
        self.parts().filter(|(_, p)| p.state == PartState::Pending).map(|(seq, _)| seq).collect()
    }

    /// The state the parts say the message is in.
    pub fn derived_state(&self) -> MessageState {
        MessageState::derive(self.parts.values().map(|p| p.state))
    }
}

/// A document of the insert-only `message_history` collection: one change,
/// or one refused change, of a message or a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The message it belongs to.
    pub message_id: MessageId,
    /// The part, or `None` for the message as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<PartSeq>,
    /// When it happened (the receipt's time for receipts).
    pub at: DateTime,
    /// State before, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// State asked for.
    pub to: String,
    /// Whether the change was made; `false` for a late receipt on a final
    /// part and other refused transitions, kept for the record.
    pub applied: bool,
    /// The instance that wrote it.
    pub instance: String,
    /// Short free text (a command status, a reason); at most
    /// [`MAX_DETAIL_LEN`] octets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When the entry was written; the TTL index counts from here.
    pub recorded_at: DateTime,
}

/// Cuts `detail` to [`MAX_DETAIL_LEN`] octets on a character boundary.
pub(crate) fn bounded_detail(detail: &str) -> String {
    let mut end = detail.len().min(MAX_DETAIL_LEN);
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    detail[..end].to_owned()
}

/// A message with its history, oldest entry first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    /// The message and its parts.
    pub message: MessageRecord,
    /// Its history, at most [`super::MessageStore::HISTORY_LIMIT`] entries.
    pub history: Vec<HistoryEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_DETAIL_LEN);
        let cut = bounded_detail(&long);
        assert!(cut.len() <= MAX_DETAIL_LEN && cut.len() >= MAX_DETAIL_LEN - 1);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(bounded_detail("short"), "short");
    }

    #[test]
    fn part_keys_sort_in_part_order() {
        let mut keys: Vec<String> = [10, 2, 255, 1].into_iter().map(part_key).collect();
        keys.sort();
        assert_eq!(keys, ["001", "002", "010", "255"]);
    }

    #[test]
    fn generated_ids_parse_and_grow() {
        let a = MessageId::generate();
        let b = MessageId::generate();
        assert!(b > a, "{a} then {b}");
        assert!(MessageId::parse(a.as_str()).is_ok());
        assert!(MessageId::parse(&a.as_str().to_uppercase()).is_err());
        assert!(MessageId::parse("").is_err());
    }
}
