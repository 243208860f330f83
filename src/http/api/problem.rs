//! The error body every `/v1` handler answers with:
//! `{"error": "what is wrong", "field": "the JSON field"}`, the field only
//! when one is at fault.

use axum::Json;
use axum::extract::rejection::JsonRejection;
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

/// The request body, or the 400 for a body that is not the JSON asked
/// for: the parser's message, and the field it names when it names one.
pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Box<Response>> {
    body.map(|Json(request)| request).map_err(|rejection| {
        let text = rejection.body_text();
        let field = crate::sms::command::named_field(&text);
        Box::new(error(StatusCode::BAD_REQUEST, &text, field.as_deref()))
    })
}
