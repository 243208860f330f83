//! The value decoder of every TLV tag (`Tlv::from_parts`), reached without
//! guessing tags: the first octet picks one of the tags simgate types (or,
//! above 0xE0, a raw tag from the next two octets), the rest is the value.
//! Never panics; a decoded TLV keeps its tag and length, and inside a PDU it
//! encodes to exactly tag, length, value and decodes back equal. A value
//! `from_parts` refuses is refused by `pdu::decode` too.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use simgate::smpp::pdu::{self, Body, CommandStatus, HEADER_LEN, Pdu, Tlv, TlvTag, Tlvs};

/// Every tag with a typed decoder, found once by asking `TlvTag::is_known`.
fn known_tags() -> &'static [u16] {
    static TAGS: OnceLock<Vec<u16>> = OnceLock::new();
    TAGS.get_or_init(|| (0..=u16::MAX).filter(|&t| TlvTag(t).is_known()).collect())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (tag, value) = match (pick, rest) {
        (0xE0.., [hi, lo, value @ ..]) => (u16::from_be_bytes([*hi, *lo]), value),
        (0xE0.., _) => return,
        (p, value) => (known_tags()[usize::from(p) % known_tags().len()], value),
    };
    let Ok(value_len) = u16::try_from(value.len()) else { return };

    // The same TLV as it sits on the wire, after an enquire_link header.
    let len = HEADER_LEN + 4 + value.len();
    let mut frame = Vec::with_capacity(len);
    frame.extend_from_slice(&(len as u32).to_be_bytes());
    frame.extend_from_slice(&0x15u32.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    frame.extend_from_slice(&tag.to_be_bytes());
    frame.extend_from_slice(&value_len.to_be_bytes());
    frame.extend_from_slice(value);

    let tlv = match Tlv::from_parts(tag, value) {
        Ok(tlv) => tlv,
        Err(err) => {
            let _ = err.to_string();
            assert!(pdu::decode(&frame).is_err(), "decode accepts tag {tag:#06x} that from_parts refuses");
            return;
        }
    };
    assert_eq!(tlv.tag(), TlvTag(tag));
    assert_eq!(tlv.value_len(), value.len(), "{tlv:?}");
    let pdu = Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: 1,
        body: Body::EnquireLink,
        tlvs: Tlvs::from_items(vec![tlv]),
    };
    let encoded = pdu.to_vec().unwrap_or_else(|e| panic!("{tlv:?} does not encode: {e}"));
    assert_eq!(encoded, frame, "{tlv:?} does not encode to its own octets");
    assert_eq!(pdu::decode(&frame).ok(), Some(pdu));
});
