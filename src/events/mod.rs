//! Events on Kafka with a durable MongoDB outbox (docs/events.md).
//!
//! Code that has something to tell the world builds an [`Event`] with
//! [`EventOrigin::event`] and awaits [`EventSink::publish`], which resolves
//! once the event is durable: acknowledged by the broker, or in the outbox
//! when the broker is unreachable. The relay task moves outboxed events to
//! Kafka, in order, when it is back. [`start`] wires it all into a process.

mod error;
mod event;
mod metrics;
pub mod outbox;
pub mod payload;
pub mod payload_sim;
mod producer;
mod publisher;
pub mod relay;

pub use error::EventError;
pub use event::{
    Event, EventData, EventId, EventKey, EventOrigin, EventType, KeyError, MAX_KEY_LEN, SCHEMA_VERSION, Topic,
};
pub use metrics::EventMetrics;
pub use producer::producer_config;
pub use publisher::{DrainReport, Durability, EventSink};

use crate::backends::Backends;
use crate::lifecycle::Shutdown;
use crate::settings::Settings;
use prometheus_client::registry::Registry;

/// Builds the events component from the settings and the backends, and
/// starts its relay under `shutdown` (it drains the sink when shutdown
/// starts). `None` when events are disabled, or Kafka or MongoDB is (the
/// reason is logged). No backend needs to be up.
pub fn start(
    settings: &Settings,
    backends: &Backends,
    registry: &mut Registry,
    shutdown: &Shutdown,
) -> Result<Option<EventSink>, EventError> {
    if !settings.events.enabled {
        return Ok(None);
    }
    let Some(mongo) = &backends.mongo else {
        tracing::info!("events off: mongo.enabled is false and the outbox lives in MongoDB");
        return Ok(None);
    };
    if !settings.kafka.enabled {
        tracing::info!("events off: kafka.enabled is false");
        return Ok(None);
    }
    let metrics = EventMetrics::register(registry.sub_registry_with_prefix("events"));
    let sink =
        EventSink::new(&settings.events, &settings.kafka, mongo.database(), settings.instance_id(), metrics)?;
    // The drain gets what is left of the grace period; shutdown cuts it there.
    relay::spawn(sink.clone(), shutdown, settings.shutdown.grace_period);
    tracing::info!(topic_prefix = %settings.events.topic_prefix, "events ready");
    Ok(Some(sink))
}
