//! The [`SwarmProbe`] of `load applet`: connection attempts, openings and
//! refusals go into the run's [`Recorder`] (so the timeline, the plot and
//! the JSON read like those of the other tools: "sent" is a connection
//! attempt, "ok" a session opened, the latency the handshake), and what
//! only the applet endpoint has (concurrent sessions, command round trips,
//! close reasons) into [`SessionCounts`].

use crate::applet_sim::SwarmProbe;
use crate::load::stats::{Latency, Recorder, lock};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The outcome name of a session that opened.
pub const OPENED: &str = "opened";
/// The outcome name of a TCP connect that failed or timed out.
pub const CONNECT_FAILED: &str = "connect_failed";

/// What the recorder does not hold. The maps are keyed by close reason
/// names (at most a few dozen keys).
#[derive(Debug)]
pub struct SessionCounts {
    /// Sessions open now.
    pub open_now: u64,
    /// The most open at once.
    pub peak_open: u64,
    /// The first connection attempt.
    pub first_attempt: Option<Instant>,
    /// The last session that opened.
    pub last_opened: Option<Instant>,
    /// Sessions that ended before opening, by close reason.
    pub refused: BTreeMap<&'static str, u64>,
    /// Open sessions the gateway closed (or lost), by close reason.
    pub closed_by_gateway: BTreeMap<&'static str, u64>,
    /// Open sessions this run closed (at its end), by close reason.
    pub closed_by_load: BTreeMap<&'static str, u64>,
    /// Command arrival to the gateway's proof of receipt of the result.
    pub round_trip: Latency,
}

/// Counts a run's sessions; shared by the swarm's applet tasks.
#[derive(Debug)]
pub struct LoadProbe {
    rec: Arc<Mutex<Recorder>>,
    counts: Mutex<SessionCounts>,
}

impl LoadProbe {
    /// A probe recording into `rec`.
    pub fn new(rec: Arc<Mutex<Recorder>>) -> Self {
        let counts = SessionCounts {
            open_now: 0,
            peak_open: 0,
            first_attempt: None,
            last_opened: None,
            refused: BTreeMap::new(),
            closed_by_gateway: BTreeMap::new(),
            closed_by_load: BTreeMap::new(),
            round_trip: Latency::new(3),
        };
        Self { rec, counts: Mutex::new(counts) }
    }

    /// The recorder.
    pub fn recorder(&self) -> &Arc<Mutex<Recorder>> {
        &self.rec
    }

    /// The session counts, locked.
    pub fn counts(&self) -> MutexGuard<'_, SessionCounts> {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn bump(map: &mut BTreeMap<&'static str, u64>, key: &'static str) {
    *map.entry(key).or_insert(0) += 1;
}

impl SwarmProbe for LoadProbe {
    fn connecting(&self, at: Instant) {
        lock(&self.rec).sent(at);
        self.counts().first_attempt.get_or_insert(at);
    }

    fn connect_failed(&self, at: Instant) {
        lock(&self.rec).answered(at, CONNECT_FAILED, false, None);
    }

    fn opened(&self, at: Instant, handshake: Duration) {
        lock(&self.rec).answered(at, OPENED, true, Some(handshake));
        let mut c = self.counts();
        c.open_now += 1;
        c.peak_open = c.peak_open.max(c.open_now);
        c.last_opened = Some(at);
    }

    fn refused(&self, at: Instant, reason: &'static str) {
        lock(&self.rec).answered(at, reason, false, None);
        bump(&mut self.counts().refused, reason);
    }

    fn round_trip(&self, _at: Instant, latency: Duration) {
        self.counts().round_trip.record(latency);
    }

    fn closed(&self, _at: Instant, reason: &'static str, by_gateway: bool) {
        let mut c = self.counts();
        c.open_now = c.open_now.saturating_sub(1);
        if by_gateway {
            bump(&mut c.closed_by_gateway, reason);
        } else {
            bump(&mut c.closed_by_load, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sessions_are_counted_by_outcome_and_concurrency_peaks() {
        let start = Instant::now();
        let probe = LoadProbe::new(Arc::new(Mutex::new(Recorder::new(start))));
        for _ in 0..3 {
            probe.connecting(start);
        }
        probe.opened(start, Duration::from_millis(4));
        probe.opened(start, Duration::from_millis(6));
        probe.refused(start, "bad_checksum");
        probe.closed(start, "idle_timeout", true);
        probe.opened(start, Duration::from_millis(5));
        probe.closed(start, "normal", false);
        probe.round_trip(start, Duration::from_millis(2));
        let rec = lock(probe.recorder());
        assert_eq!((rec.sent, rec.ok, rec.errors), (3, 3, 1));
        assert_eq!(rec.outcomes.get("bad_checksum"), Some(&1));
        assert_eq!(rec.latency.percentiles().count, 3, "handshakes only");
        let c = probe.counts();
        assert_eq!((c.open_now, c.peak_open), (1, 2));
        assert_eq!(c.closed_by_gateway.get("idle_timeout"), Some(&1));
        assert_eq!(c.closed_by_load.get("normal"), Some(&1));
        assert_eq!(c.round_trip.percentiles().count, 1);
    }
}
