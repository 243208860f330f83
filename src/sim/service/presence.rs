//! The session registry in Redis: which instance holds the open session of
//! a SIM, and a small inbox per instance through which others tell it that
//! a SIM it holds has new commands (docs/sim-commands.md, "Across
//! instances").
//!
//! - `<prefix>:simsess:{<iccid>}`: string, the holding instance's id, TTL
//!   `sim.session_ttl`. Set when a session opens (the newest session
//!   wins), its TTL refreshed while it is open, deleted when it closes only
//!   if it still names this instance (compare-and-delete), so a session
//!   closing late never erases its successor on another instance.
//! - `<prefix>:siminbox:{<instance>}`: list of ICCIDs, the last
//!   [`INBOX_MAX`] kept, TTL [`INBOX_TTL`]; its owner pops it every
//!   quarter second. A list rather than pub/sub: a notification survives a
//!   short disconnect of its reader, and the multiplexed connection stays
//!   free of subscriptions. A notification that is lost anyway is covered
//!   by the holder's periodic sweep of waiting commands.
//!
//! The braces are Redis Cluster hash tags, as in src/state/keys.rs.

use crate::backends::redis::RedisHandle;
use crate::sim::Iccid;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// Most notifications an inbox keeps; older ones are trimmed.
pub const INBOX_MAX: usize = 1024;
/// An inbox nobody reads goes away after this.
pub const INBOX_TTL: Duration = Duration::from_secs(60);
/// Longest instance id (as for bind leases).
const MAX_INSTANCE_LEN: usize = 128;

/// Extends the entry if it names this instance. KEYS: entry. ARGV:
/// instance, TTL ms. 1 when refreshed, 0 when another instance holds it
/// or it lapsed.
static REFRESH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
",
    )
});

/// Deletes the entry if it names this instance. KEYS: entry. ARGV:
/// instance. 1 when deleted.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// Appends to an inbox, keeping its last ARGV[2] entries. KEYS: inbox.
/// ARGV: ICCID, keep, TTL ms.
static NOTIFY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
",
    )
});

/// Why the session registry cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    /// The instance id cannot go into a key.
    #[error("instance id must be 1 to 128 visible ASCII characters without braces")]
    InstanceId,
    /// Redis refused or could not be reached.
    #[error("session registry: {0}")]
    Redis(#[from] redis::RedisError),
}

/// The session registry of one instance. Cheap to clone.
#[derive(Clone)]
pub struct SessionPresence {
    redis: RedisHandle,
    prefix: String,
    instance: String,
    ttl_ms: u64,
}

impl std::fmt::Debug for SessionPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPresence").field("instance", &self.instance).finish()
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl SessionPresence {
    /// The registry of instance `instance` under key prefix `prefix`, with
    /// entries lasting `ttl` unless refreshed.
    pub fn new(
        redis: RedisHandle,
        prefix: &str,
        instance: &str,
        ttl: Duration,
    ) -> Result<Self, PresenceError> {
        let ok = !instance.is_empty()
            && instance.len() <= MAX_INSTANCE_LEN
            && instance.bytes().all(|b| b.is_ascii_graphic() && b != b'{' && b != b'}');
        if !ok {
            return Err(PresenceError::InstanceId);
        }
        Ok(Self { redis, prefix: prefix.to_owned(), instance: instance.to_owned(), ttl_ms: ms(ttl) })
    }

    /// This instance's id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn session_key(&self, iccid: &Iccid) -> String {
        format!("{}:simsess:{{{}}}", self.prefix, iccid.as_str())
    }

    fn inbox_key(&self, instance: &str) -> String {
        format!("{}:siminbox:{{{instance}}}", self.prefix)
    }

    /// Records that this instance holds the newest session of `iccid`.
    pub async fn claim(&self, iccid: &Iccid) -> Result<(), PresenceError> {
        let mut conn = self.redis.connection().await?;
        redis::cmd("SET")
            .arg(self.session_key(iccid))
            .arg(&self.instance)
            .arg("PX")
            .arg(self.ttl_ms)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    /// Extends the entry of `iccid` if this instance still holds it;
    /// `false` when another instance took it (or it lapsed).
    pub async fn refresh(&self, iccid: &Iccid) -> Result<bool, PresenceError> {
        let mut conn = self.redis.connection().await?;
        let mut call = REFRESH.prepare_invoke();
        call.key(self.session_key(iccid)).arg(&self.instance).arg(self.ttl_ms);
        let done: i64 = call.invoke_async(&mut conn).await?;
        Ok(done == 1)
    }

    /// Deletes the entry of `iccid` if it names this instance.
    pub async fn release(&self, iccid: &Iccid) -> Result<bool, PresenceError> {
        let mut conn = self.redis.connection().await?;
        let mut call = RELEASE.prepare_invoke();
        call.key(self.session_key(iccid)).arg(&self.instance);
        let done: i64 = call.invoke_async(&mut conn).await?;
        Ok(done == 1)
    }

    /// The instance holding a session of `iccid`, if any.
    pub async fn holder(&self, iccid: &Iccid) -> Result<Option<String>, PresenceError> {
        let mut conn = self.redis.connection().await?;
        Ok(redis::cmd("GET").arg(self.session_key(iccid)).query_async(&mut conn).await?)
    }

    /// Tells `instance` that `iccid` has commands waiting.
    pub async fn notify(&self, instance: &str, iccid: &Iccid) -> Result<(), PresenceError> {
        let mut conn = self.redis.connection().await?;
        let mut call = NOTIFY.prepare_invoke();
        call.key(self.inbox_key(instance)).arg(iccid.as_str()).arg(INBOX_MAX).arg(ms(INBOX_TTL));
        let _: i64 = call.invoke_async(&mut conn).await?;
        Ok(())
    }

    /// Takes up to `max` notifications from this instance's inbox, oldest
    /// first; entries that are no ICCID are dropped.
    pub async fn take_notifications(&self, max: usize) -> Result<Vec<Iccid>, PresenceError> {
        let mut conn = self.redis.connection().await?;
        let popped: Option<Vec<String>> = redis::cmd("LPOP")
            .arg(self.inbox_key(&self.instance))
            .arg(max.max(1))
            .query_async(&mut conn)
            .await?;
        Ok(popped.unwrap_or_default().iter().filter_map(|s| Iccid::new(s).ok()).collect())
    }
}
