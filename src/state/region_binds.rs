//! Whether an SMSC account is served anywhere in the region: every
//! instance with a bound bind of the account refreshes one short-lived key,
//! and an instance without a bind asks whether the key is there.
//!
//! With more instances than the account has bind slots (`max_binds`),
//! some instances hold no bind by design; the `smpp` health component
//! uses this to stay up on them while the account is served elsewhere,
//! and to go down everywhere when no instance of the region holds a bind
//! (the SMSC or the tunnel to it is gone: a reason to fail over).

use super::keys::check_account;
use super::{Op, StateError, StateStore, ttl_ms};
use redis::AsyncCommands;
use std::time::Duration;

/// The region's view of which accounts have a bound bind. The key names
/// the region, so a Redis shared by both regions keeps them apart.
#[derive(Debug, Clone)]
pub struct RegionBinds {
    store: StateStore,
    instance: String,
    region: String,
}

impl RegionBinds {
    /// As seen by `instance` (written into the key, for operators) of
    /// `region`.
    pub fn new(store: StateStore, instance: &str, region: &str) -> Self {
        Self { store, instance: instance.to_owned(), region: region.to_owned() }
    }

    /// Says this instance holds a bound bind of `account`, for `ttl`.
    pub async fn mark(&self, account: &str, ttl: Duration) -> Result<(), StateError> {
        let op = Op::RegionBindsMark;
        check_account(op, account)?;
        let key = self.store.keys().region_bound(account, &self.region);
        let (instance, ms) = (self.instance.clone(), ttl_ms(ttl));
        self.store.run(op, |mut c| async move { c.pset_ex::<_, _, ()>(key, instance, ms).await }).await
    }

    /// Whether some instance said, within its TTL, that it holds a bound
    /// bind of `account`.
    pub async fn served(&self, account: &str) -> Result<bool, StateError> {
        let op = Op::RegionBindsServed;
        check_account(op, account)?;
        let key = self.store.keys().region_bound(account, &self.region);
        self.store.run(op, |mut c| async move { c.exists::<_, bool>(key).await }).await
    }
}
