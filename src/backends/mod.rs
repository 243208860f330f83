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
    pub async fn start(
        settings: &Settings,
        health: &Health,
        registry: &mut Registry,
        shutdown: &Shutdown,
    ) -> Result<Self, BackendError> {
        let metrics = BackendMetrics::register(registry.sub_registry_with_prefix("backend"));
        #[allow(unused_mut)]
        let mut backends = Backends::default();
        let _ = (health, &metrics, shutdown);
        #[cfg(feature = "redis")]
        if settings.redis.enabled {
            let handle = redis::RedisHandle::new(&settings.redis, &settings.health)?;
            spawn_monitor(handle.clone(), health.component("redis"), &settings.health, &metrics, shutdown);
            backends.redis = Some(handle);
        }
        #[cfg(feature = "mongo")]
        if settings.mongo.enabled {
            let handle = mongo::MongoHandle::new(&settings.mongo, &settings.health).await?;
            spawn_monitor(handle.clone(), health.component("mongo"), &settings.health, &metrics, shutdown);
            backends.mongo = Some(handle);
        }
        #[cfg(feature = "kafka")]
        if settings.kafka.enabled {
            let handle = kafka::KafkaHandle::new(&settings.kafka, &settings.health)?;
            spawn_monitor(handle.clone(), health.component("kafka"), &settings.health, &metrics, shutdown);
            backends.kafka = Some(handle);
        }
        let _ = settings;
        Ok(backends)
    }
}
