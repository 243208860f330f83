//! [`CommandStore`]: the `sim_commands` collection (one document per
//! command) and `sim_command_history` (one insert per state change), with
//! TTL indexes on `purge_at` so both are removed a retention after the
//! command's expiry.
//!
//! Every transition is a single `update_one` whose filter names the states
//! the command may leave; a transition that matched nothing (another
//! instance got there first, or the command ended) is reported as `false`
//! and changes nothing.
//!
//! The sweeps read through indexes, never by SIM: waiting commands changed
//! after a [`ChangeMark`] (`state`, `updated_at`, `_id`), and waiting
//! commands whose SIM is due to be woken again (`state`, `wake_due_at`).

use super::model::{CommandDocument, CommandState, HistoryDocument};
use super::{COMMAND_HISTORY, COMMANDS};
use crate::backends::mongo::MongoHandle;
use mongodb::bson::{Bson, DateTime, Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use std::time::Duration;

/// Most history entries `get` returns.
const MAX_HISTORY: i64 = 100;

/// Why a command operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// MongoDB refused the operation or could not be reached.
    #[error("sim command store: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A value could not be encoded as BSON (a bug, not bad input).
    #[error("sim command store: bson encoding: {0}")]
    Encode(#[from] mongodb::bson::ser::Error),
}

/// The commands of one process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CommandStore {
    commands: Collection<CommandDocument>,
    history: Collection<HistoryDocument>,
    /// Written into every history entry.
    instance: String,
    /// How long a command is kept after its expiry.
    retention: Duration,
}

/// A position in the order of changes, `(updated_at, _id)`: the waiting
/// sweep reads the commands changed after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMark {
    /// `updated_at` of the last command read, or a time.
    pub at: DateTime,
    /// `_id` of the last command read; empty for "from `at` on".
    pub id: String,
}

impl ChangeMark {
    /// Every command changed at `at` or later.
    pub fn from_time(at: DateTime) -> Self {
        Self { at, id: String::new() }
    }

    /// Where `command` is in the order.
    pub fn of(command: &CommandDocument) -> Self {
        Self { at: command.updated_at, id: command.id.clone() }
    }

    fn key(&self) -> (i64, &str) {
        (self.at.timestamp_millis(), self.id.as_str())
    }
}

impl PartialOrd for ChangeMark {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ChangeMark {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

fn states(list: &[CommandState]) -> Vec<Bson> {
    list.iter().map(|s| Bson::String(s.as_str().to_owned())).collect()
}

fn at(t: std::time::SystemTime) -> DateTime {
    DateTime::from_system_time(t)
}

impl CommandStore {
    /// The store on `handle`'s database.
    pub fn new(handle: &MongoHandle, instance: &str, retention: Duration) -> Self {
        let db = handle.database();
        Self {
            commands: db.collection(COMMANDS),
            history: db.collection(COMMAND_HISTORY),
            instance: instance.to_owned(),
            retention,
        }
    }

    /// The TTL indexes on `purge_at` and the lookup indexes; idempotent.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let ttl = |name: &str| {
            IndexModel::builder()
                .keys(doc! { "purge_at": 1 })
                .options(IndexOptions::builder().name(name.to_owned()).expire_after(Duration::ZERO).build())
                .build()
        };
        let by = |keys: Document, name: &str| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).build())
                .build()
        };
        self.commands
            .create_indexes([
                ttl("purge_ttl"),
                by(doc! { "iccid": 1, "state": 1, "created_at": 1 }, "iccid_state"),
                by(doc! { "state": 1, "expires_at": 1 }, "state_expiry"),
                by(doc! { "state": 1, "updated_at": 1, "_id": 1 }, "state_changes"),
                by(doc! { "state": 1, "wake_due_at": 1 }, "state_wake_due"),
            ])
            .await?;
        self.history
            .create_indexes([ttl("purge_ttl"), by(doc! { "command_id": 1, "at": 1 }, "command_at")])
            .await?;
        Ok(())
    }

    /// A new `queued` document for a command accepted now with `ttl`.
    pub fn new_document(
        &self,
        id: &str,
        iccid: &str,
        msisdn: Option<String>,
        command_type: &str,
        payload_hex: String,
        ttl: Duration,
    ) -> CommandDocument {
        let now = std::time::SystemTime::now();
        let expires = now + ttl;
        CommandDocument {
            id: id.to_owned(),
            iccid: iccid.to_owned(),
            msisdn,
            command_type: command_type.to_owned(),
            payload: payload_hex,
            state: CommandState::Queued,
            created_at: at(now),
            updated_at: at(now),
            expires_at: at(expires),
            purge_at: at(expires + self.retention),
            deliveries: 0,
            wake_message_id: None,
            wakes: 0,
            woken_at: None,
            wake_due_at: None,
            result: None,
        }
    }

    /// Stores a new command and its first history entry.
    pub async fn insert(&self, command: &CommandDocument) -> Result<(), StoreError> {
        self.commands.insert_one(command).await?;
        self.record(command, CommandState::Queued, Some("accepted")).await;
        Ok(())
    }

    /// The command `id` with its history (oldest first, at most 100).
    pub async fn get(&self, id: &str) -> Result<Option<(CommandDocument, Vec<HistoryDocument>)>, StoreError> {
        let Some(command) = self.commands.find_one(doc! { "_id": id }).await? else {
            return Ok(None);
        };
        let mut cursor =
            self.history.find(doc! { "command_id": id }).sort(doc! { "at": 1 }).limit(MAX_HISTORY).await?;
        let mut history = Vec::new();
        while cursor.advance().await? {
            history.push(cursor.deserialize_current()?);
        }
        Ok(Some((command, history)))
    }

    /// Moves `command` from one of `from` to `to`, setting `extra` too
    /// (and `$inc` when given). `true` when this call made the change, which
    /// is then in the history with `detail`.
    pub async fn transition(
        &self,
        command: &CommandDocument,
        from: &[CommandState],
        to: CommandState,
        extra: Document,
        inc: Option<Document>,
        detail: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut set = doc! { "state": to.as_str(), "updated_at": DateTime::now() };
        set.extend(extra);
        let mut update = doc! { "$set": set };
        if let Some(inc) = inc {
            update.insert("$inc", inc);
        }
        let filter = doc! { "_id": command.id.as_str(), "state": { "$in": states(from) } };
        let result = self.commands.update_one(filter, update).await?;
        if result.matched_count == 1 {
            self.record(command, to, detail).await;
            return Ok(true);
        }
        Ok(false)
    }

    /// The command `id`, without history.
    pub async fn find(&self, id: &str) -> Result<Option<CommandDocument>, StoreError> {
        Ok(self.commands.find_one(doc! { "_id": id }).await?)
    }

    /// Commands of the SIMs `iccids` waiting for a session (queued or
    /// woken) and not expired, oldest first, at most `limit`.
    pub async fn waiting_for(
        &self,
        iccids: &[String],
        limit: i64,
    ) -> Result<Vec<CommandDocument>, StoreError> {
        if iccids.is_empty() {
            return Ok(Vec::new());
        }
        let filter = doc! {
            "iccid": { "$in": iccids },
            "state": { "$in": states(&CommandState::WAITING) },
            "expires_at": { "$gt": DateTime::now() },
        };
        self.collect(filter, limit).await
    }

    /// Waiting, unexpired commands changed after `after`, in the order of
    /// changes, at most `limit`.
    pub async fn waiting_changed_after(
        &self,
        after: &ChangeMark,
        limit: i64,
    ) -> Result<Vec<CommandDocument>, StoreError> {
        let filter = doc! {
            "state": { "$in": states(&CommandState::WAITING) },
            "$or": [
                { "updated_at": { "$gt": after.at } },
                { "updated_at": after.at, "_id": { "$gt": after.id.as_str() } },
            ],
            "expires_at": { "$gt": DateTime::now() },
        };
        let mut cursor =
            self.commands.find(filter).sort(doc! { "updated_at": 1, "_id": 1 }).limit(limit).await?;
        let mut found = Vec::new();
        while cursor.advance().await? {
            found.push(cursor.deserialize_current()?);
        }
        Ok(found)
    }

    /// Waiting, unexpired commands whose SIM is due to be woken again
    /// (`wake_due_at` passed) and that had fewer than `max_wakes`
    /// wake-ups, most overdue first, at most `limit`. A command stored
    /// without `wake_due_at` (by a simgate from before the field, or
    /// during a rolling upgrade by one) is due now, and first: an
    /// equality with null matches a missing field, and sorts before every
    /// date.
    pub async fn due_for_wake(&self, max_wakes: u32, limit: i64) -> Result<Vec<CommandDocument>, StoreError> {
        let now = DateTime::now();
        let filter = doc! {
            "state": { "$in": states(&CommandState::WAITING) },
            "$or": [{ "wake_due_at": { "$lte": now } }, { "wake_due_at": Bson::Null }],
            "expires_at": { "$gt": now },
            "wakes": { "$not": { "$gte": i64::from(max_wakes) } },
        };
        let mut cursor = self.commands.find(filter).sort(doc! { "wake_due_at": 1 }).limit(limit).await?;
        let mut found = Vec::new();
        while cursor.advance().await? {
            found.push(cursor.deserialize_current()?);
        }
        Ok(found)
    }

    /// Moves `command`'s next wake-up to `due` if it still waits; not a
    /// state change (no history, `updated_at` kept). `true` when it did.
    pub async fn postpone_wake(&self, command: &CommandDocument, due: DateTime) -> Result<bool, StoreError> {
        let filter = doc! { "_id": command.id.as_str(), "state": { "$in": states(&CommandState::WAITING) } };
        let result = self.commands.update_one(filter, doc! { "$set": { "wake_due_at": due } }).await?;
        Ok(result.matched_count == 1)
    }

    /// Commands whose time-to-live ran out and that have not ended, at most
    /// `limit`.
    pub async fn due_to_expire(&self, limit: i64) -> Result<Vec<CommandDocument>, StoreError> {
        let filter = doc! {
            "state": { "$in": states(&CommandState::OPEN) },
            "expires_at": { "$lte": DateTime::now() },
        };
        self.collect(filter, limit).await
    }

    async fn collect(&self, filter: Document, limit: i64) -> Result<Vec<CommandDocument>, StoreError> {
        let mut cursor = self.commands.find(filter).sort(doc! { "created_at": 1 }).limit(limit).await?;
        let mut found = Vec::new();
        while cursor.advance().await? {
            found.push(cursor.deserialize_current()?);
        }
        Ok(found)
    }

    /// Appends a history entry; a failure is logged, never fatal (the
    /// command's own state is what counts).
    async fn record(&self, command: &CommandDocument, state: CommandState, detail: Option<&str>) {
        let entry = HistoryDocument {
            command_id: command.id.clone(),
            state,
            at: DateTime::now(),
            instance: self.instance.clone(),
            detail: detail.map(str::to_owned),
            purge_at: command.purge_at,
        };
        if let Err(err) = self.history.insert_one(&entry).await {
            tracing::warn!(command_id = %command.id, error = %err, "command history entry not written");
        }
    }
}
