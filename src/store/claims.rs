//! Claims: which instance submits which accepted message.
//!
//! A claim is set by one update whose filter only matches a message with
//! no live claim, so two instances never hold the same
//! message. A claim runs out after its lease; the message is then claimable
//! again, which is how the work of a crashed or stopped instance is picked
//! up. Parts left `sending` by the previous holder are marked `unknown`,
//! never sent again.

use super::MessageStore;
use super::error::StoreError;
use super::model::{MessageId, MessageRecord};
use super::parts::{PartChange, PartOutcome};
use super::state::{MessageState, PartState};
use mongodb::bson::{Bson, DateTime, doc};
use std::time::Duration;

/// Most find-then-claim rounds of one [`MessageStore::claim_for_submit`];
/// a round only comes up empty-handed when other instances claimed every
/// candidate first, which removes them from the next round's candidates.
const MAX_CLAIM_ROUNDS: u32 = 16;

impl MessageStore {
    /// Claims up to `limit` messages with parts to send whose claim is
    /// absent or ran out, oldest first, for `lease`. Returns them as they
    /// stand after the claim (stale `sending` parts already `unknown`).
    ///
    /// Candidates are read first, then each is claimed by an update whose
    /// filter repeats the "no live claim" condition, so of two instances
    /// racing for a message exactly one matches. (A single find-and-modify
    /// would do on MongoDB, but the local stack's server does not run it
    /// atomically; a filtered update is atomic on both.)
    pub async fn claim_for_submit(
        &self,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let claimable: Vec<Bson> = MessageState::CLAIMABLE.iter().map(|s| Bson::from(s.as_str())).collect();
        let mut claimed = Vec::new();
        for _ in 0..MAX_CLAIM_ROUNDS {
            let wanted = limit.saturating_sub(claimed.len());
            if wanted == 0 {
                break;
            }
            let now = DateTime::now();
            let free = doc! {
                "state": { "$in": claimable.clone() },
                "$or": [ { "claim": Bson::Null }, { "claim.until": { "$lt": now } } ],
            };
            let mut cursor = self
                .messages()
                .find(free.clone())
                .sort(doc! { "_id": 1 })
                .limit(i64::try_from(wanted).unwrap_or(i64::MAX))
                .await?;
            let mut candidates = Vec::new();
            while cursor.advance().await? {
                candidates.push(cursor.deserialize_current()?);
            }
            if candidates.is_empty() {
                break;
            }
            for candidate in candidates {
                if let Some(record) = self.claim_one(candidate, &free, now, lease).await? {
                    claimed.push(record);
                }
            }
        }
        Ok(claimed)
    }

    /// Claims `candidate` if it is still free; `None` when another instance
    /// was first.
    pub(super) async fn claim_one(
        &self,
        candidate: MessageRecord,
        free: &mongodb::bson::Document,
        now: DateTime,
        lease: Duration,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let mut filter = free.clone();
        filter.insert("_id", candidate.id.as_str());
        let until = now.saturating_add_duration(lease);
        let result = self
            .messages()
            .update_one(
                filter,
                doc! { "$set": { "claim": { "owner": self.instance(), "until": until }, "updated_at": now } },
            )
            .await;
        match result {
            Ok(r) if r.matched_count == 1 => {}
            Ok(_) => {
                self.metrics().op("claim", "lost");
                return Ok(None);
            }
            Err(err) => {
                self.metrics().op("claim", "error");
                return Err(err.into());
            }
        }
        self.metrics().op("claim", "ok");
        let previous_owner = candidate.claim.map(|c| c.owner);
        if let Some(owner) = &previous_owner {
            self.metrics().takeover();
            tracing::info!(message_id = %candidate.id, previous_owner = %owner, "claim taken over");
        }
        let Some(record) = self.messages().find_one(doc! { "_id": candidate.id.as_str() }).await? else {
            return Ok(None);
        };
        Ok(Some(self.settle_stale_sending(record, previous_owner.as_deref()).await?))
    }

    /// Marks `unknown` every part of a just-claimed message that is still
    /// `sending`: nobody holds the message but us, so whoever was sending
    /// it stopped, and the part may or may not have reached the SMSC.
    async fn settle_stale_sending(
        &self,
        mut record: MessageRecord,
        previous_owner: Option<&str>,
    ) -> Result<MessageRecord, StoreError> {
        let stale: Vec<_> =
            record.parts().filter(|(_, p)| p.state == PartState::Sending).map(|(seq, _)| seq).collect();
        if stale.is_empty() {
            return Ok(record);
        }
        let reason = match previous_owner {
            Some(owner) => format!("claim of {owner} ran out while sending"),
            None => "claimed while sending, previous holder gone".to_owned(),
        };
        for seq in stale {
            let change = PartChange::to(PartState::Unknown).detail(&reason);
            if let PartOutcome::Applied { .. } = self.change_part(&record.id, seq, "part", change).await? {
                tracing::debug!(message_id = %record.id, seq, "stale sending part marked unknown");
            }
        }
        if let Some(now) = self.messages().find_one(doc! { "_id": record.id.as_str() }).await? {
            record = now;
        }
        Ok(record)
    }

    /// Extends this instance's claim on `id` to `lease` from now. `false`
    /// when the claim is no longer ours (it ran out and was taken over):
    /// stop working on the message.
    pub async fn renew_claim(&self, id: &MessageId, lease: Duration) -> Result<bool, StoreError> {
        let now = DateTime::now();
        let result = self
            .messages()
            .update_one(
                doc! { "_id": id.as_str(), "claim.owner": self.instance(), "claim.until": { "$gte": now } },
                doc! { "$set": { "claim.until": now.saturating_add_duration(lease), "updated_at": now } },
            )
            .await?;
        self.metrics().op("renew", if result.matched_count == 1 { "ok" } else { "not_found" });
        Ok(result.matched_count == 1)
    }

    /// Gives up this instance's claim on `id` so another instance may take
    /// the message at once. `false` when it held none.
    pub async fn release_claim(&self, id: &MessageId) -> Result<bool, StoreError> {
        let result = self
            .messages()
            .update_one(
                doc! { "_id": id.as_str(), "claim.owner": self.instance() },
                doc! { "$unset": { "claim": "" }, "$set": { "updated_at": DateTime::now() } },
            )
            .await?;
        self.metrics().op("release", if result.matched_count == 1 { "ok" } else { "not_found" });
        Ok(result.matched_count == 1)
    }

    /// Gives up every claim of this instance (the last step of a graceful
    /// shutdown, after in-flight parts were recorded). Returns how many.
    pub async fn release_all_claims(&self) -> Result<u64, StoreError> {
        let result = self
            .messages()
            .update_many(
                doc! { "claim.owner": self.instance() },
                doc! { "$unset": { "claim": "" }, "$set": { "updated_at": DateTime::now() } },
            )
            .await?;
        self.metrics().op("release", "ok");
        tracing::info!(released = result.modified_count, "message claims released");
        Ok(result.modified_count)
    }
}
