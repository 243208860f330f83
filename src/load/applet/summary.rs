//! The applet part of a `load applet` report: what the common
//! [`crate::load::Report`] does not say about sessions.

use super::probe::SessionCounts;
use crate::load::Recorder;
use crate::load::stats::Percentiles;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Sessions, concurrency, round trips and close reasons of a run.
#[derive(Debug, Clone, Serialize)]
pub struct AppletSummary {
    /// Sessions the run was to open.
    pub sessions: u64,
    /// Sessions that opened.
    pub opened: u64,
    /// Opened per second, from the first connect to the last opening.
    pub opened_per_s: f64,
    /// The most sessions open at once.
    pub peak_concurrent: u64,
    /// Sessions open when the run ended (before it closed them).
    pub open_at_end: u64,
    /// TCP connects that failed or timed out.
    pub connect_failures: u64,
    /// Handshakes refused, by close reason (`connection_lost`: closed
    /// without a close frame).
    pub refused: BTreeMap<String, u64>,
    /// Open sessions the gateway closed, by close reason.
    pub closed_by_gateway: BTreeMap<String, u64>,
    /// Open sessions the run closed at its end, by close reason.
    pub closed_by_load: BTreeMap<String, u64>,
    /// Commands the applets answered.
    pub commands_answered: u64,
    /// Connect to the gateway's hello.
    pub handshake: Percentiles,
    /// Command arrival to the gateway's proof of receipt of the result
    /// (empty when the gateway sent no command).
    pub command_round_trip: Percentiles,
}

fn owned(map: &BTreeMap<&'static str, u64>) -> BTreeMap<String, u64> {
    map.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

impl AppletSummary {
    /// From the run's counters; `opening` is the opening phase.
    pub fn new(
        sessions: usize,
        rec: &Recorder,
        counts: &SessionCounts,
        opening: Duration,
        commands_answered: u64,
    ) -> Self {
        let opened_per_s = if opening.is_zero() { 0.0 } else { rec.ok as f64 / opening.as_secs_f64() };
        let open_at_end: u64 = counts.closed_by_load.values().sum::<u64>() + counts.open_now;
        Self {
            sessions: sessions as u64,
            opened: rec.ok,
            opened_per_s,
            peak_concurrent: counts.peak_open,
            open_at_end,
            connect_failures: rec.outcomes.get(super::CONNECT_FAILED).copied().unwrap_or(0),
            refused: owned(&counts.refused),
            closed_by_gateway: owned(&counts.closed_by_gateway),
            closed_by_load: owned(&counts.closed_by_load),
            commands_answered,
            handshake: rec.latency.percentiles(),
            command_round_trip: counts.round_trip.percentiles(),
        }
    }

    /// The rows of the summary table.
    pub fn write_rows(&self, t: &mut String) {
        let mut row = |k: &str, v: String| {
            let _ = writeln!(t, "  {k:<18} {v}");
        };
        let map = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "-".to_owned()
            } else {
                m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
            }
        };
        row("sessions", format!("{} of {} opened ({:.1}/s)", self.opened, self.sessions, self.opened_per_s));
        row("concurrent", format!("peak {}, {} at the end", self.peak_concurrent, self.open_at_end));
        row("connect failures", self.connect_failures.to_string());
        row("refused", map(&self.refused));
        row("closed by gateway", map(&self.closed_by_gateway));
        row("closed by load", map(&self.closed_by_load));
        row("commands answered", self.commands_answered.to_string());
        let p = &self.command_round_trip;
        row(
            "command rtt ms",
            if p.count == 0 {
                "- (the gateway sent no command)".to_owned()
            } else {
                format!(
                    "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  ({} commands)",
                    p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms, p.count
                )
            },
        );
    }
}
