//! Bind leases: the SMSC's limit on simultaneous binds per account, held
//! across every instance of simgate.
//!
//! An account with a limit of `n` binds has slots `0..n`, one Redis key
//! each, holding the token of the acquisition that leased it, with a TTL
//! (`PX`). An instance binds only while it holds a slot, renews the lease
//! well inside its TTL (a third of it is a good period), and unbinds at
//! once when a renewal reports the lease lost. A slot whose holder died
//! expires and is taken by the next acquisition: two instances never hold
//! the same slot, and a dead instance's slot is free after one TTL.
//!
//! Every instance must use the same limit for an account: the slots
//! enforce the limit they are asked for.

use super::keys::{TAG_FORBIDDEN, check_account, check_part};
use super::{Op, StateError, StateStore, ttl_ms};
use redis::Script;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Most slots an account may have; a bound on the keys one script touches.
pub const MAX_BINDS_PER_ACCOUNT: u32 = 64;

/// Longest instance id.
const MAX_INSTANCE_ID_LEN: usize = 128;

/// Separates the instance id from the unique part of a token.
const TOKEN_SEPARATOR: char = '#';

/// Takes the lowest free slot. KEYS: the slot keys in slot order.
/// ARGV: token, TTL in ms. Returns the slot index, or -1 when all are held.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return i - 1
  end
end
return -1
",
    )
});

/// Extends the lease if the token still holds it. KEYS: slot key. ARGV:
/// token, TTL in ms. Returns 1 when renewed, 0 when lost.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
",
    )
});

/// Deletes the lease if the token still holds it. KEYS: slot key. ARGV:
/// token. Returns 1 when released, 0 when it was no longer held.
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

/// One leased bind slot: permission to hold one bind of `account`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindSlot {
    /// The SMSC account the slot belongs to.
    pub account: String,
    /// The slot, `0..max_binds`.
    pub slot: u32,
    /// Unique per acquisition (`<instance id>#<unique>`), so a renewal
    /// after the slot expired and was taken by someone else fails instead
    /// of extending the new holder's lease.
    pub token: String,
}

/// Leases bind slots for one instance.
#[derive(Debug, Clone)]
pub struct BindLeases {
    store: StateStore,
    /// Written into every token; `held` reports it as the holder.
    instance_id: String,
    /// The lease time of every acquisition and renewal.
    ttl: Duration,
}

impl BindLeases {
    /// Leases for instance `instance_id` (1 to 128 visible ASCII octets,
    /// unique among running instances, e.g. the pod name), each lasting
    /// `ttl` unless renewed.
    pub fn new(store: StateStore, instance_id: &str, ttl: Duration) -> Result<Self, StateError> {
        check_part(Op::LeaseAcquire, "instance id", instance_id, MAX_INSTANCE_ID_LEN, TAG_FORBIDDEN)?;
        Ok(Self { store, instance_id: instance_id.to_owned(), ttl })
    }

    /// Takes the lowest free slot of `0..max_binds` for `account`, in one
    /// atomic step. `None` when every slot is held.
    pub async fn acquire(&self, account: &str, max_binds: u32) -> Result<Option<BindSlot>, StateError> {
        let op = Op::LeaseAcquire;
        check_account(op, account)?;
        check_max_binds(op, max_binds)?;
        let token = self.new_token();
        let mut call = ACQUIRE.prepare_invoke();
        for slot in 0..max_binds {
            call.key(self.store.keys().lease(account, slot));
        }
        call.arg(&token).arg(ttl_ms(self.ttl));
        let got: i64 = self.store.run(op, |mut c| async move { call.invoke_async(&mut c).await }).await?;
        match u32::try_from(got) {
            Ok(slot) if slot < max_binds => {
                tracing::debug!(account, slot, "bind slot leased");
                Ok(Some(BindSlot { account: account.to_owned(), slot, token }))
            }
            _ if got == -1 => {
                self.store.metrics().lease_exhausted();
                Ok(None)
            }
            _ => Err(StateError::Corrupt { op, what: "slot index out of range" }),
        }
    }

    /// Extends the lease by the TTL. `false` means the lease was lost (it
    /// expired, and perhaps another instance took the slot): the caller
    /// must unbind that bind at once.
    pub async fn renew(&self, slot: &BindSlot) -> Result<bool, StateError> {
        let op = Op::LeaseRenew;
        check_account(op, &slot.account)?;
        let key = self.store.keys().lease(&slot.account, slot.slot);
        let ttl = ttl_ms(self.ttl);
        let token = slot.token.clone();
        let renewed: i64 = self
            .store
            .run(op, |mut c| async move { RENEW.key(key).arg(token).arg(ttl).invoke_async(&mut c).await })
            .await?;
        if renewed != 1 {
            self.store.metrics().lease_lost();
            tracing::warn!(account = %slot.account, slot = slot.slot, "bind lease lost");
        }
        Ok(renewed == 1)
    }

    /// Gives the slot back if this acquisition still holds it. `false` when
    /// it had already expired or been taken over.
    pub async fn release(&self, slot: &BindSlot) -> Result<bool, StateError> {
        let op = Op::LeaseRelease;
        check_account(op, &slot.account)?;
        let key = self.store.keys().lease(&slot.account, slot.slot);
        let token = slot.token.clone();
        let released: i64 = self
            .store
            .run(op, |mut c| async move { RELEASE.key(key).arg(token).invoke_async(&mut c).await })
            .await?;
        Ok(released == 1)
    }

    /// The held slots of `0..max_binds` and the instance holding each, in
    /// slot order.
    pub async fn held(&self, account: &str, max_binds: u32) -> Result<Vec<(u32, String)>, StateError> {
        let op = Op::LeaseHeld;
        check_account(op, account)?;
        check_max_binds(op, max_binds)?;
        let keys: Vec<String> = (0..max_binds).map(|s| self.store.keys().lease(account, s)).collect();
        let values: Vec<Option<String>> = self
            .store
            .run(op, |mut c| async move { redis::cmd("MGET").arg(keys).query_async(&mut c).await })
            .await?;
        let mut held = Vec::new();
        for (slot, value) in (0..max_binds).zip(values) {
            if let Some(token) = value {
                let (instance, _) = token
                    .rsplit_once(TOKEN_SEPARATOR)
                    .ok_or(StateError::Corrupt { op, what: "lease token without instance id" })?;
                held.push((slot, instance.to_owned()));
            }
        }
        Ok(held)
    }

    /// `<instance id>#<start time ns hex>-<counter>`: unique across this
    /// process's acquisitions and across restarts of the instance.
    fn new_token(&self) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::UNIX_EPOCH.elapsed().map(|d| d.as_nanos()).unwrap_or_default();
        format!("{}{TOKEN_SEPARATOR}{nanos:x}-{n}", self.instance_id)
    }
}

fn check_max_binds(op: Op, max_binds: u32) -> Result<(), StateError> {
    if max_binds == 0 || max_binds > MAX_BINDS_PER_ACCOUNT {
        return Err(StateError::InvalidInput { op, what: "max binds", reason: "must be 1 to 64" });
    }
    Ok(())
}
