//! The Kafka producer events go out on, and one send with its delivery
//! report. It is a producer of its own, not the shared `KafkaHandle` one,
//! because its `message.timeout.ms` is the events' delivery timeout (when a
//! publish falls back to the outbox) and its queue is sized to the events'
//! in-flight bound.

use crate::settings::{EventSettings, KafkaSettings, MIN_DELIVERY_TIMEOUT};
use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use std::time::Duration;

/// Where the broker stored an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Partition.
    pub partition: i32,
    /// Offset within it.
    pub offset: i64,
}

/// Why a send did not end with a broker acknowledgement.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// librdkafka reported a failure (message timed out, queue full, broker
    /// refused it).
    #[error("{0}")]
    Kafka(#[from] KafkaError),
    /// No delivery report came within twice the delivery timeout; librdkafka
    /// may still deliver it, which is a duplicate with the same event id.
    #[error("no delivery report within {0:?}")]
    NoReport(Duration),
}

/// The producer settings: idempotent (acks=all, in order per partition
/// across retries) unless `events.disable_idempotence` is set for a broker
/// that lacks it, with the delivery timeout as librdkafka's message timeout.
pub fn producer_config(kafka: &KafkaSettings, events: &EventSettings) -> ClientConfig {
    let timeout_ms = events.delivery_timeout.max(MIN_DELIVERY_TIMEOUT).as_millis();
    let queue = events.max_in_flight.saturating_add(events.relay_batch_size as usize).max(1);
    let mut config = crate::backends::kafka::client_config(kafka, "-events");
    config
        .set("enable.idempotence", if events.disable_idempotence { "false" } else { "true" })
        .set("acks", "all")
        .set("message.timeout.ms", timeout_ms.to_string())
        // librdkafka wants a request to give up no later than its message.
        .set("request.timeout.ms", timeout_ms.min(30_000).to_string())
        .set("queue.buffering.max.messages", queue.to_string())
        .set("linger.ms", "2");
    config
}

/// One event to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Full topic name.
    pub topic: &'a str,
    /// Partition key.
    pub key: &'a str,
    /// The event's JSON.
    pub payload: &'a [u8],
    /// Event id, as a header for consumers that dedupe without parsing.
    pub event_id: &'a str,
    /// Event type wire name, as a header for consumers that filter.
    pub event_type: &'a str,
}

/// Sends one event and waits for its delivery report, at most twice
/// `delivery_timeout` (librdkafka itself gives up after one).
pub async fn send(
    producer: &FutureProducer,
    out: Outgoing<'_>,
    delivery_timeout: Duration,
) -> Result<Stored, SendError> {
    let headers = OwnedHeaders::new_with_capacity(2)
        .insert(Header { key: "event_id", value: Some(out.event_id) })
        .insert(Header { key: "event_type", value: Some(out.event_type) });
    let record = FutureRecord::to(out.topic).key(out.key).payload(out.payload).headers(headers);
    let limit = delivery_timeout * 2;
    match tokio::time::timeout(limit, producer.send(record, Timeout::After(delivery_timeout))).await {
        Ok(Ok(delivery)) => Ok(Stored { partition: delivery.partition, offset: delivery.offset }),
        Ok(Err((err, _))) => Err(SendError::Kafka(err)),
        Err(_) => Err(SendError::NoReport(limit)),
    }
}
