//! The gateway's OTA counter: the counter of the secured packets the
//! gateway sends a SIM by SMS (the wake-up), kept per key set apart from
//! the counter of the packets the applet sends (TS 102 225 5.1.1: the
//! counter belongs to the key set, and the receiving side refuses one that
//! does not increase).
//!
//! The local stack's MongoDB-wire server has no atomic findAndModify, so
//! the next value is taken with a compare-and-set: read the key set, then
//! one `update_one` filtered on the value read. Of concurrent callers on
//! any instance exactly one matches a given value; the others read again,
//! at most [`OTA_COUNTER_ATTEMPTS`] times.

use super::model::{counter_of, key_set_field};
use super::{MAX_COUNTER, RegistryError, SimRegistry};
use crate::sim::{Iccid, Kvn};
use mongodb::bson::{DateTime, doc};

/// Most compare-and-set rounds of one [`SimRegistry::next_ota_counter`].
pub const OTA_COUNTER_ATTEMPTS: u32 = 8;

impl SimRegistry {
    /// Takes the next OTA counter of key set `kvn` of `iccid` and stores
    /// it as the last one sent; `None` when the SIM or the key set does not
    /// exist. Values taken are unique and increasing per key set, across
    /// instances.
    ///
    /// The value is one above the larger of the last OTA counter sent and
    /// the applet's last accepted counter. A key set that never had an OTA
    /// packet (a document written before the OTA counter existed) so
    /// starts above the applet's counter, and the value stays above it
    /// later: a card that keeps one counter per key set for both
    /// directions never sees a wake-up counter it has passed, and a card
    /// that keeps them apart only sees gaps, which "process if higher"
    /// (the wake-up's SPI) accepts.
    pub async fn next_ota_counter(&self, iccid: &Iccid, kvn: Kvn) -> Result<Option<u64>, RegistryError> {
        let path = format!("key_sets.{}.ota_counter", key_set_field(kvn));
        for _ in 0..OTA_COUNTER_ATTEMPTS {
            let Some(sim) = self.sims().find_one(doc! { "_id": iccid.as_str() }).await? else {
                return Ok(None);
            };
            let Some(set) = sim.key_set(kvn) else { return Ok(None) };
            let sent = set.ota_counter.map(counter_of).transpose()?;
            let next = sent.unwrap_or(0).max(counter_of(set.counter)?) + 1;
            if next > MAX_COUNTER {
                return Err(RegistryError::CounterRange(next));
            }
            let value = i64::try_from(next).map_err(|_| RegistryError::CounterRange(next))?;
            let expected = match sent {
                // Bounded by MAX_COUNTER above, so it fits.
                Some(v) => mongodb::bson::Bson::Int64(i64::try_from(v).unwrap_or(i64::MAX)),
                None => mongodb::bson::Bson::Document(doc! { "$exists": false }),
            };
            let result = self
                .sims()
                .update_one(
                    doc! { "_id": iccid.as_str(), path.as_str(): expected },
                    doc! { "$set": { path.as_str(): value, "updated_at": DateTime::now() } },
                )
                .await?;
            if result.matched_count == 1 {
                return Ok(Some(next));
            }
            tracing::debug!(%iccid, kvn = kvn.get(), "OTA counter changed meanwhile; reading again");
        }
        Err(RegistryError::Contended(OTA_COUNTER_ATTEMPTS))
    }
}
