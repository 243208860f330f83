//! [`SwarmProbe`]: what a swarm tells an observer as it happens, so a load
//! tool can time handshakes and command round trips without a second copy
//! of the session code. Every method has an empty default; the swarm calls
//! them from its applet tasks, so they must be quick and must not block
//! (take a short lock, bump an atomic).

use std::time::{Duration, Instant};

/// Hooks a swarm calls, one applet task at a time.
pub trait SwarmProbe: Send + Sync + std::fmt::Debug + 'static {
    /// An applet starts a TCP connection at `at`.
    fn connecting(&self, at: Instant) {
        let _ = at;
    }

    /// The TCP connection failed or timed out.
    fn connect_failed(&self, at: Instant) {
        let _ = at;
    }

    /// The gateway's hello verified at `at`, `handshake` after the connect
    /// began (TCP connect, opening frame, registry lookup, hello).
    fn opened(&self, at: Instant, handshake: Duration) {
        let _ = (at, handshake);
    }

    /// A session ended before it opened: the close reason's name, or
    /// [`super::stats::CONNECTION_LOST`].
    fn refused(&self, at: Instant, reason: &'static str) {
        let _ = (at, reason);
    }

    /// A command's round trip as the applet sees it: from the command's
    /// arrival to the gateway's proof of receipt of the applet's result
    /// (so it includes the configured result latency).
    fn round_trip(&self, at: Instant, latency: Duration) {
        let _ = (at, latency);
    }

    /// An open session ended: the close reason's name (or
    /// [`super::stats::CONNECTION_LOST`]) and whether the gateway closed it.
    fn closed(&self, at: Instant, reason: &'static str, by_gateway: bool) {
        let _ = (at, reason, by_gateway);
    }
}
