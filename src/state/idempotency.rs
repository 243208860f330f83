//! Idempotency keys: a client request key names at most one MT message
//! while its key lives, so a retried request gets the message it already
//! created instead of a second one.
//!
//! The key is stored as given (the caller scopes it, e.g. by client id);
//! it is never logged.

use super::keys::{MAX_MESSAGE_ID_LEN, TAG_FORBIDDEN, check_part};
use super::{Op, StateError, StateStore, ttl_ms};
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// Longest idempotency key.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// KEYS: the key. ARGV: message id, TTL ms. Returns false when the claim
/// is new, or the message id that holds the key.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
",
    )
});

/// KEYS: the key. ARGV: message id. Deletes the key if that message holds
/// it; returns 1 when deleted.
static FORGET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// What [`IdempotencyKeys::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free and now names the given message.
    New,
    /// The key already names this message (the request is a retry).
    Existing(String),
}

/// The idempotency keys of client requests.
#[derive(Debug, Clone)]
pub struct IdempotencyKeys {
    store: StateStore,
    /// How long a key names its message; retries after that create a new
    /// message.
    ttl: Duration,
}

impl IdempotencyKeys {
    /// Keys that live `ttl` after they are claimed.
    pub fn new(store: StateStore, ttl: Duration) -> Self {
        Self { store, ttl }
    }

    /// Claims `key` (1 to 128 visible ASCII octets, no braces) for
    /// `message_id`, or returns the message that holds it. Atomic: of
    /// concurrent claims exactly one gets [`Claim::New`].
    pub async fn claim(&self, key: &str, message_id: &str) -> Result<Claim, StateError> {
        let op = Op::IdempotencyClaim;
        check_part(op, "idempotency key", key, MAX_IDEMPOTENCY_KEY_LEN, TAG_FORBIDDEN)?;
        check_part(op, "message id", message_id, MAX_MESSAGE_ID_LEN, &[])?;
        let redis_key = self.store.keys().idempotency(key);
        let ttl = ttl_ms(self.ttl);
        let held: Option<String> = self
            .store
            .run(op, |mut c| async move {
                CLAIM.key(redis_key).arg(message_id).arg(ttl).invoke_async(&mut c).await
            })
            .await?;
        Ok(held.map_or(Claim::New, Claim::Existing))
    }

    /// Frees `key` if `message_id` holds it, for a request whose message
    /// could not be stored, so its retry may try again. `false` when the
    /// key had expired or names another message.
    pub async fn forget(&self, key: &str, message_id: &str) -> Result<bool, StateError> {
        let op = Op::IdempotencyForget;
        check_part(op, "idempotency key", key, MAX_IDEMPOTENCY_KEY_LEN, TAG_FORBIDDEN)?;
        check_part(op, "message id", message_id, MAX_MESSAGE_ID_LEN, &[])?;
        let redis_key = self.store.keys().idempotency(key);
        let deleted: i64 = self
            .store
            .run(op, |mut c| async move { FORGET.key(redis_key).arg(message_id).invoke_async(&mut c).await })
            .await?;
        Ok(deleted == 1)
    }
}
