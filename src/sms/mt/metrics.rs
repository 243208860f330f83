//! Metrics of settling MT parts whose outcome was not known, and of
//! expiry (`simgate_settle_*` when registered under the `settle` prefix).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// An outcome label from a fixed list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// See the counter that uses it.
    pub outcome: &'static str,
}

/// Counters of late answers, query_sm, give-ups and expiry.
#[derive(Debug, Clone, Default)]
pub struct SettleMetrics {
    /// Late submit_sm_resp waited for: `accepted`, `refused` (an error
    /// status), `none` (the window closed or the bind ended first),
    /// `no_wait_slot`.
    late_answers: Family<OutcomeLabels, Counter>,
    /// query_sm sent, by outcome: `final` (settled the part), `not_final`
    /// (ENROUTE, ACCEPTED, UNKNOWN...), `query_failed` (ESME_RQUERYFAIL or
    /// another error status), `no_answer` (timeout, bind lost, no bind).
    queries: Family<OutcomeLabels, Counter>,
    /// Parts left `unknown` for good: `no_late_answer` (no SMSC id after
    /// the late-response window), `query_failed` (query_sm never
    /// answered usably). Each needs an operator's look (docs/runbook.md).
    given_up: Family<OutcomeLabels, Counter>,
    /// Messages recorded expired before (all their parts were) sent.
    expired: Counter,
}

impl SettleMetrics {
    /// Registers the metrics under `registry` (give it the `settle` prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "late_answers",
            "Late submit_sm_resp waited for, by outcome",
            metrics.late_answers.clone(),
        );
        registry.register(
            "queries",
            "query_sm sent for parts without a final state, by outcome",
            metrics.queries.clone(),
        );
        registry.register(
            "given_up",
            "MT parts left unknown for good, by reason; each needs an operator's look",
            metrics.given_up.clone(),
        );
        registry.register(
            "expired",
            "MT messages whose validity passed before they were sent",
            metrics.expired.clone(),
        );
        // Every documented outcome at 0 from the start, so the series exist
        // for the alerts and increase() counts the first one.
        let families: [(&Family<OutcomeLabels, Counter>, &[&'static str]); 3] = [
            (&metrics.late_answers, &["accepted", "refused", "none", "no_wait_slot"]),
            (&metrics.queries, &["final", "not_final", "query_failed", "no_answer"]),
            (&metrics.given_up, &["no_late_answer", "query_failed"]),
        ];
        for (family, outcomes) in families {
            for &outcome in outcomes {
                family.get_or_create(&OutcomeLabels { outcome }).inc_by(0);
            }
        }
        metrics
    }

    pub(crate) fn late_answer(&self, outcome: &'static str) {
        self.late_answers.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(crate) fn query(&self, outcome: &'static str) {
        self.queries.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(crate) fn given_up(&self, outcome: &'static str) {
        self.given_up.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(crate) fn expired(&self) {
        self.expired.inc();
    }

    /// query_sm counted with `outcome` so far (tests).
    pub fn queries(&self, outcome: &'static str) -> u64 {
        self.queries.get_or_create(&OutcomeLabels { outcome }).get()
    }
}
