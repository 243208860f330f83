//! The applet channel protocol on TCP 9506: what the SIM Toolkit applet and
//! the gateway say to each other inside [`crate::sim::frame`] frames, each
//! message an ETSI TS 102 225 command packet ([`crate::sim::secured`]).
//!
//! - [`binding`]: the opening frame's clear ICCID, the associated data
//!   that binds every checksum to SIM, session and direction, the plain
//!   close.
//! - [`message`]: the application messages (hello, command, result, proof
//!   of receipt, heartbeat, close, wake-up).
//! - [`hello`], [`command`], [`close`]: their parts.
//! - [`channel`]: sealing a message and the receiver's security policy.
//!
//! The state machines that use them are in [`crate::sim::session`];
//! docs/applet-protocol.md has the whole protocol with a worked example.

pub mod binding;
pub mod channel;
pub mod close;
pub mod command;
pub mod hello;
pub mod message;

pub use binding::{BindingError, Direction};
pub use channel::InboundPolicy;
pub use close::CloseReason;
pub use command::{CommandFieldError, CommandId, CommandType, ResultStatus};
pub use hello::{Capabilities, Hello, PROTOCOL_VERSION};
pub use message::{AppletMessage, MessageError};
