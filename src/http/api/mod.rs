//! The client API under `/v1`, behind a bearer key ([`auth`]).

pub mod auth;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod messages;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
mod problem;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod sims;

pub use auth::{ApiKeys, require_key};

use axum::Router;
use axum::middleware::from_fn_with_state;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
use axum::routing::{get, post};

/// The `/v1` routes, every one behind the API key. Without the message
/// pipeline or the SIM side (a build or settings without them) only the
/// key check answers for their paths.
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub fn routes(
    keys: ApiKeys,
    messages: Option<messages::MessagesApi>,
    sims: Option<sims::SimCommandsApi>,
) -> Router {
    let mut v1 = Router::new();
    if let Some(api) = sims {
        v1 = v1.merge(
            Router::new()
                .route("/sims/{iccid}/commands", post(sims::submit))
                .route("/commands/{id}", get(sims::get))
                .with_state(api),
        );
    }
    if let Some(api) = messages {
        v1 = v1.merge(
            Router::new()
                .route("/messages", post(messages::submit))
                .route("/messages/{id}", get(messages::get))
                .with_state(api),
        );
    }
    v1.layer(from_fn_with_state(keys, require_key))
}

/// The `/v1` routes of a build without the message pipeline.
#[cfg(not(all(feature = "kafka", feature = "mongo", feature = "redis")))]
pub fn routes(keys: ApiKeys) -> Router {
    Router::new().layer(from_fn_with_state(keys, require_key))
}
