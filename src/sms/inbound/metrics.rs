//! `simgate_inbound_*`: answers to the SMSC's deliver_sm and data_sm, and
//! what became of receipts and MO parts.

use crate::smpp::pdu::CommandStatus;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// What became of an MO deliver_sm (`simgate_inbound_mo_total{outcome}`),
/// each created at 0: published, a part stored or seen twice, or a
/// concatenated proof of receipt completed and handed to the OTA side, or
/// a completed message neither made durable nor given back to Redis (lost;
/// logged at ERROR).
pub const MO_OUTCOMES: [&str; 5] = ["received", "part_stored", "duplicate_part", "por_joined", "parts_lost"];

/// One outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// What happened.
    pub outcome: &'static str,
}

/// Counters of the inbound lanes.
#[derive(Debug, Clone, Default)]
pub struct InboundMetrics {
    answers: Family<OutcomeLabels, Counter>,
    receipts: Family<OutcomeLabels, Counter>,
    mo: Family<OutcomeLabels, Counter>,
}

impl InboundMetrics {
    /// Registers under `registry` (prefix `simgate_inbound_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        for outcome in MO_OUTCOMES {
            m.mo.get_or_create(&OutcomeLabels { outcome }).inc_by(0);
        }
        registry.register(
            "answers",
            "deliver_sm/data_sm answers: ok, or retry (the SMSC resends)",
            m.answers.clone(),
        );
        registry.register("receipts", "Receipts: matched, parked, unmatched, unreadable", m.receipts.clone());
        registry.register("mo", "MO messages received, parts stored, concatenated PoRs joined", m.mo.clone());
        m
    }

    pub(super) fn answered(&self, status: CommandStatus) {
        let outcome = if status.is_ok() {
            "ok"
        } else if status == CommandStatus::ESME_RX_T_APPN {
            "retry"
        } else {
            "refused"
        };
        self.answers.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(super) fn receipt(&self, outcome: &'static str) {
        self.receipts.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(super) fn mo(&self, outcome: &'static str) {
        self.mo.get_or_create(&OutcomeLabels { outcome }).inc();
    }
}
