//! What the applet listener is told: where to listen, how many sockets it
//! holds, and the limits and timers every session gets. A plain struct;
//! the settings layer maps its `[sim]` section onto it.

use crate::sim::frame::DEFAULT_MAX_PAYLOAD_LEN;
use crate::sim::session::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_PENDING_COMMANDS, DEFAULT_MAX_PENDING_FRAMES,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The port SIM Toolkit applets dial (docs/applet-protocol.md).
pub const DEFAULT_PORT: u16 = 9506;
/// Default bound of sockets held at once.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;
/// Default time sessions get to say goodbye on drain.
pub const DEFAULT_DRAIN_GRACE: Duration = Duration::from_secs(5);

/// The listener's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Where to listen (default `0.0.0.0:9506`).
    pub listen: SocketAddr,
    /// Sockets held at once, one semaphore permit each; a connection over
    /// the limit is accepted and closed at once.
    pub max_sessions: usize,
    /// The largest frame payload accepted; a longer length prefix closes
    /// the session before a body octet is buffered.
    pub max_frame: u16,
    /// From accept to open, at most.
    pub handshake_timeout: Duration,
    /// Heartbeat after this long without sending.
    pub heartbeat_interval: Duration,
    /// Close after this long without receiving.
    pub idle_timeout: Duration,
    /// Frames made and not yet written, per session.
    pub max_pending_frames: usize,
    /// Commands sent and not yet answered, per session; also the capacity
    /// of a [`super::SessionHandle`]'s channel.
    pub max_pending_commands: usize,
    /// On drain, how long sessions get to write their close frame.
    pub drain_grace: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::UNSPECIFIED, DEFAULT_PORT)),
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_frame: DEFAULT_MAX_PAYLOAD_LEN,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_pending_frames: DEFAULT_MAX_PENDING_FRAMES,
            max_pending_commands: DEFAULT_MAX_PENDING_COMMANDS,
            drain_grace: DEFAULT_DRAIN_GRACE,
        }
    }
}
