//! Example-based tests of `parse_receipt`: the Appendix B receipt, the
//! variants SMSCs send, the TLV rules, and the errors.

use super::*;

fn parse(text: &str) -> Result<DeliveryReceipt, ReceiptError> {
    parse_receipt(text.as_bytes(), ReceiptTlvs::default())
}

fn ok(text: &str) -> DeliveryReceipt {
    match parse(text) {
        Ok(receipt) => receipt,
        Err(err) => panic!("{text:?}: {err}"),
    }
}

fn date(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Option<ReceiptDate> {
    Some(ReceiptDate::new(y, mo, d, h, mi, s).unwrap())
}

const APPENDIX_B: &str = "id:0123456789 sub:001 dlvrd:001 submit date:0409011200 \
                          done date:0409011201 stat:DELIVRD err:000 Text:Hello from simgate";

#[test]
fn appendix_b_example() {
    let r = ok(APPENDIX_B);
    assert_eq!(r.message_id.as_str(), "0123456789");
    assert_eq!(r.message_id_source, Source::Text);
    assert_eq!(r.state, MessageState::Delivered);
    assert_eq!(r.state_source, Source::Text);
    assert_eq!(r.submitted, Some(1));
    assert_eq!(r.delivered, Some(1));
    assert_eq!(r.submit_date, date(2004, 9, 1, 12, 0, 0));
    assert_eq!(r.done_date, date(2004, 9, 1, 12, 1, 0));
    assert_eq!(r.error_code, Some(0));
    assert_eq!(r.network_error_code, None);
    assert_eq!(r.text.as_deref(), Some("Hello from simgate"));
    assert!(r.extra.is_empty());
    assert!(r.overridden.is_empty());
    assert_eq!(r.to_text(), APPENDIX_B);
}

#[test]
fn date_layouts() {
    let table = [
        ("2403151230", date(2024, 3, 15, 12, 30, 0)),
        ("240315123045", date(2024, 3, 15, 12, 30, 45)),
        ("20240315123045", date(2024, 3, 15, 12, 30, 45)),
    ];
    for (digits, expected) in table {
        let r = ok(&format!("id:1 submit date:{digits} done date:{digits} stat:DELIVRD"));
        assert_eq!(r.submit_date, expected, "{digits}");
        assert_eq!(r.done_date, expected, "{digits}");
    }
}

#[test]
fn field_names_in_any_case() {
    for text in [
        "id:77 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:delivrd err:000 text:hi",
        "ID:77 SUB:001 DLVRD:001 SUBMIT DATE:2403151230 DONE DATE:2403151231 STAT:DELIVRD ERR:000 TEXT:hi",
        "Id:77 Sub:001 DlVrd:001 Submit Date:2403151230 Done date:2403151231 Stat:Delivrd Err:000 TeXt:hi",
    ] {
        let r = ok(text);
        assert_eq!(r.message_id.as_str(), "77", "{text}");
        assert_eq!(r.state, MessageState::Delivered, "{text}");
        assert_eq!(r.submitted, Some(1));
        assert_eq!(r.done_date, date(2024, 3, 15, 12, 31, 0), "{text}");
        assert_eq!(r.error_code, Some(0));
        assert_eq!(r.text.as_deref(), Some("hi"), "{text}");
    }
}

#[test]
fn missing_text() {
    let r = ok("id:5 sub:001 dlvrd:000 submit date:2403151230 done date:2403151231 stat:UNDELIV err:021");
    assert_eq!(r.state, MessageState::Undeliverable);
    assert_eq!(r.error_code, Some(21));
    assert_eq!(r.text, None);
}

#[test]
fn truncated_text() {
    assert_eq!(ok("id:5 stat:DELIVRD err:000 Text:Hel").text.as_deref(), Some("Hel"));
    assert_eq!(ok("id:5 stat:DELIVRD err:000 Text:").text.as_deref(), Some(""));
    let cut_name = ok("id:5 stat:DELIVRD err:000 Tex");
    assert_eq!(cut_name.text, None);
    assert_eq!(cut_name.error_code, Some(0));
    assert!(cut_name.extra.is_empty());
    // Cut before stat: the state is missing.
    assert_eq!(
        parse("id:5 sub:001 dlvrd:001 submit date:2403151230 done d"),
        Err(ReceiptError::MissingState)
    );
}

#[test]
fn extra_fields_anywhere() {
    let r = ok("smsc:eu-1 id:9 sub:001 route:a b dlvrd:001 stat:DELIVRD err:000 mccmnc:23415 Text:x");
    assert_eq!(r.message_id.as_str(), "9");
    let extra: Vec<(&str, &str)> = r.extra.iter().map(|f| (f.name.as_str(), f.value.as_str())).collect();
    assert_eq!(extra, [("smsc", "eu-1"), ("route", "a b"), ("mccmnc", "23415")]);
    assert_eq!(r.text.as_deref(), Some("x"));
}

#[test]
fn reordered_fields() {
    let r =
        ok("stat:EXPIRED err:000 done date:2403161230 id:ABCDEF sub:001 dlvrd:000 submit date:2403151230");
    assert_eq!(r.message_id.as_str(), "ABCDEF");
    assert_eq!(r.state, MessageState::Expired);
    assert_eq!(r.submit_date, date(2024, 3, 15, 12, 30, 0));
    assert_eq!(r.done_date, date(2024, 3, 16, 12, 30, 0));
    assert_eq!(r.delivered, Some(0));
}

#[test]
fn underscore_date_names() {
    let r = ok("id:1 submit_date:2403151230 done_date:240315123107 stat:DELIVRD");
    assert_eq!(r.submit_date, date(2024, 3, 15, 12, 30, 0));
    assert_eq!(r.done_date, date(2024, 3, 15, 12, 31, 7));
    let r = ok("id:1 SubmitDate:2403151230 DONEDATE:2403151231 stat:DELIVRD");
    assert_eq!(r.done_date, date(2024, 3, 15, 12, 31, 0));
}

#[test]
fn text_containing_stat_lookalikes() {
    let r = ok("id:1 stat:DELIVRD err:000 Text:stat:UNDELIV id:2 err:999 done date:garbage");
    assert_eq!(r.message_id.as_str(), "1");
    assert_eq!(r.state, MessageState::Delivered);
    assert_eq!(r.error_code, Some(0));
    assert_eq!(r.done_date, None);
    assert_eq!(r.text.as_deref(), Some("stat:UNDELIV id:2 err:999 done date:garbage"));
}

#[test]
fn ids_hex_decimal_zeros_and_long() {
    let hex = ok("id:0A1B2C3D stat:DELIVRD");
    assert_eq!(hex.message_id.form(), IdForm::Hex);
    let submitted = MessageId::new("169552957").unwrap();
    assert!(submitted.may_match(&hex.message_id));
    let zeros = ok("id:000123 stat:DELIVRD");
    assert_eq!(zeros.message_id, MessageId::new("123").unwrap());
    assert_eq!(zeros.message_id.as_str(), "000123");
    let long = "a".repeat(64);
    assert_eq!(ok(&format!("id:{long} stat:DELIVRD")).message_id.as_str(), long);
    let too_long = "a".repeat(65);
    assert_eq!(
        parse(&format!("id:{too_long} stat:DELIVRD")),
        Err(ReceiptError::MessageIdTooLong { len: 65 })
    );
    let uuid = ok("id:550E8400-E29B-41D4-A716-446655440000 stat:DELIVRD");
    assert_eq!(uuid.message_id.form(), IdForm::Text);
}

#[test]
fn every_stat_word() {
    let table = [
        ("DELIVRD", MessageState::Delivered),
        ("EXPIRED", MessageState::Expired),
        ("DELETED", MessageState::Deleted),
        ("UNDELIV", MessageState::Undeliverable),
        ("ACCEPTD", MessageState::Accepted),
        ("UNKNOWN", MessageState::Unknown),
        ("REJECTD", MessageState::Rejected),
        ("ENROUTE", MessageState::Enroute),
        ("SCHEDULED", MessageState::Scheduled),
        ("SKIPPED", MessageState::Skipped),
    ];
    for (word, state) in table {
        assert_eq!(ok(&format!("id:1 stat:{word}")).state, state, "{word}");
    }
}

#[test]
fn tlv_only_receipts() {
    let tlvs = ReceiptTlvs {
        receipted_message_id: Some(b"0A1B2C3D\0"),
        message_state: Some(2),
        network_error_code: Some([3, 0x00, 0x22]),
    };
    for body in [&b""[..], b"\0\0", b"   "] {
        let r = parse_receipt(body, tlvs).unwrap();
        assert_eq!(r.message_id.as_str(), "0A1B2C3D");
        assert_eq!(r.message_id_source, Source::Tlv);
        assert_eq!(r.state, MessageState::Delivered);
        assert_eq!(r.state_source, Source::Tlv);
        assert_eq!(r.network_error_code, Some(NetworkErrorCode { network_type: 3, error_code: 0x22 }));
        assert_eq!(r.text, None);
        assert!(r.overridden.is_empty());
    }
}

#[test]
fn tlvs_fill_in_what_the_text_lacks() {
    let state_only = ReceiptTlvs { message_state: Some(5), ..ReceiptTlvs::default() };
    let r = parse_receipt(b"id:42 err:012", state_only).unwrap();
    assert_eq!(
        (r.message_id.as_str(), r.state, r.state_source),
        ("42", MessageState::Undeliverable, Source::Tlv)
    );
    let id_only = ReceiptTlvs { receipted_message_id: Some(b"42"), ..ReceiptTlvs::default() };
    let r = parse_receipt(b"stat:REJECTD", id_only).unwrap();
    assert_eq!((r.message_id_source, r.state), (Source::Tlv, MessageState::Rejected));
}

#[test]
fn tlvs_override_the_text_visibly() {
    let tlvs = ReceiptTlvs {
        receipted_message_id: Some(b"ffff"),
        message_state: Some(MessageState::Undeliverable.as_u8()),
        network_error_code: None,
    };
    let r = parse_receipt(b"id:1234 stat:DELIVRD err:000", tlvs).unwrap();
    assert_eq!(r.message_id.as_str(), "ffff");
    assert_eq!(r.state, MessageState::Undeliverable);
    assert_eq!(r.overridden.message_id.as_deref(), Some("1234"));
    assert_eq!(r.overridden.stat.as_deref(), Some("DELIVRD"));

    // Same message in another base, same state: no disagreement.
    let r = parse_receipt(b"id:65535 stat:undeliv", tlvs).unwrap();
    assert!(r.overridden.is_empty(), "{:?}", r.overridden);

    // The TLV replaces a text value that would otherwise be an error.
    let long = format!("id:{} stat:WHATEVER", "9".repeat(80));
    let r = parse_receipt(long.as_bytes(), tlvs).unwrap();
    assert_eq!(r.overridden.message_id.as_deref(), Some("9".repeat(80).as_str()));
    assert_eq!(r.overridden.stat.as_deref(), Some("WHATEVER"));
}

#[test]
fn invalid_tlvs() {
    let bad_state = ReceiptTlvs { message_state: Some(10), ..ReceiptTlvs::default() };
    assert_eq!(
        parse_receipt(APPENDIX_B.as_bytes(), bad_state),
        Err(ReceiptError::InvalidTlvState { value: 10 })
    );
    let long_id = [b'7'; 65];
    let bad_id = ReceiptTlvs { receipted_message_id: Some(&long_id), ..ReceiptTlvs::default() };
    assert_eq!(parse_receipt(APPENDIX_B.as_bytes(), bad_id), Err(ReceiptError::MessageIdTooLong { len: 65 }));
    // An empty receipted_message_id counts as absent: the text id is used.
    let empty_id = ReceiptTlvs { receipted_message_id: Some(b"\0"), ..ReceiptTlvs::default() };
    let r = parse_receipt(APPENDIX_B.as_bytes(), empty_id).unwrap();
    assert_eq!(r.message_id_source, Source::Text);
}

#[test]
fn invalid_dates_are_rejected() {
    let table = [
        (
            "id:1 submit date:2413011200 stat:DELIVRD",
            "submit date",
            DateError::OutOfRange { component: "month", value: 13 },
        ),
        (
            "id:1 done date:2402301200 stat:DELIVRD",
            "done date",
            DateError::OutOfRange { component: "day", value: 30 },
        ),
        ("id:1 done_date:24020112 stat:DELIVRD", "done date", DateError::BadLength { len: 8 }),
        ("id:1 submit date:24O2011200 stat:DELIVRD", "submit date", DateError::NotDigits),
        (
            "id:1 submit date:2402012500 stat:DELIVRD",
            "submit date",
            DateError::OutOfRange { component: "hour", value: 25 },
        ),
    ];
    for (text, field, reason) in table {
        assert_eq!(parse(text), Err(ReceiptError::BadDate { field, reason }), "{text}");
    }
    // Empty date values are absent, not invalid.
    assert_eq!(ok("id:1 submit date: done date: stat:DELIVRD").submit_date, None);
}

#[test]
fn garbage_is_rejected() {
    let table: [(&[u8], ReceiptError); 7] = [
        (b"", ReceiptError::NotAReceipt),
        (b"Hello, are you coming tonight?", ReceiptError::NotAReceipt),
        (b"\xff\xfe\x00\x01garbage", ReceiptError::NotAReceipt),
        (b"sub:001 dlvrd:001 err:000 Text:hi", ReceiptError::NotAReceipt),
        (b"stat:DELIVRD err:000", ReceiptError::MissingMessageId),
        (b"id: stat:DELIVRD", ReceiptError::MissingMessageId),
        (b"id:123 sub:001 dlvrd:001", ReceiptError::MissingState),
    ];
    for (body, err) in table {
        assert_eq!(
            parse_receipt(body, ReceiptTlvs::default()),
            Err(err),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(parse("id:1 stat:OKAY"), Err(ReceiptError::UnrecognisedStat { value: "OKAY".into() }));
    let long_stat = format!("id:1 stat:{}", "X".repeat(100));
    assert_eq!(parse(&long_stat), Err(ReceiptError::UnrecognisedStat { value: "X".repeat(16) }));
}

#[test]
fn lenient_numbers_and_bytes() {
    let r =
        parse_receipt(b"id:1 sub:1 dlvrd:abc stat:DELIVRD err:0B4 Text:caf\xe9 \xff", ReceiptTlvs::default())
            .unwrap();
    assert_eq!(r.submitted, Some(1));
    assert_eq!(r.delivered, None);
    assert_eq!(r.error_code, None);
    let extra: Vec<(&str, &str)> = r.extra.iter().map(|f| (f.name.as_str(), f.value.as_str())).collect();
    assert_eq!(extra, [("dlvrd", "abc"), ("err", "0B4")]);
    assert_eq!(r.text.as_deref(), Some("caf\u{fffd} \u{fffd}"));
    assert_eq!(ok("id:1 stat:DELIVRD err:70000").error_code, None);
}

#[test]
fn trailing_nuls_and_spaces_are_trimmed() {
    let r = parse_receipt(b"id:1 stat:DELIVRD Text:hi  \r\n\0\0", ReceiptTlvs::default()).unwrap();
    assert_eq!(r.text.as_deref(), Some("hi"));
}

#[test]
fn only_the_head_of_a_long_payload_is_read() {
    let mut body = b"id:1 stat:DELIVRD ".to_vec();
    body.resize(MAX_RECEIPT_TEXT_LEN, b' ');
    body.extend_from_slice(b"err:001 Text:late");
    let r = parse_receipt(&body, ReceiptTlvs::default()).unwrap();
    assert_eq!(r.error_code, None);
    assert_eq!(r.text, None);
}

#[test]
fn extra_fields_are_bounded() {
    let mut body = String::from("id:1 stat:DELIVRD");
    for i in 0..100 {
        body.push_str(&format!(" f{i}:v"));
    }
    let r = ok(&body);
    assert_eq!(r.extra.len(), MAX_EXTRA_FIELDS);
    assert_eq!(r.extra_dropped, 100 - MAX_EXTRA_FIELDS);
}

#[test]
fn esm_class_receipt_types() {
    let table = [
        (0x00, None),
        (0x04, Some(ReceiptKind::SmscDeliveryReceipt)),
        (0x08, None),
        (0x10, None),
        (0x18, None),
        (0x20, Some(ReceiptKind::IntermediateNotification)),
        (0x44, Some(ReceiptKind::SmscDeliveryReceipt)),
        (0x84 | 0x03, Some(ReceiptKind::SmscDeliveryReceipt)),
        (0x24, None),
        (0x40, None),
    ];
    for (esm_class, kind) in table {
        assert_eq!(ReceiptKind::from_esm_class(esm_class), kind, "{esm_class:#04x}");
        assert_eq!(looks_like_receipt(esm_class), kind.is_some(), "{esm_class:#04x}");
    }
}

#[test]
fn network_error_code_octets() {
    let code = NetworkErrorCode::from_octets([3, 0x01, 0x02]);
    assert_eq!(code, NetworkErrorCode { network_type: 3, error_code: 0x0102 });
    assert_eq!(code.to_octets(), [3, 0x01, 0x02]);
}

#[test]
fn a_receipt_is_recognised_by_esm_class_or_by_its_tlvs_only() {
    use crate::smpp::pdu::{Body, CommandStatus, DataSm, Pdu, ShortMessage, SmFields, Tlv, TlvTag, Tlvs};
    let text = b"id:7 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000";
    let flagged =
        SmFields { esm_class: 0x04, short_message: ShortMessage::new(text).unwrap(), ..SmFields::default() };
    let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::DeliverSm(flagged));
    let carried = CarriedReceipt::of(&pdu).unwrap();
    assert_eq!(carried.kind, Some(ReceiptKind::SmscDeliveryReceipt));
    assert_eq!(carried.parse().unwrap().message_id.as_str(), "7");

    // A plain esm_class with receipted_message_id is a receipt too.
    let id = Tlv::from_parts(TlvTag::RECEIPTED_MESSAGE_ID.0, b"7\0").unwrap();
    let state = Tlv::from_parts(TlvTag::MESSAGE_STATE.0, &[2]).unwrap();
    let pdu = Pdu {
        tlvs: Tlvs::from_items(vec![id, state]),
        ..Pdu::new(CommandStatus::ESME_ROK, 2, Body::DataSm(DataSm::default()))
    };
    let carried = CarriedReceipt::of(&pdu).unwrap();
    assert_eq!(carried.kind, None);
    assert_eq!(carried.parse().unwrap().state, MessageState::Delivered);

    // An MO message carries none.
    let mo = SmFields { short_message: ShortMessage::new(b"hi").unwrap(), ..SmFields::default() };
    assert!(CarriedReceipt::of(&Pdu::new(CommandStatus::ESME_ROK, 3, Body::DeliverSm(mo))).is_none());
}
