//! What the sim delivers: [`DeliveryJob`], one deliver_sm (a receipt or an
//! MO message) encoded once with sequence number 0 and patched when it is
//! sent, and the builders of the receipt (v3.4 Appendix B text, 5.2.12
//! esm_class, 5.3.2.12 and 5.3.2.35 TLVs) and MO PDUs.

use bytes::Bytes;

use crate::smpp::pdu::tlv::MessageState as TlvMessageState;
use crate::smpp::pdu::{
    Address, Body, CommandStatus, MessageId, Pdu, PduError, ShortMessage, SmFields, Tlv, Tlvs,
};
use crate::smpp::receipt::MessageState;

/// esm_class of an SMSC delivery receipt: message type 0001 (v3.4 5.2.12).
pub const ESM_CLASS_RECEIPT: u8 = 0x04;

/// Octets of the original message quoted after `text:` (Appendix B: "the
/// first 20 characters").
const TEXT_HEAD: usize = 20;

/// Which kind of deliver_sm a job carries (for stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A delivery receipt.
    Receipt,
    /// A mobile-originated message.
    Mo,
    /// A PDU from `--replay` fixtures ([`super::replay`]).
    Replay,
}

/// Identifies one connection for the life of the sim.
pub type BindId = u64;

/// One deliver_sm on its way to a receiving bind.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    /// Receipt or MO.
    pub kind: JobKind,
    /// The account whose binds may take it; any account when `None`.
    pub account: Option<usize>,
    /// The bind the receipted submit came on.
    pub origin: Option<BindId>,
    /// Prefer a receiving bind other than `origin`.
    pub other_bind: bool,
    /// Tries so far.
    pub attempts: u32,
    /// The encoded deliver_sm with sequence_number 0.
    pub pdu: Bytes,
}

impl DeliveryJob {
    /// The PDU with `sequence` written into its header (v3.4 3.2).
    pub fn encode_with_sequence(&self, sequence: u32, out: &mut bytes::BytesMut) {
        let start = out.len();
        out.extend_from_slice(&self.pdu);
        if let Some(seq) = out.get_mut(start + 12..start + 16) {
            seq.copy_from_slice(&sequence.to_be_bytes());
        }
    }
}

/// Everything a receipt says.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptFacts<'a> {
    /// The id as in submit_sm_resp; goes into receipted_message_id.
    pub resp_id: &'a str,
    /// The id as the text writes it (see `IdVariant`).
    pub text_id: &'a str,
    /// The final state.
    pub state: MessageState,
    /// Submit time, seconds since the Unix epoch.
    pub submit_unix: u64,
    /// Done time, seconds since the Unix epoch.
    pub done_unix: u64,
    /// The submit's destination: the receipt's source (v3.4 4.6.1).
    pub source_addr: (u8, u8, &'a [u8]),
    /// The submit's source: the receipt's destination.
    pub destination_addr: (u8, u8, &'a [u8]),
    /// The submit's data_coding and short_message, for `text:`.
    pub original: (u8, &'a [u8]),
    /// Add the receipted_message_id and message_state TLVs.
    pub tlvs: bool,
}

/// `err:` of the text: vendor-specific (Appendix B); the sim uses 000 for
/// delivered messages and a fixed code per failure.
const fn error_code(state: MessageState) -> u16 {
    match state {
        MessageState::Delivered => 0,
        MessageState::Expired => 1,
        MessageState::Undeliverable => 2,
        MessageState::Rejected => 3,
        _ => 4,
    }
}

/// The Appendix B text of a receipt.
pub fn receipt_text(f: &ReceiptFacts<'_>) -> String {
    let (coding, original) = f.original;
    // Quote the start of the message only when it is plain text in a
    // one-octet coding; anything else would corrupt the receipt text.
    let head = original.get(..TEXT_HEAD).unwrap_or(original);
    let quotable = matches!(coding, 0 | 1 | 3) && head.iter().all(|b| (0x20..0x7f).contains(b));
    let head = if quotable { std::str::from_utf8(head).unwrap_or("") } else { "" };
    format!(
        "id:{} sub:001 dlvrd:{:03} submit date:{} done date:{} stat:{} err:{:03} text:{}",
        f.text_id,
        u8::from(f.state == MessageState::Delivered),
        yymmddhhmm(f.submit_unix),
        yymmddhhmm(f.done_unix),
        f.state.stat_text(),
        error_code(f.state),
        head
    )
}

/// A receipt deliver_sm, encoded with sequence 0.
pub fn receipt_pdu(f: &ReceiptFacts<'_>) -> Result<Bytes, PduError> {
    let text = receipt_text(f);
    let mut tlvs = Vec::new();
    if f.tlvs {
        let id = MessageId::new(f.resp_id.as_bytes()).map_err(|_| PduError::TlvValue { tag: 0x001E })?;
        tlvs.push(Tlv::ReceiptedMessageId(id));
        tlvs.push(Tlv::MessageState(TlvMessageState(f.state.as_u8())));
    }
    // An Appendix B text is about 110 octets plus 20 quoted: it always fits.
    let short_message =
        ShortMessage::new(text.as_bytes()).map_err(|_| PduError::TooLarge { len: text.len() })?;
    let body = sm_fields(f.source_addr, f.destination_addr, ESM_CLASS_RECEIPT, 0, short_message);
    let mut pdu = Pdu::new(CommandStatus::ESME_ROK, 0, Body::DeliverSm(body));
    pdu.tlvs = Tlvs::from_items(tlvs);
    Ok(Bytes::from(pdu.to_vec()?))
}

/// An MO deliver_sm (data_coding 0, GSM 7-bit unpacked septets), encoded
/// with sequence 0.
pub fn mo_pdu(source: &[u8], destination: &[u8], septets: &[u8]) -> Result<Bytes, PduError> {
    let short_message = ShortMessage::new(septets).map_err(|_| PduError::TooLarge { len: septets.len() })?;
    let body = sm_fields((1, 1, source), (0, 1, destination), 0, 0, short_message);
    Ok(Bytes::from(Pdu::new(CommandStatus::ESME_ROK, 0, Body::DeliverSm(body)).to_vec()?))
}

/// One part of a concatenated MO: `user_data` starts with its UDH, so
/// esm_class carries UDHI (0x40, SMPP v3.4 5.2.12); data_coding 0.
pub fn mo_part_pdu(source: &[u8], destination: &[u8], user_data: &[u8]) -> Result<Bytes, PduError> {
    let short_message =
        ShortMessage::new(user_data).map_err(|_| PduError::TooLarge { len: user_data.len() })?;
    let body = sm_fields((1, 1, source), (0, 1, destination), 0x40, 0, short_message);
    Ok(Bytes::from(Pdu::new(CommandStatus::ESME_ROK, 0, Body::DeliverSm(body)).to_vec()?))
}

fn sm_fields<'a>(
    source: (u8, u8, &'a [u8]),
    destination: (u8, u8, &'a [u8]),
    esm_class: u8,
    data_coding: u8,
    short_message: ShortMessage<'a>,
) -> SmFields<'a> {
    // An address too long for deliver_sm (a data_sm's long address) is
    // left NULL rather than refused.
    SmFields {
        source_addr_ton: source.0,
        source_addr_npi: source.1,
        source_addr: Address::new(source.2).unwrap_or_default(),
        dest_addr_ton: destination.0,
        dest_addr_npi: destination.1,
        destination_addr: Address::new(destination.2).unwrap_or_default(),
        esm_class,
        data_coding,
        short_message,
        ..SmFields::default()
    }
}

/// `YYMMDDhhmm` of a Unix time, UTC (Appendix B date layout).
pub fn yymmddhhmm(unix: u64) -> String {
    let (y, mo, d, h, mi, _) = civil(unix);
    format!("{:02}{mo:02}{d:02}{h:02}{mi:02}", y % 100)
}

/// An absolute SMPP time `YYMMDDhhmmss000+` (v3.4 7.1.1), UTC.
pub fn smpp_time(unix: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix);
    format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}000+", y % 100)
}

/// Year, month, day, hour, minute, second of a Unix time (proleptic
/// Gregorian calendar, days-from-civil inverted).
fn civil(unix: u64) -> (u64, u64, u64, u64, u64, u64) {
    let days = unix / 86_400;
    let rem = unix % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smpp::pdu::decode;
    use crate::smpp::receipt::{ReceiptTlvs, parse_receipt};

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(yymmddhhmm(0), "7001010000");
        // 2024-02-29 12:34:56 UTC.
        assert_eq!(smpp_time(1_709_210_096), "240229123456000+");
        assert_eq!(yymmddhhmm(1_709_210_096), "2402291234");
    }

    #[test]
    fn receipt_decodes_and_parses_back() {
        let facts = ReceiptFacts {
            resp_id: "beef",
            text_id: "0000048879",
            state: MessageState::Undeliverable,
            submit_unix: 1_709_210_096,
            done_unix: 1_709_210_160,
            source_addr: (1, 1, b"447700900123"),
            destination_addr: (5, 0, b"SIMGATE"),
            original: (0, b"Hello there, this is longer than twenty"),
            tlvs: true,
        };
        let bytes = receipt_pdu(&facts).unwrap();
        let pdu = decode(&bytes).unwrap();
        let Body::DeliverSm(b) = &pdu.body else { panic!("{pdu:?}") };
        assert_eq!(b.esm_class, ESM_CLASS_RECEIPT);
        assert_eq!(b.source_addr.as_bytes(), b"447700900123");
        let r = parse_receipt(b.short_message.as_bytes(), ReceiptTlvs::from_tlvs(&pdu.tlvs)).unwrap();
        assert_eq!(r.message_id.as_str(), "beef");
        assert_eq!(r.state, MessageState::Undeliverable);
        assert_eq!(r.text.as_deref(), Some("Hello there, this is"));
        assert_eq!(r.delivered, Some(0));
        assert!(r.overridden.is_empty(), "text id 0000048879 may match hex beef: {:?}", r.overridden);
        let mut out = bytes::BytesMut::new();
        DeliveryJob {
            kind: JobKind::Receipt,
            account: None,
            origin: None,
            other_bind: false,
            attempts: 0,
            pdu: bytes,
        }
        .encode_with_sequence(77, &mut out);
        assert_eq!(decode(&out).unwrap().sequence_number, 77);
    }
}
