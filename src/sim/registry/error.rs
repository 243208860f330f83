//! [`RegistryError`]: why a SIM registry operation did not happen.

use super::seal::{KeyRole, SealError};
use crate::sim::Kvn;

/// A registry operation that could not be carried out. Outcomes of normal
/// traffic (an unknown SIM, a replayed counter, a rejected import row) are
/// results, not errors. No variant carries key material.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// MongoDB refused the operation or could not be reached.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A value could not be encoded as BSON (a bug, not bad input).
    #[error("bson encoding: {0}")]
    Encode(#[from] mongodb::bson::ser::Error),
    /// A stored key does not open: the master key is wrong or missing, or
    /// the document was changed outside simgate.
    #[error("key set {kvn} {role:?}: {source}", kvn = kvn.get())]
    Seal {
        /// The key set.
        kvn: Kvn,
        /// Which key.
        role: KeyRole,
        /// Why it does not open.
        source: SealError,
    },
    /// A stored document does not have the registry's shape (written by
    /// something else, or by an incompatible version).
    #[error("stored SIM document is malformed: {0}")]
    Corrupt(&'static str),
    /// A counter above five octets (TS 102 225 5.1.1) was offered.
    #[error("counter {0} does not fit in five octets")]
    CounterRange(u64),
    /// The OTA counter kept changing under concurrent wake-ups for every
    /// attempt of [`super::SimRegistry::next_ota_counter`]; try again later.
    #[error("OTA counter contended: no value taken after {0} attempts")]
    Contended(u32),
}
