//! [`WakeRecords`]: the `sim_ota` collection, one document per wake-up SMS,
//! `_id` `<iccid>:<counter>`: which key set and message carried it, and,
//! once the SIM answered, its PoR status. Small documents, written twice
//! at most (sent, then por), so the collection stays a short log per SIM.

use crate::backends::mongo::{MongoHandle, is_duplicate_key};
use crate::sim::Iccid;
use crate::sim::registry::RegistryError;
use mongodb::Collection;
use mongodb::bson::{DateTime, doc};
use serde::{Deserialize, Serialize};

/// The MongoDB collection of wake-ups.
pub const SIM_OTA: &str = "sim_ota";

/// Where a wake-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WakeState {
    /// Handed to the SMS pipeline; no PoR yet.
    Sent,
    /// A verified PoR came back.
    Por,
}

/// One wake-up as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeRecord {
    /// `<iccid>:<counter>`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The SIM.
    pub iccid: String,
    /// The TS 102 225 counter of the command packet.
    pub counter: i64,
    /// The key set that secured it; 0 when only the PoR is known.
    pub kvn: i32,
    /// The SMS pipeline's message id; empty when only the PoR is known.
    pub message_id: String,
    /// Sent or answered.
    pub state: WakeState,
    /// The PoR's status name (docs/applet-protocol.md), once answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub por_status: Option<String>,
    /// When it was handed to the SMS pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime>,
    /// When the PoR was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub por_at: Option<DateTime>,
}

/// The id of the wake-up of `iccid` with `counter`.
pub fn record_id(iccid: &Iccid, counter: u64) -> String {
    format!("{iccid}:{counter}", iccid = iccid.as_str())
}

/// The `sim_ota` collection. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WakeRecords {
    records: Collection<WakeRecord>,
}

impl WakeRecords {
    /// The collection on `handle`'s database.
    pub fn new(handle: &MongoHandle) -> Self {
        Self { records: handle.database().collection(SIM_OTA) }
    }

    /// Records a wake-up handed to the SMS pipeline. A repeat of the same
    /// ICCID and counter (a retried call) keeps the first.
    pub async fn record_sent(
        &self,
        iccid: &Iccid,
        counter: u64,
        kvn: u8,
        message_id: &str,
    ) -> Result<(), RegistryError> {
        let record = WakeRecord {
            id: record_id(iccid, counter),
            iccid: iccid.as_str().to_owned(),
            counter: i64::try_from(counter).map_err(|_| RegistryError::CounterRange(counter))?,
            kvn: i32::from(kvn),
            message_id: message_id.to_owned(),
            state: WakeState::Sent,
            por_status: None,
            sent_at: Some(DateTime::now()),
            por_at: None,
        };
        match self.records.insert_one(&record).await {
            Ok(_) => Ok(()),
            Err(err) if is_duplicate_key(&err) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Records the PoR of the wake-up of `iccid` with `counter`: state
    /// `por` and its status. Idempotent (the SMSC may deliver the MO
    /// again). A PoR whose wake-up is not on record (its write failed, or
    /// the SIM answered a packet from elsewhere) gets a document of its
    /// own.
    pub async fn record_por(&self, iccid: &Iccid, counter: u64, status: &str) -> Result<(), RegistryError> {
        let id = record_id(iccid, counter);
        let set = doc! { "$set": { "state": "por", "por_status": status, "por_at": DateTime::now() } };
        let updated = self.records.update_one(doc! { "_id": id.as_str() }, set.clone()).await?;
        if updated.matched_count == 1 {
            return Ok(());
        }
        let record = WakeRecord {
            id: id.clone(),
            iccid: iccid.as_str().to_owned(),
            counter: i64::try_from(counter).map_err(|_| RegistryError::CounterRange(counter))?,
            kvn: 0,
            message_id: String::new(),
            state: WakeState::Por,
            por_status: Some(status.to_owned()),
            sent_at: None,
            por_at: Some(DateTime::now()),
        };
        match self.records.insert_one(&record).await {
            Ok(_) => Ok(()),
            // Its wake-up was recorded meanwhile: update that one.
            Err(err) if is_duplicate_key(&err) => {
                self.records.update_one(doc! { "_id": id.as_str() }, set).await?;
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The wake-up of `iccid` with `counter`, if recorded.
    pub async fn get(&self, iccid: &Iccid, counter: u64) -> Result<Option<WakeRecord>, RegistryError> {
        Ok(self.records.find_one(doc! { "_id": record_id(iccid, counter) }).await?)
    }
}
