//! The HTTP listener: `/health` for the Cloudflare load balancer, `/livez`
//! and `/readyz` for Kubernetes, `/metrics` for Prometheus. Later issues
//! mount the API under `/v1`.
//!
//! Every request is bounded in time and in concurrency; a request over the
//! limit waits for a slot, one over the timeout is answered 503.

pub mod api;
pub mod metrics;
mod probes;

pub use metrics::HttpMetrics;

use crate::lifecycle::Health;
use crate::settings::HttpSettings;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use tower::ServiceBuilder;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Health of this instance.
    pub health: Health,
    /// Every metric of the process; immutable once serving starts.
    pub registry: Arc<Registry>,
}

/// The router with the operational endpoints and the request bounds.
pub fn router(state: AppState, settings: &HttpSettings, metrics: HttpMetrics, v1: Router) -> Router {
    Router::new()
        .route("/health", get(probes::health))
        .route("/livez", get(probes::livez))
        .route("/readyz", get(probes::readyz))
        .route("/metrics", get(probes::metrics))
        .fallback(not_found)
        .with_state(state)
        .nest("/v1", v1)
        .route_layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(on_layer_error))
                .concurrency_limit(settings.max_concurrent_requests)
                .timeout(settings.request_timeout),
        )
}

async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": "no such path" })))
}

async fn on_layer_error(err: tower::BoxError) -> impl IntoResponse {
    let (status, message) = if err.is::<tower::timeout::error::Elapsed>() {
        (StatusCode::SERVICE_UNAVAILABLE, "request timed out")
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    };
    (status, axum::Json(serde_json::json!({ "error": message })))
}
