//! The SIM registry: every SIM simgate serves, with its identities (ICCID,
//! MSISDN, IMSI), its applet's TAR, its key sets sealed at rest under the
//! master key, the last secured-packet counter accepted per key set, and
//! the last counter the gateway sent per key set in an OTA packet
//! (docs/sim-registry.md).
//!
//! [`seal`] and [`rows`] are pure (no backend): the sealing format and the
//! SIM set files `simgate sims import` reads. The MongoDB collection `sims`
//! and [`SimRegistry`], the API of the session driver, the OTA path and the
//! import, need the `mongo` feature.

pub mod rows;
pub mod seal;

#[cfg(feature = "mongo")]
mod error;
#[cfg(feature = "mongo")]
mod import;
#[cfg(feature = "mongo")]
mod lookups;
#[cfg(feature = "mongo")]
mod metrics;
#[cfg(feature = "mongo")]
mod model;
#[cfg(feature = "mongo")]
mod ota_counter;
#[cfg(feature = "mongo")]
mod reseal;

pub use crate::sim::KeyAlgorithm;
#[cfg(feature = "mongo")]
pub use error::RegistryError;
#[cfg(feature = "mongo")]
pub use import::ImportOutcome;
#[cfg(feature = "mongo")]
pub use lookups::SimRegistry;
#[cfg(feature = "mongo")]
pub use metrics::SimRegistryMetrics;
#[cfg(feature = "mongo")]
pub use model::{CounterOutcome, KeySetEntry, SimCredentials, SimEntry, SimStatus};
#[cfg(feature = "mongo")]
pub use reseal::ResealReport;
pub use rows::{Imsi, Msisdn, RowError, SimFile, SimFileError, SimImport};
pub use seal::{KeyBinding, KeyRole, MasterKey, MasterKeyId, MasterKeyring, SealError, SealedKey};

/// The MongoDB collection of SIMs, one document per ICCID.
pub const SIMS: &str = "sims";

/// Largest secured-packet counter: five octets (ETSI TS 102 225 5.1.1).
pub const MAX_COUNTER: u64 = 0xFF_FFFF_FFFF;
