//! Why publishing an event failed.

use super::event::KeyError;

/// What [`EventSink::publish`](super::EventSink::publish) and the set-up
/// of the events component can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The event's key is not a valid partition key (checked when the key
    /// is built; kept here so callers handle one error type).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The event could not be encoded as JSON (a payload with a map keyed by
    /// something other than strings; no simgate payload has one).
    #[error("event cannot be encoded: {0}")]
    Encode(#[source] serde_json::Error),
    /// Neither Kafka nor the outbox took the event: it is not durable and
    /// the caller must not acknowledge what caused it (a deliver_sm stays
    /// unanswered, so the SMSC delivers it again).
    #[error("event not durable: kafka: {kafka}; outbox: {outbox}")]
    NotDurable {
        /// Why Kafka did not take it (`outbox mode` when it was not tried).
        kafka: String,
        /// Why the outbox insert failed.
        #[source]
        outbox: mongodb::error::Error,
    },
    /// The Kafka producer could not be created from the settings.
    #[error("kafka producer: {0}")]
    Producer(#[source] rdkafka::error::KafkaError),
}
