//! simgate: a gateway between an operator's SMSC (SMPP) and SIM Toolkit
//! applets (TCP 9506), with events on Kafka and state in MongoDB and Redis.
//!
//! The protocol modules are pure and build without any feature. Everything
//! that needs a runtime, a socket or a backend sits behind the `server`
//! feature and the backend features (`kafka`, `mongo`, `redis`), all on by
//! default.

#[cfg(feature = "server")]
pub mod applet_sim;
#[cfg(feature = "server")]
pub mod backends;
#[cfg(feature = "server")]
pub mod cli;
#[cfg(all(feature = "kafka", feature = "mongo"))]
pub mod events;
#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod lifecycle;
#[cfg(feature = "server")]
pub mod load;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod settings;
pub mod sim;
pub mod smpp;
#[cfg(feature = "server")]
pub mod sms;
#[cfg(feature = "server")]
pub mod smsc_sim;
#[cfg(feature = "redis")]
pub mod state;
#[cfg(feature = "mongo")]
pub mod store;
#[cfg(feature = "server")]
pub mod telemetry;
