//! Reading and writing single fields: the [`Obj`] reader over a JSON
//! object that tracks the field path, the [`Leaves`] that hold octets
//! decoded from hex or text before the PDU is built, and [`JsonField`] for
//! the field types of the mandatory parameters (v3.4 3.1: integers,
//! C-octet strings, times).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{JsonError, JsonErrorKind};
use super::hex::{parse_hex_or_empty, to_hex};
use super::value::Json;
use crate::smpp::pdu::{COctetString, CommandStatus, SmppTime};

/// Octets decoded from hex or encoded from text, by field path, computed
/// before the PDU is built so the PDU can borrow them.
#[derive(Debug, Default)]
pub(crate) struct Leaves(BTreeMap<String, Vec<u8>>);

impl Leaves {
    /// Keep `octets` for the field at `path`.
    pub(crate) fn insert(&mut self, path: String, octets: Vec<u8>) {
        self.0.insert(path, octets);
    }

    /// The octets prepared for `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&[u8]> {
        self.0.get(path).map(Vec::as_slice)
    }
}

/// `parent.key`, or `key` at the top level.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_owned() } else { format!("{parent}.{key}") }
}

/// `parent[index]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// A JSON object being read, with its path for errors.
#[derive(Debug, Clone)]
pub(crate) struct Obj<'v> {
    map: &'v Map<String, Value>,
    /// Path of this object; empty for the top level.
    pub path: String,
}

impl<'v> Obj<'v> {
    /// `value` as an object.
    pub(crate) fn new(value: &'v Value, path: &str) -> Result<Self, JsonError> {
        match value {
            Value::Object(map) => Ok(Obj { map, path: path.to_owned() }),
            _ => Err(JsonError::new(path, JsonErrorKind::WrongType { expected: "an object" })),
        }
    }

    /// `map` as an object at `path`.
    pub(crate) fn from_map(map: &'v Map<String, Value>, path: &str) -> Self {
        Obj { map, path: path.to_owned() }
    }

    /// Every key and value.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'v str, &'v Value)> + use<'v> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The path of `key` in this object.
    pub(crate) fn child(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value of `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key)
    }

    /// The value of `key` and its path, if present.
    pub(crate) fn field(&self, key: &str) -> Option<(&'v Value, String)> {
        self.map.get(key).map(|v| (v, self.child(key)))
    }

    /// The value of `key`, which must be present.
    pub(crate) fn required(&self, key: &str) -> Result<&'v Value, JsonError> {
        self.get(key).ok_or_else(|| JsonError::new(self.child(key), JsonErrorKind::Missing))
    }

    /// Refuse any key not in `allowed`.
    pub(crate) fn check_keys(&self, allowed: &[&str]) -> Result<(), JsonError> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(JsonError::new(self.child(k), JsonErrorKind::UnknownField)),
            None => Ok(()),
        }
    }

    /// An integer field, 0 when absent.
    pub(crate) fn uint<T: TryFrom<u64>>(&self, key: &str, expected: &'static str) -> Result<T, JsonError> {
        match self.field(key) {
            Some((v, path)) => uint(v, &path, expected),
            None => T::try_from(0).map_err(|_| JsonError::new(self.child(key), JsonErrorKind::Missing)),
        }
    }

    /// A string field, if present.
    pub(crate) fn str(&self, key: &str) -> Result<Option<&'v str>, JsonError> {
        match self.field(key) {
            Some((Value::String(s), _)) => Ok(Some(s)),
            Some((_, path)) => Err(JsonError::new(path, JsonErrorKind::WrongType { expected: "a string" })),
            None => Ok(None),
        }
    }

    /// A hex string field, decoded, if present.
    pub(crate) fn hex(&self, key: &str) -> Result<Option<Vec<u8>>, JsonError> {
        let path = self.child(key);
        self.str(key)?.map(|s| parse_hex_or_empty(s).map_err(|e| JsonError::new(path, e))).transpose()
    }
}

/// An unsigned integer that fits `T`.
pub(crate) fn uint<T: TryFrom<u64>>(
    value: &Value,
    path: &str,
    expected: &'static str,
) -> Result<T, JsonError> {
    value
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| JsonError::new(path, JsonErrorKind::WrongType { expected }))
}

/// A mandatory-field type as JSON, both ways. `from_json` borrows strings
/// from the JSON value and hex-given octets from the [`Leaves`].
pub(crate) trait JsonField<'a>: Sized {
    /// The field as JSON.
    fn to_json(&self) -> Json;
    /// The field from JSON at `path`.
    fn from_json(value: &'a Value, path: &str, leaves: &'a Leaves) -> Result<Self, JsonError>;
}

impl JsonField<'_> for u8 {
    fn to_json(&self) -> Json {
        Json::from(*self)
    }
    fn from_json(value: &Value, path: &str, _: &Leaves) -> Result<Self, JsonError> {
        uint(value, path, "an integer 0..=255")
    }
}

/// Octets shown as a string when they are UTF-8, else as `{"hex": ...}`.
pub(crate) fn octets_to_json(octets: &[u8]) -> Json {
    match std::str::from_utf8(octets) {
        Ok(s) => Json::from(s),
        Err(_) => {
            let mut out = Json::object();
            out.push("hex", to_hex(octets));
            out
        }
    }
}

/// The octets of a string field, or of its `{"hex": ...}` form prepared in
/// the [`Leaves`].
pub(crate) fn string_octets<'a>(
    value: &'a Value,
    path: &str,
    leaves: &'a Leaves,
) -> Result<&'a [u8], JsonError> {
    match value {
        Value::String(s) => Ok(s.as_bytes()),
        Value::Object(_) => leaves.get(path).ok_or_else(|| {
            JsonError::new(path, JsonErrorKind::WrongType { expected: "a string or {\"hex\": ...}" })
        }),
        _ => Err(JsonError::new(path, JsonErrorKind::WrongType { expected: "a string or {\"hex\": ...}" })),
    }
}

/// Prepare the `{"hex": ...}` form of a string field at `path`, if it is
/// in that form. Any other object is left for the build to refuse, so the
/// error names the field (or its unknown key) rather than its insides.
pub(crate) fn prepare_string(value: &Value, path: &str, leaves: &mut Leaves) -> Result<(), JsonError> {
    let hex_only = matches!(value, Value::Object(map) if map.len() == 1 && map.contains_key("hex"));
    if hex_only {
        let obj = Obj::new(value, path)?;
        let octets = obj.hex("hex")?.unwrap_or_default();
        leaves.insert(path.to_owned(), octets);
    }
    Ok(())
}

impl<'a, const MAX: usize> JsonField<'a> for COctetString<'a, MAX> {
    fn to_json(&self) -> Json {
        octets_to_json(self.as_bytes())
    }
    fn from_json(value: &'a Value, path: &str, leaves: &'a Leaves) -> Result<Self, JsonError> {
        let octets = string_octets(value, path, leaves)?;
        COctetString::new(octets).map_err(|e| JsonError::new(path, e))
    }
}

impl<'a> JsonField<'a> for SmppTime<'a> {
    fn to_json(&self) -> Json {
        octets_to_json(self.as_bytes())
    }
    fn from_json(value: &'a Value, path: &str, leaves: &'a Leaves) -> Result<Self, JsonError> {
        let octets = string_octets(value, path, leaves)?;
        SmppTime::new(octets).map_err(|e| JsonError::new(path, e))
    }
}

impl JsonField<'_> for CommandStatus {
    fn to_json(&self) -> Json {
        status_to_json(*self)
    }
    fn from_json(value: &Value, path: &str, _: &Leaves) -> Result<Self, JsonError> {
        status_from_json(value, path)
    }
}

/// A command_status as its name (`"ESME_RTHROTTLED"`), or its number when
/// it has none (vendor range and reserved values).
pub(crate) fn status_to_json(status: CommandStatus) -> Json {
    match status.name() {
        Some(name) => Json::from(name),
        None => Json::from(status.0),
    }
}

/// Highest command_status value with a name (v5.0 table 4-45 ends at
/// 0x112); names are looked up below it.
const LAST_NAMED_STATUS: u32 = 0x1FF;

/// A command_status from its name, a number, or a `"0x..."` string.
pub(crate) fn status_from_json(value: &Value, path: &str) -> Result<CommandStatus, JsonError> {
    const EXPECTED: &str = "a command_status name or an integer";
    match value {
        Value::Number(_) => uint(value, path, EXPECTED).map(CommandStatus),
        Value::String(s) => {
            if let Some(digits) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                return u32::from_str_radix(digits, 16)
                    .map(CommandStatus)
                    .map_err(|_| JsonError::new(path, JsonErrorKind::WrongType { expected: EXPECTED }));
            }
            (0..=LAST_NAMED_STATUS).map(CommandStatus).find(|st| st.name() == Some(s.as_str())).ok_or_else(
                || {
                    JsonError::new(
                        path,
                        JsonErrorKind::UnknownName { what: "command_status", name: s.clone() },
                    )
                },
            )
        }
        _ => Err(JsonError::new(path, JsonErrorKind::WrongType { expected: EXPECTED })),
    }
}
