//! Metrics of the OTA wake-up and its proofs of receipt
//! (`simgate_sim_ota_*` under the `sim_ota` prefix). Every label value
//! comes from a fixed list and is created at 0; no ICCID or MSISDN ever
//! becomes a label.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Why a wake-up was not sent (one per [`crate::sim::wake::WakeError`]
/// the waker returns).
pub const REFUSAL_REASONS: [&str; 5] =
    ["unknown_sim", "no_msisdn", "no_keys", "recently_woken", "unavailable"];

/// What became of a PoR MO: its TS 102 225 5.2 status when it verified,
/// else why it was not read.
pub const POR_OUTCOMES: [&str; 14] = [
    "ok",
    "checksum_failed",
    "counter_low",
    "counter_high",
    "counter_blocked",
    "ciphering_error",
    "security_error",
    "insufficient_memory",
    "more_time",
    "tar_unknown",
    "insufficient_security",
    "other",
    "unverified",
    "unknown_number",
];

/// Label of refused wake-ups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabel {
    /// One of [`REFUSAL_REASONS`].
    pub reason: &'static str,
}

/// Label of PoRs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StatusLabel {
    /// One of [`POR_OUTCOMES`].
    pub status: &'static str,
}

/// Counters of the OTA side. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OtaMetrics {
    /// Wake-up SMS handed to the SMS pipeline.
    sent: Counter,
    /// Wake-ups not sent, by reason.
    refused: Family<ReasonLabel, Counter>,
    /// PoR MO by status.
    por: Family<StatusLabel, Counter>,
}

impl OtaMetrics {
    /// Registers the metrics under `registry` (give it the `sim_ota`
    /// prefix), every label value at 0.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        for reason in REFUSAL_REASONS {
            m.refused.get_or_create(&ReasonLabel { reason }).inc_by(0);
        }
        for status in POR_OUTCOMES {
            m.por.get_or_create(&StatusLabel { status }).inc_by(0);
        }
        registry.register("wakeups_sent", "OTA wake-up SMS accepted into the SMS pipeline", m.sent.clone());
        registry.register("wakeups_refused", "OTA wake-ups not sent, by reason", m.refused.clone());
        registry.register("por", "Proofs of receipt received as MO, by status", m.por.clone());
        m
    }

    pub(crate) fn sent(&self) {
        self.sent.inc();
    }

    pub(crate) fn refused(&self, reason: &'static str) {
        self.refused.get_or_create(&ReasonLabel { reason }).inc();
    }

    pub(crate) fn por(&self, status: &'static str) {
        self.por.get_or_create(&StatusLabel { status }).inc();
    }

    /// Wake-ups sent so far (for tests and the demo).
    pub fn sent_count(&self) -> u64 {
        self.sent.get()
    }

    /// Refusals for `reason` so far.
    pub fn refused_count(&self, reason: &'static str) -> u64 {
        self.refused.get_or_create(&ReasonLabel { reason }).get()
    }

    /// PoRs with `status` so far.
    pub fn por_count(&self, status: &'static str) -> u64 {
        self.por.get_or_create(&StatusLabel { status }).get()
    }
}
