//! The sms-service half of simgate: warm SMPP binds to the operator SMSC
//! ([`bind`]), and the MT, MO and receipt pipelines built on them, with
//! the OTA wake-up SMS and its proof of receipt (`ota`).
//!
//! Everything here is the tokio side: the protocol rules live in the pure
//! [`crate::smpp`] core, and these modules drive it over sockets.

pub mod bind;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod bind_health;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod command;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod inbound;
pub mod mt;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod ota;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod service;
