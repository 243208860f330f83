//! The end of a run: a summary table on stdout and the same numbers as
//! JSON (`--json out.json`).

use crate::load::LoadError;
use crate::load::stats::{Percentiles, Recorder};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    /// Seconds since the start.
    pub second: u64,
    /// Requests sent.
    pub sent: u64,
    /// Successful responses.
    pub ok: u64,
    /// Failures.
    pub errors: u64,
    /// Median latency of the responses in this second (ms).
    pub p50_ms: f64,
    /// 99th percentile (ms).
    pub p99_ms: f64,
}

/// `load api --wait-final`: what became of the accepted messages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FinalStates {
    /// Messages by the state they were last seen in.
    pub states: BTreeMap<String, u64>,
    /// Messages that reached a final state (delivered, failed, expired).
    pub finished: u64,
    /// Messages still not final when the wait ended.
    pub unfinished: u64,
    /// Accept to first poll that saw the final state.
    pub time_to_final: Percentiles,
}

/// `load smpp`: delivery receipts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Receipts {
    /// deliver_sm/data_sm received that carried a receipt.
    pub received: u64,
    /// Receipts whose message id matched a submit of this run.
    pub matched: u64,
    /// Receipts for ids this run did not submit (or not yet answered).
    pub unmatched: u64,
    /// Other deliver_sm/data_sm (MO messages).
    pub mo: u64,
    /// Submit response to matched receipt.
    pub time_to_receipt: Percentiles,
}

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `api`, `smpp` or `applet`.
    pub tool: &'static str,
    /// Where the load went.
    pub target: String,
    /// `rate N/s (in-flight <= M)` or `window W`.
    pub pace: String,
    /// From the first send to the last answer (s).
    pub elapsed_s: f64,
    /// Requests sent.
    pub sent: u64,
    /// Successful responses.
    pub ok: u64,
    /// Failures (error responses, transport errors, timeouts).
    pub errors: u64,
    /// Requests sent without an answer when the run ended.
    pub unanswered: u64,
    /// Open loop: sends that found the in-flight bound reached.
    pub saturated: u64,
    /// Requests per second over the sending phase.
    pub offered_per_s: f64,
    /// Successful responses per second over the whole run.
    pub ok_per_s: f64,
    /// Responses by outcome (HTTP status, command_status name, error kind).
    pub outcomes: BTreeMap<String, u64>,
    /// Request to response latency.
    pub latency: Percentiles,
    /// `load api --wait-final` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_states: Option<FinalStates>,
    /// `load smpp` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipts: Option<Receipts>,
    /// `load applet` only: sessions, concurrency, round trips, close
    /// reasons (the common part counts connection attempts as sent,
    /// sessions opened as ok, and times the handshake).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applet: Option<crate::load::applet::AppletSummary>,
    /// Per-second throughput and latency.
    pub timeline: Vec<Second>,
}

impl Report {
    /// Builds the common part from a recorder.
    pub fn from_recorder(
        tool: &'static str,
        target: String,
        pace: String,
        rec: &Recorder,
        sending: Duration,
        elapsed: Duration,
    ) -> Self {
        let per = |n: u64, d: Duration| if d.is_zero() { 0.0 } else { n as f64 / d.as_secs_f64() };
        let timeline = rec
            .buckets()
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = b.latency.percentiles();
                Second {
                    second: i as u64,
                    sent: b.sent,
                    ok: b.ok,
                    errors: b.errors,
                    p50_ms: p.p50_ms,
                    p99_ms: p.p99_ms,
                }
            })
            .collect();
        Self {
            tool,
            target,
            pace,
            elapsed_s: elapsed.as_secs_f64(),
            sent: rec.sent,
            ok: rec.ok,
            errors: rec.errors,
            unanswered: rec.sent.saturating_sub(rec.ok + rec.errors),
            saturated: rec.saturated,
            offered_per_s: per(rec.sent, sending),
            ok_per_s: per(rec.ok, elapsed),
            outcomes: rec.outcomes.clone(),
            latency: rec.latency.percentiles(),
            final_states: None,
            receipts: None,
            applet: None,
            timeline,
        }
    }

    /// The summary table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "simgate load {}: {} ({})", self.tool, self.target, self.pace);
        let row = |t: &mut String, k: &str, v: String| {
            let _ = writeln!(t, "  {k:<18} {v}");
        };
        row(&mut t, "elapsed", format!("{:.2} s", self.elapsed_s));
        row(&mut t, "sent", format!("{} ({:.1}/s offered)", self.sent, self.offered_per_s));
        row(&mut t, "ok", format!("{} ({:.1}/s)", self.ok, self.ok_per_s));
        row(&mut t, "errors", self.errors.to_string());
        row(&mut t, "unanswered", self.unanswered.to_string());
        row(&mut t, "target saturated", self.saturated.to_string());
        for (k, v) in &self.outcomes {
            row(&mut t, &format!("  {k}"), v.to_string());
        }
        let l = &self.latency;
        row(
            &mut t,
            "latency ms",
            format!(
                "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
                l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms
            ),
        );
        if let Some(f) = &self.final_states {
            row(&mut t, "final", format!("{} (unfinished {})", f.finished, f.unfinished));
            for (k, v) in &f.states {
                row(&mut t, &format!("  {k}"), v.to_string());
            }
            let p = &f.time_to_final;
            row(
                &mut t,
                "to final ms",
                format!("p50 {:.1}  p99 {:.1}  max {:.1}", p.p50_ms, p.p99_ms, p.max_ms),
            );
        }
        if let Some(a) = &self.applet {
            a.write_rows(&mut t);
        }
        if let Some(r) = &self.receipts {
            row(
                &mut t,
                "receipts",
                format!("{} received, {} matched, {} unmatched", r.received, r.matched, r.unmatched),
            );
            row(&mut t, "mo", r.mo.to_string());
            let p = &r.time_to_receipt;
            row(
                &mut t,
                "to receipt ms",
                format!("p50 {:.1}  p99 {:.1}  max {:.1}", p.p50_ms, p.p99_ms, p.max_ms),
            );
        }
        t
    }

    /// Writes the report as JSON.
    pub fn write_json(&self, path: &Path) -> Result<(), LoadError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| LoadError::Write { path: path.to_owned(), problem: e.to_string() })?;
        std::fs::write(path, text + "\n")
            .map_err(|e| LoadError::Write { path: path.to_owned(), problem: e.to_string() })
    }
}
