//! Validated string and octet-string field types (SMPP v3.4 3.1): C-octet
//! strings with a maximum that includes the NUL, the 16-character absolute
//! or relative time format (v3.4 7.1), and length-bounded octet strings.
//!
//! Each type borrows from the frame it was decoded from and can only be
//! built through a checking constructor, so an encoder never writes a value
//! that breaks its field's limit.

use bytes::BufMut;
use nom::IResult;

use super::error::{Field, PduError};

/// Why a value does not fit its field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The value's length is outside what the field allows.
    #[error("length {len} outside {min}..={max}")]
    Length {
        /// The length given.
        len: usize,
        /// The least allowed.
        min: usize,
        /// The most allowed.
        max: usize,
    },
    /// A C-octet string value contains a NUL octet.
    #[error("value contains a NUL octet")]
    EmbeddedNul,
}

/// A C-octet string of at most `MAX` octets counting its NUL (so at most
/// `MAX - 1` characters), held without the NUL (v3.4 3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct COctetString<'a, const MAX: usize>(&'a [u8]);

impl<'a, const MAX: usize> COctetString<'a, MAX> {
    /// The NULL string (a lone NUL on the wire).
    pub const EMPTY: Self = COctetString(&[]);

    /// Check `value` (without NUL) against the field's limits.
    pub fn new(value: &'a [u8]) -> Result<Self, ValueError> {
        if value.len() >= MAX {
            return Err(ValueError::Length { len: value.len(), min: 0, max: MAX.saturating_sub(1) });
        }
        if value.contains(&0) {
            return Err(ValueError::EmbeddedNul);
        }
        Ok(COctetString(value))
    }

    /// The characters, without NUL.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The characters as UTF-8, when they are.
    pub fn to_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.0).ok()
    }

    /// Whether this is the NULL string.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Octets on the wire, NUL included.
    pub const fn wire_len(&self) -> usize {
        self.0.len() + 1
    }

    /// Write the characters and the NUL.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.0);
        buf.put_u8(0);
    }

    /// Read one from the front of `input`; `field` names it in errors.
    pub(crate) fn parse(field: Field) -> impl Fn(&'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        move |input| {
            let (value, rest) =
                split_cstr(input, MAX).map_err(|e| nom::Err::Failure(e.into_error(field, MAX)))?;
            Ok((rest, COctetString(value)))
        }
    }

    /// Read one that fills a whole TLV value (NUL last, nothing after).
    pub(crate) fn from_tlv_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
        if value.len() > MAX {
            return Err(PduError::TlvLength { tag, len: value.len() });
        }
        match value.split_last() {
            Some((0, chars)) if !chars.contains(&0) => Ok(COctetString(chars)),
            _ => Err(PduError::TlvValue { tag }),
        }
    }
}

impl<'a, const MAX: usize> TryFrom<&'a str> for COctetString<'a, MAX> {
    type Error = ValueError;

    fn try_from(value: &'a str) -> Result<Self, ValueError> {
        Self::new(value.as_bytes())
    }
}

impl<const MAX: usize> std::fmt::Debug for COctetString<'_, MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0.escape_ascii().to_string())
    }
}

/// Why [`split_cstr`] failed.
enum CStrError {
    /// No octet left: the body ended before this field.
    Missing,
    TooLong,
    Unterminated,
}

impl CStrError {
    fn into_error(self, field: Field, max: usize) -> PduError {
        match self {
            CStrError::Missing => PduError::TruncatedBody,
            CStrError::TooLong => PduError::CStringTooLong { field, max },
            CStrError::Unterminated => PduError::CStringUnterminated { field },
        }
    }
}

/// Split `input` after the first NUL, which must be within the first `max`
/// octets. Returns (characters, rest after the NUL).
fn split_cstr(input: &[u8], max: usize) -> Result<(&[u8], &[u8]), CStrError> {
    match input.iter().position(|&b| b == 0) {
        Some(pos) if pos < max => {
            let (value, rest) = input.split_at(pos);
            Ok((value, rest.get(1..).unwrap_or_default()))
        }
        Some(_) => Err(CStrError::TooLong),
        None if input.is_empty() => Err(CStrError::Missing),
        None if input.len() >= max => Err(CStrError::TooLong),
        None => Err(CStrError::Unterminated),
    }
}

/// An absolute or relative time, "YYMMDDhhmmsstnnp" (v3.4 7.1.1, 7.1.2),
/// or NULL: on the wire 17 octets, or 1 when NULL. Only the length is
/// checked here; interpreting the value is the caller's business.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SmppTime<'a>(&'a [u8]);

impl<'a> SmppTime<'a> {
    /// Characters in a non-NULL time.
    pub const LEN: usize = 16;
    /// The NULL time ("use the SMSC default" / "immediate").
    pub const NULL: Self = SmppTime(&[]);

    /// Check `value` (without NUL): empty or 16 characters, no NUL.
    pub fn new(value: &'a [u8]) -> Result<Self, ValueError> {
        if !value.is_empty() && value.len() != Self::LEN {
            return Err(ValueError::Length { len: value.len(), min: Self::LEN, max: Self::LEN });
        }
        if value.contains(&0) {
            return Err(ValueError::EmbeddedNul);
        }
        Ok(SmppTime(value))
    }

    /// The characters, without NUL; empty when NULL.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Whether this is NULL.
    pub const fn is_null(&self) -> bool {
        self.0.is_empty()
    }

    /// Octets on the wire.
    pub const fn wire_len(&self) -> usize {
        self.0.len() + 1
    }

    /// Write the characters and the NUL.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        buf.put_slice(self.0);
        buf.put_u8(0);
    }

    /// Read one from the front of `input`.
    pub(crate) fn parse(field: Field) -> impl Fn(&'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        move |input| {
            let (value, rest) = split_cstr(input, Self::LEN + 1)
                .map_err(|e| nom::Err::Failure(e.into_error(field, Self::LEN + 1)))?;
            if !value.is_empty() && value.len() != Self::LEN {
                return Err(nom::Err::Failure(PduError::InvalidTime { field }));
            }
            Ok((rest, SmppTime(value)))
        }
    }

    /// Read one that fills a whole TLV value.
    pub(crate) fn from_tlv_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
        if value.len() != 1 && value.len() != Self::LEN + 1 {
            return Err(PduError::TlvLength { tag, len: value.len() });
        }
        match value.split_last() {
            Some((0, chars)) if !chars.contains(&0) => Ok(SmppTime(chars)),
            _ => Err(PduError::TlvValue { tag }),
        }
    }
}

impl<'a> TryFrom<&'a str> for SmppTime<'a> {
    type Error = ValueError;

    fn try_from(value: &'a str) -> Result<Self, ValueError> {
        Self::new(value.as_bytes())
    }
}

impl std::fmt::Debug for SmppTime<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0.escape_ascii().to_string())
    }
}

/// Raw octets whose length lies in `MIN..=MAX` (v3.4 3.1 "Octet String").
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OctetString<'a, const MIN: usize, const MAX: usize>(&'a [u8]);

impl<'a, const MIN: usize, const MAX: usize> OctetString<'a, MIN, MAX> {
    /// Check the length of `value`.
    pub fn new(value: &'a [u8]) -> Result<Self, ValueError> {
        if value.len() < MIN || value.len() > MAX {
            return Err(ValueError::Length { len: value.len(), min: MIN, max: MAX });
        }
        Ok(OctetString(value))
    }

    /// The octets.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Number of octets.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no octets.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Read one that fills a whole TLV value.
    pub(crate) fn from_tlv_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
        Self::new(value).map_err(|_| PduError::TlvLength { tag, len: value.len() })
    }
}

impl<const MIN: usize, const MAX: usize> std::fmt::Debug for OctetString<'_, MIN, MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// system_id: 16 octets with NUL (v3.4 4.1.1).
pub type SystemId<'a> = COctetString<'a, 16>;
/// password: 9 octets with NUL (v3.4 4.1.1).
pub type Password<'a> = COctetString<'a, 9>;
/// system_type: 13 octets with NUL (v3.4 4.1.1).
pub type SystemType<'a> = COctetString<'a, 13>;
/// address_range: 41 octets with NUL (v3.4 4.1.1).
pub type AddressRange<'a> = COctetString<'a, 41>;
/// service_type: 6 octets with NUL (v3.4 5.2.11).
pub type ServiceType<'a> = COctetString<'a, 6>;
/// source_addr, destination_addr, dl_name: 21 octets with NUL (v3.4 4.4.1).
pub type Address<'a> = COctetString<'a, 21>;
/// The longer addresses of data_sm and alert_notification: 65 octets
/// with NUL (v3.4 4.7.1, 4.12.1).
pub type LongAddress<'a> = COctetString<'a, 65>;
/// message_id: 65 octets with NUL (v3.4 5.2.23).
pub type MessageId<'a> = COctetString<'a, 65>;
