//! How the gateway's side of an applet session behaves.

use super::liveness::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_IDLE_TIMEOUT};
use crate::sim::applet::InboundPolicy;
use crate::sim::frame::DEFAULT_MAX_PAYLOAD_LEN;
use crate::sim::keys::AesKey;
use std::time::Duration;

/// Default bound of frames made and not yet written.
pub const DEFAULT_MAX_PENDING_FRAMES: usize = 32;
/// Default bound of commands sent and not yet answered.
pub const DEFAULT_MAX_PENDING_COMMANDS: usize = 16;
/// The smallest frame a peer may announce in its hello.
pub const MIN_PEER_FRAME: u16 = 64;

/// Settings of every server session, shared by all of them (`Arc`).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest frame payload accepted (default 1024).
    pub max_frame: u16,
    /// From accept to open, at most (default 10 s).
    pub handshake_timeout: Duration,
    /// Heartbeat after this long without sending (default 60 s).
    pub heartbeat_interval: Duration,
    /// Close after this long without receiving (default 150 s).
    pub idle_timeout: Duration,
    /// Frames queued for the socket, at most.
    pub max_pending_frames: usize,
    /// Commands sent and not answered, at most.
    pub max_pending_commands: usize,
    /// What inbound packets must carry.
    pub policy: InboundPolicy,
    /// The key an unknown ICCID (or unknown key version) is verified
    /// against, so it costs and answers the same as a wrong key. Random,
    /// made at start-up, never stored or logged; a packet that verifies
    /// under it still opens nothing.
    pub decoy_key: AesKey,
}

impl ServerConfig {
    /// The defaults, with the decoy key the caller drew.
    pub fn new(decoy_key: AesKey) -> Self {
        Self {
            max_frame: DEFAULT_MAX_PAYLOAD_LEN,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_pending_frames: DEFAULT_MAX_PENDING_FRAMES,
            max_pending_commands: DEFAULT_MAX_PENDING_COMMANDS,
            policy: InboundPolicy::default(),
            decoy_key,
        }
    }
}
