//! The short_message field (v3.4 5.2.21-5.2.22) and the message_payload
//! TLV (5.3.2.32) as JSON: always the octets as `hex`; the user data
//! header as `udh` when esm_class sets UDHI (v3.4 5.2.12, TS 23.040
//! 9.2.3.24); the user data as `text` when data_coding names a text
//! alphabet (v3.4 5.2.19, TS 23.038 4).
//!
//! Encoding takes `hex` when given (a `text` beside it must match it), or
//! else writes `text` in the data_coding's alphabet, after `udh.hex`.

use serde_json::Value;

use super::error::{JsonError, JsonErrorKind, text_error};
use super::fields::Obj;
use super::hex::to_hex;
use super::value::Json;
use crate::smpp::text::{Encoding, InformationElement, Udh, parse_udh};

/// esm_class bit 6: the user data starts with a header (v3.4 5.2.12).
pub const ESM_CLASS_UDHI: u8 = 0x40;

/// Keys of a short message object; all but `hex`, `text` and `udh` are
/// derived and ignored on encode.
const KEYS: &[&str] = &["hex", "text", "udh", "udh_error", "text_error"];

/// The message octets as JSON. `data_coding` is `None` for replace_sm,
/// whose alphabet is the original message's.
pub(crate) fn to_json(octets: &[u8], data_coding: Option<u8>, esm_class: u8) -> Json {
    let mut out = Json::object();
    out.push("hex", to_hex(octets));
    let user_data = match split_udh(octets, esm_class) {
        Ok((Some((header, udh)), rest)) => {
            out.push("udh", udh_to_json(header, &udh));
            rest
        }
        Ok((None, rest)) => rest,
        Err(e) => {
            out.push("udh_error", e);
            return out;
        }
    };
    match decode_text(user_data, data_coding) {
        Some(Ok(text)) => out.push("text", text),
        Some(Err(e)) => out.push("text_error", e),
        None => {}
    }
    out
}

/// Header octets (UDHL included), the parsed header, and the rest.
type Split<'m> = (Option<(&'m [u8], Udh)>, &'m [u8]);

fn split_udh(octets: &[u8], esm_class: u8) -> Result<Split<'_>, String> {
    if esm_class & ESM_CLASS_UDHI == 0 {
        return Ok((None, octets));
    }
    let (udh, rest) = parse_udh(octets).map_err(|e| e.to_string())?;
    let header = octets.get(..octets.len() - rest.len()).unwrap_or_default();
    Ok((Some((header, udh)), rest))
}

/// The text of `user_data`, or `None` when data_coding is absent, binary,
/// or an alphabet simgate does not decode.
fn decode_text(user_data: &[u8], data_coding: Option<u8>) -> Option<Result<String, String>> {
    match Encoding::from_data_coding(data_coding?)? {
        Encoding::Binary => None,
        encoding => Some(encoding.decode(user_data).map_err(text_error)),
    }
}

fn udh_to_json(header: &[u8], udh: &Udh) -> Json {
    let elements = udh
        .elements
        .iter()
        .map(|ie| {
            let mut e = Json::object();
            match ie {
                InformationElement::Concat8 { reference, total, seq } => {
                    e.push("iei", "concat8");
                    e.push("reference", *reference);
                    e.push("total", *total);
                    e.push("seq", *seq);
                }
                InformationElement::Concat16 { reference, total, seq } => {
                    e.push("iei", "concat16");
                    e.push("reference", *reference);
                    e.push("total", *total);
                    e.push("seq", *seq);
                }
                InformationElement::Port8 { destination, source } => {
                    e.push("iei", "port8");
                    e.push("destination", *destination);
                    e.push("source", *source);
                }
                InformationElement::Port16 { destination, source } => {
                    e.push("iei", "port16");
                    e.push("destination", *destination);
                    e.push("source", *source);
                }
                InformationElement::Other { iei, data } => {
                    e.push("iei", *iei);
                    e.push("hex", to_hex(data));
                }
            }
            e
        })
        .collect::<Vec<_>>();
    let mut out = Json::object();
    out.push("hex", to_hex(header));
    out.push("elements", elements);
    out
}

/// The octets a short message object at `path` stands for.
pub(crate) fn from_json(
    value: &Value,
    path: &str,
    data_coding: Option<u8>,
    esm_class: u8,
) -> Result<Vec<u8>, JsonError> {
    let obj = Obj::new(value, path)?;
    obj.check_keys(KEYS)?;
    let text = obj.str("text")?;
    if let Some(octets) = obj.hex("hex")? {
        if let Some(text) = text {
            let split = split_udh(&octets, esm_class)
                .map_err(|e| JsonError::new(obj.child("udh"), JsonErrorKind::Mismatch(e)))?;
            let decoded = decode_text(split.1, data_coding).and_then(Result::ok);
            if decoded.as_deref() != Some(text) {
                let why = "does not match the text of hex; give one of them".to_owned();
                return Err(JsonError::new(obj.child("text"), JsonErrorKind::Mismatch(why)));
            }
        }
        return Ok(octets);
    }
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let text_path = obj.child("text");
    let Some(data_coding) = data_coding else {
        let why = "this PDU has no data_coding; give \"hex\"".to_owned();
        return Err(JsonError::new(text_path, JsonErrorKind::Mismatch(why)));
    };
    let encoding = match Encoding::from_data_coding(data_coding) {
        Some(Encoding::Binary) | None => {
            return Err(JsonError::new(text_path, JsonErrorKind::NoTextAlphabet { data_coding }));
        }
        Some(encoding) => encoding,
    };
    let mut octets = match obj.get("udh") {
        Some(udh) => {
            let udh = Obj::new(udh, &obj.child("udh"))?;
            udh.check_keys(&["hex", "elements"])?;
            let header =
                udh.hex("hex")?.ok_or_else(|| JsonError::new(udh.child("hex"), JsonErrorKind::Missing))?;
            let (_, after) = parse_udh(&header).map_err(|e| JsonError::new(udh.child("hex"), e))?;
            if !after.is_empty() {
                let why = format!("{} octets after the header that UDHL announces", after.len());
                return Err(JsonError::new(udh.child("hex"), JsonErrorKind::Mismatch(why)));
            }
            if esm_class & ESM_CLASS_UDHI == 0 {
                let why = "a udh is given but esm_class does not set UDHI (0x40)".to_owned();
                return Err(JsonError::new(udh.path.clone(), JsonErrorKind::Mismatch(why)));
            }
            header
        }
        None if esm_class & ESM_CLASS_UDHI != 0 => {
            let why = "esm_class sets UDHI (0x40) but no udh is given".to_owned();
            return Err(JsonError::new(obj.child("udh"), JsonErrorKind::Mismatch(why)));
        }
        None => Vec::new(),
    };
    encoding.encode_into(text, &mut octets).map_err(|e| JsonError::new(text_path, e))?;
    Ok(octets)
}
