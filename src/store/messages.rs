//! [`MessageStore`]: the handle, inserting accepted messages and reading
//! them back.

use super::error::StoreError;
use super::metrics::StoreMetrics;
use super::model::{
    HistoryEntry, MessageId, MessageRecord, MessageView, NewMessage, PartSeq, bounded_detail,
};
use super::{HISTORY, MESSAGES};
use crate::backends::mongo::{MongoHandle, is_duplicate_key};
use crate::settings::StoreSettings;
use crate::smpp::receipt::MessageId as SmscMessageId;
use mongodb::Collection;
use mongodb::bson::{DateTime, Document, doc};
use std::time::Duration;

/// The message store of one instance. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MessageStore {
    messages: Collection<MessageRecord>,
    history: Collection<HistoryEntry>,
    /// `store.retention`; the TTL of both collections.
    retention: Duration,
    /// `instance.id`: the owner of this store's claims and the writer named
    /// in history entries.
    instance: String,
    metrics: StoreMetrics,
}

/// What [`MessageStore::insert_accepted`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored as a new message.
    New(MessageRecord),
    /// A message with the same idempotency key already existed; this is it,
    /// as it stands now, and nothing was written.
    Existing(MessageRecord),
}

impl Inserted {
    /// The message, new or existing.
    pub fn record(&self) -> &MessageRecord {
        match self {
            Inserted::New(r) | Inserted::Existing(r) => r,
        }
    }
}

impl MessageStore {
    /// Most history entries [`MessageStore::get`] returns.
    pub const HISTORY_LIMIT: i64 = 1000;

    /// A store on `handle`'s database, writing as `instance`.
    pub fn new(
        handle: &MongoHandle,
        settings: &StoreSettings,
        instance: &str,
        metrics: StoreMetrics,
    ) -> Self {
        let db = handle.database();
        Self {
            messages: db.collection(MESSAGES),
            history: db.collection(HISTORY),
            retention: settings.retention,
            instance: instance.to_owned(),
            metrics,
        }
    }

    /// The instance this store writes as.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The store's metrics.
    pub fn metrics(&self) -> &StoreMetrics {
        &self.metrics
    }

    pub(crate) fn retention(&self) -> Duration {
        self.retention
    }

    pub(crate) fn messages(&self) -> &Collection<MessageRecord> {
        &self.messages
    }

    pub(crate) fn raw_messages(&self) -> Collection<Document> {
        self.messages.clone_with_type()
    }

    pub(crate) fn raw_history(&self) -> Collection<Document> {
        self.history.clone_with_type()
    }

    /// Stores `new` as accepted, every part pending. With an idempotency
    /// key already used, returns the message stored first instead; the
    /// unique index decides, so concurrent requests with one key on
    /// different instances store one message.
    pub async fn insert_accepted(&self, new: &NewMessage) -> Result<Inserted, StoreError> {
        new.check()?;
        let now = DateTime::now();
        let record = MessageRecord::accepted(new, now);
        match self.messages.insert_one(&record).await {
            Ok(_) => {}
            Err(err) if is_duplicate_key(&err) => {
                let Some(key) = &new.idempotency_key else {
                    self.metrics.op("insert", "error");
                    return Err(err.into());
                };
                // Not found only if the first one expired between the two
                // calls; then the error stands.
                let Some(first) = self.messages.find_one(doc! { "idempotency_key": key }).await? else {
                    self.metrics.op("insert", "error");
                    return Err(err.into());
                };
                self.metrics.op("insert", "existing");
                tracing::debug!(message_id = %first.id, "idempotency key seen before");
                return Ok(Inserted::Existing(first));
            }
            Err(err) => {
                self.metrics.op("insert", "error");
                return Err(err.into());
            }
        }
        self.metrics.op("insert", "ok");
        tracing::debug!(message_id = %record.id, parts = record.parts_total, "message accepted");
        self.write_history(&record.id, None, now, None, "accepted", true, None).await;
        Ok(Inserted::New(record))
    }

    /// The message `id` with its history, oldest first.
    pub async fn get(&self, id: &MessageId) -> Result<Option<MessageView>, StoreError> {
        let Some(message) = self.messages.find_one(doc! { "_id": id.as_str() }).await? else {
            self.metrics.op("get", "not_found");
            return Ok(None);
        };
        let mut cursor = self
            .history
            .find(doc! { "message_id": id.as_str() })
            .sort(doc! { "recorded_at": 1, "_id": 1 })
            .limit(Self::HISTORY_LIMIT)
            .await?;
        let mut history = Vec::new();
        while cursor.advance().await? {
            history.push(cursor.deserialize_current()?);
        }
        self.metrics.op("get", "ok");
        Ok(Some(MessageView { message, history }))
    }

    /// The message and part the SMSC gave the id `smsc_id` to, probing its
    /// correlation keys in order (`smpp::receipt::MessageId::lookup_keys`);
    /// the newest message wins when an SMSC reused an id. The fallback when
    /// the Redis correlation has no entry.
    pub async fn find_part_by_smsc_id(
        &self,
        smsc_id: &SmscMessageId,
    ) -> Result<Option<(MessageRecord, PartSeq)>, StoreError> {
        for key in smsc_id.lookup_keys() {
            let found =
                self.messages.find_one(doc! { "smsc_keys": key.as_str() }).sort(doc! { "_id": -1 }).await?;
            let Some(record) = found else { continue };
            let seq =
                record.parts().find(|(_, p)| p.smsc_key.as_deref() == Some(key.as_str())).map(|(seq, _)| seq);
            if let Some(seq) = seq {
                self.metrics.op("find", "ok");
                return Ok(Some((record, seq)));
            }
        }
        self.metrics.op("find", "not_found");
        Ok(None)
    }

    /// Appends one history entry. A failure is logged and counted, not
    /// returned: the state change it describes is already stored, and
    /// failing the caller would make it retry a change that happened.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_history(
        &self,
        message_id: &MessageId,
        seq: Option<PartSeq>,
        at: DateTime,
        from: Option<&str>,
        to: &str,
        applied: bool,
        detail: Option<&str>,
    ) {
        let entry = HistoryEntry {
            message_id: message_id.clone(),
            seq,
            at,
            from: from.map(str::to_owned),
            to: to.to_owned(),
            applied,
            instance: self.instance.clone(),
            detail: detail.map(bounded_detail),
            recorded_at: DateTime::now(),
        };
        if let Err(err) = self.history.insert_one(&entry).await {
            self.metrics.op("history", "error");
            tracing::warn!(message_id = %message_id, error = %err, "history entry not written");
        }
    }
}
