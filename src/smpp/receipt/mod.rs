//! Delivery receipts: the v3.4 Appendix B text and its variants, the receipt
//! TLVs, and the normalisation of SMSC message ids.
//!
//! A receipt arrives as a `deliver_sm` (or `data_sm`) whose `esm_class`
//! message type says so ([`looks_like_receipt`], v3.4 5.2.12). Its
//! `short_message` (or `message_payload`) holds a text such as
//!
//! ```text
//! id:0A1B2C3D sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 Text:Hello
//! ```
//!
//! and it may also carry the `receipted_message_id` (v3.4 5.3.2.12),
//! `message_state` (5.3.2.35) and `network_error_code` (5.3.2.31) TLVs.
//! [`parse_receipt`] takes those plain values, so this module does not
//! depend on the PDU types, and returns a [`DeliveryReceipt`].
//!
//! # Rules
//!
//! - **TLVs win.** When the `receipted_message_id` or `message_state` TLV is
//!   present, it gives the id or the state; the text's value is kept in
//!   [`DeliveryReceipt::overridden`] when it disagrees (an id that does not
//!   [`MessageId::may_match`] the TLV's, a `stat:` that names another
//!   state or none). A receipt carried only by TLVs, with an empty text,
//!   is valid.
//! - **Required:** a message id and a state, from either source. Every other
//!   field is optional.
//! - **Strict where it matters:** an id over 64 octets, a `message_state`
//!   TLV above 9, an unrecognised `stat:` with no TLV to replace it, and a
//!   present but invalid date are errors ([`ReceiptError`]).
//! - **Lenient elsewhere:** field names in any case and order, the date
//!   name spellings listed under "Text layout", unknown fields kept as
//!   [`ExtraField`]s, a missing or cut `Text:`, and a `sub:`, `dlvrd:` or
//!   `err:` that is not a decimal number (kept as an extra field, the typed
//!   value left `None`). Bytes that are not UTF-8 are replaced.
//! - **Bounded:** only the first [`MAX_RECEIPT_TEXT_LEN`] octets of the text
//!   are read, at most [`MAX_EXTRA_FIELDS`] extra fields are kept, and
//!   nothing panics on any input.
//!
//! # Text layout
//!
//! See the `text` module: whitespace-separated `name:value` fields; `submit
//! date`/`done date` also as `submit_date`, `submitdate`, `done_date`,
//! `donedate`; `Text:` ends the fields and takes the rest verbatim, so
//! `stat:` inside it is never read as a field. Dates: see [`ReceiptDate`].
//!
//! # Message ids
//!
//! See [`MessageId`] and the `message_id` module doc for the
//! normalisation and correlation rules and their false-match analysis.

mod date;
mod error;
mod message_id;
mod state;
mod text;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

pub use date::{DateLayout, ReceiptDate};
pub use error::{DateError, MessageIdError, ReceiptError};
pub use message_id::{CorrelationKey, IdForm, MAX_MESSAGE_ID_LEN, MessageId};
pub use state::MessageState;
pub use text::MAX_EXTRA_FIELDS;

/// Octets of receipt text read. Appendix B receipts are about 150 octets
/// and a `short_message` at most 254 (v3.4 5.2.22); a `message_payload` can
/// be longer, and whatever follows this point is ignored.
pub const MAX_RECEIPT_TEXT_LEN: usize = 1024;

/// Longest `stat:` value kept in [`ReceiptError::UnrecognisedStat`].
const MAX_STAT_ECHO: usize = 16;

/// What kind of receipt an `esm_class` announces in `deliver_sm`: bits 5-2
/// are the message type (v3.4 5.2.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    /// Message type 0001 (`0x04`): SMSC delivery receipt.
    SmscDeliveryReceipt,
    /// Message type 1000 (`0x20`): intermediate delivery notification.
    IntermediateNotification,
}

impl ReceiptKind {
    /// Mask of the message-type bits 5-2 of `esm_class`.
    pub const ESM_CLASS_TYPE_MASK: u8 = 0b0011_1100;

    /// The receipt kind an `esm_class` announces, or `None` for any other
    /// message type (a normal message, an SME or user acknowledgement, a
    /// conversation abort).
    pub const fn from_esm_class(esm_class: u8) -> Option<Self> {
        match esm_class & Self::ESM_CLASS_TYPE_MASK {
            0x04 => Some(ReceiptKind::SmscDeliveryReceipt),
            0x20 => Some(ReceiptKind::IntermediateNotification),
            _ => None,
        }
    }
}

/// True when a `deliver_sm` with this `esm_class` carries an SMSC delivery
/// receipt or an intermediate delivery notification (v3.4 5.2.12).
pub const fn looks_like_receipt(esm_class: u8) -> bool {
    ReceiptKind::from_esm_class(esm_class).is_some()
}

/// A deliver_sm or data_sm that carries a delivery receipt: its esm_class
/// marks one (v3.4 5.2.12), or it carries `receipted_message_id` or
/// `message_state` (5.3.2.12, 5.3.2.35), which only receipts do.
#[derive(Debug, Clone, Copy)]
pub struct CarriedReceipt<'a> {
    /// The kind the esm_class announces; `None` when only the TLVs say so.
    pub kind: Option<ReceiptKind>,
    /// The receipt text: short_message, or message_payload when
    /// short_message is empty (data_sm has only the latter, 5.3.2.32).
    pub text: &'a [u8],
    /// The receipt TLVs.
    pub tlvs: ReceiptTlvs<'a>,
}

impl<'a> CarriedReceipt<'a> {
    /// The receipt `pdu` carries, if any. The one place that decides
    /// whether an SMSC's message is a receipt or an MO message.
    pub fn of(pdu: &crate::smpp::pdu::Pdu<'a>) -> Option<Self> {
        use crate::smpp::pdu::{Body, TlvTag};
        let (esm_class, short_message) = match &pdu.body {
            Body::DeliverSm(b) => (b.esm_class, b.short_message.as_bytes()),
            Body::DataSm(b) => (b.esm_class, &[][..]),
            _ => return None,
        };
        let kind = ReceiptKind::from_esm_class(esm_class);
        let has_tlvs =
            pdu.tlvs.contains(TlvTag::RECEIPTED_MESSAGE_ID) || pdu.tlvs.contains(TlvTag::MESSAGE_STATE);
        if kind.is_none() && !has_tlvs {
            return None;
        }
        let text = if short_message.is_empty() {
            pdu.tlvs.message_payload().unwrap_or_default()
        } else {
            short_message
        };
        Some(Self { kind, text, tlvs: ReceiptTlvs::from_tlvs(&pdu.tlvs) })
    }

    /// Parses it ([`parse_receipt`]).
    pub fn parse(&self) -> Result<DeliveryReceipt, ReceiptError> {
        parse_receipt(self.text, self.tlvs)
    }
}

/// The receipt TLVs of the PDU, as plain values. Absent TLVs are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiptTlvs<'a> {
    /// `receipted_message_id` (v3.4 5.3.2.12): a C-octet string, with or
    /// without its NUL. Empty counts as absent.
    pub receipted_message_id: Option<&'a [u8]>,
    /// `message_state` (v3.4 5.3.2.35), values of 5.2.28.
    pub message_state: Option<u8>,
    /// `network_error_code` (v3.4 5.3.2.31): network type, then a 2-octet
    /// error code.
    pub network_error_code: Option<[u8; 3]>,
}

impl<'a> ReceiptTlvs<'a> {
    /// Takes the receipt TLVs out of a decoded PDU's TLV list.
    pub fn from_tlvs(tlvs: &crate::smpp::pdu::Tlvs<'a>) -> Self {
        use crate::smpp::pdu::{Tlv, TlvTag};
        let receipted_message_id = match tlvs.get(TlvTag::RECEIPTED_MESSAGE_ID) {
            Some(Tlv::ReceiptedMessageId(id)) => Some(id.as_bytes()),
            _ => None,
        };
        let message_state = match tlvs.get(TlvTag::MESSAGE_STATE) {
            Some(Tlv::MessageState(state)) => Some(state.0),
            _ => None,
        };
        let network_error_code = match tlvs.get(TlvTag::NETWORK_ERROR_CODE) {
            Some(Tlv::NetworkErrorCode(code)) => {
                let [hi, lo] = code.error_code.to_be_bytes();
                Some([code.network_type, hi, lo])
            }
            _ => None,
        };
        Self { receipted_message_id, message_state, network_error_code }
    }
}

/// The `network_error_code` TLV (v3.4 5.3.2.31).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkErrorCode {
    /// 1 ANSI-136 access denied reason, 2 IS-95 access denied reason,
    /// 3 GSM, 4 ANSI-136 cause code, 5 IS-95 cause code, 6 ANSI-41 error,
    /// 7 SMPP error, 8 message-center specific; others reserved, kept as
    /// received.
    pub network_type: u8,
    /// The network's error code, big-endian on the wire.
    pub error_code: u16,
}

impl NetworkErrorCode {
    /// Decodes the three TLV octets.
    pub const fn from_octets(octets: [u8; 3]) -> Self {
        let [network_type, high, low] = octets;
        NetworkErrorCode { network_type, error_code: u16::from_be_bytes([high, low]) }
    }

    /// Encodes the three TLV octets.
    pub const fn to_octets(self) -> [u8; 3] {
        let [high, low] = self.error_code.to_be_bytes();
        [self.network_type, high, low]
    }
}

/// Where a receipt value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A TLV.
    Tlv,
    /// The receipt text.
    Text,
}

/// Text values that a TLV contradicted and replaced. Both `None` when the
/// text agreed with the TLVs or the TLVs were absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextDisagreement {
    /// The text's `id:`, when it cannot name the TLV's message (not
    /// [`MessageId::may_match`], or not a valid id at all).
    pub message_id: Option<String>,
    /// The text's `stat:`, when it names another state than the
    /// `message_state` TLV, or no state.
    pub stat: Option<String>,
}

impl TextDisagreement {
    /// True when nothing was overridden.
    pub fn is_empty(&self) -> bool {
        self.message_id.is_none() && self.stat.is_none()
    }
}

/// A field of the receipt text that simgate does not interpret: unknown
/// names, repeats of known ones, and `sub:`/`dlvrd:`/`err:` values that are
/// not decimal numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraField {
    /// The name as received, without the colon; for an unreadable `sub:`,
    /// `dlvrd:` or `err:`, that name in lower case.
    pub name: String,
    /// The value as received; may be empty.
    pub value: String,
}

/// A parsed delivery receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReceipt {
    /// The SMSC's id of the receipted message; `as_str()` is the raw form.
    pub message_id: MessageId,
    /// Whether `message_id` came from `receipted_message_id` or `id:`.
    pub message_id_source: Source,
    /// The state reported.
    pub state: MessageState,
    /// Whether `state` came from `message_state` or `stat:`.
    pub state_source: Source,
    /// `err:` of the text: a vendor-specific code, usually 3 digits.
    pub error_code: Option<u16>,
    /// The `network_error_code` TLV, when present.
    pub network_error_code: Option<NetworkErrorCode>,
    /// `sub:`: messages originally submitted (Appendix B).
    pub submitted: Option<u32>,
    /// `dlvrd:`: messages delivered (Appendix B).
    pub delivered: Option<u32>,
    /// `submit date:`: when the message was submitted, SMSC local time.
    pub submit_date: Option<ReceiptDate>,
    /// `done date:`: when the message reached `state`, SMSC local time.
    pub done_date: Option<ReceiptDate>,
    /// Everything after `Text:` (the start of the message, often cut);
    /// `None` when there is no `Text:`.
    pub text: Option<String>,
    /// Fields not interpreted, in order, at most [`MAX_EXTRA_FIELDS`].
    pub extra: Vec<ExtraField>,
    /// How many further extra fields were dropped.
    pub extra_dropped: usize,
    /// Text values the TLVs overrode.
    pub overridden: TextDisagreement,
}

impl DeliveryReceipt {
    /// Writes the receipt as Appendix B text: the fields present, in the
    /// Appendix B order, dates in their [`ReceiptDate::natural_layout`],
    /// extra fields before `Text:`. The TLV-only values
    /// (`network_error_code`, the sources) are not written.
    pub fn to_text(&self) -> String {
        let mut out = format!("id:{}", self.message_id.as_str());
        // Writing to a String cannot fail.
        if let Some(n) = self.submitted {
            let _ = write!(out, " sub:{n:03}");
        }
        if let Some(n) = self.delivered {
            let _ = write!(out, " dlvrd:{n:03}");
        }
        for (name, date) in [("submit date", self.submit_date), ("done date", self.done_date)] {
            if let Some(digits) = date.and_then(|d| d.format(d.natural_layout())) {
                let _ = write!(out, " {name}:{digits}");
            }
        }
        let _ = write!(out, " stat:{}", self.state.stat_text());
        if let Some(code) = self.error_code {
            let _ = write!(out, " err:{code:03}");
        }
        for field in &self.extra {
            let _ = write!(out, " {}:{}", field.name, field.value);
        }
        if let Some(text) = &self.text {
            let _ = write!(out, " Text:{text}");
        }
        out
    }
}

/// Parses a delivery receipt from its text (`short_message` or
/// `message_payload`) and its TLVs. See the module doc for the rules.
pub fn parse_receipt(short_message: &[u8], tlvs: ReceiptTlvs<'_>) -> Result<DeliveryReceipt, ReceiptError> {
    let head = short_message.get(..MAX_RECEIPT_TEXT_LEN).unwrap_or(short_message);
    let decoded = String::from_utf8_lossy(head);
    let trimmed = decoded.trim_end_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    let scanned = text::scan(trimmed);

    let tlv_id = match tlvs.receipted_message_id.map(MessageId::from_c_octets) {
        None | Some(Err(MessageIdError::Empty)) => None,
        Some(Err(err)) => return Err(err.into()),
        Some(Ok(id)) => Some(id),
    };
    let tlv_state = tlvs.message_state.map(MessageState::try_from).transpose()?;
    let text_id = scanned.id.filter(|v| !v.is_empty());
    let text_stat = scanned.stat.filter(|v| !v.is_empty());
    if tlv_id.is_none() && text_id.is_none() && tlv_state.is_none() && text_stat.is_none() {
        return Err(ReceiptError::NotAReceipt);
    }

    let mut overridden = TextDisagreement::default();
    let (message_id, message_id_source) = match (tlv_id, text_id) {
        (Some(tlv), text) => {
            let agrees = |raw: &str| MessageId::new(raw).is_ok_and(|id| id.may_match(&tlv));
            overridden.message_id = text.filter(|raw| !agrees(raw)).map(str::to_owned);
            (tlv, Source::Tlv)
        }
        (None, Some(raw)) => (MessageId::new(raw)?, Source::Text),
        (None, None) => return Err(ReceiptError::MissingMessageId),
    };
    let (state, state_source) = match (tlv_state, text_stat) {
        (Some(tlv), text) => {
            overridden.stat = text.filter(|raw| MessageState::from_stat(raw) != Some(tlv)).map(str::to_owned);
            (tlv, Source::Tlv)
        }
        (None, Some(raw)) => match MessageState::from_stat(raw) {
            Some(state) => (state, Source::Text),
            None => {
                let value = raw.chars().take(MAX_STAT_ECHO).collect();
                return Err(ReceiptError::UnrecognisedStat { value });
            }
        },
        (None, None) => return Err(ReceiptError::MissingState),
    };

    let date = |field: &'static str, raw: Option<&str>| {
        raw.filter(|v| !v.is_empty())
            .map(|v| ReceiptDate::parse(v).map_err(|reason| ReceiptError::BadDate { field, reason }))
            .transpose()
    };
    let submit_date = date("submit date", scanned.submit_date)?;
    let done_date = date("done date", scanned.done_date)?;

    let mut extra = Extras { fields: Vec::new(), dropped: scanned.extra_dropped };
    for (name, value) in &scanned.extra {
        extra.push(name, value);
    }
    let submitted = extra.number("sub", scanned.sub);
    let delivered = extra.number("dlvrd", scanned.dlvrd);
    let error_code = extra.number("err", scanned.err);

    Ok(DeliveryReceipt {
        message_id,
        message_id_source,
        state,
        state_source,
        error_code,
        network_error_code: tlvs.network_error_code.map(NetworkErrorCode::from_octets),
        submitted,
        delivered,
        submit_date,
        done_date,
        text: scanned.text.map(str::to_owned),
        extra: extra.fields,
        extra_dropped: extra.dropped,
        overridden,
    })
}

/// The bounded list of extra fields being built.
struct Extras {
    fields: Vec<ExtraField>,
    dropped: usize,
}

impl Extras {
    fn push(&mut self, name: &str, value: &str) {
        if self.fields.len() < MAX_EXTRA_FIELDS {
            self.fields.push(ExtraField { name: name.to_owned(), value: value.to_owned() });
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// A decimal field that fits `T`; anything else non-empty is kept as
    /// an extra field and gives `None`.
    fn number<T: std::str::FromStr>(&mut self, name: &str, raw: Option<&str>) -> Option<T> {
        let raw = raw.filter(|v| !v.is_empty())?;
        let digits_ok = raw.bytes().all(|b| b.is_ascii_digit());
        let value = if digits_ok { raw.parse::<T>().ok() } else { None };
        if value.is_none() {
            self.push(name, raw);
        }
        value
    }
}
