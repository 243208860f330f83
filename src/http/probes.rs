//! Handlers of the operational endpoints.
//!
//! `/health` answers exactly `{"status":"UP"}` when the instance can serve:
//! the Cloudflare health check compares status and body. Otherwise 503 with
//! `{"status":"DOWN","reasons":[...]}`.

use super::AppState;
use crate::telemetry::{Exposition, render};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Body of a healthy `/health`, byte for byte.
pub const HEALTH_UP_BODY: &str = r#"{"status":"UP"}"#;

pub(super) async fn health(State(state): State<AppState>) -> Response {
    let report = state.health.report();
    if report.up {
        return json(StatusCode::OK, HEALTH_UP_BODY.to_owned());
    }
    let body = serde_json::json!({ "status": "DOWN", "reasons": report.reasons });
    json(StatusCode::SERVICE_UNAVAILABLE, body.to_string())
}

/// Alive as long as the runtime answers: a deadlocked or wedged process
/// stops answering and is restarted by the kubelet.
pub(super) async fn livez() -> Response {
    json(StatusCode::OK, r#"{"status":"alive"}"#.to_owned())
}

/// Ready when the instance can serve; false while starting and draining.
/// Components that only say whether the region can serve (the SMPP binds)
/// do not count: see [`crate::lifecycle::Health::region_component`].
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let report = state.health.readiness();
    let status = if report.up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({ "ready": report.up, "reasons": report.reasons });
    json(status, body.to_string())
}

/// OpenMetrics for Prometheus (it asks for it), the classic text format for
/// everything else.
pub(super) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Exposition::negotiate(accept);
    match render(&state.registry, format) {
        Ok(text) => ([(header::CONTENT_TYPE, format.content_type())], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
