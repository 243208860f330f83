//! Periodic checks of one backend, feeding a health [`Component`] and the
//! `simgate_backend_*` metrics.

use crate::lifecycle::{Component, Shutdown};
use crate::settings::HealthSettings;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::future::Future;
use tokio::time::{Instant, MissedTickBehavior};

/// A backend that can be asked whether it is usable.
pub trait Probe: Clone + Send + Sync + 'static {
    /// Short name for logs and metric labels (`redis`).
    const NAME: &'static str;

    /// One round trip to the backend; `Err` carries a one-line reason.
    fn check(&self) -> impl Future<Output = Result<(), String>> + Send;
}

type Labels = Vec<(&'static str, &'static str)>;

/// Metrics of the backend checks.
#[derive(Debug, Clone)]
pub struct BackendMetrics {
    /// Checks that failed or timed out, by backend.
    check_failures: Family<Labels, Counter>,
    /// Round-trip time of successful checks, by backend.
    check_duration: Family<Labels, Histogram>,
}

impl BackendMetrics {
    /// Registers the metrics under `registry` (prefix `simgate_backend_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            check_failures: Family::default(),
            check_duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 4.0, 8))
            }),
        };
        registry.register(
            "check_failures",
            "Backend health checks that failed or timed out",
            metrics.check_failures.clone(),
        );
        registry.register(
            "check_duration_seconds",
            "Round-trip time of successful backend health checks",
            metrics.check_duration.clone(),
        );
        metrics
    }
}

/// Runs `probe.check()` every `check_interval` until shutdown, bounded by
/// `check_timeout`, and reports the outcome to `component`.
pub fn spawn_monitor<P: Probe>(
    probe: P,
    component: Component,
    settings: &HealthSettings,
    metrics: &BackendMetrics,
    shutdown: &Shutdown,
) {
    let interval = settings.check_interval;
    let timeout = settings.check_timeout;
    let labels: Labels = vec![("backend", P::NAME)];
    let failures = metrics.check_failures.get_or_create(&labels).clone();
    let duration = metrics.check_duration.get_or_create(&labels).clone();
    let token = shutdown.token();
    shutdown.spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut was_up: Option<bool> = None;
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let started = Instant::now();
            let outcome = match tokio::time::timeout(timeout, probe.check()).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer within {}", humantime::format_duration(timeout))),
            };
            match outcome {
                Ok(()) => {
                    duration.observe(started.elapsed().as_secs_f64());
                    component.set_up();
                    if was_up != Some(true) {
                        tracing::info!(backend = P::NAME, "backend up");
                    }
                    was_up = Some(true);
                }
                Err(reason) => {
                    failures.inc();
                    if was_up != Some(false) {
                        tracing::warn!(backend = P::NAME, %reason, "backend down");
                    }
                    component.set_down(reason);
                    was_up = Some(false);
                }
            }
        }
    });
}

/// Keeps error texts to one short line for `/health` reasons.
#[cfg(any(feature = "mongo", feature = "redis"))]
pub(crate) fn short_reason(err: impl std::fmt::Display) -> String {
    const MAX: usize = 160;
    let text = err.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Upper bound for any single connect attempt made by a check.
#[cfg(any(feature = "mongo", feature = "redis"))]
pub(crate) fn connect_timeout(settings: &HealthSettings) -> std::time::Duration {
    settings.check_timeout
}
