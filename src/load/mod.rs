//! simgate's load tools: `simgate load api` (HTTP MT through
//! `POST /v1/messages`), `simgate load smpp` (an ESME that binds to a
//! target and replays PDU fixtures) and `simgate load applet` (sessions on
//! the applet endpoint, with the applet swarm), with what they share: run bounds and
//! pacing ([`pace`]), destination numbers ([`destinations`]), HDR latency
//! and per-second buckets ([`stats`]), the terminal progress bar
//! ([`progress`]), the summary and JSON report ([`report`]) and, with the
//! `plot` feature, a PNG of throughput and latency over time (`plot`).
//!
//! Every run is bounded by `--count`, `--duration` or both, and every queue
//! in it is bounded (docs/load-testing.md).

pub mod api;
pub mod applet;
pub mod destinations;
pub mod error;
pub mod fixtures;
pub mod pace;
#[cfg(feature = "plot")]
pub mod plot;
pub mod progress;
pub mod report;
pub mod smpp;
pub mod stats;

pub use destinations::Destinations;
pub use error::LoadError;
pub use pace::{Bounds, Pace};
pub use report::Report;
pub use stats::{Latency, Recorder};
