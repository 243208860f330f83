//! From a validated MT request to the submit_sm parts a bind sends: the
//! encoding (the cheapest that carries the text, unless one was asked
//! for), the split into parts tied by UDH, SAR TLVs or message_payload
//! (SMPP v3.4 5.3.2.22-24 and 5.3.2.32), the addresses' TON/NPI, and the
//! validity in SMPP relative time (v3.4 7.1.1). A SIM data download
//! (OTA) message is not split here: its parts come made, headers and all
//! ([`sim_data_parts`]).

use super::request::{Content, TextEncoding, ValidMt};
use crate::smpp::pdu::TlvTag;
use crate::smpp::text::{
    ChooserConfig, Concatenation, Encoding, Part, SplitConfig, SplitError, choose_encoding, split_binary,
    split_text,
};
use crate::sms::bind::MtPart;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the parts of a long message are tied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcatMode {
    /// UDH with an 8-bit reference: 153 GSM characters a part.
    #[default]
    Udh8,
    /// UDH with a 16-bit reference: 152 a part.
    Udh16,
    /// sar_* TLVs, no UDH.
    Sar,
    /// One submit_sm with message_payload (the SMSC splits).
    Payload,
}

/// Why a request cannot be turned into parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The text does not fit the encoding, or there are too many parts.
    #[error(transparent)]
    Split(#[from] SplitError),
}

/// The parts of `mt`. `reference` ties them together (the caller picks one
/// per message; two messages to one handset in flight at once need
/// different ones).
pub fn plan_parts(mt: &ValidMt, mode: ConcatMode, reference: u16) -> Result<Vec<MtPart>, PlanError> {
    let concat = match mode {
        ConcatMode::Udh8 => Concatenation::Udh8 { reference: reference.to_be_bytes()[1] },
        ConcatMode::Udh16 => Concatenation::Udh16 { reference },
        ConcatMode::Sar => Concatenation::Sar { reference },
        ConcatMode::Payload => Concatenation::Payload,
    };
    let config = SplitConfig::default();
    let (encoding, parts) = match &mt.content {
        Content::Text { text, encoding } => {
            let encoding = match encoding {
                Some(TextEncoding::Gsm7) => Encoding::Gsm7,
                Some(TextEncoding::Ucs2) => Encoding::Ucs2,
                Some(TextEncoding::Latin1) => Encoding::Latin1,
                Some(TextEncoding::Ia5) => Encoding::Ia5,
                None => choose_encoding(text, ChooserConfig::default()).encoding,
            };
            (encoding, split_text(text, encoding, concat, &config)?)
        }
        Content::Binary { octets } => (Encoding::Binary, split_binary(octets, concat, &config)?),
        Content::SimDataDownload { parts } => return Ok(sim_data_parts(mt, parts)),
    };
    let (source_ton, source_npi) = source_ton_npi(&mt.source);
    let validity = mt.validity.map(relative_time).unwrap_or_default();
    Ok(parts
        .into_iter()
        .map(|part| {
            let mut tlvs = Vec::new();
            if let Some(sar) = part.sar {
                tlvs.push((TlvTag::SAR_MSG_REF_NUM.0, sar.msg_ref_num.to_be_bytes().to_vec()));
                tlvs.push((TlvTag::SAR_TOTAL_SEGMENTS.0, vec![sar.total_segments]));
                tlvs.push((TlvTag::SAR_SEGMENT_SEQNUM.0, vec![sar.segment_seqnum]));
            }
            let (short_message, payload) = place(&part, mode);
            if let Some(payload) = payload {
                tlvs.push((TlvTag::MESSAGE_PAYLOAD.0, payload));
            }
            MtPart {
                source_addr_ton: source_ton,
                source_addr_npi: source_npi,
                source_addr: mt.source.trim_start_matches('+').to_owned(),
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: mt.destination.clone(),
                esm_class: if part.udhi() { 0x40 } else { 0 },
                priority_flag: mt.priority,
                validity_period: validity.clone(),
                registered_delivery: u8::from(mt.registered_delivery),
                data_coding: encoding.data_coding(),
                short_message,
                tlvs,
                ..MtPart::default()
            }
        })
        .collect())
}

/// The submit_sm of each part of a SIM data download, its user data as
/// given: TP-PID 0x7F "(U)SIM data download" (TS 23.040 9.2.3.9, SMPP
/// v3.4 5.2.13 protocol_id), esm_class 0x40 because every part opens with
/// its UDH (v3.4 5.2.12), data_coding 0xF6, 8-bit data of message class 2,
/// (U)SIM specific (TS 23.038 4). Never re-split or joined: the parts'
/// headers (IEI 0x70 and the concatenation IE, TS 31.115 4) are part of
/// what the SIM verifies.
fn sim_data_parts(mt: &ValidMt, parts: &[Vec<u8>]) -> Vec<MtPart> {
    use crate::sim::ota::{DATA_CODING, ESM_CLASS_UDHI, PROTOCOL_ID};
    let (source_ton, source_npi) = source_ton_npi(&mt.source);
    let validity = mt.validity.map(relative_time).unwrap_or_default();
    parts
        .iter()
        .map(|user_data| MtPart {
            source_addr_ton: source_ton,
            source_addr_npi: source_npi,
            source_addr: mt.source.trim_start_matches('+').to_owned(),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: mt.destination.clone(),
            esm_class: ESM_CLASS_UDHI,
            protocol_id: PROTOCOL_ID,
            priority_flag: mt.priority,
            validity_period: validity.clone(),
            registered_delivery: u8::from(mt.registered_delivery),
            data_coding: DATA_CODING,
            short_message: user_data.clone(),
            ..MtPart::default()
        })
        .collect()
}

/// short_message, or message_payload when the part does not fit 254
/// octets (payload mode).
fn place(part: &Part, mode: ConcatMode) -> (Vec<u8>, Option<Vec<u8>>) {
    if mode == ConcatMode::Payload && part.user_data.len() > 254 {
        (Vec::new(), Some(part.user_data.clone()))
    } else {
        (part.user_data.clone(), None)
    }
}

/// TON/NPI of a sender (SMPP v3.4 5.2.5-5.2.6): alphanumeric (5, 0);
/// international (1, 1) for `+` or 10 digits or more; a short code or
/// national number (0, 1) otherwise.
fn source_ton_npi(source: &str) -> (u8, u8) {
    let digits = source.strip_prefix('+');
    let numeric = digits.unwrap_or(source).bytes().all(|b| b.is_ascii_digit());
    match (numeric, digits.is_some() || source.len() >= 10) {
        (false, _) => (5, 0),
        (true, true) => (1, 1),
        (true, false) => (0, 1),
    }
}

/// SMPP relative time `YYMMDDhhmmss000R` (v3.4 7.1.1.2) for `d`, in days,
/// hours, minutes and seconds (months and years are not fixed lengths).
pub fn relative_time(d: Duration) -> String {
    let s = d.as_secs();
    let (days, rest) = (s / 86_400, s % 86_400);
    format!("0000{:02}{:02}{:02}{:02}000R", days.min(99), rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::mt::request::MtRequest;

    fn valid(text: &str) -> ValidMt {
        MtRequest {
            destination: Some("+15551230001".into()),
            source: Some("SIMGATE".into()),
            text: Some(text.into()),
            validity: Some("1day 2h 3m".into()),
            ..MtRequest::default()
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn a_short_gsm_text_is_one_part() {
        let parts = plan_parts(&valid("hello"), ConcatMode::Udh8, 7).unwrap();
        assert_eq!(parts.len(), 1);
        let p = &parts[0];
        assert_eq!((p.data_coding, p.esm_class, p.registered_delivery), (0, 0, 1));
        assert_eq!((p.source_addr_ton, p.source_addr_npi, p.dest_addr_ton), (5, 0, 1));
        assert_eq!(p.short_message, b"hello");
        assert_eq!(p.validity_period, "000001020300000R");
        p.to_body().unwrap();
    }

    #[test]
    fn long_text_splits_by_the_mode() {
        let text = "a".repeat(200);
        let udh = plan_parts(&valid(&text), ConcatMode::Udh8, 0x0107).unwrap();
        assert_eq!(udh.len(), 2);
        assert!(udh.iter().all(|p| p.esm_class == 0x40));
        assert_eq!(&udh[0].short_message[..6], &[5, 0, 3, 0x07, 2, 1]);
        let sar = plan_parts(&valid(&text), ConcatMode::Sar, 0x0107).unwrap();
        assert_eq!(sar.len(), 2);
        assert!(sar.iter().all(|p| p.esm_class == 0 && p.tlvs.len() == 3));
        let payload = plan_parts(&valid(&"b".repeat(400)), ConcatMode::Payload, 0).unwrap();
        assert_eq!(payload.len(), 1);
        assert!(payload[0].short_message.is_empty());
        assert_eq!(payload[0].tlvs[0].0, TlvTag::MESSAGE_PAYLOAD.0);
        for p in udh.iter().chain(&sar).chain(&payload) {
            p.to_body().unwrap();
        }
    }

    #[test]
    fn text_outside_gsm_goes_ucs2_and_a_forced_encoding_that_cannot_carry_it_fails() {
        let parts = plan_parts(&valid("привет"), ConcatMode::Udh8, 1).unwrap();
        assert_eq!(parts[0].data_coding, 8);
        let mut forced = valid("привет");
        forced.content = Content::Text { text: "привет".into(), encoding: Some(TextEncoding::Gsm7) };
        assert!(matches!(plan_parts(&forced, ConcatMode::Udh8, 1), Err(PlanError::Split(_))));
    }

    #[test]
    fn sender_kinds_get_their_ton_npi() {
        assert_eq!(source_ton_npi("+15551230001"), (1, 1));
        assert_eq!(source_ton_npi("4412345678"), (1, 1));
        assert_eq!(source_ton_npi("12345"), (0, 1));
        assert_eq!(source_ton_npi("Bank"), (5, 0));
    }

    #[test]
    fn sim_data_download_parts_go_as_given() {
        let parts = vec![
            [&[7u8, 0x70, 0, 0, 3, 9, 2, 1][..], &[0xAB; 132]].concat(),
            [&[5u8, 0, 3, 9, 2, 2][..], &[0xCD; 40]].concat(),
        ];
        let mt = ValidMt::sim_data_download("+4670000001", "OTA", parts.clone(), Some("k".into())).unwrap();
        // The mode and reference never change OTA parts.
        for (mode, reference) in [(ConcatMode::Udh8, 1), (ConcatMode::Sar, 7), (ConcatMode::Payload, 0)] {
            let planned = plan_parts(&mt, mode, reference).unwrap();
            assert_eq!(planned.len(), 2);
            for (p, given) in planned.iter().zip(&parts) {
                assert_eq!((p.protocol_id, p.esm_class, p.data_coding), (0x7F, 0x40, 0xF6));
                assert_eq!(&p.short_message, given);
                assert!(p.tlvs.is_empty());
                assert_eq!(p.registered_delivery, 1);
                assert_eq!(p.destination_addr, "4670000001");
                p.to_body().unwrap();
            }
        }
    }

    #[test]
    fn ordinary_messages_keep_protocol_id_zero() {
        let parts = plan_parts(&valid("hello"), ConcatMode::Udh8, 7).unwrap();
        assert_eq!(parts[0].protocol_id, 0);
    }
}
