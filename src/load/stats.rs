//! What a run measures: latency in an HDR histogram (microseconds, 3
//! significant digits, up to an hour), outcomes counted by name, and
//! per-second buckets of both for the plot and the JSON timeline.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest latency recorded; longer ones are clamped to it.
const MAX_MICROS: u64 = 3_600_000_000;
/// Per-second buckets kept (an hour); later seconds fold into the last.
pub const MAX_BUCKETS: usize = 3600;

/// A latency histogram. (`None` only if hdrhistogram refused the constant
/// bounds, which its tests rule out; it then records nothing.)
#[derive(Debug, Clone)]
pub struct Latency(Option<Histogram<u64>>);

/// The percentiles a report shows, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl Latency {
    /// An empty histogram with `sigfig` significant digits (1 to 5).
    pub fn new(sigfig: u8) -> Self {
        Self(Histogram::new_with_bounds(1, MAX_MICROS, sigfig.clamp(1, 5)).ok())
    }

    /// Records one sample.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS).clamp(1, MAX_MICROS);
        if let Some(h) = &mut self.0 {
            h.saturating_record(micros);
        }
    }

    /// Samples recorded.
    pub fn len(&self) -> u64 {
        self.0.as_ref().map_or(0, Histogram::len)
    }

    /// No samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides, so add cannot fail; ignore if it does.
        if let (Some(a), Some(b)) = (&mut self.0, &other.0) {
            let _ = a.add(b);
        }
    }

    /// p50/p90/p99/p99.9/max in milliseconds.
    pub fn percentiles(&self) -> Percentiles {
        let ms = |v: u64| v as f64 / 1000.0;
        let Some(h) = self.0.as_ref().filter(|h| !h.is_empty()) else {
            return Percentiles::default();
        };
        Percentiles {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// One second of a run.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Requests sent in this second.
    pub sent: u64,
    /// Responses that counted as success.
    pub ok: u64,
    /// Responses that did not, and transport errors.
    pub errors: u64,
    /// Latency of the responses received in this second.
    pub latency: Latency,
}

/// Everything one run counts. One per run, behind the runner's lock or
/// owned by its single collector.
#[derive(Debug)]
pub struct Recorder {
    start: Instant,
    /// All response latencies.
    pub latency: Latency,
    /// Responses by outcome name (HTTP status, SMPP command_status name,
    /// or a transport error kind).
    pub outcomes: BTreeMap<String, u64>,
    /// Requests sent.
    pub sent: u64,
    /// Responses that counted as success.
    pub ok: u64,
    /// Failures: error responses and transport errors.
    pub errors: u64,
    /// Open loop: sends that found the in-flight bound reached and waited.
    pub saturated: u64,
    buckets: Vec<Bucket>,
}

impl Recorder {
    /// A recorder whose second 0 starts at `start`.
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            latency: Latency::new(3),
            outcomes: BTreeMap::new(),
            sent: 0,
            ok: 0,
            errors: 0,
            saturated: 0,
            buckets: Vec::new(),
        }
    }

    /// When the run started.
    pub fn start(&self) -> Instant {
        self.start
    }

    fn bucket(&mut self, at: Instant) -> &mut Bucket {
        let second =
            usize::try_from(at.saturating_duration_since(self.start).as_secs()).unwrap_or(usize::MAX);
        let index = second.min(MAX_BUCKETS - 1);
        while self.buckets.len() <= index {
            self.buckets.push(Bucket { sent: 0, ok: 0, errors: 0, latency: Latency::new(2) });
        }
        let last = self.buckets.len() - 1;
        &mut self.buckets[index.min(last)]
    }

    /// One request left at `at`.
    pub fn sent(&mut self, at: Instant) {
        self.sent += 1;
        self.bucket(at).sent += 1;
    }

    /// One answer arrived at `at`: its outcome name, whether it counts as
    /// success, and its latency (none for transport errors).
    pub fn answered(&mut self, at: Instant, outcome: &str, ok: bool, latency: Option<Duration>) {
        match self.outcomes.get_mut(outcome) {
            Some(n) => *n += 1,
            None => {
                self.outcomes.insert(outcome.to_owned(), 1);
            }
        }
        if ok {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        if let Some(l) = latency {
            self.latency.record(l);
        }
        let bucket = self.bucket(at);
        if ok {
            bucket.ok += 1;
        } else {
            bucket.errors += 1;
        }
        if let Some(l) = latency {
            bucket.latency.record(l);
        }
    }

    /// The per-second buckets so far.
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }
}

/// The recorder behind its lock; a panicked holder (none is expected)
/// leaves counts that are still worth reporting.
pub fn lock(rec: &Mutex<Recorder>) -> MutexGuard<'_, Recorder> {
    rec.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn histogram_bounds_are_accepted() {
        assert!(Latency::new(2).0.is_some());
        assert!(Latency::new(3).0.is_some());
    }

    #[test]
    fn percentiles_come_from_the_samples() {
        let mut l = Latency::new(3);
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let p = l.percentiles();
        assert_eq!(p.count, 100);
        assert!((p.p50_ms - 50.0).abs() < 0.5, "{p:?}");
        assert!((p.p99_ms - 99.0).abs() < 0.5, "{p:?}");
        assert!((p.max_ms - 100.0).abs() < 0.5, "{p:?}");
    }

    #[test]
    fn answers_land_in_their_second() {
        let start = Instant::now();
        let mut r = Recorder::new(start);
        r.sent(start);
        r.answered(start + Duration::from_millis(1500), "202", true, Some(Duration::from_millis(3)));
        r.answered(start + Duration::from_millis(1600), "503", false, Some(Duration::from_millis(3)));
        assert_eq!(r.buckets().len(), 2);
        assert_eq!(r.buckets()[0].sent, 1);
        assert_eq!((r.buckets()[1].ok, r.buckets()[1].errors), (1, 1));
        assert_eq!(r.outcomes.get("503"), Some(&1));
    }
}
