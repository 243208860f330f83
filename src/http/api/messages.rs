//! `POST /v1/messages` and `GET /v1/messages/{id}`.
//!
//! A request is answered 202 with the message id only once the message is
//! stored (and its `sms.mt.accepted` event durable); a repeat with the same
//! idempotency key gets the first message's answer. Bad requests get 400
//! with `{"error": ..., "field": ...}`, unknown ids 404.

use crate::events::payload::MtAccepted;
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::sms::mt::request::{Content as ReqContent, hex_octets};
use crate::sms::mt::{ConcatMode, MtRequest, plan_parts};
use crate::state::{Claim, IdempotencyKeys};
use crate::store::{Content, Inserted, MessageId, MessageRecord, MessageStore, NewMessage};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;

/// What the message handlers share.
#[derive(Debug, Clone)]
pub struct MessagesApi {
    /// Where messages are stored.
    pub store: MessageStore,
    /// Fast path for idempotency keys (the store's unique index is the
    /// authority).
    pub idempotency: Option<IdempotencyKeys>,
    /// Events.
    pub events: EventSink,
    /// Event origin.
    pub origin: EventOrigin,
    /// How parts are tied (to count them and refuse unsendable text now).
    pub concat: ConcatMode,
    /// Wakes the MT worker.
    pub wake: Arc<Notify>,
}

fn error(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let mut body = json!({ "error": message });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    (status, Json(body)).into_response()
}

/// `POST /v1/messages`.
pub async fn submit(
    State(api): State<MessagesApi>,
    body: Result<Json<MtRequest>, JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(r)) => r,
        Err(rejection) => {
            let text = rejection.body_text();
            let field = unknown_field(&text);
            return error(StatusCode::BAD_REQUEST, &text, field.as_deref());
        }
    };
    let valid = match request.validate() {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.problem, Some(e.field)),
    };
    let parts = match plan_parts(&valid, api.concat, 0) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string(), Some("text")),
    };
    let data_coding = parts.first().map_or(0, |p| p.data_coding);
    let id = MessageId::generate();
    if let (Some(keys), Some(key)) = (&api.idempotency, &valid.idempotency_key) {
        match keys.claim(key, id.as_str()).await {
            Ok(Claim::Existing(first)) => {
                if let Ok(first) = MessageId::parse(&first)
                    && let Ok(Some(view)) = api.store.get(&first).await
                {
                    return accepted(&view.message);
                }
            }
            Ok(Claim::New) => {}
            Err(err) => tracing::warn!(%err, "idempotency fast path unavailable; the store decides"),
        }
    }
    let content = match &valid.content {
        ReqContent::Text { text, .. } => Content::Text { text: text.clone() },
        ReqContent::Binary { octets } => Content::Binary { hex: hex_octets::encode(octets) },
    };
    let new = NewMessage {
        id: Some(id.clone()),
        idempotency_key: valid.idempotency_key.clone(),
        source: valid.source.clone(),
        destination: valid.destination.clone(),
        content,
        data_coding,
        registered_delivery: valid.registered_delivery,
        validity: valid.validity.map(|v| {
            mongodb::bson::DateTime::from_millis(
                mongodb::bson::DateTime::now().timestamp_millis() + i64::try_from(v.as_millis()).unwrap_or(0),
            )
        }),
        priority: valid.priority,
        parts_total: u16::try_from(parts.len()).unwrap_or(u16::MAX),
    };
    let record = match api.store.insert_accepted(&new).await {
        Ok(Inserted::New(record)) => record,
        Ok(Inserted::Existing(first)) => return accepted(&first),
        Err(err) => {
            if let (Some(keys), Some(key)) = (&api.idempotency, &valid.idempotency_key) {
                let _ = keys.forget(key, id.as_str()).await;
            }
            tracing::warn!(%err, "message not stored");
            return error(StatusCode::SERVICE_UNAVAILABLE, "message store unavailable; retry", None);
        }
    };
    if let Ok(key) = EventKey::new(record.destination.as_str()) {
        let event = api.origin.event(
            key,
            EventData::SmsMtAccepted(MtAccepted {
                message_id: record.id.as_str().to_owned(),
                source: record.source.clone(),
                destination: record.destination.clone(),
                parts: record.parts_total,
            }),
        );
        if let Err(err) = api.events.publish(&event).await {
            tracing::error!(%err, "sms.mt.accepted lost: neither the broker nor the outbox took it");
        }
    }
    api.wake.notify_one();
    accepted(&record)
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
    match api.store.get(&id).await {
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

/// The field serde named in an "unknown field `x`" or "missing field `x`"
/// message.
fn unknown_field(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_owned())
}
