//! The outbox relay: a task in every instance. Each round it checks whether
//! any instance's outbox holds events; if so it puts this instance's sink
//! in outbox mode (new events queue behind the old ones), and, when it holds
//! the relay lease, publishes the oldest events in outbox order and marks
//! them relayed once the broker has acknowledged them.
//!
//! One relay at a time: the lease (see [`Outbox::try_lease`]) is taken per
//! round and lasts longer than a round can take, so two instances never
//! relay side by side in normal operation; claiming single documents per
//! instance instead would let two instances publish two events of one key
//! at once and reorder them. Within a batch, each key's events are sent one
//! after the other, waiting for each acknowledgement; different keys go in
//! parallel. A key whose send fails stops there for this round, so its later
//! events never overtake it. An event acknowledged but not yet marked (a
//! crash, a MongoDB error) is sent again next round: a duplicate with the
//! same event id, which is what consumers dedupe on.
//!
//! [`Outbox::try_lease`]: super::outbox::Outbox::try_lease

use super::metrics::RelayStage;
use super::outbox::OutboxEntry;
use super::producer::{Outgoing, send};
use super::publisher::EventSink;
use crate::lifecycle::Shutdown;
use std::collections::HashMap;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Most batches one round relays before it waits for the next tick (and
/// renews the lease before each).
const MAX_BATCHES_PER_ROUND: usize = 50;

/// Time allowed, at shutdown, to give the lease up.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(2);

/// Starts the relay of `sink` as a task `shutdown` waits for. When the
/// shutdown token is cancelled it finishes its round, gives the lease up and
/// drains the sink within `drain_budget` (the producer is flushed; what is
/// not acknowledged stays in the outbox).
pub fn spawn(sink: EventSink, shutdown: &Shutdown, drain_budget: Duration) -> JoinHandle<()> {
    let token = shutdown.token();
    shutdown.spawn(async move {
        run(&sink, &token).await;
        let owner = sink.inner().instance.clone();
        let released = tokio::time::timeout(RELEASE_TIMEOUT, sink.inner().outbox.release_lease(&owner)).await;
        if !matches!(released, Ok(Ok(()))) {
            tracing::warn!("relay lease not released; another instance takes over when it expires");
        }
        let report = sink.drain(Instant::now() + drain_budget).await;
        if report.in_flight > 0 || report.unflushed > 0 {
            tracing::warn!(
                in_flight = report.in_flight,
                unflushed = report.unflushed,
                "events drain: deadline passed; unacknowledged events were not reported durable"
            );
        } else {
            tracing::info!("events drained");
        }
    })
}

async fn run(sink: &EventSink, token: &CancellationToken) {
    let settings = &sink.inner().settings;
    let mut ticker = tokio::time::interval(settings.relay_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut indexed = false;
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if !indexed {
            match sink.inner().outbox.ensure_indexes().await {
                Ok(()) => indexed = true,
                Err(err) => {
                    sink.inner().metrics.relay_error(RelayStage::Indexes);
                    tracing::warn!(%err, "outbox indexes not created yet");
                }
            }
        }
        if let Err((stage, err)) = round(sink, token).await {
            sink.inner().metrics.relay_error(stage);
            tracing::warn!(stage = ?stage, %err, "outbox relay round failed");
        }
    }
}

type RoundError = (RelayStage, String);

/// One relay round; see the module doc.
pub async fn round(sink: &EventSink, token: &CancellationToken) -> Result<(), RoundError> {
    let inner = sink.inner();
    let outbox = &inner.outbox;
    let read = |e: mongodb::error::Error| (RelayStage::Read, e.to_string());
    if !outbox.has_pending().await.map_err(read)? {
        inner.metrics.set_depth(0);
        sink.try_leave_outbox_mode().await.map_err(read)?;
        return Ok(());
    }
    sink.outbox_seen_nonempty().await;
    for _ in 0..MAX_BATCHES_PER_ROUND {
        if token.is_cancelled() {
            break;
        }
        let leased = outbox
            .try_lease(&inner.instance, inner.settings.relay_lease)
            .await
            .map_err(|e| (RelayStage::Lease, e.to_string()))?;
        if !leased {
            break;
        }
        let batch = outbox.pending(inner.settings.relay_batch_size).await.map_err(read)?;
        if batch.is_empty() {
            break;
        }
        let full = batch.len() >= inner.settings.relay_batch_size as usize;
        let (acked, failed) = relay_batch(sink, batch).await;
        let marked = outbox.mark_relayed(&acked).await.map_err(|e| (RelayStage::Mark, e.to_string()))?;
        inner.metrics.relayed(marked);
        if let Some(err) = failed {
            return Err((RelayStage::Publish, err));
        }
        if !full {
            break;
        }
    }
    inner.metrics.set_depth(outbox.depth().await.map_err(read)?);
    Ok(())
}

/// Publishes a batch: keys in parallel, each key's events in order, a key
/// stopping at its first failure. Returns the acknowledged event ids and the
/// first failure.
async fn relay_batch(sink: &EventSink, batch: Vec<OutboxEntry>) -> (Vec<String>, Option<String>) {
    let mut chains: Vec<Vec<OutboxEntry>> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for entry in batch {
        let slot = *by_key.entry(entry.key.clone()).or_insert_with(|| {
            chains.push(Vec::new());
            chains.len() - 1
        });
        chains[slot].push(entry);
    }
    let producer = sink.inner().producer();
    let timeout = sink.inner().settings.delivery_timeout;
    let mut tasks = JoinSet::new();
    for chain in chains {
        let producer = producer.clone();
        tasks.spawn(async move {
            let mut acked = Vec::with_capacity(chain.len());
            for e in chain {
                let out = Outgoing {
                    topic: &e.topic,
                    key: &e.key,
                    payload: e.payload.as_bytes(),
                    event_id: &e.event_id,
                    event_type: &e.event_type,
                };
                match send(&producer, out, timeout).await {
                    Ok(_) => acked.push(e.event_id),
                    Err(err) => return (acked, Some(err)),
                }
            }
            (acked, None)
        });
    }
    let mut acked = Vec::new();
    let mut failed: Option<String> = None;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((ids, err)) => {
                acked.extend(ids);
                if let Some(err) = err {
                    sink.inner().recover(&producer, &err);
                    failed = failed.or(Some(err.to_string()));
                }
            }
            Err(join) => failed = failed.or(Some(join.to_string())),
        }
    }
    (acked, failed)
}
