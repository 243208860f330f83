//! The Kafka producer: one per process, shared by everything that publishes
//! events. librdkafka (bundled, so its version is the one simgate was tested
//! with) keeps its own connections and reconnects by itself.

use super::monitor::{Probe, short_reason};
use crate::settings::{HealthSettings, KafkaSettings};
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, Producer};
use std::time::Duration;

/// Cheap to clone; connects in librdkafka's own threads.
#[derive(Clone)]
pub struct KafkaHandle {
    producer: FutureProducer,
    metadata_timeout: Duration,
}

impl std::fmt::Debug for KafkaHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaHandle").finish_non_exhaustive()
    }
}

impl KafkaHandle {
    /// Builds the producer from the settings; no broker needs to be up.
    pub fn new(settings: &KafkaSettings, health: &HealthSettings) -> rdkafka::error::KafkaResult<Self> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &settings.brokers)
            .set("client.id", &settings.client_id)
            .set("security.protocol", &settings.security_protocol)
            // Every event is published at most once per attempt and in order
            // per key: the idempotent producer (acks=all implied).
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // librdkafka refuses values below one second; the health check
            // still gives up after `check_timeout`.
            .set(
                "socket.connection.setup.timeout.ms",
                health.check_timeout.as_millis().max(1000).to_string(),
            );
        if let Some(user) = &settings.sasl_username {
            config
                .set("sasl.mechanisms", "SCRAM-SHA-512")
                .set("sasl.username", user)
                .set("sasl.password", settings.sasl_password.expose());
        }
        Ok(Self { producer: config.create()?, metadata_timeout: health.check_timeout })
    }

    /// The shared producer.
    pub fn producer(&self) -> &FutureProducer {
        &self.producer
    }
}

impl Probe for KafkaHandle {
    const NAME: &'static str = "kafka";

    async fn check(&self) -> Result<(), String> {
        let producer = self.producer.clone();
        let timeout = self.metadata_timeout;
        // Metadata requests block a thread inside librdkafka.
        let metadata = tokio::task::spawn_blocking(move || {
            producer.client().fetch_metadata(None, timeout).map(|m| m.brokers().len())
        })
        .await
        .map_err(short_reason)?;
        match metadata {
            Ok(0) => Err("no brokers in metadata".to_owned()),
            Ok(_) => Ok(()),
            Err(e) => Err(short_reason(e)),
        }
    }
}
