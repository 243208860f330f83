//! The event envelope every simgate event shares, the list of event types
//! (one line each), and the typed payload of each. The JSON shapes are the
//! contract with consumers: docs/events.md documents them, and the tests at
//! the bottom pin them.

use super::payload::{
    BindDown, BindUp, DrUnmatched, MoReceived, MtAccepted, MtOutcome, MtRejected, MtSubmitted,
};
use super::payload_sim::{CommandResult, CommandState, OtaPor, OtaSent, SessionClosed, SessionOpened};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::SystemTime;

/// Version of the envelope and payload schemas. Bumped only for changes a
/// consumer must know about (a field removed or its meaning changed);
/// adding an optional field or an event type keeps it.
pub const SCHEMA_VERSION: u32 = 1;

/// Longest partition key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 64;

/// The Kafka topics simgate publishes to, without the configured prefix
/// (`events.topic_prefix`). Each topic holds the events of one family, so
/// one number's events of a family land in one partition, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// MT messages: accepted, submitted, and their final outcome.
    SmsMt,
    /// MO messages received from the SMSC.
    SmsMo,
    /// Delivery receipts that matched no MT message.
    SmsDr,
    /// SMPP bind state changes.
    SmppBind,
    /// SIM Toolkit applet sessions, commands and OTA.
    Sim,
}

impl Topic {
    /// Every topic, for topic creation and docs; `ALL[t as usize] == t`.
    pub const ALL: [Topic; 5] = [Topic::SmsMt, Topic::SmsMo, Topic::SmsDr, Topic::SmppBind, Topic::Sim];

    /// The topic's name after the prefix.
    pub const fn suffix(self) -> &'static str {
        match self {
            Topic::SmsMt => "sms.mt",
            Topic::SmsMo => "sms.mo",
            Topic::SmsDr => "sms.dr",
            Topic::SmppBind => "smpp.bind",
            Topic::Sim => "sim",
        }
    }

    /// The full topic name under `prefix`.
    pub fn name(self, prefix: &str) -> String {
        format!("{prefix}{}", self.suffix())
    }
}

/// Declares the event types: one line per type with its wire name, its
/// topic and its payload struct. Generates [`EventType`] and [`EventData`].
macro_rules! event_types {
    ($( $(#[$doc:meta])* $variant:ident => $wire:literal, $topic:ident, $payload:ty; )*) => {
        /// Every kind of event simgate publishes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $( $(#[$doc])* $variant, )*
        }

        impl EventType {
            /// Every event type, in declaration order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            /// The name in the envelope's `event_type` (`sms.mt.accepted`).
            pub const fn wire_name(self) -> &'static str {
                match self { $(EventType::$variant => $wire,)* }
            }

            /// The topic events of this type go to.
            pub const fn topic(self) -> Topic {
                match self { $(EventType::$variant => Topic::$topic,)* }
            }

            /// The type with this wire name.
            pub fn from_wire_name(name: &str) -> Option<Self> {
                match name { $($wire => Some(EventType::$variant),)* _ => None }
            }
        }

        /// The typed payload of one event; its variant is the event type.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum EventData {
            $( $(#[$doc])* $variant($payload), )*
        }

        impl EventData {
            /// The event type this payload belongs to.
            pub const fn event_type(&self) -> EventType {
                match self { $(EventData::$variant(_) => EventType::$variant,)* }
            }

            /// Reads the payload of an event of type `event_type`.
            pub fn from_json(event_type: EventType, data: serde_json::Value) -> serde_json::Result<Self> {
                match event_type {
                    $(EventType::$variant => serde_json::from_value(data).map(EventData::$variant),)*
                }
            }
        }

        impl Serialize for EventData {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self { $(EventData::$variant(d) => d.serialize(s),)* }
            }
        }
    };
}

event_types! {
    /// An MT message was accepted from an API client and stored.
    SmsMtAccepted => "sms.mt.accepted", SmsMt, MtAccepted;
    /// An MT command from the command topic could not be accepted.
    SmsMtRejected => "sms.mt.rejected", SmsMt, MtRejected;
    /// One part of an MT message was accepted by the SMSC (submit_sm_resp).
    SmsMtSubmitted => "sms.mt.submitted", SmsMt, MtSubmitted;
    /// A delivery receipt said the message reached the handset (DELIVRD).
    SmsMtDelivered => "sms.mt.delivered", SmsMt, MtOutcome;
    /// A delivery receipt said delivery failed (UNDELIV, REJECTD, DELETED).
    SmsMtFailed => "sms.mt.failed", SmsMt, MtOutcome;
    /// A delivery receipt said the validity period ended (EXPIRED).
    SmsMtExpired => "sms.mt.expired", SmsMt, MtOutcome;
    /// A delivery receipt gave no final state (UNKNOWN).
    SmsMtUnknown => "sms.mt.unknown", SmsMt, MtOutcome;
    /// An MO message arrived in a deliver_sm or data_sm.
    SmsMoReceived => "sms.mo.received", SmsMo, MoReceived;
    /// A delivery receipt matched no MT message simgate knows.
    SmsDrUnmatched => "sms.dr.unmatched", SmsDr, DrUnmatched;
    /// An SMPP bind to the SMSC was established.
    SmppBindUp => "smpp.bind.up", SmppBind, BindUp;
    /// An SMPP bind to the SMSC was lost or closed.
    SmppBindDown => "smpp.bind.down", SmppBind, BindDown;
    /// An applet authenticated on port 9506.
    SimSessionOpened => "sim.session.opened", Sim, SessionOpened;
    /// An applet session ended, with its close reason.
    SimSessionClosed => "sim.session.closed", Sim, SessionClosed;
    /// A command to a SIM was accepted and stored.
    SimCommandQueued => "sim.command.queued", Sim, CommandState;
    /// A command reached the applet's session.
    SimCommandDelivered => "sim.command.delivered", Sim, CommandState;
    /// The applet answered a command.
    SimCommandResult => "sim.command.result", Sim, CommandResult;
    /// A command's time to live ended before it was answered.
    SimCommandExpired => "sim.command.expired", Sim, CommandState;
    /// A wake-up SMS was handed to the SMS pipeline.
    SimOtaSent => "sim.ota.sent", Sim, OtaSent;
    /// A proof of receipt of an OTA packet came back as MO.
    SimOtaPor => "sim.ota.por", Sim, OtaPor;
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.wire_name())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        EventType::from_wire_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown event type {name:?}")))
    }
}

/// Why a partition key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key was empty.
    #[error("event key is empty")]
    Empty,
    /// The key was longer than [`MAX_KEY_LEN`] bytes.
    #[error("event key is longer than {MAX_KEY_LEN} bytes")]
    TooLong,
    /// The key held a character other than letters, digits, `+ . _ : -`.
    #[error("event key holds a character other than letters, digits, '+', '.', '_', ':', '-'")]
    BadCharacter,
}

/// The partition key of an event: the phone number (MSISDN, E.164 with or
/// without `+`) the event is about, or the account for bind events. Kafka
/// keeps one key's events of one topic in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EventKey(String);

impl EventKey {
    /// Checks `key`: 1 to [`MAX_KEY_LEN`] bytes of letters, digits and
    /// `+ . _ : -`.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.len() > MAX_KEY_LEN {
            return Err(KeyError::TooLong);
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '_' | ':' | '-')) {
            return Err(KeyError::BadCharacter);
        }
        Ok(Self(key))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for EventKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EventKey::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The unique id of one event: a UUID v7, so ids sort by creation time. A
/// consumer that sees an id twice has seen the same event twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(uuid::Uuid);

impl EventId {
    /// A fresh id from the current time.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    /// The UUID.
    pub const fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl Default for EventId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Where events come from: written into every envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOrigin {
    /// `instance.region`.
    pub region: String,
    /// This instance's id.
    pub instance: String,
}

impl EventOrigin {
    /// A new event of this origin, with a fresh id, occurring now (to the
    /// millisecond, the precision of `occurred_at` on the wire, so an event
    /// equals what its JSON reads back as).
    pub fn event(&self, key: EventKey, data: EventData) -> Event {
        Event {
            schema_version: SCHEMA_VERSION,
            event_id: EventId::new(),
            event_type: data.event_type(),
            occurred_at: to_millis(SystemTime::now()),
            region: self.region.clone(),
            instance: self.instance.clone(),
            key,
            data,
        }
    }
}

/// One event, as published: the envelope and its typed payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Unique per event; kept across retries and outbox relays.
    pub event_id: EventId,
    /// What happened; always `data.event_type()`.
    pub event_type: EventType,
    /// When it happened, RFC 3339 in UTC with milliseconds.
    #[serde(serialize_with = "rfc3339")]
    pub occurred_at: SystemTime,
    /// Region of the instance that saw it.
    pub region: String,
    /// Instance that saw it.
    pub instance: String,
    /// Partition key.
    pub key: EventKey,
    /// The payload of `event_type`.
    pub data: EventData,
}

impl Event {
    /// The event as JSON, the form it has on Kafka and in the outbox.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }

    /// Reads an event from its JSON (consumers, tests, tools).
    pub fn from_json(bytes: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(bytes)
    }
}

fn to_millis(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(d.as_millis() as u64),
        Err(_) => t,
    }
}

fn rfc3339<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_rfc3339_millis(*t))
}

/// The envelope as read, before the payload is typed by `event_type`.
#[derive(Deserialize)]
struct RawEvent {
    schema_version: u32,
    event_id: EventId,
    event_type: EventType,
    occurred_at: String,
    region: String,
    instance: String,
    key: EventKey,
    data: serde_json::Value,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = RawEvent::deserialize(d)?;
        let occurred_at = humantime::parse_rfc3339(&raw.occurred_at).map_err(D::Error::custom)?;
        let data = EventData::from_json(raw.event_type, raw.data).map_err(D::Error::custom)?;
        Ok(Event {
            schema_version: raw.schema_version,
            event_id: raw.event_id,
            event_type: raw.event_type,
            occurred_at,
            region: raw.region,
            instance: raw.instance,
            key: raw.key,
            data,
        })
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
