//! TLVs as JSON (v3.4 5.3, v5.0 4.8.4): `{"name", "tag", "value"}` for
//! the tags simgate knows, `{"tag", "hex"}` for the others.
//!
//! Each known tag has a value [`Kind`]; the JSON is written from the
//! TLV's value octets, and on encode the octets are written from the JSON
//! and then checked by the codec's own [`Tlv::from_parts`], so the limits
//! are those of the codec.

use serde_json::Value;

use super::error::{JsonError, JsonErrorKind};
use super::fields::{Leaves, Obj, index, octets_to_json, status_from_json, status_to_json, uint};
use super::hex::to_hex;
use super::short_message;
use super::value::Json;
use crate::smpp::pdu::tlv::TLV_HEADER_LEN;
use crate::smpp::pdu::{CommandStatus, Tlv, TlvTag, Tlvs};

/// Most TLVs read from one JSON object. A PDU is at most 70 KiB
/// (`frame::DEFAULT_MAX_PDU_LEN`) and a TLV at least 4 octets.
pub const MAX_TLVS: usize = 70 * 1024 / TLV_HEADER_LEN;

/// The shape of a TLV's value in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An integer of this many octets.
    Int(usize),
    /// A command_status (broadcast_error_status).
    Status,
    /// A C-octet string or time: the characters, NUL added on the wire.
    CString,
    /// Raw octets as `{"hex": ...}`.
    Octets,
    /// message_payload: octets with `text` as for short_message.
    Payload,
    /// One octet then a 2-octet integer, as an object with these names.
    OctetAndU16(&'static str, &'static str),
    /// A format octet then data: `{"format", "hex"}`.
    FormatAndData,
    /// alert_on_message_delivery: no value (null) or one octet.
    OptionalOctet,
    /// A tag simgate does not type.
    Unknown,
}

fn kind(tag: TlvTag) -> Kind {
    match tag {
        TlvTag::DEST_TELEMATICS_ID
        | TlvTag::USER_MESSAGE_REFERENCE
        | TlvTag::SOURCE_PORT
        | TlvTag::DESTINATION_PORT
        | TlvTag::SAR_MSG_REF_NUM
        | TlvTag::BROADCAST_REP_NUM
        | TlvTag::SMS_SIGNAL
        | TlvTag::ITS_SESSION_INFO => Kind::Int(2),
        TlvTag::QOS_TIME_TO_LIVE => Kind::Int(4),
        TlvTag::BROADCAST_ERROR_STATUS => Kind::Status,
        TlvTag::ADDITIONAL_STATUS_INFO_TEXT
        | TlvTag::RECEIPTED_MESSAGE_ID
        | TlvTag::SOURCE_NETWORK_ID
        | TlvTag::DEST_NETWORK_ID
        | TlvTag::BROADCAST_END_TIME => Kind::CString,
        TlvTag::SOURCE_SUBADDRESS
        | TlvTag::DEST_SUBADDRESS
        | TlvTag::CALLBACK_NUM_ATAG
        | TlvTag::CALLBACK_NUM
        | TlvTag::BROADCAST_CONTENT_TYPE_INFO
        | TlvTag::BROADCAST_SERVICE_GROUP
        | TlvTag::SOURCE_NODE_ID
        | TlvTag::DEST_NODE_ID
        | TlvTag::DEST_ADDR_NP_INFORMATION
        | TlvTag::DEST_ADDR_NP_COUNTRY
        | TlvTag::MS_VALIDITY => Kind::Octets,
        TlvTag::MESSAGE_PAYLOAD => Kind::Payload,
        TlvTag::NETWORK_ERROR_CODE => Kind::OctetAndU16("network_type", "error_code"),
        TlvTag::BROADCAST_CONTENT_TYPE => Kind::OctetAndU16("network_type", "content_type"),
        TlvTag::BROADCAST_FREQUENCY_INTERVAL => Kind::OctetAndU16("unit", "value"),
        TlvTag::BROADCAST_AREA_IDENTIFIER | TlvTag::BILLING_IDENTIFICATION => Kind::FormatAndData,
        TlvTag::ALERT_ON_MESSAGE_DELIVERY => Kind::OptionalOctet,
        tag if tag.name().is_some() => Kind::Int(1),
        _ => Kind::Unknown,
    }
}

/// The body fields message_payload's text depends on.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PayloadContext {
    /// The body's data_coding, if it has one.
    pub data_coding: Option<u8>,
    /// The body's esm_class (0 if it has none).
    pub esm_class: u8,
}

/// The value octets of a TLV (what follows tag and length on the wire).
pub(crate) fn value_octets(tlv: &Tlv<'_>) -> Vec<u8> {
    let mut wire = Vec::with_capacity(TLV_HEADER_LEN + tlv.value_len());
    Tlvs::from_items(vec![*tlv]).write(&mut wire);
    wire.split_off(TLV_HEADER_LEN.min(wire.len()))
}

/// The TLVs as a JSON array, in wire order.
pub(crate) fn tlvs_to_json(tlvs: &Tlvs<'_>, ctx: PayloadContext) -> Json {
    Json::Array(tlvs.iter().map(|tlv| tlv_to_json(&tlv, ctx)).collect())
}

fn tlv_to_json(tlv: &Tlv<'_>, ctx: PayloadContext) -> Json {
    let tag = tlv.tag();
    let octets = value_octets(tlv);
    let mut out = Json::object();
    if let Some(name) = tag.name() {
        out.push("name", name);
    }
    out.push("tag", format!("0x{:04x}", tag.0));
    match value_to_json(kind(tag), &octets, ctx) {
        Some(value) => out.push("value", value),
        None => out.push("hex", to_hex(&octets)),
    }
    out
}

/// The JSON of a value of `kind`, or `None` when the octets do not have
/// that shape (shown as raw `hex` instead).
fn value_to_json(kind: Kind, octets: &[u8], ctx: PayloadContext) -> Option<Json> {
    let int = |octets: &[u8]| octets.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
    Some(match kind {
        Kind::Int(n) if octets.len() == n => Json::Number(int(octets)),
        Kind::Status => {
            let raw: [u8; 4] = octets.try_into().ok()?;
            status_to_json(CommandStatus(u32::from_be_bytes(raw)))
        }
        Kind::CString => match octets.split_last() {
            Some((0, chars)) => octets_to_json(chars),
            _ => return None,
        },
        Kind::Octets => {
            let mut out = Json::object();
            out.push("hex", to_hex(octets));
            out
        }
        Kind::Payload => short_message::to_json(octets, ctx.data_coding, ctx.esm_class),
        Kind::OctetAndU16(a, b) => match octets {
            [first, rest @ ..] if rest.len() == 2 => {
                let mut out = Json::object();
                out.push(a, *first);
                out.push(b, Json::Number(int(rest)));
                out
            }
            _ => return None,
        },
        Kind::FormatAndData => {
            let (format, data) = octets.split_first()?;
            let mut out = Json::object();
            out.push("format", *format);
            out.push("hex", to_hex(data));
            out
        }
        Kind::OptionalOctet => match octets {
            [] => Json::Null,
            [b] => Json::from(*b),
            _ => return None,
        },
        Kind::Int(_) | Kind::Unknown => return None,
    })
}

/// The tag of the TLV object `obj`: from `name`, `tag` or both (which
/// must then agree).
fn tag_of(obj: &Obj<'_>) -> Result<TlvTag, JsonError> {
    let by_tag = match obj.field("tag") {
        Some((Value::String(s), path)) => {
            let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
            let tag = u16::from_str_radix(digits, 16).map_err(|_| {
                JsonError::new(path, JsonErrorKind::WrongType { expected: "a tag like \"0x001e\"" })
            })?;
            Some(TlvTag(tag))
        }
        Some((v, path)) => Some(TlvTag(uint(v, &path, "a tag like \"0x001e\" or an integer 0..=65535")?)),
        None => None,
    };
    let by_name = match obj.str("name")? {
        Some(name) => Some(tag_by_name(name).ok_or_else(|| {
            JsonError::new(
                obj.child("name"),
                JsonErrorKind::UnknownName { what: "TLV", name: name.to_owned() },
            )
        })?),
        None => None,
    };
    match (by_name, by_tag) {
        (Some(a), Some(b)) if a != b => Err(JsonError::new(
            obj.child("tag"),
            JsonErrorKind::Mismatch(format!("tag 0x{:04x} is not that of {}", b.0, a.name().unwrap_or("?"))),
        )),
        (Some(tag), _) | (None, Some(tag)) => Ok(tag),
        (None, None) => Err(JsonError::new(obj.child("name"), JsonErrorKind::Missing)),
    }
}

fn tag_by_name(name: &str) -> Option<TlvTag> {
    (0..=u16::MAX).map(TlvTag).find(|t| t.name() == Some(name))
}

/// The value octets of every TLV in `value` (a JSON array), stored in
/// `leaves` under `tlvs[i]`; returns the tags in order.
pub(crate) fn prepare(
    value: &Value,
    path: &str,
    ctx: PayloadContext,
    leaves: &mut Leaves,
) -> Result<Vec<TlvTag>, JsonError> {
    let items = value
        .as_array()
        .ok_or_else(|| JsonError::new(path, JsonErrorKind::WrongType { expected: "an array of TLVs" }))?;
    if items.len() > MAX_TLVS {
        return Err(JsonError::new(path, JsonErrorKind::WrongType { expected: "at most 17920 TLVs" }));
    }
    let mut tags = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let obj = Obj::new(item, &index(path, i))?;
        obj.check_keys(&["name", "tag", "value", "hex"])?;
        let tag = tag_of(&obj)?;
        let octets = match (obj.hex("hex")?, obj.field("value")) {
            (Some(_), Some((_, path))) => {
                let why = "give \"value\" or \"hex\", not both".to_owned();
                return Err(JsonError::new(path, JsonErrorKind::Mismatch(why)));
            }
            (Some(octets), None) => octets,
            (None, Some((v, path))) => value_from_json(kind(tag), v, &path, ctx)?,
            (None, None) if kind(tag) == Kind::OptionalOctet => Vec::new(),
            (None, None) => return Err(JsonError::new(obj.child("value"), JsonErrorKind::Missing)),
        };
        leaves.insert(obj.path.clone(), octets);
        tags.push(tag);
    }
    Ok(tags)
}

/// The value octets for a JSON value of `kind`.
fn value_from_json(kind: Kind, value: &Value, path: &str, ctx: PayloadContext) -> Result<Vec<u8>, JsonError> {
    let int_bytes = |n: usize| -> Result<Vec<u8>, JsonError> {
        let max = if n >= 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
        let expected = match n {
            1 => "an integer 0..=255",
            2 => "an integer 0..=65535",
            _ => "an integer 0..=4294967295",
        };
        let v: u64 = uint(value, path, expected)?;
        if v > max {
            return Err(JsonError::new(path, JsonErrorKind::WrongType { expected }));
        }
        Ok(v.to_be_bytes().get(8 - n..).unwrap_or_default().to_vec())
    };
    match kind {
        Kind::Int(n) => int_bytes(n),
        Kind::Status => Ok(status_from_json(value, path)?.0.to_be_bytes().to_vec()),
        Kind::CString => {
            let mut octets = match value {
                Value::String(s) => s.as_bytes().to_vec(),
                _ => hex_object(value, path, &["hex"])?,
            };
            if octets.contains(&0) {
                return Err(JsonError::new(path, crate::smpp::pdu::ValueError::EmbeddedNul));
            }
            octets.push(0);
            Ok(octets)
        }
        Kind::Octets => hex_object(value, path, &["hex"]),
        Kind::Payload => short_message::from_json(value, path, ctx.data_coding, ctx.esm_class),
        Kind::OctetAndU16(a, b) => {
            let obj = Obj::new(value, path)?;
            obj.check_keys(&[a, b])?;
            let first: u8 = uint(obj.required(a)?, &obj.child(a), "an integer 0..=255")?;
            let second: u16 = uint(obj.required(b)?, &obj.child(b), "an integer 0..=65535")?;
            let mut octets = vec![first];
            octets.extend_from_slice(&second.to_be_bytes());
            Ok(octets)
        }
        Kind::FormatAndData => {
            let obj = Obj::new(value, path)?;
            obj.check_keys(&["format", "hex"])?;
            let format: u8 = uint(obj.required("format")?, &obj.child("format"), "an integer 0..=255")?;
            let mut octets = vec![format];
            octets.extend(obj.hex("hex")?.unwrap_or_default());
            Ok(octets)
        }
        Kind::OptionalOctet => match value {
            Value::Null => Ok(Vec::new()),
            _ => int_bytes(1),
        },
        Kind::Unknown => {
            let why = "a TLV simgate does not know takes \"hex\", not \"value\"".to_owned();
            Err(JsonError::new(path, JsonErrorKind::Mismatch(why)))
        }
    }
}

/// The octets of a `{"hex": ...}` object.
fn hex_object(value: &Value, path: &str, keys: &[&str]) -> Result<Vec<u8>, JsonError> {
    let obj = Obj::new(value, path)?;
    obj.check_keys(keys)?;
    obj.hex("hex")?.ok_or_else(|| JsonError::new(obj.child("hex"), JsonErrorKind::Missing))
}

/// The TLVs from the octets prepared by [`prepare`], each checked by the
/// codec.
pub(crate) fn build<'a>(tags: &[TlvTag], path: &str, leaves: &'a Leaves) -> Result<Tlvs<'a>, JsonError> {
    let mut tlvs = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let at = index(path, i);
        let octets = leaves.get(&at).unwrap_or_default();
        if octets.len() > usize::from(u16::MAX) {
            let error = crate::smpp::pdu::PduError::TlvLength { tag: tag.0, len: octets.len() };
            return Err(JsonError::new(at, error));
        }
        let tlv = Tlv::from_parts(tag.0, octets).map_err(|e| JsonError::new(at, e))?;
        tlvs.push(tlv);
    }
    Ok(Tlvs::from_items(tlvs))
}
