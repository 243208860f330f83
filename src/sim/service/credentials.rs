//! [`RegistryCredentials`]: the MongoDB SIM registry as the applet
//! listener's [`CredentialSource`]. The registry answers per key set; the
//! session gets that one key set with its last accepted counter.
//!
//! A registry failure is never turned into an answer about the SIM: it is
//! logged (with its cause, never a key) and reported as a
//! [`CredentialError`], on which the listener closes with "server
//! draining" so the applet reconnects later, rather than "bad checksum" or
//! "replayed counter", which would send an operator chasing keys.
//! A suspended SIM is looked up as unknown (the session then fails its
//! checksum against the decoy key, and the applet learns nothing). So is a
//! key set that is not AES: the applet channel is AES only
//! (docs/applet-protocol.md), the registry's DES key sets serve OTA.

use crate::sim::listener::{CredentialError, CredentialFuture, CredentialSource};
use crate::sim::registry::{CounterOutcome, SimRegistry, SimStatus};
use crate::sim::secured::Counter;
use crate::sim::session::SimCredentials;
use crate::sim::{Iccid, Kvn};

/// The registry behind the listener.
#[derive(Debug, Clone)]
pub struct RegistryCredentials {
    registry: SimRegistry,
}

impl RegistryCredentials {
    /// Wraps `registry`.
    pub fn new(registry: SimRegistry) -> Self {
        Self { registry }
    }

    async fn look_up(&self, iccid: &Iccid, kvn: Kvn) -> Result<Option<SimCredentials>, CredentialError> {
        let found = self.registry.credentials(iccid, kvn).await.map_err(|err| {
            tracing::error!(error = %err, kvn = kvn.get(), "SIM registry lookup failed during a handshake");
            CredentialError(err.to_string())
        })?;
        let Some(sim) = found else { return Ok(None) };
        if sim.status == SimStatus::Suspended {
            tracing::debug!(%iccid, "suspended SIM refused");
            return Ok(None);
        }
        let Some(keys) = sim.keys.aes() else {
            let algorithm = sim.keys.algorithm().name();
            tracing::warn!(
                kvn = kvn.get(),
                algorithm,
                "applet session names a key set that is not AES: refused"
            );
            return Ok(None);
        };
        let last_counter = Counter::new(sim.counter).map_err(|_| {
            tracing::error!(kvn = kvn.get(), "SIM registry holds a counter beyond five octets");
            CredentialError("stored counter out of range".to_owned())
        })?;
        Ok(Some(SimCredentials { tar: sim.tar, key_sets: vec![keys.clone()], last_counter }))
    }

    async fn store_counter(
        &self,
        iccid: &Iccid,
        kvn: Kvn,
        counter: Counter,
    ) -> Result<bool, CredentialError> {
        let outcome = self.registry.accept_counter(iccid, kvn, counter.get()).await.map_err(|err| {
            tracing::error!(error = %err, kvn = kvn.get(), "SIM registry did not store a counter");
            CredentialError(err.to_string())
        })?;
        match outcome {
            CounterOutcome::Accepted => Ok(true),
            CounterOutcome::Replayed { .. } => Ok(false),
            // The SIM or key set vanished between lookup and counter: not
            // a replay, so not reported as one.
            CounterOutcome::Unknown => {
                tracing::warn!(kvn = kvn.get(), "SIM left the registry during its handshake");
                Err(CredentialError("SIM removed during the handshake".to_owned()))
            }
        }
    }
}

impl CredentialSource for RegistryCredentials {
    fn credentials<'a>(&'a self, iccid: &'a Iccid, kvn: Kvn) -> CredentialFuture<'a, Option<SimCredentials>> {
        Box::pin(self.look_up(iccid, kvn))
    }

    fn accept_counter<'a>(
        &'a self,
        iccid: &'a Iccid,
        kvn: Kvn,
        counter: Counter,
    ) -> CredentialFuture<'a, bool> {
        Box::pin(self.store_counter(iccid, kvn, counter))
    }
}
