//! The error body every `/v1` handler answers with:
//! `{"error": "what is wrong", "field": "the JSON field"}`, the field only
//! when one is at fault.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `status` with the error body.
pub(crate) fn error(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let mut body = json!({ "error": message });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    (status, Json(body)).into_response()
}
