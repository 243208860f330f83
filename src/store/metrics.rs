//! Metrics of the message store (`simgate_store_*` when registered under
//! the `store` prefix).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Labels of [`StoreMetrics::operations`]: both come from fixed lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OperationLabels {
    /// `insert`, `claim`, `renew`, `release`, `part`, `receipt`, `get`,
    /// `find`, `history`.
    pub op: &'static str,
    /// `ok`, `existing`, `applied`, `already_final`, `refused`,
    /// `not_found`, `lost` (a claim another instance won), `error`.
    pub outcome: &'static str,
}

/// Counters of the message store.
#[derive(Debug, Clone, Default)]
pub struct StoreMetrics {
    /// Store operations by kind and outcome.
    operations: Family<OperationLabels, Counter>,
    /// Updates that found the message changed since it was read and were
    /// retried.
    conflicts: Counter,
    /// Messages claimed whose previous claim had run out (work of a dead
    /// or stopped instance taken over).
    takeovers: Counter,
}

impl StoreMetrics {
    /// Registers the metrics under `registry` (give it the `store` prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "operations",
            "Message store operations by kind and outcome",
            metrics.operations.clone(),
        );
        registry.register(
            "conflicts",
            "Message updates retried because another writer changed the message first",
            metrics.conflicts.clone(),
        );
        registry.register(
            "takeovers",
            "Messages claimed after another instance's claim ran out",
            metrics.takeovers.clone(),
        );
        metrics
    }

    pub(crate) fn op(&self, op: &'static str, outcome: &'static str) {
        self.operations.get_or_create(&OperationLabels { op, outcome }).inc();
    }

    pub(crate) fn conflict(&self) {
        self.conflicts.inc();
    }

    pub(crate) fn takeover(&self) {
        self.takeovers.inc();
    }

    /// Count of `op` with `outcome` so far (tests and the demo summary).
    pub fn count(&self, op: &'static str, outcome: &'static str) -> u64 {
        self.operations.get_or_create(&OperationLabels { op, outcome }).get()
    }

    /// Conflicts retried so far.
    pub fn conflicts(&self) -> u64 {
        self.conflicts.get()
    }
}
