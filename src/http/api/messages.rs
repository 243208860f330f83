//! `POST /v1/messages` and `GET /v1/messages/{id}`.
//!
//! A request is answered 202 with the message id only once the message is
//! stored (and its `sms.mt.accepted` event durable); a repeat with the same
//! idempotency key gets the first message's answer. Bad requests get 400
//! with `{"error": ..., "field": ...}`, unknown ids 404.

use super::problem::{error, json_body};
use crate::sms::command::{AcceptError, MtAcceptor};
use crate::sms::mt::MtRequest;
use crate::store::{MessageId, MessageRecord};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What the message handlers share.
#[derive(Debug, Clone)]
pub struct MessagesApi {
    /// The accept path, shared with the MT command topic.
    pub acceptor: MtAcceptor,
}

/// `POST /v1/messages`.
pub async fn submit(
    State(api): State<MessagesApi>,
    body: Result<Json<MtRequest>, JsonRejection>,
) -> Response {
    let request = match json_body(body) {
        Ok(r) => r,
        Err(bad) => return *bad,
    };
    match api.acceptor.accept(request, None).await {
        Ok(done) => accepted(&done.record),
        Err(AcceptError::Invalid(e)) => error(StatusCode::BAD_REQUEST, &e.problem, Some(e.field)),
        Err(AcceptError::Unavailable(err)) => {
            tracing::warn!(%err, "message not stored");
            error(StatusCode::SERVICE_UNAVAILABLE, "message store unavailable; retry", None)
        }
    }
}

fn accepted(record: &MessageRecord) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "message_id": record.id.as_str(),
            "state": record.state.as_str(),
            "parts": record.parts_total,
        })),
    )
        .into_response()
}

/// `GET /v1/messages/{id}`.
pub async fn get(State(api): State<MessagesApi>, Path(id): Path<String>) -> Response {
    let Ok(id) = MessageId::parse(&id) else {
        return error(StatusCode::NOT_FOUND, "no such message", None);
    };
    match api.acceptor.store.get(&id).await {
        Ok(Some(view)) => (StatusCode::OK, Json(view_json(&view))).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such message", None),
        Err(err) => {
            tracing::warn!(%err, "message not readable");
            error(StatusCode::SERVICE_UNAVAILABLE, "message store unavailable; retry", None)
        }
    }
}

fn view_json(view: &crate::store::MessageView) -> serde_json::Value {
    let m = &view.message;
    let parts: Vec<_> = m
        .parts()
        .map(|(seq, p)| {
            json!({
                "part": seq,
                "state": p.state.as_str(),
                "smsc_message_id": p.smsc_message_id,
                "command_status": p.command_status,
                "error_code": p.error_code,
                // `unknown` for good: simgate stopped trying to learn the
                // part's fate (docs/runbook.md, GatewayMtPartsGivenUp).
                "given_up": p.given_up,
            })
        })
        .collect();
    let history: Vec<_> = view
        .history
        .iter()
        .map(|h| json!({ "part": h.seq, "to": h.to, "at": h.recorded_at.try_to_rfc3339_string().ok(), "detail": h.detail }))
        .collect();
    json!({
        "message_id": m.id.as_str(),
        "state": m.state.as_str(),
        "source": m.source,
        "destination": m.destination,
        "parts_total": m.parts_total,
        "parts": parts,
        "history": history,
    })
}
