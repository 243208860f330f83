//! The MT command consumer: reads `{events.topic_prefix}sms.mt.command` in
//! a consumer group and hands each record to the same [`MtAcceptor`] as
//! `POST /v1/messages`.
//!
//! At least once: a partition's offset is committed only past records that
//! are stored as messages or rejected for good. A record delivered again
//! (after a crash or a rebalance) creates no second message: its
//! idempotency key, or when it has none one derived from its topic,
//! partition and offset ([`derived_key`]), names the message it created.
//! While the message store is unreachable the consumer retries the record
//! with back-off and reads nothing further, so nothing is lost and nothing
//! is skipped. Records are read in batches of at most [`MAX_IN_FLIGHT`],
//! accepted concurrently, and committed once the whole batch is settled.

use super::accept::{AcceptError, MtAcceptor};
use super::metrics::CommandMetrics;
use super::parse::{Refusal, RejectReason, parse};
use crate::events::payload::MtRejected;
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::settings::KafkaSettings;
use crate::sms::bind::backoff::Backoff;
use crate::sms::mt::request::MAX_IDEMPOTENCY_KEY;
use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Records accepted at once, the batch size between commits.
pub const MAX_IN_FLIGHT: usize = 32;
/// How long a batch waits for more records once it has one.
const BATCH_LINGER: Duration = Duration::from_millis(5);
/// Back-off while the message store or the broker is unreachable.
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// How long shutdown waits for the last commit and the group leave.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// Records librdkafka prefetches, per partition, in KiB: bounds the memory
/// of a backlog.
const PREFETCH_KIB: &str = "4096";

/// The consumer's librdkafka settings: the group, no automatic commits
/// (offsets are committed after the message is stored), and a new group
/// starts at the oldest command.
pub fn consumer_config(kafka: &KafkaSettings, group: &str) -> ClientConfig {
    // The brokers, SASL and TLS as every other client of the gateway.
    let mut config = crate::backends::kafka::client_config(kafka, "-commands");
    config
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("queued.max.messages.kbytes", PREFETCH_KIB);
    config
}

/// The idempotency key of a command that brought none: unique per record
/// of the topic, whichever consumer group reads it. A topic name too long
/// for the key is replaced by its SHA-256.
pub fn derived_key(topic: &str, partition: i32, offset: i64) -> String {
    let key = format!("kafka:{topic}:{partition}:{offset}");
    if key.len() <= MAX_IDEMPOTENCY_KEY {
        return key;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, topic.as_bytes());
    format!("kafka:{}:{partition}:{offset}", crate::smpp::json::to_hex(digest.as_ref()))
}

/// What each record's task needs.
#[derive(Debug)]
struct Handler {
    acceptor: MtAcceptor,
    events: EventSink,
    origin: EventOrigin,
    metrics: CommandMetrics,
}

/// How one record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// Stored or rejected for good: its offset may be committed.
    Done,
    /// Shutdown came while the store was unreachable: read it again later.
    Pending,
}

/// The consumer of the MT command topic.
pub struct CommandConsumer {
    consumer: StreamConsumer,
    topic: String,
    handler: Arc<Handler>,
}

impl std::fmt::Debug for CommandConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandConsumer").field("topic", &self.topic).finish_non_exhaustive()
    }
}

impl CommandConsumer {
    /// A consumer of `topic` in `group`, subscribed (no broker needed yet).
    pub fn new(
        kafka: &KafkaSettings,
        group: &str,
        topic: String,
        acceptor: MtAcceptor,
        origin: EventOrigin,
        metrics: CommandMetrics,
    ) -> Result<Self, KafkaError> {
        let consumer: StreamConsumer = consumer_config(kafka, group).create()?;
        consumer.subscribe(&[topic.as_str()])?;
        let events = acceptor.events.clone();
        Ok(Self { consumer, topic, handler: Arc::new(Handler { acceptor, events, origin, metrics }) })
    }

    /// Reads and accepts commands until `stop`; then finishes the batch in
    /// hand, commits what is settled and leaves the group.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(topic = %self.topic, "MT command consumer started");
        let mut backoff = Backoff::new(RETRY_MIN, RETRY_MAX);
        let mut last = TopicPartitionList::new();
        while !stop.is_cancelled() {
            let first = tokio::select! {
                m = self.consumer.recv() => m,
                () = stop.cancelled() => break,
            };
            let first = match first {
                Ok(m) => m.detach(),
                Err(err) => {
                    self.handler.metrics.consume_error();
                    tracing::warn!(%err, "cannot read MT commands; retrying");
                    pause(&stop, backoff.next_delay(fastrand::f64())).await;
                    continue;
                }
            };
            backoff.reset();
            let mut batch = vec![first];
            while batch.len() < MAX_IN_FLIGHT {
                match tokio::time::timeout(BATCH_LINGER, self.consumer.recv()).await {
                    Ok(Ok(m)) => batch.push(m.detach()),
                    _ => break,
                }
            }
            let settled = self.settle(batch, &stop).await;
            let Some(tpl) = commit_list(&settled) else { continue };
            if let Err(err) = self.consumer.commit(&tpl, CommitMode::Async) {
                self.handler.metrics.commit_error();
                tracing::warn!(%err, "MT command offsets not committed; the records will be read again");
            }
            last = tpl;
        }
        // The last commit went out asynchronously: make it stick before the
        // consumer leaves its group. Both block inside librdkafka, so they
        // run off the runtime, and shutdown waits for them at most
        // CLOSE_WAIT: a broker in the middle of a rebalance can hold the
        // leave request for its whole timeout. Nothing is lost when the
        // wait runs out: uncommitted records are read again and their
        // idempotency keys make the second reading a no-op.
        let consumer = self.consumer;
        let close = tokio::task::spawn_blocking(move || {
            if last.count() > 0 {
                let _ = consumer.commit(&last, CommitMode::Sync);
            }
            drop(consumer);
        });
        if tokio::time::timeout(CLOSE_WAIT, close).await.is_err() {
            tracing::warn!(
                wait = ?CLOSE_WAIT,
                "MT command consumer did not leave its group in time; its records will be read again"
            );
        }
        tracing::info!("MT command consumer stopped");
    }

    /// Accepts every record of `batch` concurrently; each record's
    /// topic, partition, offset and how it ended.
    async fn settle(
        &self,
        batch: Vec<OwnedMessage>,
        stop: &CancellationToken,
    ) -> Vec<(String, i32, i64, Settled)> {
        let mut tasks = JoinSet::new();
        for record in batch {
            let handler = self.handler.clone();
            let stop = stop.clone();
            tasks.spawn(async move {
                let settled = handler.handle(&record, &stop).await;
                (record.topic().to_owned(), record.partition(), record.offset(), settled)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(one) => out.push(one),
                // A panic is a bug; the record is read again after a restart.
                Err(err) => tracing::error!(%err, "MT command task failed"),
            }
        }
        out
    }
}

/// For each partition, the offset after its last record such that every
/// record before it in the batch is settled; `None` when nothing moved.
fn commit_list(settled: &[(String, i32, i64, Settled)]) -> Option<TopicPartitionList> {
    let mut by_partition: BTreeMap<(&str, i32), Vec<(i64, Settled)>> = BTreeMap::new();
    for (topic, partition, offset, s) in settled {
        by_partition.entry((topic.as_str(), *partition)).or_default().push((*offset, *s));
    }
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), mut records) in by_partition {
        records.sort_unstable_by_key(|(offset, _)| *offset);
        let done = records.iter().take_while(|(_, s)| *s == Settled::Done).last();
        if let Some((offset, _)) = done {
            // The committed offset is the next record to read.
            let _ = tpl.add_partition_offset(topic, partition, Offset::Offset(offset + 1));
        }
    }
    (tpl.count() > 0).then_some(tpl)
}

async fn pause(stop: &CancellationToken, wait: Duration) {
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = stop.cancelled() => {}
    }
}

impl Handler {
    async fn handle(&self, record: &OwnedMessage, stop: &CancellationToken) -> Settled {
        let (topic, partition, offset) = (record.topic(), record.partition(), record.offset());
        let command = match parse(record.payload()) {
            Ok(c) => c,
            Err(refusal) => {
                self.reject(refusal, None, record).await;
                return Settled::Done;
            }
        };
        let mut request = command.request;
        if request.idempotency_key.is_none() {
            request.idempotency_key = Some(derived_key(topic, partition, offset));
        }
        let destination = request.destination.clone();
        let mut backoff = Backoff::new(RETRY_MIN, RETRY_MAX);
        loop {
            match self.acceptor.accept(request.clone(), command.request_id.as_deref()).await {
                Ok(accepted) => {
                    self.metrics.accepted(accepted.new);
                    tracing::debug!(
                        partition,
                        offset,
                        message_id = %accepted.record.id,
                        new = accepted.new,
                        "MT command accepted"
                    );
                    return Settled::Done;
                }
                Err(AcceptError::Invalid(err)) => {
                    let refusal = Refusal {
                        reason: RejectReason::Invalid(err.field),
                        field: Some(err.field.to_owned()),
                        problem: err.problem.clone(),
                        request_id: command.request_id,
                    };
                    // The number keys the event, unless it is what is wrong.
                    let key = destination.as_deref().filter(|_| err.field != "destination");
                    self.reject(refusal, key, record).await;
                    return Settled::Done;
                }
                Err(AcceptError::Unavailable(err)) => {
                    self.metrics.store_retry();
                    tracing::warn!(partition, offset, %err, "MT command not stored yet; retrying");
                    pause(stop, backoff.next_delay(fastrand::f64())).await;
                    if stop.is_cancelled() {
                        return Settled::Pending;
                    }
                }
            }
        }
    }

    /// Counts, logs (without the text) and publishes `sms.mt.rejected`.
    async fn reject(&self, refusal: Refusal, destination: Option<&str>, record: &OwnedMessage) {
        self.metrics.rejected(refusal.reason);
        tracing::warn!(
            partition = record.partition(),
            offset = record.offset(),
            reason = refusal.reason.label(),
            field = refusal.field.as_deref(),
            request_id = refusal.request_id.as_deref(),
            problem = %refusal.problem,
            "MT command rejected"
        );
        let key = destination
            .map(|d| d.strip_prefix('+').unwrap_or(d))
            .and_then(|d| EventKey::new(d).ok())
            .or_else(|| EventKey::new(REJECTED_KEY).ok());
        let Some(key) = key else { return };
        let event = self.origin.event(
            key,
            EventData::SmsMtRejected(MtRejected {
                request_id: refusal.request_id,
                field: refusal.field,
                problem: refusal.problem,
                topic: record.topic().to_owned(),
                partition: record.partition(),
                offset: record.offset(),
            }),
        );
        if let Err(err) = self.events.publish(&event).await {
            tracing::error!(%err, "sms.mt.rejected lost: neither the broker nor the outbox took it");
        }
    }
}

/// The key of `sms.mt.rejected` for a command without a usable destination.
pub const REJECTED_KEY: &str = "rejected";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    #[test]
    fn the_consumer_logs_in_like_every_other_client() {
        let kafka = KafkaSettings {
            security_protocol: "sasl_ssl".to_owned(),
            sasl_username: Some("simgate".to_owned()),
            sasl_password: Secret::new("pw".to_owned()),
            sasl_mechanism: "SCRAM-SHA-256".to_owned(),
            tls_ca_file: Some("/etc/simgate/kafka-ca.pem".into()),
            ..KafkaSettings::default()
        };
        let config = consumer_config(&kafka, "simgate-mt");
        assert_eq!(config.get("sasl.mechanisms"), Some("SCRAM-SHA-256"));
        assert_eq!(config.get("ssl.ca.location"), Some("/etc/simgate/kafka-ca.pem"));
        assert_eq!(config.get("client.id"), Some("simgate-commands"));
        assert_eq!(config.get("group.id"), Some("simgate-mt"));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
    }
}
