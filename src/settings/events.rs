//! The `[events]` section: where simgate publishes its events, how much it
//! keeps in flight, and how the MongoDB outbox relays what Kafka could not
//! take at once. See docs/events.md.

use super::SettingsError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Floor of `events.delivery_timeout`: below one second librdkafka's own
/// retries (`retry.backoff.ms`) cannot run even once.
pub const MIN_DELIVERY_TIMEOUT: Duration = Duration::from_secs(1);

/// Upper bound of `events.max_in_flight`; each in-flight event holds its
/// JSON in librdkafka's queue.
pub const MAX_IN_FLIGHT_LIMIT: usize = 100_000;

/// Upper bound of `events.relay_batch_size`.
pub const MAX_RELAY_BATCH: u32 = 10_000;

/// Events on Kafka, with a durable outbox in MongoDB.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventSettings {
    /// Whether this instance publishes events. Takes effect only with
    /// `kafka.enabled` and `mongo.enabled` as well (the outbox lives in
    /// MongoDB); otherwise the events component stays off and says so.
    pub enabled: bool,
    /// Prepended to every topic name: `simgate.` gives `simgate.sms.mt`.
    pub topic_prefix: String,
    /// Most events being published at once (broker ack or outbox write
    /// pending). Further publishers wait: this is the backpressure bound.
    pub max_in_flight: usize,
    /// How long librdkafka may try to deliver one event before it goes to
    /// the outbox instead (`message.timeout.ms`; at least 1 s).
    #[serde(with = "humantime_serde")]
    pub delivery_timeout: Duration,
    /// Most outbox events the relay reads and publishes per round.
    pub relay_batch_size: u32,
    /// Time between two relay rounds, and between two checks whether any
    /// instance's outbox holds events.
    #[serde(with = "humantime_serde")]
    pub relay_interval: Duration,
    /// How long one instance holds the relay lease without renewing it;
    /// another instance takes over after that.
    #[serde(with = "humantime_serde")]
    pub relay_lease: Duration,
    /// How long relayed outbox documents are kept (a TTL index) for audit.
    /// Events not yet relayed never expire.
    #[serde(with = "humantime_serde")]
    pub outbox_retention: Duration,
    /// Local stack only: publish without the idempotent producer. Keep it
    /// false in production; see docs/events.md.
    pub disable_idempotence: bool,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            enabled: cfg!(all(feature = "kafka", feature = "mongo")),
            topic_prefix: "simgate.".to_owned(),
            max_in_flight: 1024,
            delivery_timeout: Duration::from_secs(5),
            relay_batch_size: 200,
            relay_interval: Duration::from_secs(1),
            relay_lease: Duration::from_secs(30),
            outbox_retention: Duration::from_secs(24 * 3600),
            disable_idempotence: false,
        }
    }
}

impl EventSettings {
    /// The rules of the `[events]` keys. With kafka or mongo switched off
    /// the events component does not start (it logs why), so a process with
    /// no backends at all stays valid.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        if !self.enabled {
            return Ok(());
        }
        if !cfg!(all(feature = "kafka", feature = "mongo")) {
            return Err(SettingsError::new(
                "events.enabled",
                "this build has no kafka and mongo support (cargo features `kafka`, `mongo`); set it to false",
            ));
        }
        let prefix = &self.topic_prefix;
        // Kafka topic names: at most 249 of [a-zA-Z0-9._-]; the longest
        // suffix simgate adds is well under 32.
        if prefix.len() > 200
            || prefix.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(SettingsError::new(
                "events.topic_prefix",
                "at most 200 letters, digits, '-', '_', '.'",
            ));
        }
        if !(1..=MAX_IN_FLIGHT_LIMIT).contains(&self.max_in_flight) {
            return Err(SettingsError::new(
                "events.max_in_flight",
                format!("must be 1 to {MAX_IN_FLIGHT_LIMIT}"),
            ));
        }
        if self.delivery_timeout < MIN_DELIVERY_TIMEOUT {
            return Err(SettingsError::new("events.delivery_timeout", "must be at least 1s"));
        }
        if !(1..=MAX_RELAY_BATCH).contains(&self.relay_batch_size) {
            return Err(SettingsError::new(
                "events.relay_batch_size",
                format!("must be 1 to {MAX_RELAY_BATCH}"),
            ));
        }
        if self.relay_interval.is_zero() {
            return Err(SettingsError::new("events.relay_interval", "must be longer than zero"));
        }
        // A relay round publishes for up to one delivery timeout; the lease
        // must outlast it, or a second instance would relay the same events
        // alongside and could interleave one key's events.
        if self.relay_lease <= self.delivery_timeout * 2 || self.relay_lease <= self.relay_interval * 2 {
            return Err(SettingsError::new(
                "events.relay_lease",
                "must be longer than twice events.delivery_timeout and twice events.relay_interval",
            ));
        }
        if self.outbox_retention < Duration::from_secs(60) {
            return Err(SettingsError::new("events.outbox_retention", "must be at least 1m"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(events: EventSettings) -> Result<(), SettingsError> {
        events.validate()
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(with(EventSettings::default()), Ok(()));
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases: Vec<(EventSettings, &str)> = vec![
            (EventSettings { max_in_flight: 0, ..Default::default() }, "events.max_in_flight"),
            (
                EventSettings { delivery_timeout: Duration::from_millis(500), ..Default::default() },
                "events.delivery_timeout",
            ),
            (EventSettings { relay_batch_size: 0, ..Default::default() }, "events.relay_batch_size"),
            (EventSettings { relay_interval: Duration::ZERO, ..Default::default() }, "events.relay_interval"),
            (
                EventSettings { relay_lease: Duration::from_secs(10), ..Default::default() },
                "events.relay_lease",
            ),
            (
                EventSettings { outbox_retention: Duration::from_secs(5), ..Default::default() },
                "events.outbox_retention",
            ),
            (
                EventSettings { topic_prefix: "sim gate".to_owned(), ..Default::default() },
                "events.topic_prefix",
            ),
        ];
        for (events, key) in cases {
            let err = with(events).unwrap_err();
            assert_eq!(err.key, key, "{err}");
        }
    }
}
