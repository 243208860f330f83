//! The payload (`data`) of each event type. Field names are part of the
//! schema in docs/events.md; new fields are added as `Option` so older
//! consumers keep working without a schema version bump. Phone numbers are
//! the addresses as the SMSC or the API client gave them (E.164, with or
//! without `+`); message text is never logged, only published.

use serde::{Deserialize, Serialize};

/// `sms.mt.accepted`: an MT message was accepted and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtAccepted {
    /// simgate's id of the message, as returned to the API client.
    pub message_id: String,
    /// Originating address (number or alphanumeric sender id).
    pub source: String,
    /// Destination number; the event's key.
    pub destination: String,
    /// Number of SMS parts the message was split into.
    pub parts: u16,
    /// The `request_id` of the MT command it came from (command topic
    /// only), so the sender can match the message id to its request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `sms.mt.rejected`: an MT command from the command topic that cannot be
/// sent as it stands (it is not retried). Never carries the message text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtRejected {
    /// The command's `request_id`, when it had a readable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The JSON field at fault, when one is (`destination`, `priority`,
    /// or an unknown field's name); absent for a command that is not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in one line.
    pub problem: String,
    /// Where the command was: topic, partition and offset.
    pub topic: String,
    /// The command's partition.
    pub partition: i32,
    /// The command's offset.
    pub offset: i64,
}

/// `sms.mt.submitted`: the SMSC accepted one part (submit_sm_resp with
/// ESME_ROK, SMPP v3.4 4.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtSubmitted {
    /// simgate's id of the message.
    pub message_id: String,
    /// The SMSC's message_id from submit_sm_resp.
    pub smsc_message_id: String,
    /// Destination number; the event's key.
    pub destination: String,
    /// The bind the part went out on.
    pub bind_id: String,
    /// Which part (1-based).
    pub part: u16,
    /// Of how many parts.
    pub parts: u16,
}

/// `sms.mt.delivered`, `.failed`, `.expired`, `.unknown`: the final state a
/// delivery receipt reported (SMPP v3.4 Appendix B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtOutcome {
    /// simgate's id of the message.
    pub message_id: String,
    /// The SMSC's message id the receipt referred to.
    pub smsc_message_id: String,
    /// Destination number; the event's key.
    pub destination: String,
    /// The receipt's `stat` (`DELIVRD`, `UNDELIV`, `EXPIRED`, ...).
    pub stat: String,
    /// The receipt's `err` field, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The receipt's `done date` as RFC 3339 UTC, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    /// Why, when no receipt decided it: `sms.mt.unknown` when simgate gave
    /// up finding out, `sms.mt.expired` when the validity passed before
    /// sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `sms.mo.received`: an MO message (deliver_sm or data_sm, SMPP v3.4
/// 4.6.1 and 4.7.1) whose response the SMSC gets only after this event is
/// durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoReceived {
    /// simgate's id of the MO message.
    pub message_id: String,
    /// The sender's number; the event's key.
    pub source: String,
    /// The number or short code it was sent to.
    pub destination: String,
    /// SMPP data_coding of the original (SMPP v3.4 5.2.19).
    pub data_coding: u8,
    /// The text, when the data coding is a text one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The raw user data as hex, when it is binary (8-bit data coding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_hex: Option<String>,
    /// Parts it was reassembled from (1 for a single SMS).
    pub parts: u16,
    /// The bind it arrived on.
    pub bind_id: String,
}

/// `sms.dr.unmatched`: a delivery receipt for an SMSC message id simgate
/// has no MT message for (unknown or past its correlation TTL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrUnmatched {
    /// The SMSC's message id from the receipt.
    pub smsc_message_id: String,
    /// The receipt's source address (the handset); the event's key.
    pub source: String,
    /// The receipt's destination address.
    pub destination: String,
    /// The receipt's `stat`.
    pub stat: String,
    /// The bind it arrived on.
    pub bind_id: String,
}

/// `smpp.bind.up`: a bind to the SMSC was established (bind_*_resp with
/// ESME_ROK, SMPP v3.4 4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindUp {
    /// The account's name in simgate's settings; the event's key.
    pub account: String,
    /// The bind, `account/slot` (the lease slot it holds).
    pub bind_id: String,
    /// `transmitter`, `receiver` or `transceiver`.
    pub bind_type: String,
    /// The SMSC's address, `host:port`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

/// `smpp.bind.down`: a bind that was up was lost or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindDown {
    /// The account's name in simgate's settings; the event's key.
    pub account: String,
    /// The bind, `account/slot`.
    pub bind_id: String,
    /// `transmitter`, `receiver` or `transceiver`.
    pub bind_type: String,
    /// Why, in one line (`unbound by the SMSC`, `enquire_link unanswered`, ...).
    pub reason: String,
}
