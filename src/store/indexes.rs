//! The indexes of the store's collections, created at start-up.
//!
//! [`MessageStore::ensure_indexes`] is idempotent: it creates what is
//! missing and, when `store.retention` changed, changes the TTL of the
//! existing TTL indexes with `collMod` (creating an index under an existing
//! name with other options is refused by MongoDB). docs/store.md lists each
//! index with the query it serves.

use super::MessageStore;
use super::error::StoreError;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use std::time::Duration;

/// Name of the TTL index of `messages` (on `created_at`).
pub const MESSAGES_TTL_INDEX: &str = "created_at_ttl";
/// Name of the TTL index of `message_history` (on `recorded_at`).
pub const HISTORY_TTL_INDEX: &str = "recorded_at_ttl";

fn named(name: &str) -> IndexOptions {
    IndexOptions::builder().name(name.to_owned()).build()
}

/// Every non-TTL index of `messages`.
fn message_indexes() -> Vec<IndexModel> {
    vec![
        // Idempotent insert: one message per key, messages without a key
        // not indexed.
        IndexModel::builder()
            .keys(doc! { "idempotency_key": 1 })
            .options(
                IndexOptions::builder()
                    .name("idempotency_key_unique".to_owned())
                    .unique(true)
                    .partial_filter_expression(doc! { "idempotency_key": { "$type": "string" } })
                    .build(),
            )
            .build(),
        // claim_for_submit: claimable states whose claim is absent or ran out.
        IndexModel::builder()
            .keys(doc! { "state": 1, "claim.until": 1 })
            .options(named("state_claim_until"))
            .build(),
        // claim_for_settle: submitted or unknown messages due for a look.
        IndexModel::builder()
            .keys(doc! { "state": 1, "settle_at": 1 })
            .options(named("state_settle_at"))
            .build(),
        // release_all_claims at shutdown.
        IndexModel::builder()
            .keys(doc! { "claim.owner": 1 })
            .options(IndexOptions::builder().name("claim_owner".to_owned()).sparse(true).build())
            .build(),
        // find_part_by_smsc_id: multikey over the parts' correlation keys.
        IndexModel::builder().keys(doc! { "smsc_keys": 1 }).options(named("smsc_keys")).build(),
    ]
}

/// Every non-TTL index of `message_history`.
fn history_indexes() -> Vec<IndexModel> {
    vec![
        IndexModel::builder()
            .keys(doc! { "message_id": 1, "recorded_at": 1 })
            .options(named("message_id_recorded_at"))
            .build(),
    ]
}

impl MessageStore {
    /// Creates the collections' indexes, and brings the TTL of existing TTL
    /// indexes to `store.retention`. Safe to run on every start of every
    /// instance.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.raw_messages().create_indexes(message_indexes()).await?;
        self.raw_history().create_indexes(history_indexes()).await?;
        let ttl = self.retention();
        ensure_ttl(&self.raw_messages(), "created_at", MESSAGES_TTL_INDEX, ttl).await?;
        ensure_ttl(&self.raw_history(), "recorded_at", HISTORY_TTL_INDEX, ttl).await?;
        tracing::info!(retention_secs = ttl.as_secs(), "message store indexes ready");
        Ok(())
    }
}

/// Creates the TTL index `name` on `field`, or changes its
/// `expireAfterSeconds` when it exists with another value.
async fn ensure_ttl(
    coll: &Collection<Document>,
    field: &str,
    name: &str,
    ttl: Duration,
) -> Result<(), StoreError> {
    let existing = coll.list_index_names().await?;
    if existing.iter().any(|n| n == name) {
        let current = ttl_of(coll, name).await?;
        if current != Some(ttl.as_secs()) {
            tracing::info!(
                collection = coll.name(),
                index = name,
                from_secs = current,
                to_secs = ttl.as_secs(),
                "changing retention of existing index"
            );
            let secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
            coll.client()
                .database(&coll.namespace().db)
                .run_command(doc! {
                    "collMod": coll.name(),
                    "index": { "name": name, "expireAfterSeconds": secs },
                })
                .await?;
        }
        return Ok(());
    }
    let model = IndexModel::builder()
        .keys(doc! { field: 1 })
        .options(IndexOptions::builder().name(name.to_owned()).expire_after(ttl).build())
        .build();
    coll.create_index(model).await?;
    Ok(())
}

/// `expireAfterSeconds` of index `name`, as the server reports it.
pub(crate) async fn ttl_of(coll: &Collection<Document>, name: &str) -> Result<Option<u64>, StoreError> {
    let mut cursor = coll.list_indexes().await?;
    while cursor.advance().await? {
        let model = cursor.deserialize_current()?;
        let options = model.options.unwrap_or_default();
        if options.name.as_deref() == Some(name) {
            return Ok(options.expire_after.map(|d| d.as_secs()));
        }
    }
    Ok(None)
}
