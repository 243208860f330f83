//! Wake-up limits: at most one OTA wake-up SMS per SIM per interval, over
//! every instance. The key `<p>:wake:{<iccid>}` is set with `SET NX PX`
//! when a wake-up is sent and lapses after the interval; while it lives,
//! another wake-up of the SIM is refused with the time it has left.

use super::{Op, StateError, StateStore, ttl_ms};
use crate::sim::Iccid;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: the key. ARGV: token, TTL ms. Returns -1 when the key was free
/// and is now held by the token, else the milliseconds it has left.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
return redis.call('PTTL', KEYS[1])
",
    )
});

/// KEYS: the key. ARGV: token. Deletes the key if the token holds it.
static GIVE_BACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// What [`WakeLimits::try_take`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeTaken {
    /// No wake-up within the interval: this caller may send one.
    Taken,
    /// A wake-up was sent within the interval; the limit lapses after
    /// `remaining`.
    Held {
        /// Time until another wake-up may go.
        remaining: Duration,
    },
}

/// The per-SIM wake-up limits. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WakeLimits {
    store: StateStore,
    /// Shortest time between two wake-ups of one SIM.
    interval: Duration,
}

impl WakeLimits {
    /// Limits of one wake-up per `interval` (`sim.wake_min_interval`).
    pub fn new(store: StateStore, interval: Duration) -> Self {
        Self { store, interval }
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Takes `iccid`'s limit for `token` (the caller's unique id of this
    /// wake-up), or says how long it is still held. Atomic: of concurrent
    /// callers on any instance exactly one gets [`WakeTaken::Taken`].
    pub async fn try_take(&self, iccid: &Iccid, token: &str) -> Result<WakeTaken, StateError> {
        let key = self.store.keys().wake(iccid.as_str());
        let ttl = ttl_ms(self.interval);
        let left: i64 = self
            .store
            .run(Op::WakeLimit, |mut c| async move {
                TAKE.key(key).arg(token).arg(ttl).invoke_async(&mut c).await
            })
            .await?;
        Ok(match u64::try_from(left) {
            Ok(ms) => WakeTaken::Held { remaining: Duration::from_millis(ms) },
            Err(_) => WakeTaken::Taken,
        })
    }

    /// Gives `iccid`'s limit back if `token` still holds it: the wake-up
    /// it was taken for was not sent, so the next may go at once.
    pub async fn give_back(&self, iccid: &Iccid, token: &str) -> Result<(), StateError> {
        let key = self.store.keys().wake(iccid.as_str());
        let _: i64 =
            self.store
                .run(Op::WakeLimit, |mut c| async move {
                    GIVE_BACK.key(key).arg(token).invoke_async(&mut c).await
                })
                .await?;
        Ok(())
    }
}
