//! The payloads of the `sim.*` events (topic `{prefix}sim`): applet
//! sessions on port 9506, commands to SIMs, and OTA wake-up SMS with their
//! proofs of receipt. Keyed by the SIM's MSISDN when the registry knows
//! it, else by its ICCID. Command payloads are carried as hex; keys never
//! appear in an event.

use serde::{Deserialize, Serialize};

/// `sim.session.opened`: an applet authenticated and holds a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOpened {
    /// The SIM.
    pub iccid: String,
    /// The instance that holds the session.
    pub instance: String,
    /// The applet version from its hello.
    pub applet_version: u16,
}

/// `sim.session.closed`: a session that had opened ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClosed {
    /// The SIM.
    pub iccid: String,
    /// The instance that held the session.
    pub instance: String,
    /// The close reason's name (docs/applet-protocol.md, "Close reasons").
    pub reason: String,
    /// Whether the applet ended it.
    pub by_peer: bool,
}

/// `sim.command.queued`, `sim.command.delivered` and
/// `sim.command.expired`: a command changed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandState {
    /// simgate's id of the command, as returned to the API client.
    pub command_id: String,
    /// The SIM.
    pub iccid: String,
    /// The command type the client gave.
    pub command_type: String,
    /// The instance that made the change.
    pub instance: String,
}

/// `sim.command.result`: the applet answered a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    /// simgate's id of the command.
    pub command_id: String,
    /// The SIM.
    pub iccid: String,
    /// The applet's result status name.
    pub status: String,
    /// The result payload as hex.
    pub payload: String,
}

/// `sim.ota.sent`: a wake-up SMS went into the SMS pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtaSent {
    /// The SIM.
    pub iccid: String,
    /// The SMS pipeline's message id of the wake-up SMS.
    pub message_id: String,
    /// The TAR of the applet it addresses, as hex.
    pub tar: String,
    /// The TS 102 225 counter the packet carries.
    pub counter: u64,
}

/// `sim.ota.por`: a proof of receipt (TS 102 225 response packet) came
/// back as MO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtaPor {
    /// The SIM.
    pub iccid: String,
    /// The response status name (TS 102 225 table 5.4).
    pub status: String,
    /// The counter the response carries.
    pub counter: u64,
    /// Whether its checksum verified with the SIM's keys.
    pub verified: bool,
}
