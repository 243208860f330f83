//! `simgate_mt_command_*`: what the MT command consumer did with the
//! records it read. The `reason` label is [`RejectReason::label`], a fixed
//! set of field names and categories, never a value from the command.

use super::parse::RejectReason;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Why a command was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabels {
    /// [`RejectReason::label`].
    pub reason: &'static str,
}

/// Whether an accepted command stored a new message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `new`, or `repeat` (its idempotency key named a stored message).
    pub outcome: &'static str,
}

/// Metrics of the MT command consumer.
#[derive(Debug, Clone, Default)]
pub struct CommandMetrics {
    accepted: Family<OutcomeLabels, Counter>,
    rejected: Family<ReasonLabels, Counter>,
    store_retries: Counter,
    consume_errors: Counter,
    commit_errors: Counter,
}

impl CommandMetrics {
    /// Registers under `registry` (prefix `simgate_mt_command_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "accepted",
            "Commands accepted, by whether they stored a new message",
            m.accepted.clone(),
        );
        registry.register(
            "rejected",
            "Commands that cannot be sent (published as sms.mt.rejected), by reason",
            m.rejected.clone(),
        );
        registry.register(
            "store_retries",
            "Accept attempts that found the message store unavailable and will be retried",
            m.store_retries.clone(),
        );
        registry.register("consume_errors", "Errors reading the command topic", m.consume_errors.clone());
        registry.register("commit_errors", "Offset commits the broker refused", m.commit_errors.clone());
        // At 0 from the start (the alerts see the series, increase() the
        // first event); a field named by an invalid command adds its own.
        for outcome in ["new", "repeat"] {
            m.accepted.get_or_create(&OutcomeLabels { outcome }).inc_by(0);
        }
        for reason in [
            RejectReason::NotJson,
            RejectReason::UnknownField,
            RejectReason::WrongType,
            RejectReason::RequestId,
        ] {
            m.rejected.get_or_create(&ReasonLabels { reason: reason.label() }).inc_by(0);
        }
        m
    }

    pub(super) fn accepted(&self, new: bool) {
        let outcome = if new { "new" } else { "repeat" };
        self.accepted.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(super) fn rejected(&self, reason: RejectReason) {
        self.rejected.get_or_create(&ReasonLabels { reason: reason.label() }).inc();
    }

    pub(super) fn store_retry(&self) {
        self.store_retries.inc();
    }

    pub(super) fn consume_error(&self) {
        self.consume_errors.inc();
    }

    pub(super) fn commit_error(&self) {
        self.commit_errors.inc();
    }
}
