//! [`SlotLeases`] over the Redis bind leases of [`crate::state`]: the slot
//! limit holds across every instance that shares the Redis.

use super::leases::{Lease, LeaseError, SlotLeases};
use crate::state::{BindLeases, BindSlot, StateError, StateStore};
use std::time::Duration;

/// Bind slots leased in Redis.
#[derive(Debug, Clone)]
pub struct RedisSlots {
    leases: BindLeases,
    ttl: Duration,
}

impl RedisSlots {
    /// Leases for `instance`, lasting `ttl` without renewal.
    pub fn new(store: StateStore, instance: &str, ttl: Duration) -> Result<Self, StateError> {
        Ok(Self { leases: BindLeases::new(store, instance, ttl)?, ttl })
    }
}

fn slot(lease: &Lease) -> BindSlot {
    BindSlot { account: lease.account.clone(), slot: lease.slot, token: lease.token.clone() }
}

fn err(e: StateError) -> LeaseError {
    LeaseError(e.to_string())
}

impl SlotLeases for RedisSlots {
    fn ttl(&self) -> Duration {
        self.ttl
    }

    async fn acquire(&self, account: &str, max_binds: u32) -> Result<Option<Lease>, LeaseError> {
        let got = self.leases.acquire(account, max_binds).await.map_err(err)?;
        Ok(got.map(|s| Lease { account: s.account, slot: s.slot, token: s.token }))
    }

    async fn renew(&self, lease: &Lease) -> Result<bool, LeaseError> {
        self.leases.renew(&slot(lease)).await.map_err(err)
    }

    async fn release(&self, lease: &Lease) {
        if let Err(e) = self.leases.release(&slot(lease)).await {
            tracing::debug!(%e, "bind slot not released; it expires with its lease");
        }
    }
}
