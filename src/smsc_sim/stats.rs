//! Counters of the sim: [`SimMetrics`] (prometheus-client, registered
//! under `smsc_sim_`) is the one place they are counted, and [`SimStats`]
//! is a snapshot of them plus the bind registry for tests and the CLI's
//! stats line.

use std::collections::BTreeMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::smpp::pdu::CommandStatus;

/// Label of the per-account metrics: the configured system_id (a handful
/// per sim, never a subscriber).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AccountLabel {
    /// The account's system_id.
    pub account: String,
}

/// Label of bind refusals: the status name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StatusLabel {
    /// e.g. `ESME_RINVPASWD`.
    pub status: String,
}

/// The sim's counters; cheap to clone (shared atomics).
#[derive(Debug, Clone, Default)]
pub struct SimMetrics {
    /// Connections accepted.
    pub connections: Counter,
    /// Connections refused because `max_connections` were open.
    pub connections_refused: Counter,
    /// Binds held now, by account.
    pub binds: Family<AccountLabel, Gauge>,
    /// Binds refused, by status.
    pub bind_refusals: Family<StatusLabel, Counter>,
    /// submit_sm, submit_multi and data_sm accepted (a message id given).
    pub submits_accepted: Counter,
    /// Accepted submits whose digest was already seen.
    pub duplicate_submits: Counter,
    /// Submits answered ESME_RTHROTTLED (window or rate).
    pub throttled: Counter,
    /// Submits answered with the injected error status.
    pub injected_errors: Counter,
    /// Requests answered ESME_RINVBNDSTS or generic_nack.
    pub protocol_errors: Counter,
    /// Receipt deliver_sm sent (each try counts).
    pub receipts_sent: Counter,
    /// MO deliver_sm sent (each try counts).
    pub mo_sent: Counter,
    /// deliver_sm sent again after a temporary error or no answer.
    pub deliveries_retried: Counter,
    /// Receipts and MO given up: out of tries, or the pending queue full.
    pub deliveries_dropped: Counter,
    /// Bound sessions the ESME ended with unbind (v3.4 4.2).
    pub unbinds_received: Counter,
    /// Bound sessions that ended without an unbind exchange: the peer
    /// closed, the sim dropped it, or a timeout.
    pub binds_lost: Counter,
}

impl SimMetrics {
    /// Registers every metric under `registry` with the prefix `smsc_sim`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = SimMetrics::default();
        let r = registry.sub_registry_with_prefix("smsc_sim");
        r.register("connections", "Connections accepted", m.connections.clone());
        r.register(
            "connections_refused",
            "Connections closed on accept: limit reached",
            m.connections_refused.clone(),
        );
        r.register("binds", "Binds held now, by account", m.binds.clone());
        r.register("bind_refusals", "Binds refused, by status", m.bind_refusals.clone());
        // The refusals the simulator gives, at 0 until the first one.
        for status in [
            CommandStatus::ESME_RINVSYSID,
            CommandStatus::ESME_RINVPASWD,
            CommandStatus::ESME_RBINDFAIL,
            CommandStatus::ESME_RALYBND,
        ] {
            m.bind_refusals
                .get_or_create(&StatusLabel { status: status.name().unwrap_or("other").to_owned() })
                .inc_by(0);
        }
        r.register("submits_accepted", "Submits accepted with a message id", m.submits_accepted.clone());
        r.register("duplicate_submits", "Accepted submits seen before", m.duplicate_submits.clone());
        r.register("throttled", "Submits answered ESME_RTHROTTLED", m.throttled.clone());
        r.register("injected_errors", "Submits answered with the injected error", m.injected_errors.clone());
        r.register(
            "protocol_errors",
            "Requests refused for bind state or undecodable",
            m.protocol_errors.clone(),
        );
        r.register("receipts_sent", "Receipt deliver_sm sent", m.receipts_sent.clone());
        r.register("mo_sent", "MO deliver_sm sent", m.mo_sent.clone());
        r.register("deliveries_retried", "deliver_sm sent again", m.deliveries_retried.clone());
        r.register("deliveries_dropped", "Receipts and MO given up", m.deliveries_dropped.clone());
        r.register(
            "unbinds_received",
            "Bound sessions the ESME ended with unbind",
            m.unbinds_received.clone(),
        );
        r.register("binds_lost", "Bound sessions that ended without unbind", m.binds_lost.clone());
        m
    }
}

/// Binds of one account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountBinds {
    /// Held now.
    pub now: usize,
    /// Most held at once since start.
    pub peak: usize,
}

/// A snapshot of the sim's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Binds by account system_id.
    pub binds: BTreeMap<String, AccountBinds>,
    /// Bind refusals by status.
    pub bind_refusals: BTreeMap<CommandStatus, u64>,
    /// Connections accepted.
    pub connections: u64,
    /// Submits accepted.
    pub submits_accepted: u64,
    /// Accepted submits whose digest was seen before: should stay 0.
    pub duplicate_submits: u64,
    /// Submits throttled.
    pub throttled: u64,
    /// Injected errors.
    pub injected_errors: u64,
    /// ESME_RINVBNDSTS and generic_nack answers.
    pub protocol_errors: u64,
    /// Receipt deliver_sm sent.
    pub receipts_sent: u64,
    /// MO deliver_sm sent.
    pub mo_sent: u64,
    /// deliver_sm resent.
    pub deliveries_retried: u64,
    /// Receipts and MO given up.
    pub deliveries_dropped: u64,
    /// Bound sessions the ESME ended with unbind.
    pub unbinds_received: u64,
    /// Bound sessions that ended without an unbind exchange.
    pub binds_lost: u64,
}

impl SimStats {
    /// One line for the CLI's periodic report.
    pub fn line(&self) -> String {
        let binds: usize = self.binds.values().map(|b| b.now).sum();
        format!(
            "binds={binds} submits={} dup={} throttled={} errors={} receipts={} mo={} retried={} dropped={} unbinds={} lost={}",
            self.submits_accepted,
            self.duplicate_submits,
            self.throttled,
            self.injected_errors,
            self.receipts_sent,
            self.mo_sent,
            self.deliveries_retried,
            self.deliveries_dropped,
            self.unbinds_received,
            self.binds_lost
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_under_their_prefix_and_counts_show_in_the_line() {
        let mut registry = Registry::default();
        let m = SimMetrics::register(registry.sub_registry_with_prefix("simgate"));
        m.submits_accepted.inc();
        m.binds.get_or_create(&AccountLabel { account: "gw".into() }).inc();
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("simgate_smsc_sim_submits_accepted_total 1"), "{text}");
        assert!(text.contains("simgate_smsc_sim_binds{account=\"gw\"} 1"), "{text}");
        let stats = SimStats { submits_accepted: 3, duplicate_submits: 0, ..SimStats::default() };
        assert!(stats.line().contains("submits=3 dup=0"));
    }
}
