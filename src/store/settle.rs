//! What the resolver (src/sms/mt/resolver.rs) reads and claims: messages
//! whose parts went out without a final state, and messages still waiting
//! to be sent after their validity period.
//!
//! Like submit claims, a settle claim is one update whose filter repeats
//! the condition the candidate was found by, so two instances never work
//! on the same message at once: it moves `settle_at` past now (the lease),
//! and the resolver then sets it to when the message next needs a look.

use super::MessageStore;
use super::error::StoreError;
use super::model::{MessageId, MessageRecord, SETTLE_NEVER};
use super::state::MessageState;
use mongodb::bson::{Bson, DateTime, Document, doc};
use std::time::Duration;

/// `at` minus `d`, at the earliest the epoch.
fn before(at: DateTime, d: Duration) -> DateTime {
    let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    DateTime::from_millis(at.timestamp_millis().saturating_sub(ms).max(0))
}

/// States of a message whose parts are all out of hand and not all final.
const SETTLING: [MessageState; 2] = [MessageState::Submitted, MessageState::Unknown];

impl MessageStore {
    /// Claims up to `limit` messages in state `submitted` or `unknown`
    /// unchanged for at least `quiet` whose `settle_at` is absent or past,
    /// for `lease`. Returns them as read (with the new `settle_at`).
    pub async fn claim_for_settle(
        &self,
        quiet: Duration,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let now = DateTime::now();
        let states: Vec<Bson> = SETTLING.iter().map(|s| Bson::from(s.as_str())).collect();
        let due = doc! {
            "state": { "$in": states },
            "updated_at": { "$lte": before(now, quiet) },
            "$or": [ { "settle_at": Bson::Null }, { "settle_at": { "$lte": now } } ],
        };
        let until = now.saturating_add_duration(lease);
        let mut claimed = Vec::new();
        for mut candidate in self.candidates(&due, limit).await? {
            let mut filter = due.clone();
            filter.insert("_id", candidate.id.as_str());
            let result = self.messages().update_one(filter, doc! { "$set": { "settle_at": until } }).await?;
            if result.matched_count == 1 {
                self.metrics().op("settle_claim", "ok");
                candidate.settle_at = Some(until);
                claimed.push(candidate);
            } else {
                self.metrics().op("settle_claim", "lost");
            }
        }
        Ok(claimed)
    }

    /// When the resolver should look at `id` again; `None`: never, nothing
    /// is left to settle.
    pub async fn settle_next(&self, id: &MessageId, at: Option<DateTime>) -> Result<(), StoreError> {
        let at = at.unwrap_or(SETTLE_NEVER);
        self.messages().update_one(doc! { "_id": id.as_str() }, doc! { "$set": { "settle_at": at } }).await?;
        Ok(())
    }

    /// Claims, for `lease`, up to `limit` messages that still have parts
    /// to send, no live submit claim, and a validity that ended before now.
    /// Parts a previous holder left `sending` come back `unknown`, as with
    /// [`MessageStore::claim_for_submit`].
    pub async fn claim_expired(
        &self,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let now = DateTime::now();
        let claimable: Vec<Bson> = MessageState::CLAIMABLE.iter().map(|s| Bson::from(s.as_str())).collect();
        let free = doc! {
            "state": { "$in": claimable },
            "validity": { "$lt": now },
            "$or": [ { "claim": Bson::Null }, { "claim.until": { "$lt": now } } ],
        };
        let mut claimed = Vec::new();
        for candidate in self.candidates(&free, limit).await? {
            if let Some(record) = self.claim_one(candidate, &free, now, lease).await? {
                claimed.push(record);
            }
        }
        Ok(claimed)
    }

    /// Up to `limit` messages matching `filter`, oldest first.
    async fn candidates(&self, filter: &Document, limit: usize) -> Result<Vec<MessageRecord>, StoreError> {
        let mut cursor = self
            .messages()
            .find(filter.clone())
            .sort(doc! { "_id": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?;
        let mut found = Vec::new();
        while cursor.advance().await? {
            found.push(cursor.deserialize_current()?);
        }
        Ok(found)
    }
}
