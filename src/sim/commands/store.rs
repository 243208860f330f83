//! [`CommandStore`]: the `sim_commands` collection (one document per
//! command) and `sim_command_history` (one insert per state change), with
//! TTL indexes on `purge_at` so both are removed a retention after the
//! command's expiry.
//!
//! Every transition is a single `update_one` whose filter names the states
//! the command may leave; a transition that matched nothing (another
//! instance got there first, or the command ended) is reported as `false`
//! and changes nothing.

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
