//! [`MtAcceptor`]: the one accept path of an MT request, whichever way it
//! came (`POST /v1/messages` or the MT command topic). Validate, claim the
//! idempotency key, store the message as accepted, publish
//! `sms.mt.accepted`, wake the MT worker. A request is accepted only once
//! it is stored; a repeat with the same idempotency key gets the first
//! message back and writes nothing. The OTA wake-up hands its SIM data
//! download messages to [`MtAcceptor::accept_valid`], past the JSON
//! request that cannot carry them.

use crate::events::payload::MtAccepted;
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::sms::mt::request::{Content as ReqContent, hex_octets};
use crate::sms::mt::{ConcatMode, MtRequest, RequestError, ValidMt, plan_parts};
use crate::state::{Claim, IdempotencyKeys};
use crate::store::{
    Content, Inserted, MAX_CONTENT_LEN, MessageId, MessageRecord, MessageStore, NewMessage, StoreError,
};
use std::sync::Arc;
use tokio::sync::Notify;

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// The request itself is wrong; sending it again will not help.
    #[error(transparent)]
    Invalid(#[from] RequestError),
    /// The message store could not store it; the request may be retried.
    #[error("message store unavailable: {0}")]
    Unavailable(#[source] StoreError),
}

/// An accepted request.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The stored message (the first one, for a repeated idempotency key).
    pub record: MessageRecord,
    /// True when this request stored it; false for a repeat.
    pub new: bool,
}

/// What accepting needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct MtAcceptor {
    /// Where messages are stored.
    pub store: MessageStore,
    /// Fast path for idempotency keys (the store's unique index is the
    /// authority, so this may be absent or unreachable).
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

impl MtAcceptor {
    /// Accepts `request`. `request_id` is the caller's correlation id (the
    /// command topic's `request_id`), carried into `sms.mt.accepted`.
    pub async fn accept(
        &self,
        request: MtRequest,
        request_id: Option<&str>,
    ) -> Result<Accepted, AcceptError> {
        self.accept_valid(request.validate()?, request_id).await
    }

    /// Accepts a message that is already valid: what [`MtAcceptor::accept`]
    /// does after validating, and the way in of internal messages (the OTA
    /// wake-up's SIM data download, which the JSON API cannot express).
    pub async fn accept_valid(
        &self,
        valid: ValidMt,
        request_id: Option<&str>,
    ) -> Result<Accepted, AcceptError> {
        let parts = plan_parts(&valid, self.concat, 0)
            .map_err(|e| RequestError { field: "text", problem: e.to_string() })?;
        let data_coding = parts.first().map_or(0, |p| p.data_coding);
        let content = match &valid.content {
            ReqContent::Text { text, .. } => Content::Text { text: text.clone() },
            ReqContent::Binary { octets } => Content::Binary { hex: hex_octets::encode(octets) },
            ReqContent::SimDataDownload { parts } => {
                Content::SimData { parts: parts.iter().map(|p| hex_octets::encode(p)).collect() }
            }
        };
        // The store keeps at most MAX_CONTENT_LEN octets of content: a text
        // that fits in the SMS parts can still be longer than that in UTF-8
        // (Latin-1 letters take two octets each). Refused here, as the
        // request's fault, before its idempotency key is claimed.
        let (field, stored_len) = match &content {
            Content::Text { text } => ("text", text.len()),
            Content::Binary { hex } => ("binary", hex.len()),
            Content::SimData { parts } => ("binary", parts.iter().map(String::len).sum()),
        };
        if stored_len > MAX_CONTENT_LEN {
            return Err(AcceptError::Invalid(RequestError {
                field,
                problem: format!("longer than the {MAX_CONTENT_LEN} octets a message may hold"),
            }));
        }
        let id = MessageId::generate();
        if let (Some(keys), Some(key)) = (&self.idempotency, &valid.idempotency_key) {
            match keys.claim(key, id.as_str()).await {
                Ok(Claim::Existing(first)) => {
                    if let Ok(first) = MessageId::parse(&first)
                        && let Ok(Some(view)) = self.store.get(&first).await
                    {
                        return Ok(Accepted { record: view.message, new: false });
                    }
                }
                Ok(Claim::New) => {}
                Err(err) => tracing::warn!(%err, "idempotency fast path unavailable; the store decides"),
            }
        }
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
                    mongodb::bson::DateTime::now().timestamp_millis()
                        + i64::try_from(v.as_millis()).unwrap_or(0),
                )
            }),
            priority: valid.priority,
            parts_total: u16::try_from(parts.len()).unwrap_or(u16::MAX),
        };
        let record = match self.store.insert_accepted(&new).await {
            Ok(Inserted::New(record)) => record,
            Ok(Inserted::Existing(first)) => return Ok(Accepted { record: first, new: false }),
            Err(err) => {
                if let (Some(keys), Some(key)) = (&self.idempotency, &valid.idempotency_key) {
                    let _ = keys.forget(key, id.as_str()).await;
                }
                return Err(AcceptError::Unavailable(err));
            }
        };
        if let Ok(key) = EventKey::new(record.destination.as_str()) {
            let event = self.origin.event(
                key,
                EventData::SmsMtAccepted(MtAccepted {
                    message_id: record.id.as_str().to_owned(),
                    source: record.source.clone(),
                    destination: record.destination.clone(),
                    parts: record.parts_total,
                    request_id: request_id.map(str::to_owned),
                }),
            );
            if let Err(err) = self.events.publish(&event).await {
                tracing::error!(%err, "sms.mt.accepted lost: neither the broker nor the outbox took it");
            }
        }
        self.wake.notify_one();
        Ok(Accepted { record, new: true })
    }
}
