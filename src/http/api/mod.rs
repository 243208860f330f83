//! The client API under `/v1`, behind a bearer key ([`auth`]).

pub mod auth;

pub use auth::{ApiKeys, require_key};
