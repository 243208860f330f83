//! Where the listener finds a SIM's keys and records the counters it
//! accepted: the [`CredentialSource`] contract, which the MongoDB SIM
//! registry implements, and [`MemoryCredentials`], a registry held in
//! memory for tests and the applet simulator.
//!
//! The lookup is the only step whose time may depend on whether an ICCID
//! exists; the session verifies an unknown SIM against a decoy key, so the
//! listener answers the same bytes after the same work either way
//! (docs/applet-protocol.md, "Opening").

use crate::sim::ids::{Iccid, Kvn};
use crate::sim::secured::Counter;
use crate::sim::session::SimCredentials;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// A future a [`CredentialSource`] returns (boxed, so the trait is usable
/// as `Arc<dyn CredentialSource>`).
pub type CredentialFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CredentialError>> + Send + 'a>>;

/// Why the registry could not answer. The listener closes the session
/// with "server draining" (reconnect later or elsewhere): the peer learns
/// nothing about the SIM.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SIM registry: {0}")]
pub struct CredentialError(pub String);

/// The SIM registry as the listener uses it.
pub trait CredentialSource: Send + Sync + 'static {
    /// The keys of `iccid` (all key sets; the session picks `kvn`), with its
    /// last accepted counter; `None` when the ICCID is unknown. Must take
    /// about as long whether or not the ICCID exists.
    fn credentials<'a>(&'a self, iccid: &'a Iccid, kvn: Kvn) -> CredentialFuture<'a, Option<SimCredentials>>;

    /// Records `counter` as the SIM's last accepted counter if it is higher
    /// than the stored one (TS 102 225 5.1.1, counter management).
    /// `Ok(false)`: a session elsewhere got there first with this counter or
    /// a higher one, so this packet is a replay that lost the race.
    fn accept_counter<'a>(
        &'a self,
        iccid: &'a Iccid,
        kvn: Kvn,
        counter: Counter,
    ) -> CredentialFuture<'a, bool>;
}

/// SIMs held in this process.
#[derive(Debug, Default)]
pub struct MemoryCredentials {
    sims: Mutex<HashMap<Iccid, SimCredentials>>,
}

impl MemoryCredentials {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a SIM.
    pub fn insert(&self, iccid: Iccid, credentials: SimCredentials) {
        if let Ok(mut sims) = self.sims.lock() {
            sims.insert(iccid, credentials);
        }
    }

    /// The stored last accepted counter of `iccid`.
    pub fn last_counter(&self, iccid: &Iccid) -> Option<Counter> {
        self.sims.lock().ok()?.get(iccid).map(|c| c.last_counter)
    }

    fn lookup(&self, iccid: &Iccid) -> Result<Option<SimCredentials>, CredentialError> {
        let sims = self.sims.lock().map_err(|_| CredentialError("lock poisoned".into()))?;
        Ok(sims.get(iccid).cloned())
    }

    fn compare_and_store(&self, iccid: &Iccid, counter: Counter) -> Result<bool, CredentialError> {
        let mut sims = self.sims.lock().map_err(|_| CredentialError("lock poisoned".into()))?;
        match sims.get_mut(iccid) {
            Some(sim) if counter > sim.last_counter => {
                sim.last_counter = counter;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl CredentialSource for MemoryCredentials {
    fn credentials<'a>(
        &'a self,
        iccid: &'a Iccid,
        _kvn: Kvn,
    ) -> CredentialFuture<'a, Option<SimCredentials>> {
        Box::pin(async move { self.lookup(iccid) })
    }

    fn accept_counter<'a>(
        &'a self,
        iccid: &'a Iccid,
        _kvn: Kvn,
        counter: Counter,
    ) -> CredentialFuture<'a, bool> {
        Box::pin(async move { self.compare_and_store(iccid, counter) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sim::ids::Tar;

    fn iccid() -> Iccid {
        let body = "894400000000007777";
        Iccid::new(&format!("{body}{}", Iccid::check_digit(body).unwrap())).unwrap()
    }

    #[tokio::test]
    async fn counters_only_move_up_and_unknown_sims_are_none() {
        let registry = MemoryCredentials::new();
        let kvn = Kvn::new(1).unwrap();
        assert_eq!(registry.credentials(&iccid(), kvn).await.unwrap(), None);
        assert!(!registry.accept_counter(&iccid(), kvn, Counter::new(1).unwrap()).await.unwrap());
        let sim = SimCredentials { tar: Tar([1, 2, 3]), key_sets: Vec::new(), last_counter: Counter::ZERO };
        registry.insert(iccid(), sim.clone());
        assert_eq!(registry.credentials(&iccid(), kvn).await.unwrap(), Some(sim));
        assert!(registry.accept_counter(&iccid(), kvn, Counter::new(5).unwrap()).await.unwrap());
        assert!(!registry.accept_counter(&iccid(), kvn, Counter::new(5).unwrap()).await.unwrap(), "replay");
        assert!(!registry.accept_counter(&iccid(), kvn, Counter::new(4).unwrap()).await.unwrap(), "lower");
        assert_eq!(registry.last_counter(&iccid()), Some(Counter::new(5).unwrap()));
    }
}
