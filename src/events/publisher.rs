//! [`EventSink`]: the one way simgate code publishes an event. `publish`
//! resolves only once the event is durable: acknowledged by the broker
//! (acks=all), or, when Kafka fails or times out, written to the outbox.
//!
//! Order per key: the events of one key are published one at a time (a
//! lock per key stripe), so a later event of a key never overtakes an
//! earlier one that is still waiting for its acknowledgement. When a
//! publish falls back to the outbox, the sink switches to *outbox mode*:
//! every new event goes to the outbox behind it, until the relay has emptied
//! the outbox. The relay also switches to outbox mode when it sees events of
//! any instance waiting there, so instances do not overtake each other's
//! outboxed events (within one relay interval; see docs/events.md).
//!
//! Backpressure: at most `events.max_in_flight` publishes run at once;
//! further callers wait for a slot, so memory stays bounded.

use super::error::EventError;
use super::event::{Event, Topic};
use super::metrics::{EventMetrics, Outcome};
use super::outbox::{Outbox, Sequencer, entry};
use super::producer::{Outgoing, SendError, Stored, producer_config, send};
use crate::settings::{EventSettings, KafkaSettings};
use rdkafka::producer::{FutureProducer, Producer};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::{Mutex, RwLock, Semaphore};
use tokio::time::Instant;

/// Longest wait for MongoDB to confirm an outbox write.
const OUTBOX_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Number of key stripes; keys hashing to one stripe publish one at a time.
const KEY_STRIPES: usize = 1024;

/// How an event became durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The broker acknowledged it (acks=all).
    Kafka {
        /// Partition it was stored in.
        partition: i32,
        /// Its offset there.
        offset: i64,
    },
    /// It is in the outbox; the relay publishes it when Kafka is back.
    Outbox,
}

/// Where new events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Straight to Kafka.
    Direct,
    /// To the outbox, behind events already waiting there.
    Outbox,
}

/// What [`EventSink::drain`] left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    /// Publishes still running at the deadline.
    pub in_flight: usize,
    /// Messages still in the producer's queue at the deadline. Their
    /// publishers have not been told they are durable.
    pub unflushed: i32,
}

/// Cheap to clone; every clone publishes through the same producer, bound
/// and outbox.
#[derive(Clone)]
pub struct EventSink {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSink").field("instance", &self.inner.instance).finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    /// The producer; replaced when librdkafka reports a fatal error (an
    /// idempotent producer fenced by the broker after an outage stays
    /// unusable, see [`Inner::recover`]).
    producer: std::sync::RwLock<FutureProducer>,
    producer_config: rdkafka::ClientConfig,
    pub(crate) outbox: Outbox,
    pub(crate) metrics: EventMetrics,
    pub(crate) settings: EventSettings,
    /// Instance id: owner of the relay lease.
    pub(crate) instance: String,
    /// Full topic names, indexed like [`Topic::ALL`].
    topics: [String; Topic::ALL.len()],
    /// The backpressure bound: one permit per publish in flight.
    permits: Semaphore,
    /// One lock per key stripe, held from send to durable.
    stripes: Vec<Mutex<()>>,
    /// Outbox mode. Writers hold it while switching; a publish that writes
    /// to the outbox holds it for reading until the write is done, so the
    /// relay cannot leave outbox mode between the switch and the write.
    mode: RwLock<Mode>,
    /// Set by drain; outbox mode then sticks.
    draining: std::sync::atomic::AtomicBool,
    sequencer: Sequencer,
}

impl EventSink {
    /// Builds the sink: its own producer (no broker needs to be up) and the
    /// outbox in `db`. The relay is started separately
    /// ([`super::relay::spawn`]).
    pub fn new(
        events: &EventSettings,
        kafka: &KafkaSettings,
        db: &mongodb::Database,
        instance: String,
        metrics: EventMetrics,
    ) -> Result<Self, EventError> {
        let config = producer_config(kafka, events);
        let producer: FutureProducer = config.create().map_err(EventError::Producer)?;
        let topics = Topic::ALL.map(|t| t.name(&events.topic_prefix));
        Ok(Self {
            inner: Arc::new(Inner {
                producer: std::sync::RwLock::new(producer),
                producer_config: config,
                outbox: Outbox::new(db, events.outbox_retention),
                metrics,
                settings: events.clone(),
                instance,
                topics,
                permits: Semaphore::new(events.max_in_flight),
                stripes: (0..KEY_STRIPES).map(|_| Mutex::new(())).collect(),
                mode: RwLock::new(Mode::Direct),
                draining: std::sync::atomic::AtomicBool::new(false),
                sequencer: Sequencer::new(),
            }),
        })
    }

    /// Publishes `event` and resolves once it is durable: on the broker, or
    /// in the outbox. Waits while `events.max_in_flight` publishes run.
    ///
    /// `Err` means the event is not durable anywhere (Kafka and MongoDB both
    /// failed); whatever caused it must not be acknowledged.
    pub async fn publish(&self, event: &Event) -> Result<Durability, EventError> {
        let started = Instant::now();
        let payload = event.to_json().map_err(EventError::Encode)?;
        let result = self.publish_json(event, &payload).await;
        let outcome = match &result {
            Ok(Durability::Kafka { .. }) => Outcome::Kafka,
            Ok(Durability::Outbox) => Outcome::Outbox,
            Err(_) => Outcome::Failed,
        };
        self.inner.metrics.published(event.event_type.wire_name(), outcome, started.elapsed().as_secs_f64());
        if let Err(err) = &result {
            tracing::error!(event_type = %event.event_type, event_id = %event.event_id, %err, "event not durable");
        }
        result
    }

    async fn publish_json(&self, event: &Event, payload: &[u8]) -> Result<Durability, EventError> {
        let inner = &*self.inner;
        // The semaphore is never closed, so acquire cannot fail; a closed one
        // would still leave the event unpublished rather than lost.
        let _permit = inner.permits.acquire().await;
        let _key = inner.stripes[stripe(event.key.as_str())].lock().await;
        let topic = inner.topic(event.event_type.topic());
        {
            let mode = inner.mode.read().await;
            if *mode == Mode::Outbox {
                let written = self.to_outbox(event, payload, topic).await;
                drop(mode);
                return written
                    .map_err(|outbox| EventError::NotDurable { kafka: "outbox mode".to_owned(), outbox });
            }
        }
        let event_id = event.event_id.to_string();
        let out = Outgoing {
            topic,
            key: event.key.as_str(),
            payload,
            event_id: &event_id,
            event_type: event.event_type.wire_name(),
        };
        let producer = inner.producer();
        match send(&producer, out, inner.settings.delivery_timeout).await {
            Ok(Stored { partition, offset }) => Ok(Durability::Kafka { partition, offset }),
            Err(kafka) => {
                inner.recover(&producer, &kafka);
                let mode = self.enter_outbox_mode(&kafka).await;
                let written = self.to_outbox(event, payload, topic).await;
                drop(mode);
                written.map_err(|outbox| EventError::NotDurable { kafka: kafka.to_string(), outbox })
            }
        }
    }

    /// Switches to outbox mode and keeps it held for reading, so the caller
    /// writes to the outbox before the relay can switch back.
    async fn enter_outbox_mode(&self, why: &SendError) -> tokio::sync::RwLockReadGuard<'_, Mode> {
        let mut mode = self.inner.mode.write().await;
        if *mode == Mode::Direct {
            tracing::warn!(reason = %why, "kafka did not acknowledge an event in time; events go to the outbox");
            *mode = Mode::Outbox;
        }
        mode.downgrade()
    }

    async fn to_outbox(
        &self,
        event: &Event,
        payload: &[u8],
        topic: &str,
    ) -> Result<Durability, mongodb::error::Error> {
        let seq = self.inner.sequencer.next(SystemTime::now());
        // The payload is serde_json output, always UTF-8.
        let doc =
            entry(event, payload, topic, seq).map_err(|e| mongodb::error::Error::custom(e.to_string()))?;
        // The driver bounds server selection, not a server that stopped
        // answering; the publisher must not wait forever.
        match tokio::time::timeout(OUTBOX_WRITE_TIMEOUT, self.inner.outbox.insert(&doc)).await {
            Ok(written) => written.map(|()| Durability::Outbox),
            Err(_) => Err(mongodb::error::Error::custom(format!(
                "outbox write not confirmed within {OUTBOX_WRITE_TIMEOUT:?}"
            ))),
        }
    }

    /// Called by the relay when some instance's outbox holds events: new
    /// events queue behind them.
    pub(crate) async fn outbox_seen_nonempty(&self) {
        let mut mode = self.inner.mode.write().await;
        if *mode == Mode::Direct {
            tracing::info!("events wait in the outbox; new events go there too until it is relayed");
            *mode = Mode::Outbox;
        }
    }

    /// Called by the relay when it found the outbox empty: leaves outbox
    /// mode if the outbox is still empty with no outbox write in progress.
    pub(crate) async fn try_leave_outbox_mode(&self) -> mongodb::error::Result<bool> {
        let inner = &*self.inner;
        if *inner.mode.read().await == Mode::Direct {
            return Ok(true);
        }
        if inner.draining.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(false);
        }
        let mut mode = inner.mode.write().await;
        if inner.outbox.has_pending().await? {
            return Ok(false);
        }
        *mode = Mode::Direct;
        tracing::info!("outbox relayed; events go straight to kafka again");
        Ok(true)
    }

    /// Whether new events currently go to the outbox.
    pub async fn in_outbox_mode(&self) -> bool {
        *self.inner.mode.read().await == Mode::Outbox
    }

    /// Publishes still running (waiting for a slot not counted).
    pub fn in_flight(&self) -> usize {
        self.inner.settings.max_in_flight.saturating_sub(self.inner.permits.available_permits())
    }

    /// Shutdown: from now on new events go to the outbox; waits for the
    /// publishes in flight to become durable and flushes the producer, both
    /// until `deadline`. Anything not acknowledged by then is in the outbox
    /// or was never reported durable to its publisher: nothing accepted is
    /// lost.
    pub async fn drain(&self, deadline: Instant) -> DrainReport {
        let inner = &*self.inner;
        inner.draining.store(true, std::sync::atomic::Ordering::Release);
        *inner.mode.write().await = Mode::Outbox;
        let all = u32::try_from(inner.settings.max_in_flight).unwrap_or(u32::MAX);
        let in_flight = match tokio::time::timeout_at(deadline, inner.permits.acquire_many(all)).await {
            Ok(Ok(permits)) => {
                drop(permits);
                0
            }
            _ => self.in_flight(),
        };
        let producer = inner.producer();
        let left = crate::lifecycle::remaining(deadline);
        let flushed = tokio::task::spawn_blocking(move || {
            let _ = producer.flush(left);
            producer.in_flight_count()
        })
        .await
        .unwrap_or(-1);
        DrainReport { in_flight, unflushed: flushed }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

impl Inner {
    /// The current producer.
    pub(crate) fn producer(&self) -> FutureProducer {
        match self.producer.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// After a failed send: when `failed` is in a fatal state (librdkafka
    /// gives up on an idempotent producer the broker fenced, or whose
    /// sequence it can no longer continue), replaces it with a new one. Its
    /// unsent messages have already failed to their publishers, who put them
    /// in the outbox, so nothing is lost; the new producer starts a new
    /// idempotence session.
    pub(crate) fn recover(&self, failed: &FutureProducer, why: &SendError) {
        use rdkafka::types::RDKafkaErrorCode as Code;
        let fenced = matches!(
            why,
            SendError::Kafka(rdkafka::error::KafkaError::MessageProduction(
                Code::ProducerFenced | Code::InvalidProducerEpoch | Code::OutOfOrderSequenceNumber
            ))
        );
        let fatal = failed.client().fatal_error();
        if fatal.is_none() && !fenced {
            return;
        }
        let mut current = match self.producer.write() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !std::ptr::eq(current.client().native_ptr(), failed.client().native_ptr()) {
            return; // another caller replaced it already
        }
        match self.producer_config.create() {
            Ok(fresh) => {
                tracing::warn!(reason = %why, fatal = ?fatal, "kafka producer fenced or failed fatally; replaced it");
                *current = fresh;
            }
            Err(err) => tracing::error!(%err, "kafka producer failed fatally and cannot be replaced"),
        }
    }

    fn topic(&self, topic: Topic) -> &str {
        &self.topics[topic as usize]
    }
}

fn stripe(key: &str) -> usize {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % KEY_STRIPES as u64) as usize
}
