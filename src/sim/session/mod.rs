//! The applet channel's session state machines, without I/O
//! (shared/STYLE.md rule 1): [`AppletSession`], the gateway's side of one
//! TCP connection on port 9506, and [`AppletClient`], the applet's side,
//! which `simgate applet-sim` and the tests drive.
//!
//! A driver feeds each side the octets it read (`handle_bytes`) and the
//! current time (`handle_timeout`, when `poll_timeout` says), writes what
//! `poll_transmit` gives, and acts on `poll_event`. Neither side reads a
//! clock or touches a socket. Their queues are bounded: frames made and not
//! yet written, commands sent and not yet answered.

mod client;
mod config;
mod event;
mod liveness;
mod outbox;
mod server;

#[cfg(test)]
mod tests;

pub use client::{AppletClient, ClientConfig, ClientEvent, Misbehaviour};
pub use config::{DEFAULT_MAX_PENDING_COMMANDS, DEFAULT_MAX_PENDING_FRAMES, MIN_PEER_FRAME, ServerConfig};
pub use event::{SendError, SessionEvent, SimCredentials};
pub use liveness::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_IDLE_TIMEOUT};
pub use server::AppletSession;
