//! `simgate_events_*` metrics: what was published and how it became
//! durable, how long that took, and how the outbox fills and drains.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// How a publish ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The broker acknowledged it (acks=all).
    Kafka,
    /// It was written to the outbox.
    Outbox,
    /// Neither took it.
    Failed,
}

impl Outcome {
    const fn label(self) -> &'static str {
        match self {
            Outcome::Kafka => "kafka",
            Outcome::Outbox => "outbox",
            Outcome::Failed => "failed",
        }
    }
}

/// The step of a relay round that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelayStage {
    /// Creating the outbox indexes.
    Indexes,
    /// Taking or renewing the relay lease.
    Lease,
    /// Reading pending events.
    Read,
    /// Publishing a relayed event to Kafka.
    Publish,
    /// Marking relayed events.
    Mark,
}

impl RelayStage {
    const fn label(self) -> &'static str {
        match self {
            RelayStage::Indexes => "indexes",
            RelayStage::Lease => "lease",
            RelayStage::Read => "read",
            RelayStage::Publish => "publish",
            RelayStage::Mark => "mark",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PublishLabels {
    event_type: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StageLabels {
    stage: &'static str,
}

/// Metrics of the events component; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventMetrics {
    /// Publishes by event type and outcome.
    published: Family<PublishLabels, Counter>,
    /// Time from `publish` to durable, by outcome.
    publish_duration: Family<OutcomeLabels, Histogram>,
    /// Events written to the outbox by this instance.
    outbox_inserted: Counter,
    /// Outbox events this instance relayed to Kafka.
    outbox_relayed: Counter,
    /// Events waiting in the outbox (all instances), as of the last relay
    /// round of this instance.
    outbox_depth: Gauge,
    /// Relay rounds that failed, by stage.
    relay_errors: Family<StageLabels, Counter>,
}

impl EventMetrics {
    /// Registers the metrics under `registry` (prefix `simgate_events_`).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            published: Family::default(),
            publish_duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 3.0, 12))
            }),
            outbox_inserted: Counter::default(),
            outbox_relayed: Counter::default(),
            outbox_depth: Gauge::default(),
            relay_errors: Family::default(),
        };
        registry.register("published", "Events published, by type and outcome", metrics.published.clone());
        registry.register(
            "publish_duration_seconds",
            "Time from publish to durable (broker ack or outbox write), by outcome",
            metrics.publish_duration.clone(),
        );
        registry.register(
            "outbox_inserted",
            "Events this instance wrote to the outbox",
            metrics.outbox_inserted.clone(),
        );
        registry.register(
            "outbox_relayed",
            "Outbox events this instance relayed to Kafka",
            metrics.outbox_relayed.clone(),
        );
        registry.register(
            "outbox_depth",
            "Events waiting in the outbox, as of this instance's last relay round",
            metrics.outbox_depth.clone(),
        );
        registry.register(
            "relay_errors",
            "Failed outbox relay steps, by stage",
            metrics.relay_errors.clone(),
        );
        // Every stage at 0 from the start: increase() then sees the first
        // failure, and the alert's series exist before anything went wrong.
        for stage in
            [RelayStage::Indexes, RelayStage::Lease, RelayStage::Read, RelayStage::Publish, RelayStage::Mark]
        {
            metrics.relay_errors.get_or_create(&StageLabels { stage: stage.label() }).inc_by(0);
        }
        metrics
    }

    /// Metrics not registered anywhere (tests, tools).
    pub fn unregistered() -> Self {
        Self::register(&mut Registry::default())
    }

    pub(crate) fn published(&self, event_type: &'static str, outcome: Outcome, seconds: f64) {
        self.published.get_or_create(&PublishLabels { event_type, outcome: outcome.label() }).inc();
        self.publish_duration.get_or_create(&OutcomeLabels { outcome: outcome.label() }).observe(seconds);
        if outcome == Outcome::Outbox {
            self.outbox_inserted.inc();
        }
    }

    pub(crate) fn relayed(&self, n: u64) {
        self.outbox_relayed.inc_by(n);
    }

    pub(crate) fn set_depth(&self, depth: u64) {
        self.outbox_depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    pub(crate) fn relay_error(&self, stage: RelayStage) {
        self.relay_errors.get_or_create(&StageLabels { stage: stage.label() }).inc();
    }
}
