//! Reading one record of the MT command topic: the JSON body of
//! `POST /v1/messages` plus an optional `request_id`. Pure: bytes in, a
//! [`Command`] or a [`Refusal`] out. A refusal never quotes the command's
//! values (serde's messages can), so it is safe to log and publish.

use crate::sms::mt::MtRequest;
use crate::sms::mt::request::MAX_IDEMPOTENCY_KEY;
use serde_json::{Map, Value};

/// Largest command accepted, in bytes: a long concatenated text with its
/// fields fits many times over.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// Longest `request_id` accepted.
pub const MAX_REQUEST_ID: usize = MAX_IDEMPOTENCY_KEY;

/// A command that parsed as an MT request (not yet validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The sender's correlation id, when given.
    pub request_id: Option<String>,
    /// The request, as `POST /v1/messages` would have read it.
    pub request: MtRequest,
}

/// Why a command is refused; each variant is one metric label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// Empty, larger than [`MAX_COMMAND_BYTES`], not JSON, or not an object.
    NotJson,
    /// A field the request does not have.
    UnknownField,
    /// A known field with a value of the wrong JSON type.
    WrongType,
    /// `request_id` is not 1-128 printable ASCII characters.
    RequestId,
    /// Validation refused this field (`destination`, `text`, ...).
    Invalid(&'static str),
}

impl RejectReason {
    /// The `reason` label: a fixed, small set of values.
    pub const fn label(self) -> &'static str {
        match self {
            RejectReason::NotJson => "not_json",
            RejectReason::UnknownField => "unknown_field",
            RejectReason::WrongType => "wrong_type",
            RejectReason::RequestId => "request_id",
            RejectReason::Invalid(field) => field,
        }
    }
}

/// A command that cannot become a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// For the metric.
    pub reason: RejectReason,
    /// The field at fault, when there is one.
    pub field: Option<String>,
    /// What is wrong, in one line, without the command's values.
    pub problem: String,
    /// The command's `request_id`, when it had a usable one.
    pub request_id: Option<String>,
}

fn refuse(reason: RejectReason, field: Option<String>, problem: &str, request_id: Option<String>) -> Refusal {
    Refusal { reason, field, problem: problem.to_owned(), request_id }
}

/// Reads one command record's value.
pub fn parse(payload: Option<&[u8]>) -> Result<Command, Refusal> {
    let bytes = payload.unwrap_or_default();
    if bytes.is_empty() || bytes.len() > MAX_COMMAND_BYTES {
        return Err(refuse(RejectReason::NotJson, None, "empty, or larger than 64 KiB", None));
    }
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(refuse(RejectReason::NotJson, None, "not a JSON object", None));
    };
    let request_id = match map.remove("request_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id))
            if !id.is_empty() && id.len() <= MAX_REQUEST_ID && id.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Some(id)
        }
        Some(_) => {
            return Err(refuse(
                RejectReason::RequestId,
                Some("request_id".to_owned()),
                "1-128 printable ASCII characters",
                None,
            ));
        }
    };
    match serde_json::from_value::<MtRequest>(Value::Object(map.clone())) {
        Ok(request) => Ok(Command { request_id, request }),
        Err(_) => Err(blame(map, request_id)),
    }
}

/// Finds the field the request could not be read for: each field alone is
/// read again, so the first one that fails is named.
fn blame(map: Map<String, Value>, request_id: Option<String>) -> Refusal {
    for (name, value) in map {
        let alone = Value::Object(Map::from_iter([(name.clone(), value)]));
        let Err(err) = serde_json::from_value::<MtRequest>(alone) else { continue };
        if err.to_string().starts_with("unknown field") {
            return refuse(RejectReason::UnknownField, Some(name), "unknown field", request_id);
        }
        return refuse(RejectReason::WrongType, Some(name), "wrong JSON type", request_id);
    }
    refuse(RejectReason::NotJson, None, "not an MT request", request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(json: &str) -> Refusal {
        parse(Some(json.as_bytes())).unwrap_err()
    }

    #[test]
    fn a_command_is_the_api_body_plus_a_request_id() {
        let c = parse(Some(br#"{"destination":"+15551230001","source":"S","text":"hi","request_id":"r-1"}"#))
            .unwrap();
        assert_eq!(c.request_id.as_deref(), Some("r-1"));
        assert_eq!(c.request.destination.as_deref(), Some("+15551230001"));
        assert_eq!(c.request.text.as_deref(), Some("hi"));
        let plain = parse(Some(br#"{"destination":"1555","request_id":null}"#)).unwrap();
        assert_eq!(plain.request_id, None);
    }

    #[test]
    fn what_is_not_a_request_is_named_without_its_value() {
        for bad in ["", "not json", "[1,2]", "\"text\""] {
            let r = refusal(bad);
            assert_eq!(r.reason, RejectReason::NotJson, "{bad:?}");
            assert_eq!(r.field, None);
        }
        assert_eq!(parse(None).unwrap_err().reason, RejectReason::NotJson);
        let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(MAX_COMMAND_BYTES));
        assert_eq!(refusal(&big).reason, RejectReason::NotJson);

        let r = refusal(r#"{"destination":"1555","colour":"red","request_id":"r-2"}"#);
        assert_eq!((r.reason, r.field.as_deref()), (RejectReason::UnknownField, Some("colour")));
        assert_eq!(r.request_id.as_deref(), Some("r-2"));

        let r = refusal(r#"{"destination":"1555","text":"secret words","priority":"secret words"}"#);
        assert_eq!((r.reason, r.field.as_deref()), (RejectReason::WrongType, Some("priority")));
        assert!(!r.problem.contains("secret"), "{}", r.problem);
    }

    #[test]
    fn a_bad_request_id_is_refused() {
        for id in [r#""""#, r#""a b""#, "7", &format!("\"{}\"", "r".repeat(MAX_REQUEST_ID + 1))] {
            let r = refusal(&format!(r#"{{"destination":"1555","request_id":{id}}}"#));
            assert_eq!(r.reason, RejectReason::RequestId, "{id}");
            assert_eq!(r.request_id, None);
        }
    }

    #[test]
    fn labels_stay_a_small_fixed_set() {
        assert_eq!(RejectReason::Invalid("destination").label(), "destination");
        assert_eq!(RejectReason::UnknownField.label(), "unknown_field");
    }
}
