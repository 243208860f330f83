//! Checks that go beyond types: ranges, relations between keys, and settings
//! that name a backend this build was compiled without.

use super::{Settings, SettingsError};
use std::time::Duration;

impl Settings {
    /// Every rule a loaded [`Settings`] must satisfy before anything starts.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if let Some(id) = &self.instance.id {
            check_name("instance.id", id, 63)?;
        }
        check_name("instance.region", &self.instance.region, 32)?;

        positive("http.request_timeout", self.http.request_timeout)?;
        if self.http.max_concurrent_requests == 0 {
            return Err(SettingsError::new("http.max_concurrent_requests", "must be at least 1"));
        }

        tracing_subscriber::EnvFilter::builder()
            .parse(&self.log.level)
            .map_err(|e| SettingsError::new("log.level", format!("not a log filter: {e}")))?;

        self.smpp.validate()?;
        self.api.load_keys()?;
        self.sms.validate(&self.smpp)?;

        positive("shutdown.grace_period", self.shutdown.grace_period)?;
        if self.shutdown.drain_delay >= self.shutdown.grace_period {
            return Err(SettingsError::new(
                "shutdown.drain_delay",
                format!(
                    "must be shorter than shutdown.grace_period ({})",
                    humantime::format_duration(self.shutdown.grace_period)
                ),
            ));
        }

        positive("health.check_interval", self.health.check_interval)?;
        positive("health.check_timeout", self.health.check_timeout)?;
        if self.health.check_timeout > self.health.check_interval {
            return Err(SettingsError::new(
                "health.check_timeout",
                "must not be longer than health.check_interval",
            ));
        }

        if self.redis.enabled {
            compiled("redis.enabled", cfg!(feature = "redis"), "redis")?;
            let url = self.redis.url.expose();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(SettingsError::new("redis.url", "must start with redis:// or rediss://"));
            }
        }
        if self.mongo.enabled {
            compiled("mongo.enabled", cfg!(feature = "mongo"), "mongo")?;
            let uri = self.mongo.uri.expose();
            if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
                return Err(SettingsError::new("mongo.uri", "must start with mongodb:// or mongodb+srv://"));
            }
            check_name("mongo.database", &self.mongo.database, 38)?;
        }
        self.store.validate()?;
        if self.kafka.enabled {
            compiled("kafka.enabled", cfg!(feature = "kafka"), "kafka")?;
            check_brokers(&self.kafka.brokers)?;
            check_name("kafka.client_id", &self.kafka.client_id, 64)?;
            const PROTOCOLS: [&str; 4] = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];
            if !PROTOCOLS.contains(&self.kafka.security_protocol.as_str()) {
                return Err(SettingsError::new(
                    "kafka.security_protocol",
                    format!("must be one of {}", PROTOCOLS.join(", ")),
                ));
            }
            let sasl = self.kafka.security_protocol.starts_with("sasl_");
            if sasl && (self.kafka.sasl_username.is_none() || self.kafka.sasl_password.is_empty()) {
                return Err(SettingsError::new(
                    "kafka.sasl_username",
                    "SASL protocols need kafka.sasl_username and kafka.sasl_password",
                ));
            }
            check_kafka_tls(&self.kafka)?;
        }
        self.events.validate()?;
        self.sim.validate()?;
        Ok(())
    }
}

/// The SASL mechanism and the TLS files, checked here so a typo stops
/// start-up instead of surfacing as a broker that never answers.
fn check_kafka_tls(kafka: &super::KafkaSettings) -> Result<(), SettingsError> {
    const MECHANISMS: [&str; 3] = ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"];
    if !MECHANISMS.contains(&kafka.sasl_mechanism.as_str()) {
        return Err(SettingsError::new(
            "kafka.sasl_mechanism",
            format!("must be one of {}", MECHANISMS.join(", ")),
        ));
    }
    let tls = kafka.security_protocol.ends_with("ssl");
    let files = [
        ("kafka.tls_ca_file", &kafka.tls_ca_file),
        ("kafka.tls_cert_file", &kafka.tls_cert_file),
        ("kafka.tls_key_file", &kafka.tls_key_file),
    ];
    for (key, file) in files {
        let Some(path) = file else { continue };
        if !tls {
            return Err(SettingsError::new(key, "only used with security_protocol ssl or sasl_ssl"));
        }
        if !path.is_file() {
            return Err(SettingsError::new(key, format!("{} is not a readable file", path.display())));
        }
    }
    if kafka.tls_cert_file.is_some() != kafka.tls_key_file.is_some() {
        return Err(SettingsError::new(
            "kafka.tls_cert_file",
            "needs kafka.tls_key_file, and the other way round",
        ));
    }
    Ok(())
}

fn positive(key: &str, d: Duration) -> Result<(), SettingsError> {
    if d.is_zero() {
        return Err(SettingsError::new(key, "must be longer than zero"));
    }
    Ok(())
}

fn compiled(key: &str, present: bool, feature: &str) -> Result<(), SettingsError> {
    if present {
        return Ok(());
    }
    Err(SettingsError::new(
        key,
        format!("this build has no {feature} support (cargo feature `{feature}`); set it to false"),
    ))
}

/// Names that end up in keys, topics and logs: letters, digits, `-`, `_`, `.`.
fn check_name(key: &str, value: &str, max: usize) -> Result<(), SettingsError> {
    if value.is_empty() || value.len() > max {
        return Err(SettingsError::new(key, format!("must be 1 to {max} characters")));
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(SettingsError::new(
            key,
            format!("character {bad:?} not allowed (letters, digits, '-', '_', '.')"),
        ));
    }
    Ok(())
}

fn check_brokers(list: &str) -> Result<(), SettingsError> {
    let mut seen = 0;
    for broker in list.split(',').map(str::trim) {
        let ok = broker
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
        if !ok {
            return Err(SettingsError::new("kafka.brokers", format!("{broker:?} is not host:port")));
        }
        seen += 1;
    }
    if seen == 0 {
        return Err(SettingsError::new("kafka.brokers", "needs at least one host:port"));
    }
    Ok(())
}
