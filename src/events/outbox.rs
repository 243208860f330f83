//! The durable outbox: the MongoDB collection `event_outbox`, where events
//! go when Kafka does not acknowledge them in time, and the relay lease that
//! lets exactly one instance at a time move them to Kafka.
//!
//! Documents are `{_id: event_id, seq, instance, created_at, topic, key,
//! event_type, payload, relayed}`. `_id` is the event id, so writing the same
//! event twice stores it once. `seq` orders the outbox: a hybrid logical
//! clock per instance (microseconds since the epoch, never repeating or going
//! back within a process), so one instance's events keep their order and
//! events of different instances sort by time. Relayed documents get
//! `relayed: true` and `relayed_at`, and a TTL index on `relayed_at` removes
//! them after `events.outbox_retention`; documents not yet relayed have no
//! `relayed_at` and never expire.
//!
//! Only single-document atomic writes are used (the local stack's jongodb and
//! Atlas agree on those).

use mongodb::bson::{DateTime, Document, doc};
use mongodb::options::{FindOneAndUpdateOptions, FindOptions, IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// Name of the outbox collection.
pub const OUTBOX_COLLECTION: &str = "event_outbox";

/// Name of the collection holding the relay lease (one document).
pub const LEASE_COLLECTION: &str = "event_outbox_lease";

/// `_id` of the relay lease document.
const LEASE_ID: &str = "relay";

/// One event waiting in (or relayed from) the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The event id, hyphenated.
    #[serde(rename = "_id")]
    pub event_id: String,
    /// Order of the outbox (see the module doc).
    pub seq: i64,
    /// Instance that wrote it.
    pub instance: String,
    /// When it was written.
    pub created_at: DateTime,
    /// Full topic name.
    pub topic: String,
    /// Partition key.
    pub key: String,
    /// Wire name of the event type (a Kafka header and a metric label).
    pub event_type: String,
    /// The event's JSON, byte for byte what goes to Kafka.
    pub payload: String,
    /// Whether the relay has had it acknowledged by the broker.
    pub relayed: bool,
}

/// The outbox collections of one database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    entries: Collection<OutboxEntry>,
    raw: Collection<Document>,
    lease: Collection<Document>,
    retention: Duration,
}

impl Outbox {
    /// The outbox in `db`, keeping relayed documents for `retention`.
    pub fn new(db: &Database, retention: Duration) -> Self {
        Self {
            entries: db.collection(OUTBOX_COLLECTION),
            raw: db.collection(OUTBOX_COLLECTION),
            lease: db.collection(LEASE_COLLECTION),
            retention,
        }
    }

    /// Creates the indexes: pending events in `seq` order, and the TTL on
    /// relayed ones. Safe to call again.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let order = IndexModel::builder()
            .keys(doc! { "relayed": 1, "seq": 1, "instance": 1 })
            .options(IndexOptions::builder().name("pending_in_order".to_owned()).build())
            .build();
        let ttl = IndexModel::builder()
            .keys(doc! { "relayed_at": 1 })
            .options(
                IndexOptions::builder().name("relayed_ttl".to_owned()).expire_after(self.retention).build(),
            )
            .build();
        self.raw.create_indexes([order, ttl]).await?;
        Ok(())
    }

    /// Stores `entry`; storing an event already there is a success (its
    /// first copy stays).
    pub async fn insert(&self, entry: &OutboxEntry) -> mongodb::error::Result<()> {
        match self.entries.insert_one(entry).await {
            Ok(_) => Ok(()),
            Err(e) if crate::backends::mongo::is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether any instance's outbox holds an event not yet relayed.
    pub async fn has_pending(&self) -> mongodb::error::Result<bool> {
        Ok(self.raw.find_one(doc! { "relayed": false }).projection(doc! { "_id": 1 }).await?.is_some())
    }

    /// How many events wait to be relayed.
    pub async fn depth(&self) -> mongodb::error::Result<u64> {
        self.raw.count_documents(doc! { "relayed": false }).await
    }

    /// The oldest `limit` events not yet relayed, in outbox order.
    pub async fn pending(&self, limit: u32) -> mongodb::error::Result<Vec<OutboxEntry>> {
        let options =
            FindOptions::builder().sort(doc! { "seq": 1, "instance": 1 }).limit(i64::from(limit)).build();
        let mut cursor = self.entries.find(doc! { "relayed": false }).with_options(options).await?;
        let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1024));
        while cursor.advance().await? {
            out.push(cursor.deserialize_current()?);
        }
        Ok(out)
    }

    /// Marks these events relayed (each update is atomic on its document).
    pub async fn mark_relayed(&self, event_ids: &[String]) -> mongodb::error::Result<u64> {
        if event_ids.is_empty() {
            return Ok(0);
        }
        let done = self
            .raw
            .update_many(
                doc! { "_id": { "$in": event_ids } },
                doc! { "$set": { "relayed": true, "relayed_at": DateTime::now() } },
            )
            .await?;
        Ok(done.modified_count)
    }

    /// Takes or renews the relay lease for `owner` until `lease` from now.
    /// `false` when another owner holds an unexpired lease.
    ///
    /// One atomic find-and-modify on the lease document: it matches when
    /// the lease is ours or expired; otherwise the upsert collides with the
    /// existing `_id` (duplicate key), which means someone else holds it.
    pub async fn try_lease(&self, owner: &str, lease: Duration) -> mongodb::error::Result<bool> {
        let now = SystemTime::now();
        let until = DateTime::from_system_time(now + lease);
        let filter = doc! {
            "_id": LEASE_ID,
            "$or": [ { "owner": owner }, { "until": { "$lt": DateTime::from_system_time(now) } } ],
        };
        let options =
            FindOneAndUpdateOptions::builder().upsert(true).return_document(ReturnDocument::After).build();
        let result = self
            .lease
            .find_one_and_update(filter, doc! { "$set": { "owner": owner, "until": until } })
            .with_options(options)
            .await;
        match result {
            Ok(Some(doc)) => Ok(doc.get_str("owner").is_ok_and(|o| o == owner)),
            Ok(None) => Ok(false),
            Err(e) if crate::backends::mongo::is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the lease up, if `owner` holds it, so another instance can take
    /// over at once.
    pub async fn release_lease(&self, owner: &str) -> mongodb::error::Result<()> {
        self.lease
            .update_one(
                doc! { "_id": LEASE_ID, "owner": owner },
                doc! { "$set": { "until": DateTime::from_millis(0) } },
            )
            .await?;
        Ok(())
    }
}

/// The outbox order of one instance: microseconds since the epoch, bumped
/// past the last value when the clock has not moved or went back.
#[derive(Debug, Default)]
pub struct Sequencer {
    last: AtomicI64,
}

impl Sequencer {
    /// A sequencer starting from the clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next value, strictly above every value returned before.
    pub fn next(&self, now: SystemTime) -> i64 {
        let micros = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = micros.max(last.saturating_add(1));
            match self.last.compare_exchange_weak(last, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }
}

/// Builds the document for one event.
pub(crate) fn entry(
    event: &super::Event,
    payload: &[u8],
    topic: &str,
    seq: i64,
) -> Result<OutboxEntry, std::str::Utf8Error> {
    Ok(OutboxEntry {
        event_id: event.event_id.to_string(),
        seq,
        instance: event.instance.clone(),
        created_at: DateTime::now(),
        topic: topic.to_owned(),
        key: event.key.as_str().to_owned(),
        event_type: event.event_type.wire_name().to_owned(),
        payload: std::str::from_utf8(payload)?.to_owned(),
        relayed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_is_strictly_increasing_even_when_the_clock_stalls_or_goes_back() {
        let seq = Sequencer::new();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let a = seq.next(t);
        let b = seq.next(t);
        let c = seq.next(t - Duration::from_secs(5));
        let d = seq.next(t + Duration::from_secs(1));
        assert_eq!(a, 1_700_000_000_000_000);
        assert_eq!(b, a + 1);
        assert_eq!(c, a + 2);
        assert_eq!(d, 1_700_000_001_000_000);
    }

    #[test]
    fn entry_round_trips_through_bson() {
        let entry = OutboxEntry {
            event_id: "0190c0de-0000-7000-8000-000000000001".to_owned(),
            seq: 42,
            instance: "simgate-0".to_owned(),
            created_at: DateTime::from_millis(1_700_000_000_000),
            topic: "simgate.sms.mt".to_owned(),
            key: "+447700900123".to_owned(),
            event_type: "sms.mt.accepted".to_owned(),
            payload: "{}".to_owned(),
            relayed: false,
        };
        let doc = mongodb::bson::to_document(&entry).unwrap();
        assert_eq!(doc.get_str("_id").unwrap(), entry.event_id);
        assert_eq!(doc.get_i64("seq").unwrap(), 42);
        let back: OutboxEntry = mongodb::bson::from_document(doc).unwrap();
        assert_eq!(back, entry);
    }
}
