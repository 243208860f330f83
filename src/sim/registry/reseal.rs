//! Re-sealing after a master key rotation: [`SimRegistry::reseal_all`]
//! opens every key sealed under an earlier master key and seals it again
//! under the current one, so `sim.previous_master_keys_file` can then be
//! emptied. Key octets are re-sealed as they are, whatever the key set's
//! algorithm (AES or DES).

use super::RegistryError;
use super::lookups::SimRegistry;
use super::model::SimDocument;
use super::seal::{KeyBinding, KeyRole, SealedKey};
use crate::sim::Iccid;
use mongodb::bson::{self, Document, doc};

/// What [`SimRegistry::reseal_all`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// SIMs whose keys were all under the current master key.
    pub current: u64,
    /// SIMs re-sealed.
    pub resealed: u64,
    /// SIMs changed by another writer (an import) between read and write;
    /// run again.
    pub skipped: u64,
    /// SIMs with a key that does not open with any configured master key.
    pub failed: u64,
}

impl SimRegistry {
    /// Re-seals every key not sealed under the current master key. Each SIM
    /// is one `update_one` filtered on the sealed values it read, so a
    /// concurrent import is never overwritten (that SIM counts as skipped),
    /// and counters are not touched.
    pub async fn reseal_all(&self) -> Result<ResealReport, RegistryError> {
        let mut report = ResealReport::default();
        let mut cursor = self.sims().find(doc! {}).await?;
        while cursor.advance().await? {
            let sim: SimDocument = cursor.deserialize_current()?;
            match self.reseal_one(&sim).await {
                Ok(Some(true)) => report.resealed += 1,
                Ok(Some(false)) => report.skipped += 1,
                Ok(None) => report.current += 1,
                Err(RegistryError::Seal { kvn, role, source }) => {
                    report.failed += 1;
                    tracing::debug!(iccid = %sim.iccid, kvn = kvn.get(), ?role, %source, "key does not open");
                    tracing::warn!(kvn = kvn.get(), ?role, %source, "a SIM key does not open; not re-sealed");
                }
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    /// `None` when nothing needed re-sealing, else whether the write won.
    async fn reseal_one(&self, sim: &SimDocument) -> Result<Option<bool>, RegistryError> {
        let iccid = Iccid::new(&sim.iccid).map_err(|_| RegistryError::Corrupt("_id is not an ICCID"))?;
        let mut filter = doc! { "_id": sim.iccid.as_str() };
        let mut set = Document::new();
        for (field, key_set) in &sim.key_sets {
            let kvn = super::model::kvn_of(key_set.kvn)?;
            let mut redo = |role: KeyRole, sealed: &SealedKey, name: &str| -> Result<(), RegistryError> {
                if !self.keyring().needs_reseal(sealed) {
                    return Ok(());
                }
                let binding = KeyBinding { iccid: &iccid, kvn, role };
                let seal_err = |source| RegistryError::Seal { kvn, role, source };
                let key = self.keyring().open(sealed, &binding).map_err(seal_err)?;
                let fresh = self.keyring().seal(key.expose(), &binding).map_err(seal_err)?;
                let path = format!("key_sets.{field}.{name}");
                filter.insert(path.clone(), bson::to_bson(sealed)?);
                set.insert(path, bson::to_bson(&fresh)?);
                Ok(())
            };
            if let Some(kic) = &key_set.kic {
                redo(KeyRole::Kic, kic, "kic")?;
            }
            redo(KeyRole::Kid, &key_set.kid, "kid")?;
        }
        if set.is_empty() {
            return Ok(None);
        }
        set.insert("updated_at", bson::DateTime::now());
        let result = self.sims().update_one(filter, doc! { "$set": set }).await?;
        Ok(Some(result.matched_count == 1))
    }
}
