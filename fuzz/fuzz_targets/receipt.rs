//! `smpp::receipt::parse_receipt` on arbitrary text with arbitrary receipt
//! TLVs: never panics, and a parsed receipt keeps the module's rules: an id
//! of 1..=64 octets, at most `MAX_EXTRA_FIELDS` extra fields, TLVs win over
//! the text, and `to_text` writes it without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::receipt::{
    MAX_EXTRA_FIELDS, MAX_MESSAGE_ID_LEN, MessageId, NetworkErrorCode, ReceiptTlvs, Source, parse_receipt,
};

/// Splits off the TLVs: a flags octet says which are present, then the
/// message_state octet, the three network_error_code octets, and a length
/// octet and that many octets of receipted_message_id, each when flagged.
/// The rest is the receipt text.
fn split(data: &[u8]) -> Option<(ReceiptTlvs<'_>, &[u8])> {
    let (&flags, mut rest) = data.split_first()?;
    let mut tlvs = ReceiptTlvs::default();
    if flags & 1 != 0 {
        let (&state, tail) = rest.split_first()?;
        tlvs.message_state = Some(state);
        rest = tail;
    }
    if flags & 2 != 0 {
        let (code, tail) = rest.split_first_chunk::<3>()?;
        tlvs.network_error_code = Some(*code);
        rest = tail;
    }
    if flags & 4 != 0 {
        let (&len, tail) = rest.split_first()?;
        let (id, tail) = tail.split_at_checked(usize::from(len))?;
        tlvs.receipted_message_id = Some(id);
        rest = tail;
    }
    Some((tlvs, rest))
}

fuzz_target!(|data: &[u8]| {
    let Some((tlvs, text)) = split(data) else { return };
    let receipt = match parse_receipt(text, tlvs) {
        Ok(receipt) => receipt,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let id = receipt.message_id.as_str();
    assert!(!id.is_empty() && id.len() <= MAX_MESSAGE_ID_LEN, "id {id:?}");
    assert!(receipt.extra.len() <= MAX_EXTRA_FIELDS);
    if let Some(state) = tlvs.message_state {
        assert_eq!(receipt.state_source, Source::Tlv, "message_state TLV must win");
        assert_eq!(receipt.state.as_u8(), state);
    }
    if let Some(tlv_id) = tlvs.receipted_message_id.and_then(|raw| MessageId::from_c_octets(raw).ok()) {
        assert_eq!(receipt.message_id_source, Source::Tlv, "receipted_message_id TLV must win");
        assert_eq!(receipt.message_id, tlv_id);
    }
    assert_eq!(receipt.network_error_code, tlvs.network_error_code.map(NetworkErrorCode::from_octets));
    let written = receipt.to_text();
    // What simgate writes, simgate reads (not necessarily to an equal
    // receipt: a TLV-only id may hold spaces the text form cannot carry).
    let _ = parse_receipt(written.as_bytes(), ReceiptTlvs::default());
});
