//! Bind slots: an SMSC allows an account only so many binds, and that limit
//! holds across every instance of simgate. A bind may be made only while
//! its instance holds the lease on one of the account's slots
//! `0..max_binds`. [`SlotLeases`] is the contract; the Redis implementation
//! shares it across instances, and [`LocalSlots`] serves a single instance
//! that runs without Redis.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// One held slot. `token` is unique per acquisition, so a renewal after the
/// slot was taken over by another instance fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The account's name.
    pub account: String,
    /// The slot, `0..max_binds`.
    pub slot: u32,
    /// Proof of this acquisition.
    pub token: String,
}

/// Why the lease store could not answer. The bind engine treats it as "no
/// slot" for an acquisition and as "lost" only after the lease's TTL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bind lease store: {0}")]
pub struct LeaseError(pub String);

/// Where bind slots are leased.
pub trait SlotLeases: Send + Sync + 'static {
    /// How long a lease lasts without renewal.
    fn ttl(&self) -> Duration;

    /// Takes the lowest free slot of `account`, if any.
    fn acquire(
        &self,
        account: &str,
        max_binds: u32,
    ) -> impl Future<Output = Result<Option<Lease>, LeaseError>> + Send;

    /// Extends `lease`; `Ok(false)` means it was lost and the bind must go.
    fn renew(&self, lease: &Lease) -> impl Future<Output = Result<bool, LeaseError>> + Send;

    /// Gives the slot up (only if still held with this token).
    fn release(&self, lease: &Lease) -> impl Future<Output = ()> + Send;
}

/// Slots leased inside this process only: right for one instance, wrong
/// for several (they would not see each other's binds).
#[derive(Debug, Default)]
pub struct LocalSlots {
    held: Mutex<HashMap<(String, u32), String>>,
    counter: std::sync::atomic::AtomicU64,
}

impl SlotLeases for LocalSlots {
    fn ttl(&self) -> Duration {
        Duration::from_secs(3600)
    }

    async fn acquire(&self, account: &str, max_binds: u32) -> Result<Option<Lease>, LeaseError> {
        let mut held = self.held.lock().map_err(|_| LeaseError("lock poisoned".into()))?;
        let Some(slot) = (0..max_binds).find(|s| !held.contains_key(&(account.to_owned(), *s))) else {
            return Ok(None);
        };
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = format!("local-{n}");
        held.insert((account.to_owned(), slot), token.clone());
        Ok(Some(Lease { account: account.to_owned(), slot, token }))
    }

    async fn renew(&self, lease: &Lease) -> Result<bool, LeaseError> {
        let held = self.held.lock().map_err(|_| LeaseError("lock poisoned".into()))?;
        Ok(held.get(&(lease.account.clone(), lease.slot)) == Some(&lease.token))
    }

    async fn release(&self, lease: &Lease) {
        if let Ok(mut held) = self.held.lock() {
            let key = (lease.account.clone(), lease.slot);
            if held.get(&key) == Some(&lease.token) {
                held.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_slots_hand_out_each_slot_once() {
        let slots = LocalSlots::default();
        let a = slots.acquire("acc", 2).await.unwrap().unwrap();
        let b = slots.acquire("acc", 2).await.unwrap().unwrap();
        assert_ne!(a.slot, b.slot);
        assert_eq!(slots.acquire("acc", 2).await.unwrap(), None);
        assert!(slots.acquire("other", 2).await.unwrap().is_some(), "accounts are separate");
        slots.release(&a).await;
        assert!(!slots.renew(&a).await.unwrap());
        let c = slots.acquire("acc", 2).await.unwrap().unwrap();
        assert_eq!(c.slot, a.slot);
        assert_ne!(c.token, a.token);
        assert!(slots.renew(&c).await.unwrap());
    }
}
