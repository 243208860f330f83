//! The sim-service half of simgate: SIM Toolkit applets on TCP 9506 and
//! their OTA wake-up. Everything here but the registry is pure (no features, no I/O, no
//! clock), so the applet protocol core and its fuzz targets build without a
//! runtime:
//!
//! - [`ids`], [`keys`]: the identities and key material every part shares.
//! - [`key_sets`]: the registry's key sets of any algorithm (AES, DES,
//!   triple DES) and the OTA packets sealed under them.
//! - [`frame`]: the length-prefixed TCP framing.
//! - [`secured`]: ETSI TS 102 225 secured packets (SPI, KIc, KID, counter,
//!   AES-CMAC, AES-CBC, command and response packets).
//! - [`applet`]: the channel's messages and how they are bound and secured.
//! - [`session`]: the gateway's and the applet's sans-IO state machines.
//! - [`ota`]: the wake-up SMS and its proof of receipt.
//! - [`ota_tool`]: the JSON view of `simgate ota decode|encode`.
//! - [`wake`]: the contract by which queued commands ask for a wake-up SMS.
//! - `registry` (feature `server`; its store needs `mongo`): the SIM
//!   registry with keys sealed at rest (docs/sim-registry.md).
//! - `listener` (feature `server`): the tokio listener on TCP 9506 that
//!   drives the gateway's sessions.
//! - `commands`, `service` (features `kafka`, `mongo`, `redis`): commands
//!   to SIMs, their store, and the composition `simgate serve` starts
//!   (docs/sim-commands.md).
//!
//! docs/applet-protocol.md describes the wire protocol.

pub mod applet;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod commands;
pub mod frame;
pub mod ids;
pub mod key_sets;
pub mod keys;
#[cfg(feature = "server")]
pub mod listener;
pub mod ota;
pub mod ota_tool;
#[cfg(feature = "server")]
pub mod registry;
pub mod secured;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod service;
pub mod session;
pub mod wake;

#[cfg(test)]
mod proptests;

pub use ids::{Iccid, IdError, Kvn, Tar};
pub use key_sets::{KeyAlgorithm, KeySetError, RegistryKeys};
pub use keys::{AesKey, KeyError, KeyOctets, KeySet};
