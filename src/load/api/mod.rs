//! `simgate load api`: MT load through simgate's own HTTP API.
//!
//! Sends `POST /v1/messages` over a fixed set of keep-alive HTTP/1.1
//! connections (one request at a time each, so the set is the in-flight
//! bound), paced open loop or closed loop ([`crate::load::Pace`]); counts
//! answers by HTTP status and records accept latency. With `wait_final` it
//! then polls `GET /v1/messages/{id}` until every accepted message is
//! final or the wait ends, counting final states and time to final.

mod client;
mod run;
mod target;
mod wait;

pub use client::{ApiConnection, RequestError};
pub use run::{ApiLoad, message_text, pace_label, run};
pub use target::ApiTarget;
