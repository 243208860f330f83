//! Metrics of the SIM registry (`simgate_sim_registry_*` when registered
//! under the `sim_registry` prefix). Labels come from fixed lists; no ICCID
//! or MSISDN ever becomes a label.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Labels of [`SimRegistryMetrics`] lookups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct LookupLabels {
    /// `credentials` or `by_msisdn`.
    pub op: &'static str,
    /// `found`, `not_found` or `error`.
    pub outcome: &'static str,
}

/// Labels of [`SimRegistryMetrics`] counters and import rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// Counter: `replayed`, `unknown`. Import: `inserted`, `updated`,
    /// `rejected`.
    pub outcome: &'static str,
}

/// Counters of the SIM registry.
#[derive(Debug, Clone, Default)]
pub struct SimRegistryMetrics {
    /// Lookups by operation and outcome.
    lookups: Family<LookupLabels, Counter>,
    /// Counters refused by [`super::SimRegistry::accept_counter`].
    counter_refusals: Family<OutcomeLabels, Counter>,
    /// Counters accepted.
    counter_accepted: Counter,
    /// Import rows by outcome.
    import_rows: Family<OutcomeLabels, Counter>,
}

impl SimRegistryMetrics {
    /// Registers the metrics under `registry` (give it the `sim_registry`
    /// prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register("lookups", "SIM registry lookups by operation and outcome", m.lookups.clone());
        registry.register(
            "counter_refusals",
            "Secured-packet counters refused: replayed (not above the last accepted) or unknown key set",
            m.counter_refusals.clone(),
        );
        registry.register("counter_accepted", "Secured-packet counters accepted", m.counter_accepted.clone());
        registry.register("import_rows", "SIM import rows by outcome", m.import_rows.clone());
        m
    }

    pub(crate) fn lookup(&self, op: &'static str, outcome: &'static str) {
        self.lookups.get_or_create(&LookupLabels { op, outcome }).inc();
    }

    pub(crate) fn counter(&self, outcome: &'static str) {
        if outcome == "accepted" {
            self.counter_accepted.inc();
        } else {
            self.counter_refusals.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }

    pub(crate) fn import_row(&self, outcome: &'static str) {
        self.import_rows.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Lookups of `op` with `outcome` so far.
    pub fn lookups(&self, op: &'static str, outcome: &'static str) -> u64 {
        self.lookups.get_or_create(&LookupLabels { op, outcome }).get()
    }

    /// Counters refused with `outcome` so far.
    pub fn counter_refusals(&self, outcome: &'static str) -> u64 {
        self.counter_refusals.get_or_create(&OutcomeLabels { outcome }).get()
    }

    /// Counters accepted so far.
    pub fn counters_accepted(&self) -> u64 {
        self.counter_accepted.get()
    }

    /// Import rows with `outcome` so far.
    pub fn import_rows(&self, outcome: &'static str) -> u64 {
        self.import_rows.get_or_create(&OutcomeLabels { outcome }).get()
    }
}
