//! [`SimRegistry`]: the handle on the `sims` collection, its indexes, and
//! the lookups and counter updates of the session driver and the OTA path.

use super::metrics::SimRegistryMetrics;
use super::model::{
    CounterOutcome, KeySetDocument, SimCredentials, SimDocument, SimEntry, counter_of, key_set_field,
};
use super::rows::Msisdn;
use super::seal::{KeyBinding, KeyRole, MasterKeyring};
use super::{MAX_COUNTER, RegistryError, SIMS};
use crate::backends::mongo::MongoHandle;
use crate::sim::{Iccid, KeySetError, Kvn, RegistryKeys};
use mongodb::bson::{DateTime, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use std::sync::Arc;

/// The SIM registry of one process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SimRegistry {
    sims: Collection<SimDocument>,
    /// Opens stored keys; seals imported ones under its current key.
    keyring: Arc<MasterKeyring>,
    metrics: SimRegistryMetrics,
}

impl SimRegistry {
    /// A registry on `handle`'s database.
    pub fn new(handle: &MongoHandle, keyring: Arc<MasterKeyring>, metrics: SimRegistryMetrics) -> Self {
        Self { sims: handle.database().collection(SIMS), keyring, metrics }
    }

    /// The registry's metrics.
    pub fn metrics(&self) -> &SimRegistryMetrics {
        &self.metrics
    }

    pub(crate) fn sims(&self) -> &Collection<SimDocument> {
        &self.sims
    }

    pub(crate) fn keyring(&self) -> &MasterKeyring {
        &self.keyring
    }

    /// Creates the unique indexes on `msisdn` and `imsi` (partial: only
    /// documents that have the field). Idempotent; run at start-up.
    pub async fn ensure_indexes(&self) -> Result<(), RegistryError> {
        let unique = |field: &str| {
            IndexModel::builder()
                .keys(doc! { field: 1 })
                .options(
                    IndexOptions::builder()
                        .name(format!("{field}_unique"))
                        .unique(true)
                        .partial_filter_expression(doc! { field: { "$type": "string" } })
                        .build(),
                )
                .build()
        };
        self.sims.create_indexes([unique("msisdn"), unique("imsi")]).await?;
        Ok(())
    }

    /// The keys of key set `kvn` of SIM `iccid`, opened, with its TAR and
    /// last accepted counter; `None` when the SIM or the key set does not
    /// exist. A key that does not open (wrong master key, a document
    /// changed outside simgate) is an error, never `None`.
    pub async fn credentials(
        &self,
        iccid: &Iccid,
        kvn: Kvn,
    ) -> Result<Option<SimCredentials>, RegistryError> {
        let found = self.sims.find_one(doc! { "_id": iccid.as_str() }).await.inspect_err(|_| {
            self.metrics.lookup("credentials", "error");
        })?;
        let Some(sim) = found else {
            self.metrics.lookup("credentials", "not_found");
            return Ok(None);
        };
        let Some(set) = sim.key_set(kvn) else {
            self.metrics.lookup("credentials", "not_found");
            return Ok(None);
        };
        let opened = self.open(iccid, kvn, set).and_then(|keys| {
            Ok(SimCredentials {
                iccid: iccid.clone(),
                tar: sim.tar()?,
                keys,
                counter: counter_of(set.counter)?,
                status: sim.status,
            })
        });
        self.metrics.lookup("credentials", if opened.is_ok() { "found" } else { "error" });
        opened.map(Some)
    }

    /// Opens the keys of `set` and pairs them with its algorithm; a key of
    /// a length the algorithm does not take is a
    /// [`super::SealError::Key`] of its role.
    fn open(&self, iccid: &Iccid, kvn: Kvn, set: &KeySetDocument) -> Result<RegistryKeys, RegistryError> {
        let open = |role: KeyRole, sealed| {
            self.keyring
                .open(sealed, &KeyBinding { iccid, kvn, role })
                .map_err(|source| RegistryError::Seal { kvn, role, source })
        };
        let kic = set.kic.as_ref().map(|k| open(KeyRole::Kic, k)).transpose()?;
        let kid = open(KeyRole::Kid, &set.kid)?;
        RegistryKeys::new(set.algorithm, kvn, kic.as_ref().map(|k| k.expose()), kid.expose()).map_err(|e| {
            let (role, source) = match e {
                KeySetError::Kic(e) => (KeyRole::Kic, e),
                KeySetError::Kid(e) => (KeyRole::Kid, e),
            };
            RegistryError::Seal { kvn, role, source: source.into() }
        })
    }

    /// Makes `new` the last accepted counter of key set `kvn` of `iccid` if
    /// it is above the stored one (TS 102 225 5.1.1: the counter must
    /// increase). One `update_one` whose filter carries the condition, so
    /// of concurrent callers with the same value exactly one is accepted,
    /// on any instance (findAndModify is not atomic on the local stack's
    /// server, a filtered update is).
    pub async fn accept_counter(
        &self,
        iccid: &Iccid,
        kvn: Kvn,
        new: u64,
    ) -> Result<CounterOutcome, RegistryError> {
        let value =
            i64::try_from(new).ok().filter(|_| new <= MAX_COUNTER).ok_or(RegistryError::CounterRange(new))?;
        let path = format!("key_sets.{}.counter", key_set_field(kvn));
        let result = self
            .sims
            .update_one(
                doc! { "_id": iccid.as_str(), path.as_str(): { "$lt": value } },
                doc! { "$set": { path.as_str(): value, "updated_at": DateTime::now() } },
            )
            .await?;
        if result.matched_count == 1 {
            self.metrics.counter("accepted");
            return Ok(CounterOutcome::Accepted);
        }
        let outcome = match self.sims.find_one(doc! { "_id": iccid.as_str() }).await? {
            Some(sim) => match sim.key_set(kvn) {
                Some(set) => CounterOutcome::Replayed { last: counter_of(set.counter)? },
                None => CounterOutcome::Unknown,
            },
            None => CounterOutcome::Unknown,
        };
        self.metrics.counter(if matches!(outcome, CounterOutcome::Unknown) { "unknown" } else { "replayed" });
        tracing::debug!(%iccid, kvn = kvn.get(), ?outcome, "counter refused");
        Ok(outcome)
    }

    /// The SIM with phone number `msisdn`, without keys (the OTA wake-up
    /// path starts from a number).
    pub async fn by_msisdn(&self, msisdn: &Msisdn) -> Result<Option<SimEntry>, RegistryError> {
        self.find_entry("by_msisdn", doc! { "msisdn": msisdn.as_str() }).await
    }

    /// The SIM `iccid`, without keys.
    pub async fn get(&self, iccid: &Iccid) -> Result<Option<SimEntry>, RegistryError> {
        self.find_entry("get", doc! { "_id": iccid.as_str() }).await
    }

    async fn find_entry(
        &self,
        op: &'static str,
        filter: mongodb::bson::Document,
    ) -> Result<Option<SimEntry>, RegistryError> {
        let found = self.sims.find_one(filter).await.inspect_err(|_| self.metrics.lookup(op, "error"))?;
        self.metrics.lookup(op, if found.is_some() { "found" } else { "not_found" });
        found.map(|sim| sim.entry()).transpose()
    }
}
