//! `POST /v1/messages` and the MT command topic carry the same JSON
//! request. [`MtRequest`] is that JSON as received; [`MtRequest::validate`]
//! turns it into a [`ValidMt`] or a [`RequestError`] naming the field.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;
/// Most parts of a SIM data download message (one octet counts them,
/// TS 23.040 9.2.3.24.1).
pub const MAX_SIM_DATA_PARTS: usize = 255;
/// Longest user data of one SIM data download part: one SMS of 8-bit data
/// (TS 23.040 9.2.3.16).
pub const MAX_SIM_DATA_PART: usize = 140;
/// Longest validity accepted: SMSCs cap it lower; this keeps the relative
/// time format's two-digit day field meaningful (SMPP v3.4 7.1.1).
pub const MAX_VALIDITY: Duration = Duration::from_secs(31 * 24 * 3600);

/// An MT request as the client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtRequest {
    /// The handset: E.164 digits, with or without a leading `+`.
    pub destination: Option<String>,
    /// The sender: E.164 digits, a short code, or up to 11 letters and
    /// digits (an alphanumeric sender id).
    pub source: Option<String>,
    /// The message text. Exactly one of `text` and `binary` is given.
    pub text: Option<String>,
    /// The message as hex octets (8-bit data).
    pub binary: Option<String>,
    /// `auto` (the cheapest that carries the text), `gsm7`, `ucs2`,
    /// `latin1`, `ia5`; `binary` goes with `binary`.
    pub encoding: Option<String>,
    /// Ask for a delivery receipt (default true).
    pub registered_delivery: Option<bool>,
    /// How long the SMSC keeps trying, e.g. `"1h"`; the SMSC's default when
    /// absent.
    pub validity: Option<String>,
    /// 0 (normal) to 3 (highest), SMPP v3.4 5.2.14.
    pub priority: Option<u8>,
    /// A repeat with the same key returns the first result.
    pub idempotency_key: Option<String>,
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// Text, with the encoding asked for (`None`: choose the cheapest).
    Text {
        /// The text.
        text: String,
        /// The encoding asked for.
        encoding: Option<TextEncoding>,
    },
    /// 8-bit data.
    Binary {
        /// The octets.
        #[serde(with = "hex_octets")]
        octets: Vec<u8>,
    },
    /// (U)SIM data download (TS 23.040 9.2.3.9): the complete user data of
    /// each part, header included, as `sim::ota::command_sms` made it. Sent
    /// as given, one submit_sm a part, never re-split or joined. Internal:
    /// the JSON API has no field that makes one ([`ValidMt::sim_data_download`]).
    SimDataDownload {
        /// The user data of each part, in order.
        #[serde(with = "hex_parts")]
        parts: Vec<Vec<u8>>,
    },
}

/// A text encoding a client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// GSM 03.38 default alphabet.
    Gsm7,
    /// UCS-2.
    Ucs2,
    /// ISO-8859-1.
    Latin1,
    /// IA5 (ASCII).
    Ia5,
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidMt {
    /// Digits of the handset's international number, without `+`.
    pub destination: String,
    /// The sender as it goes into source_addr.
    pub source: String,
    /// What to send.
    pub content: Content,
    /// Whether a receipt is asked for.
    pub registered_delivery: bool,
    /// Validity, when given.
    #[serde(with = "humantime_serde")]
    pub validity: Option<Duration>,
    /// 0-3.
    pub priority: u8,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
}

/// A request that cannot be sent, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {problem}")]
pub struct RequestError {
    /// The JSON field name.
    pub field: &'static str,
    /// What is wrong, in one line.
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> RequestError {
    RequestError { field, problem: problem.into() }
}

impl MtRequest {
    /// Checks every field; the first problem found is returned.
    pub fn validate(self) -> Result<ValidMt, RequestError> {
        let destination = self.destination.ok_or_else(|| bad("destination", "required"))?;
        let digits = destination.strip_prefix('+').unwrap_or(&destination);
        // E.164: at most 15 digits; the SMPP field allows 20 (v3.4 4.4.1).
        if digits.len() < 3 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("destination", "an E.164 number: 3-15 digits, optional leading +"));
        }
        let source = self.source.ok_or_else(|| bad("source", "required"))?;
        check_source(&source)?;
        let encoding = self.encoding.as_deref().map(str::to_ascii_lowercase);
        let content = match (self.text, self.binary) {
            (Some(_), Some(_)) => return Err(bad("binary", "give text or binary, not both")),
            (None, None) => return Err(bad("text", "required (or binary)")),
            (Some(text), None) => {
                if text.is_empty() {
                    return Err(bad("text", "must not be empty"));
                }
                let encoding = match encoding.as_deref() {
                    None | Some("auto") => None,
                    Some("gsm7") => Some(TextEncoding::Gsm7),
                    Some("ucs2") => Some(TextEncoding::Ucs2),
                    Some("latin1") => Some(TextEncoding::Latin1),
                    Some("ia5") => Some(TextEncoding::Ia5),
                    Some(_) => return Err(bad("encoding", "one of auto, gsm7, ucs2, latin1, ia5")),
                };
                Content::Text { text, encoding }
            }
            (None, Some(hex)) => {
                if !matches!(encoding.as_deref(), None | Some("binary")) {
                    return Err(bad("encoding", "binary content has encoding binary"));
                }
                let octets = hex_octets::decode(&hex).map_err(|p| bad("binary", p))?;
                if octets.is_empty() {
                    return Err(bad("binary", "must not be empty"));
                }
                Content::Binary { octets }
            }
        };
        let validity = match self.validity {
            None => None,
            Some(v) => {
                let d = humantime::parse_duration(&v).map_err(|e| bad("validity", e.to_string()))?;
                if d < Duration::from_secs(60) || d > MAX_VALIDITY {
                    return Err(bad("validity", "between 1m and 31days"));
                }
                Some(d)
            }
        };
        let priority = self.priority.unwrap_or(0);
        if priority > 3 {
            return Err(bad("priority", "0-3"));
        }
        if let Some(key) = &self.idempotency_key
            && (key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY
                || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(bad("idempotency_key", "1-128 printable ASCII characters"));
        }
        Ok(ValidMt {
            destination: digits.to_owned(),
            source,
            content,
            registered_delivery: self.registered_delivery.unwrap_or(true),
            validity,
            priority,
            idempotency_key: self.idempotency_key,
        })
    }
}

impl ValidMt {
    /// An OTA message for the SIM at `destination` (E.164 digits): `parts`
    /// is the user data of each SMS with its header (TS 31.115 4), at most
    /// [`MAX_SIM_DATA_PARTS`] of at most [`MAX_SIM_DATA_PART`] octets. Always
    /// asks for a receipt; the SMSC's validity.
    pub fn sim_data_download(
        destination: &str,
        source: &str,
        parts: Vec<Vec<u8>>,
        idempotency_key: Option<String>,
    ) -> Result<ValidMt, RequestError> {
        let digits = destination.strip_prefix('+').unwrap_or(destination);
        if digits.len() < 3 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("destination", "an E.164 number: 3-15 digits, optional leading +"));
        }
        check_source(source)?;
        if parts.is_empty() || parts.len() > MAX_SIM_DATA_PARTS {
            return Err(bad("parts", format!("1 to {MAX_SIM_DATA_PARTS} parts")));
        }
        // Each part is one SMS: 140 octets of 8-bit user data (TS 23.040
        // 9.2.3.16), its header included.
        if parts.iter().any(|p| p.is_empty() || p.len() > MAX_SIM_DATA_PART) {
            return Err(bad("parts", format!("each part 1 to {MAX_SIM_DATA_PART} octets")));
        }
        if let Some(key) = &idempotency_key
            && (key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY
                || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(bad("idempotency_key", "1-128 printable ASCII characters"));
        }
        Ok(ValidMt {
            destination: digits.to_owned(),
            source: source.to_owned(),
            content: Content::SimDataDownload { parts },
            registered_delivery: true,
            validity: None,
            priority: 0,
            idempotency_key,
        })
    }
}

/// Checks a sender as source_addr carries it: digits (at most 15, optional
/// `+`) or an alphanumeric sender id of 1 to 11 characters.
pub fn check_source(source: &str) -> Result<(), RequestError> {
    let digits = source.strip_prefix('+').unwrap_or(source);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return if digits.len() <= 15 { Ok(()) } else { Err(bad("source", "at most 15 digits")) };
    }
    // An alphanumeric sender id: 11 characters of the GSM alphabet at most
    // (TS 23.040 9.1.2.5); letters, digits and spaces are what SMSCs carry.
    let alnum = source.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ');
    if source.is_empty() || source.len() > 11 || !alnum || source.starts_with(' ') {
        return Err(bad("source", "a number, or 1-11 letters, digits and spaces"));
    }
    Ok(())
}

/// Hex text for octets, accepted with or without spaces.
pub mod hex_octets {
    use serde::{Deserialize, Deserializer, Serializer};

    pub use crate::smpp::json::to_hex as encode;

    /// The octets of `hex` (whitespace ignored).
    pub fn decode(hex: &str) -> Result<Vec<u8>, String> {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if digits.len() % 2 != 0 {
            return Err("hex needs an even number of digits".into());
        }
        digits
            .chunks(2)
            .map(|pair| {
                let s = std::str::from_utf8(pair).map_err(|_| "not hex".to_owned())?;
                u8::from_str_radix(s, 16).map_err(|_| format!("not hex: {s:?}"))
            })
            .collect()
    }

    /// serde: as a hex string.
    pub fn serialize<S: Serializer>(octets: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(octets))
    }

    /// serde: from a hex string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }
}

/// A list of octet strings as a list of hex strings.
pub mod hex_parts {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    /// serde: as a list of hex strings.
    pub fn serialize<S: Serializer>(parts: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(parts.len()))?;
        for part in parts {
            seq.serialize_element(&super::hex_octets::encode(part))?;
        }
        seq.end()
    }

    /// serde: from a list of hex strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts.iter().map(|t| super::hex_octets::decode(t).map_err(serde::de::Error::custom)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> MtRequest {
        MtRequest {
            destination: Some("+15551230001".into()),
            source: Some("SIMGATE".into()),
            text: Some("hello".into()),
            ..MtRequest::default()
        }
    }

    #[test]
    fn a_good_request_validates_with_defaults() {
        let v = req().validate().unwrap();
        assert_eq!(v.destination, "15551230001");
        assert!(v.registered_delivery);
        assert_eq!(v.priority, 0);
        assert_eq!(v.content, Content::Text { text: "hello".into(), encoding: None });
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: Vec<(MtRequest, &str)> = vec![
            (MtRequest { destination: None, ..req() }, "destination"),
            (MtRequest { destination: Some("12ab".into()), ..req() }, "destination"),
            (MtRequest { destination: Some("1".repeat(16)), ..req() }, "destination"),
            (MtRequest { source: Some("TOO-LONG-SENDER".into()), ..req() }, "source"),
            (MtRequest { source: None, ..req() }, "source"),
            (MtRequest { text: None, ..req() }, "text"),
            (MtRequest { text: Some(String::new()), ..req() }, "text"),
            (MtRequest { binary: Some("00".into()), ..req() }, "binary"),
            (MtRequest { text: None, binary: Some("0g".into()), ..req() }, "binary"),
            (MtRequest { text: None, binary: Some("abc".into()), ..req() }, "binary"),
            (MtRequest { encoding: Some("ebcdic".into()), ..req() }, "encoding"),
            (MtRequest { validity: Some("soon".into()), ..req() }, "validity"),
            (MtRequest { validity: Some("90days".into()), ..req() }, "validity"),
            (MtRequest { priority: Some(4), ..req() }, "priority"),
            (MtRequest { idempotency_key: Some("a b".into()), ..req() }, "idempotency_key"),
        ];
        for (r, field) in cases {
            let err = r.clone().validate().unwrap_err();
            assert_eq!(err.field, field, "{r:?}: {err}");
        }
    }

    #[test]
    fn unknown_json_fields_are_refused() {
        let err = serde_json::from_str::<MtRequest>(r#"{"destination":"1555","dest":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("dest"), "{err}");
    }

    #[test]
    fn binary_content_is_hex() {
        let r = MtRequest { text: None, binary: Some("de ad BE EF".into()), ..req() };
        assert_eq!(r.validate().unwrap().content, Content::Binary { octets: vec![0xde, 0xad, 0xbe, 0xef] });
    }

    #[test]
    fn sim_data_download_is_checked_and_round_trips_as_hex() {
        let ok = ValidMt::sim_data_download("+4670000001", "OTA", vec![vec![2, 0x70, 0, 1]], None).unwrap();
        assert_eq!(ok.destination, "4670000001");
        assert!(ok.registered_delivery);
        let json = serde_json::to_string(&ok.content).unwrap();
        assert!(json.contains("\"02700001\""), "{json}");
        assert_eq!(serde_json::from_str::<Content>(&json).unwrap(), ok.content);
        let cases: Vec<(Result<ValidMt, RequestError>, &str)> = vec![
            (ValidMt::sim_data_download("12ab", "OTA", vec![vec![1]], None), "destination"),
            (ValidMt::sim_data_download("4670000001", "", vec![vec![1]], None), "source"),
            (ValidMt::sim_data_download("4670000001", "OTA", vec![], None), "parts"),
            (ValidMt::sim_data_download("4670000001", "OTA", vec![vec![]], None), "parts"),
            (ValidMt::sim_data_download("4670000001", "OTA", vec![vec![0; 141]], None), "parts"),
            (ValidMt::sim_data_download("4670000001", "OTA", vec![vec![1]; 256], None), "parts"),
            (
                ValidMt::sim_data_download("4670000001", "OTA", vec![vec![1]], Some("a b".into())),
                "idempotency_key",
            ),
        ];
        for (result, field) in cases {
            assert_eq!(result.unwrap_err().field, field);
        }
    }
}
