//! Connections to the backends simgate keeps its state and events in
//! (Redis, MongoDB, Kafka), and the background checks that tell `/health`
//! whether each is usable.
//!
//! Handles connect lazily: an instance starts, and reports not-ready, while a
//! backend is down, and becomes ready when the backend comes back, instead of
//! crashing into a restart loop.

#[cfg(feature = "kafka")]
pub mod kafka;
#[cfg(feature = "mongo")]
pub mod mongo;
mod monitor;
#[cfg(feature = "redis")]
pub mod redis;

pub use monitor::{BackendMetrics, Probe, spawn_monitor};

use crate::lifecycle::{Health, Shutdown};
use crate::settings::Settings;
use prometheus_client::registry::Registry;

/// The backends this instance was configured with.
#[derive(Debug, Clone, Default)]
pub struct Backends {
    /// Redis, when `redis.enabled`.
    #[cfg(feature = "redis")]
    pub redis: Option<redis::RedisHandle>,
    /// MongoDB, when `mongo.enabled`.
    #[cfg(feature = "mongo")]
    pub mongo: Option<mongo::MongoHandle>,
    /// Kafka, when `kafka.enabled`.
    #[cfg(feature = "kafka")]
    pub kafka: Option<kafka::KafkaHandle>,
}

/// Why a backend could not be set up at all (as opposed to being down).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The Kafka client rejected its configuration.
    #[cfg(feature = "kafka")]
    #[error("kafka client: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The MongoDB connection string could not be parsed.
    #[cfg(feature = "mongo")]
    #[error("mongo client: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// The Redis URL could not be parsed.
    #[cfg(feature = "redis")]
    #[error("redis client: {0}")]
    Redis(#[from] ::redis::RedisError),
}

impl Backends {
    /// Creates the handles of the enabled backends (no network I/O yet) and
    /// starts a health monitor for each.
    #[cfg_attr(not(any(feature = "redis", feature = "mongo", feature = "kafka")), allow(unused_variables))]
    pub async fn start(
        settings: &Settings,
        health: &Health,
        registry: &mut Registry,
        shutdown: &Shutdown,
    ) -> Result<Self, BackendError> {
        let watch = Watch {
            settings: &settings.health,
            health,
            metrics: BackendMetrics::register(registry.sub_registry_with_prefix("backend")),
            shutdown,
        };
        Ok(Backends {
            #[cfg(feature = "redis")]
            redis: if settings.redis.enabled {
                Some(watch.start(redis::RedisHandle::new(&settings.redis, &settings.health)?))
            } else {
                None
            },
            #[cfg(feature = "mongo")]
            mongo: if settings.mongo.enabled {
                Some(watch.start(mongo::MongoHandle::new(&settings.mongo, &settings.health).await?))
            } else {
                None
            },
            #[cfg(feature = "kafka")]
            kafka: if settings.kafka.enabled {
                Some(watch.start(kafka::KafkaHandle::new(&settings.kafka, &settings.health)?))
            } else {
                None
            },
        })
    }
}

/// What every backend's health monitor needs.
#[cfg_attr(not(any(feature = "redis", feature = "mongo", feature = "kafka")), allow(dead_code))]
struct Watch<'a> {
    settings: &'a crate::settings::HealthSettings,
    health: &'a Health,
    metrics: BackendMetrics,
    shutdown: &'a Shutdown,
}

impl Watch<'_> {
    /// Starts the monitor of `probe` and hands the probe back.
    #[cfg_attr(not(any(feature = "redis", feature = "mongo", feature = "kafka")), allow(dead_code))]
    fn start<P: Probe>(&self, probe: P) -> P {
        spawn_monitor(
            probe.clone(),
            self.health.component(P::NAME),
            self.settings,
            &self.metrics,
            self.shutdown,
        );
        probe
    }
}
