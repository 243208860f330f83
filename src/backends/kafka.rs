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
        let mut config = client_config(settings, "");
        config
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
        Ok(Self { producer: config.create()?, metadata_timeout: health.check_timeout })
    }

    /// The shared producer.
    pub fn producer(&self) -> &FutureProducer {
        &self.producer
    }
}

/// What every Kafka client of simgate sets: the brokers, its client id
/// (`kafka.client_id` plus `suffix`, so the brokers tell the producers and
/// consumers apart), and the security: protocol, SASL and TLS files.
pub fn client_config(settings: &KafkaSettings, suffix: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        .set("client.id", format!("{}{suffix}", settings.client_id))
        .set("security.protocol", &settings.security_protocol);
    if let Some(user) = &settings.sasl_username {
        config
            .set("sasl.mechanisms", &settings.sasl_mechanism)
            .set("sasl.username", user)
            .set("sasl.password", settings.sasl_password.expose());
    }
    if settings.security_protocol.ends_with("ssl") {
        let files = [
            ("ssl.ca.location", &settings.tls_ca_file),
            ("ssl.certificate.location", &settings.tls_cert_file),
            ("ssl.key.location", &settings.tls_key_file),
        ];
        for (name, file) in files {
            if let Some(path) = file {
                config.set(name, path.display().to_string());
            }
        }
        if !settings.tls_key_password.is_empty() {
            config.set("ssl.key.password", settings.tls_key_password.expose());
        }
        let check = if settings.tls_verify_hostname { "https" } else { "none" };
        config.set("ssl.endpoint.identification.algorithm", check);
    }
    config
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    #[test]
    fn scram_over_plaintext_is_built_in() {
        let settings = KafkaSettings {
            security_protocol: "sasl_plaintext".to_owned(),
            sasl_username: Some("simgate".to_owned()),
            sasl_password: Secret::new("pw".to_owned()),
            ..KafkaSettings::default()
        };
        let made = KafkaHandle::new(&settings, &HealthSettings::default());
        assert!(made.is_ok(), "{:?}", made.err());
    }

    #[test]
    fn tls_settings_reach_librdkafka() {
        let dir = std::env::temp_dir().join(format!("simgate-kafka-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, "not a certificate").unwrap();
        let mut settings = KafkaSettings {
            security_protocol: "sasl_ssl".to_owned(),
            sasl_username: Some("simgate".to_owned()),
            sasl_password: Secret::new("pw".to_owned()),
            sasl_mechanism: "SCRAM-SHA-256".to_owned(),
            tls_ca_file: Some(ca.clone()),
            ..KafkaSettings::default()
        };
        let config = client_config(&settings, "-x");
        assert_eq!(config.get("ssl.ca.location"), Some(ca.display().to_string().as_str()));
        assert_eq!(config.get("sasl.mechanisms"), Some("SCRAM-SHA-256"));
        assert_eq!(config.get("client.id"), Some("simgate-x"));
        assert_eq!(config.get("ssl.endpoint.identification.algorithm"), Some("https"));
        // librdkafka reads the CA when the client is made: a file that is
        // not PEM is refused there, which proves the TLS build is in.
        let refused = KafkaHandle::new(&settings, &HealthSettings::default());
        assert!(refused.is_err(), "a CA file that is not PEM was accepted");
        settings.tls_ca_file = None;
        settings.tls_verify_hostname = false;
        let config = client_config(&settings, "");
        assert_eq!(config.get("ssl.ca.location"), None);
        assert_eq!(config.get("ssl.endpoint.identification.algorithm"), Some("none"));
        assert!(KafkaHandle::new(&settings, &HealthSettings::default()).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
