//! The heartbeat and idle timers of an open session, on the caller's clock.
//!
//! Global Accelerator and the NLB in front of port 9506 drop a TCP flow
//! idle for about 340 to 350 seconds, without telling either end. A side
//! sends a heartbeat when it has sent nothing for the heartbeat interval
//! (default 60 s), and gives the session up when it has received nothing
//! for the idle timeout (default 150 s: two missed heartbeats and some
//! slack for a SIM's slow round trips, still far below 340 s).

use std::time::{Duration, Instant};

/// Default heartbeat interval.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);
/// Default idle timeout.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(150);
/// Default handshake deadline, from accept (or connect) to open.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// When the session last heard and spoke.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Liveness {
    last_rx: Instant,
    last_tx: Instant,
    heartbeat: Duration,
    idle: Duration,
}

/// What is due at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    Heartbeat,
    Idle,
}

impl Liveness {
    pub(crate) fn new(now: Instant, heartbeat: Duration, idle: Duration) -> Self {
        Self { last_rx: now, last_tx: now, heartbeat, idle }
    }

    pub(crate) fn received(&mut self, now: Instant) {
        self.last_rx = self.last_rx.max(now);
    }

    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_tx = self.last_tx.max(now);
    }

    /// The earlier of the heartbeat and idle deadlines.
    pub(crate) fn next_deadline(&self) -> Instant {
        (self.last_tx + self.heartbeat).min(self.last_rx + self.idle)
    }

    pub(crate) fn due(&self, now: Instant) -> Due {
        if now >= self.last_rx + self.idle {
            Due::Idle
        } else if now >= self.last_tx + self.heartbeat {
            Due::Heartbeat
        } else {
            Due::Nothing
        }
    }
}
