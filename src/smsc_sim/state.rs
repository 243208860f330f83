//! [`SimState`]: what every connection of one sim shares — the settings,
//! the counters, the bind registry, the message book and the duplicate
//! filter — and [`Now`], the clock reading passed into the pure parts.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::smpp::pdu::CommandStatus;

use super::book::{DuplicateFilter, MessageBook};
use super::config::SimConfig;
use super::registry::BindRegistry;
use super::stats::{SimMetrics, SimStats, StatusLabel};

/// A moment, as the drivers read it: monotonic for timers, Unix seconds
/// for the dates receipts and query_sm_resp carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time.
    pub at: Instant,
    /// Seconds since the Unix epoch, UTC.
    pub unix: u64,
}

/// Shared by all tasks of one sim. Locks are held for a few map operations
/// and never across an await.
#[derive(Debug)]
pub struct SimState {
    /// Validated settings.
    pub config: SimConfig,
    /// Counters.
    pub metrics: SimMetrics,
    /// Binds held.
    pub registry: Mutex<BindRegistry>,
    /// Accepted messages, for query_sm.
    pub book: Mutex<MessageBook>,
    /// Digests of accepted submits.
    pub duplicates: Mutex<DuplicateFilter>,
    /// Bind refusals by status (the metric family cannot be read back).
    pub refusals: Mutex<BTreeMap<CommandStatus, u64>>,
    /// `--replay` counters.
    pub replay: Mutex<super::replay::ReplayCounts>,
    /// The last submit_sm accepted, bounded, for tests.
    pub recent_submits: Mutex<super::inspect::RecentSubmits>,
}

/// Locks, carrying on past a panic elsewhere: every critical section
/// leaves the data consistent between statements.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SimState {
    /// Fresh state for a validated config.
    pub fn new(config: SimConfig, metrics: SimMetrics) -> Self {
        SimState {
            registry: Mutex::new(BindRegistry::new(config.accounts.len())),
            book: Mutex::new(MessageBook::new(config.first_message_id, config.message_memory)),
            duplicates: Mutex::new(DuplicateFilter::new(config.duplicate_memory)),
            refusals: Mutex::new(BTreeMap::new()),
            replay: Mutex::new(super::replay::ReplayCounts::default()),
            recent_submits: Mutex::new(super::inspect::RecentSubmits::default()),
            config,
            metrics,
        }
    }

    /// Counts a refused bind.
    pub fn note_refusal(&self, status: CommandStatus) {
        *lock(&self.refusals).entry(status).or_default() += 1;
        let name = status.name().map_or_else(|| format!("0x{:08X}", status.0), str::to_owned);
        self.metrics.bind_refusals.get_or_create(&StatusLabel { status: name }).inc();
    }

    /// Counts a receiver's answer to a replayed PDU.
    pub fn note_replay_response(&self, status: CommandStatus) {
        *lock(&self.replay).responses.entry(status).or_default() += 1;
    }

    /// A snapshot of every counter.
    pub fn stats(&self) -> SimStats {
        let m = &self.metrics;
        let registry = lock(&self.registry);
        SimStats {
            binds: self
                .config
                .accounts
                .iter()
                .enumerate()
                .map(|(i, a)| (a.system_id.clone(), registry.counts(i)))
                .collect(),
            bind_refusals: lock(&self.refusals).clone(),
            connections: m.connections.get(),
            submits_accepted: m.submits_accepted.get(),
            duplicate_submits: m.duplicate_submits.get(),
            throttled: m.throttled.get(),
            injected_errors: m.injected_errors.get(),
            protocol_errors: m.protocol_errors.get(),
            receipts_sent: m.receipts_sent.get(),
            mo_sent: m.mo_sent.get(),
            deliveries_retried: m.deliveries_retried.get(),
            deliveries_dropped: m.deliveries_dropped.get(),
            unbinds_received: m.unbinds_received.get(),
            binds_lost: m.binds_lost.get(),
        }
    }
}
