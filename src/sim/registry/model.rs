//! The `sims` documents and the views the registry hands out.
//!
//! Key sets are a sub-document keyed `kvn01` to `kvn15` rather than an
//! array, so one key set's counter is updated by path
//! (`key_sets.kvn03.counter`) in a single filtered `update_one`; the local
//! stack's server has no array-element paths.

use super::rows::{Imsi, Msisdn};
use super::seal::SealedKey;
use super::{MAX_COUNTER, RegistryError};
use crate::sim::{Iccid, KeyAlgorithm, Kvn, RegistryKeys, Tar};
use mongodb::bson::DateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a SIM may open sessions and be sent commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimStatus {
    /// In service.
    Active,
    /// Barred by an operator: sessions and commands are refused.
    Suspended,
}

/// One key set as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeySetDocument {
    pub kvn: i32,
    /// For both keys; `aes` in documents written before the DES
    /// algorithms existed.
    pub algorithm: KeyAlgorithm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kic: Option<SealedKey>,
    pub kid: SealedKey,
    /// Last counter accepted under this key set (the counter belongs to
    /// the key set, TS 102 225 5.1.1); 0 before the first packet.
    pub counter: i64,
    /// Last counter the gateway put in an OTA packet it sent under this
    /// key set (the wake-up SMS); absent until the first one
    /// ([`super::SimRegistry::next_ota_counter`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ota_counter: Option<i64>,
}

/// One SIM as stored in `sims`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SimDocument {
    #[serde(rename = "_id")]
    pub iccid: String,
    pub msisdn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    /// Six hex digits.
    pub tar: String,
    pub key_sets: BTreeMap<String, KeySetDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applet_version: Option<String>,
    pub status: SimStatus,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

/// The field name of key set `kvn` under `key_sets`.
pub(crate) fn key_set_field(kvn: Kvn) -> String {
    format!("kvn{:02}", kvn.get())
}

impl SimDocument {
    pub(crate) fn key_set(&self, kvn: Kvn) -> Option<&KeySetDocument> {
        self.key_sets.get(&key_set_field(kvn))
    }

    pub(crate) fn tar(&self) -> Result<Tar, RegistryError> {
        let bad = RegistryError::Corrupt("tar is not 6 hex digits");
        if self.tar.len() != 6 {
            return Err(bad);
        }
        let v = u32::from_str_radix(&self.tar, 16).map_err(|_| RegistryError::Corrupt("tar is not hex"))?;
        let [_, a, b, c] = v.to_be_bytes();
        Ok(Tar([a, b, c]))
    }

    /// The key-less view.
    pub(crate) fn entry(&self) -> Result<SimEntry, RegistryError> {
        let key_sets = self
            .key_sets
            .values()
            .map(|k| {
                Ok(KeySetEntry {
                    kvn: kvn_of(k.kvn)?,
                    algorithm: k.algorithm,
                    has_kic: k.kic.is_some(),
                    counter: counter_of(k.counter)?,
                    ota_counter: k.ota_counter.map(counter_of).transpose()?.unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, RegistryError>>()?;
        Ok(SimEntry {
            iccid: Iccid::new(&self.iccid).map_err(|_| RegistryError::Corrupt("_id is not an ICCID"))?,
            msisdn: Msisdn::new(&self.msisdn).map_err(|_| RegistryError::Corrupt("msisdn is not E.164"))?,
            imsi: self
                .imsi
                .as_deref()
                .map(Imsi::new)
                .transpose()
                .map_err(|_| RegistryError::Corrupt("imsi is not digits"))?,
            tar: self.tar()?,
            key_sets,
            applet_version: self.applet_version.clone(),
            status: self.status,
        })
    }
}

pub(crate) fn kvn_of(stored: i32) -> Result<Kvn, RegistryError> {
    u8::try_from(stored).ok().and_then(|v| Kvn::new(v).ok()).ok_or(RegistryError::Corrupt("kvn out of range"))
}

pub(crate) fn counter_of(stored: i64) -> Result<u64, RegistryError> {
    u64::try_from(stored)
        .ok()
        .filter(|c| *c <= MAX_COUNTER)
        .ok_or(RegistryError::Corrupt("counter out of range"))
}

/// A SIM without its keys: what the OTA path and operators see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEntry {
    /// The SIM.
    pub iccid: Iccid,
    /// Its phone number.
    pub msisdn: Msisdn,
    /// Its IMSI, when known.
    pub imsi: Option<Imsi>,
    /// The applet's TAR.
    pub tar: Tar,
    /// Its key sets, by KVN.
    pub key_sets: Vec<KeySetEntry>,
    /// The applet version, when known.
    pub applet_version: Option<String>,
    /// In service or suspended.
    pub status: SimStatus,
}

/// One key set of a [`SimEntry`], without keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySetEntry {
    /// Its key version number.
    pub kvn: Kvn,
    /// Its algorithms.
    pub algorithm: KeyAlgorithm,
    /// Whether it has a ciphering key.
    pub has_kic: bool,
    /// Last counter accepted under it.
    pub counter: u64,
    /// Last counter the gateway sent under it in an OTA packet; 0 before
    /// the first.
    pub ota_counter: u64,
}

/// What a session or an OTA packet needs of one key set: the keys opened.
/// `Debug` never shows the keys ([`RegistryKeys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCredentials {
    /// The SIM.
    pub iccid: Iccid,
    /// The applet's TAR.
    pub tar: Tar,
    /// The key set, opened, with its algorithm: `keys.packet_keys()` for
    /// the OTA paths, `keys.aes()` for the applet channel (AES only).
    pub keys: RegistryKeys,
    /// Last counter accepted under this key set; a packet must carry a
    /// higher one (TS 102 225 5.1.1).
    pub counter: u64,
    /// The caller refuses sessions and commands of a suspended SIM.
    pub status: SimStatus,
}

/// What [`super::SimRegistry::accept_counter`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterOutcome {
    /// The counter was above the last accepted one and is now the last.
    Accepted,
    /// The counter was not above the last accepted one (a replay, or
    /// another session won the same value): the packet must be refused.
    Replayed {
        /// The last accepted counter, as read after the refusal.
        last: u64,
    },
    /// No such SIM or no such key set.
    Unknown,
}
