//! The JSON view of a PDU and its inverse, for operators (`simgate pdu
//! decode` / `simgate pdu encode`).
//!
//! [`frame_to_json`] shows any PDU the codec decodes: header fields,
//! mandatory fields under their specification names in wire order, TLVs by
//! name, the short message as hex and, when data_coding allows, as text,
//! and for a delivery receipt the parsed receipt with its normalised
//! message id. [`json_to_frame`] reads the same JSON back and encodes it
//! through the codec, so its limits apply; fields the view derives
//! (`command_length`, `number_of_dests`, a `text` beside `hex`) are
//! checked, and `receipt`, `udh` beside `hex` and the `*_error` notes are
//! ignored. Decoding a frame and encoding its JSON gives the frame back.
//!
//! ```json
//! {"command_length":61,"command_id":"submit_sm","command_status":"ESME_ROK","sequence_number":7,
//!  "body":{"service_type":"","source_addr_ton":1,...,"short_message":{"hex":"48656c6c6f","text":"Hello"}},
//!  "tlvs":[{"name":"user_message_reference","tag":"0x0204","value":1},{"tag":"0x1400","hex":"01"}]}
//! ```
//!
//! Pure: no I/O, built without features.

mod body;
mod error;
mod fields;
mod hex;
mod receipt;
mod short_message;
mod tlv;
mod value;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use error::{HexError, JsonError, JsonErrorKind};
pub use hex::{parse_hex, to_hex};
pub use short_message::ESM_CLASS_UDHI;
pub use tlv::MAX_TLVS;
pub use value::Json;

use crate::smpp::pdu::{CommandId, DecodeError, Pdu, PduError, TlvTag, decode};
use fields::{Leaves, Obj, status_from_json, status_to_json, uint};
use tlv::PayloadContext;

/// Keys of the top-level object.
const TOP_KEYS: &[&str] =
    &["command_length", "command_id", "command_status", "sequence_number", "body", "tlvs", "receipt"];

/// Decode one whole frame and show it as JSON.
pub fn frame_to_json(frame: &[u8]) -> Result<Json, DecodeError> {
    decode(frame).map(|pdu| pdu_to_json(&pdu))
}

/// A decoded PDU as JSON (see the module doc).
pub fn pdu_to_json(pdu: &Pdu<'_>) -> Json {
    let mut out = Json::object();
    out.push("command_length", pdu.encoded_len());
    out.push("command_id", pdu.command_id().name());
    out.push("command_status", status_to_json(pdu.command_status));
    out.push("sequence_number", pdu.sequence_number);
    out.push("body", body::body_to_json(&pdu.body));
    let ctx = payload_context(&pdu.body);
    out.push("tlvs", tlv::tlvs_to_json(&pdu.tlvs, ctx));
    if let Some(receipt) = receipt::receipt_to_json(pdu) {
        out.push("receipt", receipt);
    }
    out
}

fn payload_context(body: &crate::smpp::pdu::Body<'_>) -> PayloadContext {
    use crate::smpp::pdu::Body;
    match body {
        Body::SubmitSm(b) | Body::DeliverSm(b) => {
            PayloadContext { data_coding: Some(b.data_coding), esm_class: b.esm_class }
        }
        Body::SubmitMulti(b) => PayloadContext { data_coding: Some(b.data_coding), esm_class: b.esm_class },
        Body::DataSm(b) => PayloadContext { data_coding: Some(b.data_coding), esm_class: b.esm_class },
        Body::BroadcastSm(b) => PayloadContext { data_coding: Some(b.data_coding), esm_class: 0 },
        _ => PayloadContext::default(),
    }
}

/// Encode the PDU a JSON object describes (see the module doc). Errors
/// name the field path.
pub fn json_to_frame(value: &Value) -> Result<Vec<u8>, JsonError> {
    let top = Obj::new(value, "")?;
    top.check_keys(TOP_KEYS)?;
    let id = command_id(top.required("command_id")?)?;
    let command_status = match top.field("command_status") {
        Some((v, path)) => status_from_json(v, &path)?,
        None => crate::smpp::pdu::CommandStatus::ESME_ROK,
    };
    let sequence_number: u32 =
        uint(top.required("sequence_number")?, "sequence_number", "an integer 0..=4294967295")?;

    // First every octet string given as hex or text, so the PDU can
    // borrow them; then the PDU itself.
    let mut leaves = Leaves::default();
    let body_obj = match top.get("body") {
        Some(Value::Null) | None => None,
        Some(v) => Some(Obj::new(v, "body")?),
    };
    if let Some(obj) = &body_obj {
        body::prepare(id, obj, &mut leaves)?;
    }
    let (data_coding, esm_class) = body::text_context(id, body_obj.as_ref())?;
    let tags = match top.get("tlvs") {
        Some(v) => tlv::prepare(v, "tlvs", PayloadContext { data_coding, esm_class }, &mut leaves)?,
        None => Vec::new(),
    };
    let body = body::body_from_json(id, top.get("body"), "body", &leaves)?;
    if matches!(body, crate::smpp::pdu::Body::EmptyResponse(_)) && !tags.is_empty() {
        // The decoder reads whatever follows the header as the body, so a
        // response without its body cannot carry TLVs (v3.4 4.4.2).
        let why = "a response sent without its body (null) cannot carry TLVs".to_owned();
        return Err(JsonError::new("body", JsonErrorKind::Mismatch(why)));
    }
    let tlvs = tlv::build(&tags, "tlvs", &leaves)?;
    let pdu = Pdu { command_status, sequence_number, body, tlvs };
    let frame = pdu.to_vec().map_err(|e| JsonError::new(error_path(&e, &tags), e))?;
    // What is printed must be a PDU simgate itself would accept.
    decode(&frame).map_err(|e| JsonError::new(error_path(&e.error, &tags), e.error))?;
    if let Some((v, path)) = top.field("command_length") {
        let given: usize = uint(v, &path, "an integer")?;
        if given != frame.len() {
            let why = format!("is {given} but the PDU encodes to {} octets", frame.len());
            return Err(JsonError::new(path, JsonErrorKind::Mismatch(why)));
        }
    }
    Ok(frame)
}

fn command_id(value: &Value) -> Result<CommandId, JsonError> {
    let unknown =
        |name: String| JsonError::new("command_id", JsonErrorKind::UnknownName { what: "command_id", name });
    match value {
        Value::String(name) => {
            CommandId::ALL.iter().copied().find(|c| c.name() == name).ok_or_else(|| unknown(name.clone()))
        }
        Value::Number(_) => {
            let raw: u32 = uint(value, "command_id", "a command name or an integer")?;
            CommandId::from_u32(raw).ok_or_else(|| unknown(format!("0x{raw:08x}")))
        }
        _ => Err(JsonError::new(
            "command_id",
            JsonErrorKind::WrongType { expected: "a command name like \"submit_sm\"" },
        )),
    }
}

/// Where in the JSON a codec error on encode points.
fn error_path(error: &PduError, tags: &[TlvTag]) -> String {
    let tlv_at = |tag: u16| {
        tags.iter().position(|t| t.0 == tag).map_or_else(|| "tlvs".to_owned(), |i| format!("tlvs[{i}]"))
    };
    match error {
        PduError::CStringTooLong { field, .. }
        | PduError::CStringUnterminated { field }
        | PduError::InvalidTime { field } => format!("body.{}", field.name()),
        PduError::ShortMessageAndPayload
        | PduError::SmLengthTooLarge { .. }
        | PduError::SmLengthBeyondBody { .. } => "body.short_message".to_owned(),
        PduError::DestinationCount { .. } | PduError::DestFlag { .. } => "body.dest_addresses".to_owned(),
        PduError::TlvLength { tag, .. } | PduError::TlvValue { tag } => tlv_at(*tag),
        PduError::MissingTlv { .. } | PduError::TlvStream => "tlvs".to_owned(),
        PduError::TruncatedBody => "body".to_owned(),
        PduError::ShortHeader { .. }
        | PduError::CommandLength { .. }
        | PduError::UnknownCommandId { .. }
        | PduError::TooLarge { .. } => String::new(),
    }
}
