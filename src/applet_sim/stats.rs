//! What a swarm counts: [`SwarmStats`], shared by its applets (atomics and
//! two small maps keyed by close reason, at most a few dozen entries), and
//! [`SwarmSummary`], a snapshot for the stats line, `--json` and tests.

use crate::sim::applet::CloseReason;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// The key of a session lost without a close frame.
pub const CONNECTION_LOST: &str = "connection_lost";

/// The swarm's counters.
#[derive(Debug)]
pub struct SwarmStats {
    started: Instant,
    applets: AtomicU64,
    connects: AtomicU64,
    connect_failures: AtomicU64,
    sessions_opened: AtomicU64,
    open_now: AtomicI64,
    commands_answered: AtomicU64,
    reconnects: AtomicU64,
    misbehaviours: AtomicU64,
    /// Sessions that ended before the gateway's hello, by close reason.
    handshake_failures: Mutex<BTreeMap<&'static str, u64>>,
    /// Open sessions the gateway closed (or lost), by close reason.
    closed_by_gateway: Mutex<BTreeMap<&'static str, u64>>,
}

fn bump(map: &Mutex<BTreeMap<&'static str, u64>>, key: &'static str) {
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    *map.entry(key).or_insert(0) += 1;
}

fn copy(map: &Mutex<BTreeMap<&'static str, u64>>) -> BTreeMap<String, u64> {
    let map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

impl SwarmStats {
    pub(crate) fn new() -> Self {
        Self {
            started: Instant::now(),
            applets: AtomicU64::new(0),
            connects: AtomicU64::new(0),
            connect_failures: AtomicU64::new(0),
            sessions_opened: AtomicU64::new(0),
            open_now: AtomicI64::new(0),
            commands_answered: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            misbehaviours: AtomicU64::new(0),
            handshake_failures: Mutex::new(BTreeMap::new()),
            closed_by_gateway: Mutex::new(BTreeMap::new()),
        }
    }

    pub(crate) fn applet_started(&self) {
        self.applets.fetch_add(1, Relaxed);
    }
    pub(crate) fn connected(&self) {
        self.connects.fetch_add(1, Relaxed);
    }
    pub(crate) fn connect_failed(&self) {
        self.connect_failures.fetch_add(1, Relaxed);
    }
    pub(crate) fn reconnecting(&self) {
        self.reconnects.fetch_add(1, Relaxed);
    }
    pub(crate) fn opened(&self) {
        self.sessions_opened.fetch_add(1, Relaxed);
        self.open_now.fetch_add(1, Relaxed);
    }
    pub(crate) fn answered(&self) {
        self.commands_answered.fetch_add(1, Relaxed);
    }
    pub(crate) fn misbehaved(&self) {
        self.misbehaviours.fetch_add(1, Relaxed);
    }

    /// A session ended: `reason` is `None` when the socket ended without
    /// a close frame.
    pub(crate) fn ended(&self, opened: bool, reason: Option<CloseReason>, by_gateway: bool) {
        let key = reason.map_or(CONNECTION_LOST, CloseReason::as_str);
        if opened {
            self.open_now.fetch_sub(1, Relaxed);
            if by_gateway || reason.is_none() {
                bump(&self.closed_by_gateway, key);
            }
        } else {
            bump(&self.handshake_failures, key);
        }
    }

    /// A snapshot.
    pub fn summary(&self) -> SwarmSummary {
        SwarmSummary {
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            applets: self.applets.load(Relaxed),
            connects: self.connects.load(Relaxed),
            connect_failures: self.connect_failures.load(Relaxed),
            sessions_opened: self.sessions_opened.load(Relaxed),
            open_now: self.open_now.load(Relaxed).max(0).unsigned_abs(),
            commands_answered: self.commands_answered.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            misbehaviours: self.misbehaviours.load(Relaxed),
            handshake_failures: copy(&self.handshake_failures),
            closed_by_gateway: copy(&self.closed_by_gateway),
        }
    }
}

/// The swarm's counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwarmSummary {
    /// Since the swarm started.
    pub elapsed_ms: u64,
    /// Applet tasks started so far.
    pub applets: u64,
    /// TCP connections made.
    pub connects: u64,
    /// TCP connections that failed or timed out.
    pub connect_failures: u64,
    /// Sessions that reached the gateway's hello.
    pub sessions_opened: u64,
    /// Sessions open now.
    pub open_now: u64,
    /// Results sent.
    pub commands_answered: u64,
    /// Connection attempts after the first of each applet.
    pub reconnects: u64,
    /// Misbehaviours carried out (replays, garbage frames, storm closes).
    pub misbehaviours: u64,
    /// Sessions that ended before opening, by close reason.
    pub handshake_failures: BTreeMap<String, u64>,
    /// Open sessions the gateway closed, by reason (`connection_lost`: the
    /// socket ended without a close frame).
    pub closed_by_gateway: BTreeMap<String, u64>,
}

impl SwarmSummary {
    /// One line for humans.
    pub fn line(&self) -> String {
        let map = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "-".to_owned()
            } else {
                m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
            }
        };
        format!(
            "elapsed={}ms applets={} connects={} connect_failures={} opened={} open_now={} answered={} \
             reconnects={} misbehaviours={} handshake_failures={} closed_by_gateway={}",
            self.elapsed_ms,
            self.applets,
            self.connects,
            self.connect_failures,
            self.sessions_opened,
            self.open_now,
            self.commands_answered,
            self.reconnects,
            self.misbehaviours,
            map(&self.handshake_failures),
            map(&self.closed_by_gateway),
        )
    }
}
