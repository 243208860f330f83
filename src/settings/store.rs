//! The `[store]` section: how long MongoDB keeps messages and how instances
//! share the work of submitting them.

use super::SettingsError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One day, the shortest retention accepted.
const DAY: Duration = Duration::from_secs(86_400);

/// The message store (MongoDB collections `messages` and `message_history`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// How long a message and its history are kept after it was accepted;
    /// the `expireAfterSeconds` of the TTL indexes. The business keeps
    /// messages three years.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// How long a claim on an accepted message lasts before another
    /// instance may take the message over (after a crash or SIGTERM). Must
    /// be far longer than clock skew between instances.
    #[serde(with = "humantime_serde")]
    pub claim_lease: Duration,
    /// Most messages one instance claims in one round.
    pub claim_batch: usize,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self { retention: 1095 * DAY, claim_lease: Duration::from_secs(30), claim_batch: 64 }
    }
}

impl StoreSettings {
    /// Longest retention: a hundred years, well inside MongoDB's
    /// `expireAfterSeconds` (a 32-bit signed number of seconds).
    pub const MAX_RETENTION: Duration = Duration::from_secs(100 * 365 * 86_400);
    /// Shortest claim lease.
    pub const MIN_CLAIM_LEASE: Duration = Duration::from_secs(1);
    /// Longest claim lease: work of a dead instance waits at most this long.
    pub const MAX_CLAIM_LEASE: Duration = Duration::from_secs(3600);
    /// Largest claim batch.
    pub const MAX_CLAIM_BATCH: usize = 1000;

    /// Range checks of every key of the section.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.retention < DAY || self.retention > Self::MAX_RETENTION {
            return Err(SettingsError::new("store.retention", "must be between 1 day and 100 years"));
        }
        if self.claim_lease < Self::MIN_CLAIM_LEASE || self.claim_lease > Self::MAX_CLAIM_LEASE {
            return Err(SettingsError::new("store.claim_lease", "must be between 1s and 1h"));
        }
        if self.claim_batch == 0 || self.claim_batch > Self::MAX_CLAIM_BATCH {
            return Err(SettingsError::new(
                "store.claim_batch",
                format!("must be 1 to {}", Self::MAX_CLAIM_BATCH),
            ));
        }
        Ok(())
    }

    /// The retention as whole seconds, for `expireAfterSeconds`.
    pub fn retention_secs(&self) -> i64 {
        i64::try_from(self.retention.as_secs()).unwrap_or(i64::MAX)
    }
}
