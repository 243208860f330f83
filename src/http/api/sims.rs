//! `POST /v1/sims/{iccid}/commands` and `GET /v1/commands/{id}`
//! (docs/sim-commands.md).
//!
//! A command is answered 202 with its id once it is stored (and its
//! `sim.command.queued` event durable), with the state it reached while
//! the request was answered (`delivered` when a session here took it at
//! once). Bad input gets 400 with `{"error", "field"}`; an unknown SIM
//! gets 404 (the API is authenticated, so saying so is fine), a suspended
//! one 409; an unknown command id 404.

use super::problem::{error, json_body};
use crate::sim::Iccid;
use crate::sim::commands::request::encode_hex;
use crate::sim::commands::{
    CommandDocument, CommandLimits, CommandRequest, HistoryDocument, StoredCommandId,
};
use crate::sim::registry::{SimRegistry, SimStatus};
use crate::sim::service::Dispatcher;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

/// What the command handlers share.
#[derive(Debug, Clone)]
pub struct SimCommandsApi {
    /// Stores and routes commands.
    pub dispatcher: Arc<Dispatcher>,
    /// Tells whether a SIM exists.
    pub registry: SimRegistry,
    /// The bounds of a request.
    pub limits: CommandLimits,
}

fn unavailable(what: &str) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, &format!("{what} unavailable; retry"), None)
}

/// `POST /v1/sims/{iccid}/commands`.
pub async fn submit(
    State(api): State<SimCommandsApi>,
    Path(iccid): Path<String>,
    body: Result<Json<CommandRequest>, JsonRejection>,
) -> Response {
    let iccid = match Iccid::new(&iccid) {
        Ok(i) => i,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string(), Some("iccid")),
    };
    let request = match json_body(body) {
        Ok(r) => r,
        Err(bad) => return *bad,
    };
    let valid = match request.validate(&api.limits) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.problem, Some(e.field)),
    };
    let sim = match api.registry.get(&iccid).await {
        Ok(Some(sim)) => sim,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such SIM", Some("iccid")),
        Err(err) => {
            tracing::warn!(%err, "SIM registry unreadable");
            return unavailable("SIM registry");
        }
    };
    if sim.status == SimStatus::Suspended {
        return error(StatusCode::CONFLICT, "the SIM is suspended", Some("iccid"));
    }
    let id = StoredCommandId::new().as_string();
    let command = api.dispatcher.store.new_document(
        &id,
        iccid.as_str(),
        Some(sim.msisdn.as_str().to_owned()),
        valid.kind.as_str(),
        encode_hex(&valid.payload),
        valid.ttl,
    );
    match api.dispatcher.submit(command).await {
        Ok(state) => {
            (StatusCode::ACCEPTED, Json(json!({ "command_id": id, "state": state.as_str() }))).into_response()
        }
        Err(err) => {
            tracing::warn!(%err, "command not stored");
            unavailable("command store")
        }
    }
}

/// `GET /v1/commands/{id}`.
pub async fn get(State(api): State<SimCommandsApi>, Path(id): Path<String>) -> Response {
    let Some(id) = StoredCommandId::parse(&id) else {
        return error(StatusCode::NOT_FOUND, "no such command", None);
    };
    match api.dispatcher.store.get(&id.as_string()).await {
        Ok(Some((command, history))) => (StatusCode::OK, Json(view_json(&command, &history))).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such command", None),
        Err(err) => {
            tracing::warn!(%err, "command not readable");
            unavailable("command store")
        }
    }
}

fn rfc3339(t: mongodb::bson::DateTime) -> Option<String> {
    t.try_to_rfc3339_string().ok()
}

fn view_json(c: &CommandDocument, history: &[HistoryDocument]) -> serde_json::Value {
    let history: Vec<_> = history
        .iter()
        .map(|h| json!({ "state": h.state.as_str(), "at": rfc3339(h.at), "instance": h.instance, "detail": h.detail }))
        .collect();
    json!({
        "command_id": c.id,
        "iccid": c.iccid,
        "type": c.command_type,
        "payload": c.payload,
        "state": c.state.as_str(),
        "created_at": rfc3339(c.created_at),
        "expires_at": rfc3339(c.expires_at),
        "deliveries": c.deliveries,
        "wake_message_id": c.wake_message_id,
        "wakes": c.wakes,
        "woken_at": c.woken_at.and_then(rfc3339),
        "result": c.result.as_ref().map(|r| json!({ "status": r.status, "status_code": r.status_code, "payload": r.payload })),
        "history": history,
    })
}
