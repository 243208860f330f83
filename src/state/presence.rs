//! The applet session registry: which instance holds the open session of
//! a SIM, and a small inbox per instance through which others tell it that
//! a SIM it holds has new commands (docs/sim-commands.md, "Across
//! instances").
//!
//! - `<p>:simsess:{<iccid>}`: string, the holding instance's id, TTL
//!   `sim.session_ttl`. Set when a session opens (the newest session
//!   wins), its TTL refreshed while it is open, deleted when it closes only
//!   if it still names this instance (compare-and-delete), so a session
//!   closing late never erases its successor on another instance.
//! - `<p>:siminbox:{<instance>}`: list of ICCIDs, the last [`INBOX_MAX`]
//!   kept, TTL [`INBOX_TTL`]; its owner pops it every quarter second. A
//!   list rather than pub/sub: a notification survives a short disconnect
//!   of its reader, and the multiplexed connection stays free of
//!   subscriptions. A notification that is lost anyway is covered by the
//!   holder's periodic sweep of waiting commands.
//!
//! [`SessionPresence::refresh_all`] refreshes the entries of every session
//! of an instance in pipelines of [`REFRESH_PIPELINE`] script calls (one
//! round trip each) instead of one round trip per session.

use super::keys::{TAG_FORBIDDEN, check_part};
use super::{Op, StateError, StateStore, ttl_ms};
use crate::sim::Iccid;
use redis::{Script, Value};
use std::sync::LazyLock;
use std::time::Duration;

/// Most notifications an inbox keeps; older ones are trimmed.
pub const INBOX_MAX: usize = 1024;
/// An inbox nobody reads goes away after this.
pub const INBOX_TTL: Duration = Duration::from_secs(60);
/// Script calls per pipeline of [`SessionPresence::refresh_all`]: one
/// round trip carries this many entries.
pub const REFRESH_PIPELINE: usize = 500;
/// Longest instance id (as for bind leases).
const MAX_INSTANCE_ID_LEN: usize = 128;
/// Most notifications one [`SessionPresence::take_notifications`] pops.
const MAX_TAKE: usize = 1024;

/// Extends the entry if it names this instance, takes it again if it
/// lapsed. KEYS: entry. ARGV: instance, TTL ms. 1 when refreshed, 2 when
/// taken again, else the instance that holds it now.
static REFRESH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return holder
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

/// What a refresh found for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// The entry named this instance; its TTL starts again.
    Refreshed,
    /// The entry had lapsed (Redis lost it, or a refresh came late); it
    /// names this instance again.
    Reclaimed,
    /// Another instance holds the SIM's newest session; the entry was left
    /// alone.
    HeldBy(String),
}

/// The session registry as seen by one instance. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionPresence {
    store: StateStore,
    /// Written into the entries this instance claims; 1 to 128 visible
    /// ASCII octets without braces (it goes into the inbox's hash tag).
    instance: String,
    /// TTL of a claimed or refreshed entry (`sim.session_ttl`).
    ttl: Duration,
}

impl SessionPresence {
    /// The registry of instance `instance` (the pod name, unique among
    /// running instances), with entries lasting `ttl` unless refreshed.
    pub fn new(store: StateStore, instance: &str, ttl: Duration) -> Result<Self, StateError> {
        check_part(Op::PresenceClaim, "instance id", instance, MAX_INSTANCE_ID_LEN, TAG_FORBIDDEN)?;
        Ok(Self { store, instance: instance.to_owned(), ttl })
    }

    /// This instance's id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Records that this instance holds the newest session of `iccid`.
    pub async fn claim(&self, iccid: &Iccid) -> Result<(), StateError> {
        let key = self.store.keys().sim_session(iccid.as_str());
        let (instance, ttl) = (self.instance.clone(), ttl_ms(self.ttl));
        self.store
            .run(Op::PresenceClaim, |mut c| async move {
                redis::cmd("SET").arg(key).arg(instance).arg("PX").arg(ttl).query_async::<()>(&mut c).await
            })
            .await
    }

    /// Extends the entry of `iccid` if this instance holds it, takes it
    /// again if it lapsed; leaves another instance's entry alone.
    pub async fn refresh(&self, iccid: &Iccid) -> Result<Refreshed, StateError> {
        let mut found = self.refresh_all(std::slice::from_ref(iccid)).await?;
        found.pop().ok_or(StateError::Corrupt { op: Op::PresenceRefresh, what: "no reply" })
    }

    /// [`SessionPresence::refresh`] for every SIM of `iccids`, in
    /// pipelines of [`REFRESH_PIPELINE`]; the outcomes in the order of
    /// `iccids`. Each entry is compared and extended atomically (one script
    /// call), so an entry another instance took meanwhile is never
    /// overwritten. An error stops at the pipeline that failed (those
    /// before it took effect).
    pub async fn refresh_all(&self, iccids: &[Iccid]) -> Result<Vec<Refreshed>, StateError> {
        let op = Op::PresenceRefresh;
        let ttl = ttl_ms(self.ttl);
        let mut found = Vec::with_capacity(iccids.len());
        for chunk in iccids.chunks(REFRESH_PIPELINE) {
            let mut pipe = redis::pipe();
            // Loading first makes every EVALSHA that follows find the
            // script, even on a Redis that just restarted.
            pipe.load_script(&REFRESH).ignore();
            let calls: Vec<_> = chunk
                .iter()
                .map(|iccid| {
                    let mut call = REFRESH.key(self.store.keys().sim_session(iccid.as_str()));
                    call.arg(&self.instance).arg(ttl);
                    call
                })
                .collect();
            for call in &calls {
                pipe.invoke_script(call);
            }
            let replies: Vec<Value> =
                self.store.run(op, |mut c| async move { pipe.query_async(&mut c).await }).await?;
            if replies.len() != chunk.len() {
                return Err(StateError::Corrupt { op, what: "pipeline reply count" });
            }
            for reply in replies {
                found.push(refreshed(reply).ok_or(StateError::Corrupt { op, what: "refresh reply" })?);
            }
        }
        let taken = found.iter().filter(|f| matches!(f, Refreshed::HeldBy(_))).count();
        self.store.metrics().presence_taken_over(taken);
        Ok(found)
    }

    /// Deletes the entry of `iccid` if it names this instance; `true` when
    /// it did.
    pub async fn release(&self, iccid: &Iccid) -> Result<bool, StateError> {
        let key = self.store.keys().sim_session(iccid.as_str());
        let instance = self.instance.clone();
        let done: i64 = self
            .store
            .run(Op::PresenceRelease, |mut c| async move {
                RELEASE.key(key).arg(instance).invoke_async(&mut c).await
            })
            .await?;
        Ok(done == 1)
    }

    /// The instance holding a session of `iccid`, if any.
    pub async fn holder(&self, iccid: &Iccid) -> Result<Option<String>, StateError> {
        let key = self.store.keys().sim_session(iccid.as_str());
        self.store
            .run(
                Op::PresenceHolder,
                |mut c| async move { redis::cmd("GET").arg(key).query_async(&mut c).await },
            )
            .await
    }

    /// Tells `instance` that `iccid` has commands waiting.
    pub async fn notify(&self, instance: &str, iccid: &Iccid) -> Result<(), StateError> {
        let op = Op::PresenceNotify;
        check_part(op, "instance id", instance, MAX_INSTANCE_ID_LEN, TAG_FORBIDDEN)?;
        let key = self.store.keys().sim_inbox(instance);
        let (iccid, ttl) = (iccid.as_str().to_owned(), ttl_ms(INBOX_TTL));
        let _: i64 = self
            .store
            .run(op, |mut c| async move {
                NOTIFY.key(key).arg(iccid).arg(INBOX_MAX).arg(ttl).invoke_async(&mut c).await
            })
            .await?;
        Ok(())
    }

    /// Takes up to `max` (at most 1024) notifications from this instance's
    /// inbox, oldest first; entries that are no ICCID are dropped.
    pub async fn take_notifications(&self, max: usize) -> Result<Vec<Iccid>, StateError> {
        let key = self.store.keys().sim_inbox(&self.instance);
        let count = max.clamp(1, MAX_TAKE);
        let popped: Option<Vec<String>> = self
            .store
            .run(Op::PresenceTake, |mut c| async move {
                redis::cmd("LPOP").arg(key).arg(count).query_async(&mut c).await
            })
            .await?;
        Ok(popped.unwrap_or_default().iter().filter_map(|s| Iccid::new(s).ok()).collect())
    }
}

/// One reply of [`REFRESH`].
fn refreshed(reply: Value) -> Option<Refreshed> {
    match reply {
        Value::Int(1) => Some(Refreshed::Refreshed),
        Value::Int(2) => Some(Refreshed::Reclaimed),
        Value::BulkString(holder) => String::from_utf8(holder).ok().map(Refreshed::HeldBy),
        Value::SimpleString(holder) => Some(Refreshed::HeldBy(holder)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_replies_decode_and_odd_ones_are_refused() {
        assert_eq!(refreshed(Value::Int(1)), Some(Refreshed::Refreshed));
        assert_eq!(refreshed(Value::Int(2)), Some(Refreshed::Reclaimed));
        assert_eq!(
            refreshed(Value::BulkString(b"inst-b".to_vec())),
            Some(Refreshed::HeldBy("inst-b".into()))
        );
        assert_eq!(refreshed(Value::Int(0)), None);
        assert_eq!(refreshed(Value::Nil), None);
        assert_eq!(refreshed(Value::BulkString(vec![0xff])), None);
    }
}
