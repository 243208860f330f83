//! The `sim_commands` and `sim_command_history` documents, the command
//! states, and the command id that the API shows as a UUID and the applet
//! channel carries as 16 octets.

use crate::sim::applet::CommandId;
use mongodb::bson::DateTime;
use serde::{Deserialize, Serialize};

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandState {
    /// Accepted, waiting for a session of its SIM.
    Queued,
    /// A wake-up SMS went to the SIM; still waiting for its session.
    Woken,
    /// A session sealed and queued it; waiting for the applet's result.
    Delivered,
    /// The applet answered (final).
    Result,
    /// Its time-to-live ran out before a result (final).
    Expired,
}

impl CommandState {
    /// Every state, for pre-created metric children.
    pub const ALL: [CommandState; 5] = [
        CommandState::Queued,
        CommandState::Woken,
        CommandState::Delivered,
        CommandState::Result,
        CommandState::Expired,
    ];

    /// The name the API and the documents use.
    pub const fn as_str(self) -> &'static str {
        match self {
            CommandState::Queued => "queued",
            CommandState::Woken => "woken",
            CommandState::Delivered => "delivered",
            CommandState::Result => "result",
            CommandState::Expired => "expired",
        }
    }

    /// The states a command waits for a session in.
    pub const WAITING: [CommandState; 2] = [CommandState::Queued, CommandState::Woken];
    /// The states that have not ended.
    pub const OPEN: [CommandState; 3] = [CommandState::Queued, CommandState::Woken, CommandState::Delivered];
}

/// A command id: a UUID (version 7, so ids sort by creation) whose 16
/// octets are the applet channel's [`CommandId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoredCommandId(pub uuid::Uuid);

impl StoredCommandId {
    /// A fresh id.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    /// From the API's text form; `None` when it is no UUID.
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::try_parse(text).ok().map(Self)
    }

    /// The id the applet channel carries.
    pub fn channel_id(self) -> CommandId {
        CommandId(self.0.into_bytes())
    }

    /// From the id an applet echoed.
    pub fn from_channel(id: CommandId) -> Self {
        Self(uuid::Uuid::from_bytes(id.0))
    }

    /// The text form (hyphenated, lower case), the documents' `_id`.
    pub fn as_string(self) -> String {
        self.0.hyphenated().to_string()
    }
}

impl Default for StoredCommandId {
    fn default() -> Self {
        Self::new()
    }
}

/// The applet's answer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResultDocument {
    /// `ok`, `failed`, `unsupported`, `busy` or `other`.
    pub status: String,
    /// The raw status octet.
    pub status_code: i32,
    /// The answer as hex.
    pub payload: String,
}

/// One command as stored in `sim_commands`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandDocument {
    /// [`StoredCommandId::as_string`].
    #[serde(rename = "_id")]
    pub id: String,
    /// The SIM.
    pub iccid: String,
    /// The SIM's number when the command was accepted (event key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msisdn: Option<String>,
    /// The command type as the client gave it.
    #[serde(rename = "type")]
    pub command_type: String,
    /// The payload as hex (at most one frame's worth).
    pub payload: String,
    /// Where it is.
    pub state: CommandState,
    /// Accepted at.
    pub created_at: DateTime,
    /// Last change.
    pub updated_at: DateTime,
    /// After this the command is `expired` unless it has a result.
    pub expires_at: DateTime,
    /// When the TTL index removes the document (`expires_at` plus the
    /// retention).
    pub purge_at: DateTime,
    /// Times it was handed to a session.
    #[serde(default)]
    pub deliveries: i32,
    /// The wake-up SMS's message id, once one was sent (the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_message_id: Option<String>,
    /// Wake-up SMS sent to the SIM for this command, the one when it was
    /// routed and the re-wakes of the sweep; at most `sim.max_wakes`.
    #[serde(default)]
    pub wakes: i32,
    /// When the latest of them was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub woken_at: Option<DateTime>,
    /// From when the re-wake sweep may wake the SIM again for this command
    /// (`sim.rewake_interval` after its acceptance or its latest wake-up
    /// attempt). Indexed with `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_due_at: Option<DateTime>,
    /// The applet's answer, once it came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<CommandResultDocument>,
}

impl CommandDocument {
    /// The payload octets (empty if the stored hex is damaged).
    pub fn payload_octets(&self) -> Vec<u8> {
        crate::sim::commands::request::decode_hex(&self.payload).unwrap_or_default()
    }
}

/// One state change, insert-only, in `sim_command_history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryDocument {
    /// The command's `_id`.
    pub command_id: String,
    /// The state entered.
    pub state: CommandState,
    /// When.
    pub at: DateTime,
    /// The instance that made the change.
    pub instance: String,
    /// Why, in a few words (`wake-up sent`, `session closed unanswered`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When the TTL index removes the entry (the command's `purge_at`).
    pub purge_at: DateTime,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_round_trip_between_api_and_channel() {
        let id = StoredCommandId::new();
        let text = id.as_string();
        assert_eq!(StoredCommandId::parse(&text), Some(id));
        assert_eq!(StoredCommandId::from_channel(id.channel_id()), id);
        assert_eq!(StoredCommandId::parse("not-a-uuid"), None);
        assert_eq!(CommandState::Delivered.as_str(), "delivered");
        let json = serde_json::to_string(&CommandState::Expired).unwrap();
        assert_eq!(json, "\"expired\"");
    }
}
