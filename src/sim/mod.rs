//! The sim-service half of simgate: SIM Toolkit applets on TCP 9506 and
//! their OTA wake-up. This module holds the identities and key material
//! every part of it shares; it is pure (no features), so the applet
//! protocol core and its fuzz targets build without a runtime.

pub mod ids;
pub mod keys;
#[cfg(feature = "server")]
pub mod registry;

pub use ids::{Iccid, IdError, Kvn, Tar};
pub use keys::{AesKey, KeyError, KeySet};
