//! `simgate_smpp_*` metrics of the binds: state, window in use, submits,
//! responses by status, throttles, unanswered requests, response latency,
//! reconnects and refusals. Labels are the bind (`account/slot`) and the
//! status name: few values, never a phone number.

use super::handle::{BindId, SubmitOutcome};
use crate::smpp::pdu::CommandStatus;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// One bind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct BindLabels {
    /// `account/slot`.
    pub bind: String,
}

/// One bind and a status or reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StatusLabels {
    /// `account/slot`.
    pub bind: String,
    /// The command_status name (`ESME_ROK`), or the reason.
    pub status: String,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AccountLabels {
    /// The account's name in the settings.
    pub account: String,
}

/// Metrics of every bind of this instance.
#[derive(Debug, Clone)]
pub struct BindMetrics {
    bound: Family<BindLabels, Gauge>,
    in_flight: Family<BindLabels, Gauge>,
    submits: Family<BindLabels, Counter>,
    responses: Family<StatusLabels, Counter>,
    unanswered: Family<StatusLabels, Counter>,
    rejected: Family<BindLabels, Counter>,
    inbound_refused: Family<BindLabels, Counter>,
    latency: Family<BindLabels, Histogram>,
    connects: Family<StatusLabels, Counter>,
    throttled: Family<AccountLabels, Counter>,
    rate: Family<AccountLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    resubmitted: Family<AccountLabels, Counter>,
    observer_dropped: Counter,
}

fn bind(id: &BindId) -> BindLabels {
    BindLabels { bind: id.to_string() }
}

impl BindMetrics {
    /// Registers under `registry` (prefix `simgate_smpp_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            bound: Family::default(),
            in_flight: Family::default(),
            submits: Family::default(),
            responses: Family::default(),
            unanswered: Family::default(),
            rejected: Family::default(),
            inbound_refused: Family::default(),
            latency: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 14))),
            connects: Family::default(),
            throttled: Family::default(),
            rate: Family::default(),
            resubmitted: Family::default(),
            observer_dropped: Counter::default(),
        };
        registry.register("bind_up", "1 while the bind is bound", m.bound.clone());
        registry.register("bind_window_in_use", "Requests outstanding on the bind", m.in_flight.clone());
        registry.register("submits", "submit_sm written to the bind", m.submits.clone());
        registry.register("responses", "Responses from the SMSC by command_status", m.responses.clone());
        registry.register(
            "unanswered",
            "Requests that got no response (timed_out, abandoned): state unknown until a receipt",
            m.unanswered.clone(),
        );
        registry.register("rejected_pdus", "PDUs from the SMSC answered with an error", m.rejected.clone());
        registry.register(
            "inbound_refused",
            "deliver_sm answered ESME_RX_T_APPN because the application was behind",
            m.inbound_refused.clone(),
        );
        registry.register("response_seconds", "submit_sm to submit_sm_resp", m.latency.clone());
        registry.register("connects", "Connection and bind attempts by outcome", m.connects.clone());
        registry.register(
            "throttled",
            "Answers ESME_RTHROTTLED or ESME_RMSGQFUL that slowed the account down",
            m.throttled.clone(),
        );
        registry.register("send_rate", "Messages per second the account may send now", m.rate.clone());
        registry.register(
            "resubmitted",
            "Parts sent again after their bind dropped before the SMSC answered",
            m.resubmitted.clone(),
        );
        registry.register(
            "observer_dropped",
            "Bind up/down changes not told because the observer's queue was full",
            m.observer_dropped.clone(),
        );
        m
    }

    pub(crate) fn set_bound(&self, id: &BindId, up: bool) {
        self.bound.get_or_create(&bind(id)).set(i64::from(up));
        // The bind's error counters exist from its first state at 0, so
        // increase() sees their first event and the series are always there
        // for the alerts.
        let labels = bind(id);
        self.rejected.get_or_create(&labels).inc_by(0);
        self.inbound_refused.get_or_create(&labels).inc_by(0);
        for status in ["timed_out", "abandoned"] {
            self.unanswered
                .get_or_create(&StatusLabels { bind: id.to_string(), status: status.into() })
                .inc_by(0);
        }
    }

    pub(crate) fn set_in_flight(&self, id: &BindId, n: usize) {
        self.in_flight.get_or_create(&bind(id)).set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(crate) fn submitted(&self, id: &BindId) {
        self.submits.get_or_create(&bind(id)).inc();
    }

    pub(crate) fn observe_response(&self, id: &BindId, status: CommandStatus, took: Duration) {
        let labels = StatusLabels { bind: id.to_string(), status: status_name(status) };
        self.responses.get_or_create(&labels).inc();
        self.latency.get_or_create(&bind(id)).observe(took.as_secs_f64());
    }

    pub(crate) fn unanswered(&self, id: &BindId, outcome: &SubmitOutcome) {
        let status = match outcome {
            SubmitOutcome::TimedOut => "timed_out",
            _ => "abandoned",
        };
        self.unanswered.get_or_create(&StatusLabels { bind: id.to_string(), status: status.into() }).inc();
    }

    pub(crate) fn rejected(&self, id: &BindId) {
        self.rejected.get_or_create(&bind(id)).inc();
    }

    pub(crate) fn inbound_refused(&self, id: &BindId) {
        self.inbound_refused.get_or_create(&bind(id)).inc();
    }

    pub(crate) fn connect(&self, id: &BindId, outcome: &str) {
        self.connects.get_or_create(&StatusLabels { bind: id.to_string(), status: outcome.to_owned() }).inc();
    }

    pub(crate) fn throttled(&self, account: &str) {
        self.throttled.get_or_create(&AccountLabels { account: account.to_owned() }).inc();
    }

    pub(crate) fn set_rate(&self, account: &str, rate: f64) {
        let labels = AccountLabels { account: account.to_owned() };
        self.rate.get_or_create(&labels).set(rate);
        // At 0 from the account's first rate on (see `set_bound`).
        self.throttled.get_or_create(&labels).inc_by(0);
        self.resubmitted.get_or_create(&labels).inc_by(0);
    }

    pub(crate) fn observer_dropped(&self) {
        self.observer_dropped.inc();
    }

    pub(crate) fn resubmitted(&self, account: &str) {
        self.resubmitted.get_or_create(&AccountLabels { account: account.to_owned() }).inc();
    }
}

/// The status's name (`ESME_RTHROTTLED`); `other` for values the
/// specification does not name, so a broken SMSC cannot grow the label set.
fn status_name(status: CommandStatus) -> String {
    status.name().unwrap_or("other").to_owned()
}
