//! Loading SIMs into the registry: [`SimRegistry::upsert`] for one row and
//! [`SimRegistry::import_batch`] for many, as `simgate sims import` does.
//!
//! A row adds or replaces one key set of one SIM and sets the SIM's
//! identities. Keys are sealed under the current master key on the way in,
//! whatever the key set's algorithm (AES or DES); the algorithm is stored
//! beside them.
//! Importing again never lowers a key set's counter: a card's counter only
//! goes up, and resetting it would let old packets replay.

use super::RegistryError;
use super::lookups::SimRegistry;
use super::model::{KeySetDocument, SimDocument, key_set_field};
use super::rows::SimImport;
use super::seal::{KeyBinding, KeyRole, SealedKey};
use crate::backends::mongo::is_duplicate_key;
use mongodb::bson::{self, DateTime, Document, doc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What happened to one imported row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new SIM.
    Inserted,
    /// An existing SIM, its identities set and this key set added or
    /// replaced.
    Updated,
    /// Nothing written.
    Rejected {
        /// The column at fault.
        column: &'static str,
        /// Why; never contains key material.
        reason: String,
    },
}

impl ImportOutcome {
    fn label(&self) -> &'static str {
        match self {
            ImportOutcome::Inserted => "inserted",
            ImportOutcome::Updated => "updated",
            ImportOutcome::Rejected { .. } => "rejected",
        }
    }
}

/// The sealed keys of one row.
struct SealedSet {
    kic: Option<SealedKey>,
    kid: SealedKey,
}

impl SimRegistry {
    /// Imports one row.
    pub async fn upsert(&self, row: &SimImport) -> Result<ImportOutcome, RegistryError> {
        let existing = self.sims().find_one(doc! { "_id": row.iccid.as_str() }).await?;
        let outcome = self.import_row(row, existing.map(|sim| key_set_names(&sim)).as_ref()).await?;
        self.metrics().import_row(outcome.label());
        Ok(outcome)
    }

    /// Imports `rows` in order, reading the SIMs they name in one query;
    /// returns one outcome per row. Rows of one SIM (several key sets) may
    /// follow each other in a batch.
    pub async fn import_batch(&self, rows: &[SimImport]) -> Result<Vec<ImportOutcome>, RegistryError> {
        let ids: Vec<&str> = rows.iter().map(|r| r.iccid.as_str()).collect();
        // ICCID to the key sets it has: all later rows need to know.
        let mut known: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut cursor = self.sims().find(doc! { "_id": { "$in": ids } }).await?;
        while cursor.advance().await? {
            let sim = cursor.deserialize_current()?;
            known.insert(sim.iccid.clone(), key_set_names(&sim));
        }
        let mut outcomes = Vec::with_capacity(rows.len());
        for row in rows {
            let outcome = self.import_row(row, known.get(row.iccid.as_str())).await?;
            remember(&mut known, row, &outcome);
            self.metrics().import_row(outcome.label());
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    async fn import_row(
        &self,
        row: &SimImport,
        existing: Option<&BTreeSet<String>>,
    ) -> Result<ImportOutcome, RegistryError> {
        let sealed = self.seal_row(row)?;
        if let Some(sets) = existing {
            let new_set = !sets.contains(&key_set_field(row.keys.kvn()));
            return self.update_existing(row, sealed, new_set).await;
        }
        let now = DateTime::now();
        let document = SimDocument {
            iccid: row.iccid.as_str().to_owned(),
            msisdn: row.msisdn.as_str().to_owned(),
            imsi: row.imsi.as_ref().map(|i| i.as_str().to_owned()),
            tar: row.tar.to_string(),
            key_sets: BTreeMap::from([(
                key_set_field(row.keys.kvn()),
                key_set_document(row, sealed.kic.clone(), sealed.kid.clone()),
            )]),
            applet_version: row.applet_version.clone(),
            status: super::SimStatus::Active,
            created_at: now,
            updated_at: now,
        };
        match self.sims().insert_one(&document).await {
            Ok(_) => Ok(ImportOutcome::Inserted),
            Err(err) if is_duplicate_key(&err) => {
                // Either the SIM appeared since it was read (another
                // import), or the MSISDN or IMSI belongs to another SIM.
                match self.sims().find_one(doc! { "_id": row.iccid.as_str() }).await? {
                    Some(sim) => {
                        let new_set = sim.key_set(row.keys.kvn()).is_none();
                        self.update_existing(row, sealed, new_set).await
                    }
                    None => Ok(conflict(&err)),
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    fn seal_row(&self, row: &SimImport) -> Result<SealedSet, RegistryError> {
        let kvn = row.keys.kvn();
        let seal = |role: KeyRole, key| {
            self.keyring()
                .seal(key, &KeyBinding { iccid: &row.iccid, kvn, role })
                .map_err(|source| RegistryError::Seal { kvn, role, source })
        };
        Ok(SealedSet {
            kic: row.keys.kic_octets().map(|k| seal(KeyRole::Kic, k)).transpose()?,
            kid: seal(KeyRole::Kid, row.keys.kid_octets())?,
        })
    }

    /// Sets the identities and the key set on an existing SIM. The counter
    /// is written only for a key set the SIM did not have.
    async fn update_existing(
        &self,
        row: &SimImport,
        sealed: SealedSet,
        new_set: bool,
    ) -> Result<ImportOutcome, RegistryError> {
        let base = format!("key_sets.{}", key_set_field(row.keys.kvn()));
        let mut set = doc! {
            "msisdn": row.msisdn.as_str(),
            "tar": row.tar.to_string(),
            "updated_at": DateTime::now(),
            format!("{base}.kvn"): i32::from(row.keys.kvn().get()),
            format!("{base}.algorithm"): bson::to_bson(&row.keys.algorithm())?,
            format!("{base}.kid"): bson::to_bson(&sealed.kid)?,
        };
        let mut unset = Document::new();
        match &sealed.kic {
            Some(kic) => set.insert(format!("{base}.kic"), bson::to_bson(kic)?),
            None => unset.insert(format!("{base}.kic"), ""),
        };
        if new_set {
            set.insert(format!("{base}.counter"), 0i64);
        }
        match &row.imsi {
            Some(imsi) => set.insert("imsi", imsi.as_str()),
            None => unset.insert("imsi", ""),
        };
        match &row.applet_version {
            Some(v) => set.insert("applet_version", v.as_str()),
            None => unset.insert("applet_version", ""),
        };
        let mut update = doc! { "$set": set };
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        match self.sims().update_one(doc! { "_id": row.iccid.as_str() }, update).await {
            Ok(r) if r.matched_count == 1 => Ok(ImportOutcome::Updated),
            Ok(_) => Ok(ImportOutcome::Rejected {
                column: "iccid",
                reason: "the SIM was removed while it was being imported".to_owned(),
            }),
            Err(err) if is_duplicate_key(&err) => Ok(conflict(&err)),
            Err(err) => Err(err.into()),
        }
    }
}

fn key_set_names(sim: &SimDocument) -> BTreeSet<String> {
    sim.key_sets.keys().cloned().collect()
}

fn key_set_document(row: &SimImport, kic: Option<SealedKey>, kid: SealedKey) -> KeySetDocument {
    KeySetDocument {
        kvn: i32::from(row.keys.kvn().get()),
        algorithm: row.keys.algorithm(),
        kic,
        kid,
        counter: 0,
        ota_counter: None,
    }
}

/// The rejection for a unique-index violation: which column, from the
/// index the server names.
fn conflict(err: &mongodb::error::Error) -> ImportOutcome {
    let text = err.to_string();
    let column = if text.contains("imsi") { "imsi" } else { "msisdn" };
    ImportOutcome::Rejected { column, reason: "already belongs to another SIM".to_owned() }
}

/// Records in `known` what an import wrote, so later rows of the same SIM
/// in the batch update it instead of inserting.
fn remember(known: &mut HashMap<String, BTreeSet<String>>, row: &SimImport, outcome: &ImportOutcome) {
    if matches!(outcome, ImportOutcome::Rejected { .. }) {
        return;
    }
    known.entry(row.iccid.as_str().to_owned()).or_default().insert(key_set_field(row.keys.kvn()));
}
