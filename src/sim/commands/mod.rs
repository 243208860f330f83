//! Commands to SIM applets (docs/sim-commands.md): what `POST
//! /v1/sims/{iccid}/commands` accepts ([`request`]), the command documents
//! and their states ([`model`]), and their MongoDB store ([`store`]).
//!
//! A command is `queued` when accepted, `woken` once a wake-up SMS went to
//! its SIM, `delivered` once an applet session sealed and queued it,
//! `result` when the applet answered, and `expired` when its time-to-live
//! ran out first. A session that ends with the command unanswered puts it
//! back to `queued`. Every change is one filtered `update_one` (the filter
//! names the states it may leave), so instances never overwrite each
//! other's transitions.

pub mod model;
pub mod request;
pub mod store;

pub use model::{CommandDocument, CommandResultDocument, CommandState, HistoryDocument, StoredCommandId};
pub use request::{CommandLimits, CommandRequest, InvalidField, ValidCommand, command_fits};
pub use store::{ChangeMark, CommandStore, StoreError};

/// The MongoDB collection of commands, one document each.
pub const COMMANDS: &str = "sim_commands";
/// Insert-only collection of command state changes.
pub const COMMAND_HISTORY: &str = "sim_command_history";
