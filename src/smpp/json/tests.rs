//! Tests of the JSON view: every fixture and command id round trips, and
//! bad input is refused with the path of the field at fault.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::smpp::pdu::{CommandStatus, PduError};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/smpp");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), parse_hex(&text).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The JSON as an operator's tool would read it back: printed, then parsed.
fn reparse(json: &Json) -> Value {
    serde_json::from_str(&serde_json::to_string(json).unwrap()).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    fixtures().into_iter().find(|(n, _)| n == name).unwrap().1
}

fn err(value: Value) -> JsonError {
    json_to_frame(&value).unwrap_err()
}

#[test]
fn every_fixture_decodes_to_json_and_encodes_back_byte_exact() {
    let all = fixtures();
    assert!(all.len() >= 40, "only {} fixtures", all.len());
    for (name, frame) in &all {
        let json = frame_to_json(frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        let value = reparse(&json);
        assert_eq!(value["command_length"], frame.len(), "{name}");
        let again = json_to_frame(&value).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(to_hex(&again), to_hex(frame), "{name} does not round trip");
        // The derived fields are optional: without them the same octets.
        let mut bare = value.clone();
        bare.as_object_mut().unwrap().remove("command_length");
        bare.as_object_mut().unwrap().remove("receipt");
        assert_eq!(json_to_frame(&bare).unwrap(), *frame, "{name} without derived fields");
    }
}

#[test]
fn every_command_id_round_trips() {
    for &id in CommandId::ALL {
        let mut value = json!({"command_id": id.name(), "sequence_number": 42});
        match id {
            CommandId::SubmitMulti => {
                value["body"] = json!({"dest_addresses": [{"dest_flag": 1, "destination_addr": "4477"}]});
            }
            CommandId::BroadcastSm => {
                value["tlvs"] = json!([
                    {"name": "broadcast_area_identifier", "value": {"format": 0, "hex": "01"}},
                    {"name": "broadcast_content_type", "value": {"network_type": 1, "content_type": 2}},
                    {"name": "broadcast_rep_num", "value": 3},
                    {"name": "broadcast_frequency_interval", "value": {"unit": 8, "value": 60}},
                ]);
            }
            _ => {}
        }
        let frame = json_to_frame(&value).unwrap_or_else(|e| panic!("{id}: {e}"));
        let shown = reparse(&frame_to_json(&frame).unwrap());
        assert_eq!(shown["command_id"], id.name());
        assert_eq!(shown["sequence_number"], 42);
        assert_eq!(shown["command_status"], "ESME_ROK");
        assert_eq!(json_to_frame(&shown).unwrap(), frame, "{id}");
    }
}

#[test]
fn fields_keep_wire_order_and_spec_names() {
    let json = frame_to_json(&fixture("smpplib-submit_sm.hex")).unwrap();
    let Some(Json::Object(body)) = json.get("body") else { panic!("no body") };
    let keys: Vec<_> = body.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys.first(), Some(&"service_type"));
    assert_eq!(keys.get(3), Some(&"source_addr"));
    assert_eq!(keys.last(), Some(&"short_message"));
    let Json::Object(top) = &json else { panic!() };
    let top: Vec<_> = top.iter().map(|(k, _)| *k).collect();
    assert_eq!(top, ["command_length", "command_id", "command_status", "sequence_number", "body", "tlvs"]);
}

#[test]
fn short_message_shows_text_and_udh() {
    let json = reparse(&frame_to_json(&fixture("smpplib-submit_sm_ucs2.hex")).unwrap());
    assert_eq!(json["body"]["data_coding"], 8);
    assert!(json["body"]["short_message"]["text"].is_string());
    let json = reparse(&frame_to_json(&fixture("simgate-submit_sm_udh_concat8.hex")).unwrap());
    let sm = &json["body"]["short_message"];
    assert_eq!(sm["udh"]["hex"], "0500032a0201");
    assert_eq!(sm["udh"]["elements"][0], json!({"iei": "concat8", "reference": 42, "total": 2, "seq": 1}));
    assert_eq!(sm["text"], "A".repeat(153));
    // data_coding 0xF6 is 8-bit data: no text.
    let json = reparse(&frame_to_json(&fixture("simgate-submit_sm_ota_sms_pp.hex")).unwrap());
    assert!(json["body"]["short_message"].get("text").is_none());
    assert!(json["body"]["short_message"]["udh"].is_object());
}

#[test]
fn text_is_encoded_by_data_coding() {
    let submit = |dc: u8, sm: Value| {
        json!({"command_id": "submit_sm", "sequence_number": 1,
        "body": {"data_coding": dc, "destination_addr": "447700900123", "short_message": sm}})
    };
    let gsm = json_to_frame(&submit(0, json!({"text": "Hi@"}))).unwrap();
    assert!(to_hex(&gsm).ends_with("03486900"), "{}", to_hex(&gsm));
    let ucs2 = json_to_frame(&submit(8, json!({"text": "Hé"}))).unwrap();
    assert!(to_hex(&ucs2).ends_with("04004800e9"), "{}", to_hex(&ucs2));
    let shown = reparse(&frame_to_json(&ucs2).unwrap());
    assert_eq!(shown["body"]["short_message"], json!({"hex": "004800e9", "text": "Hé"}));

    let mut udh = submit(0, json!({"text": "A", "udh": {"hex": "050003010201"}}));
    udh["body"]["esm_class"] = json!(0x40);
    assert!(to_hex(&json_to_frame(&udh).unwrap()).ends_with("0705000301020141"));
}

#[test]
fn delivery_receipt_is_parsed_with_normalised_id() {
    let json = reparse(&frame_to_json(&fixture("node-smpp-deliver_sm_receipt.hex")).unwrap());
    let r = &json["receipt"];
    assert_eq!(r["kind"], "smsc_delivery_receipt");
    assert_eq!(r["message_id"], "7F3A2B10");
    assert_eq!(r["correlation_key"], "x:7f3a2b10");
    assert_eq!(r["state"], "DELIVERED");
    assert_eq!(r["message_id_source"], "tlv");
    assert_eq!(
        json["tlvs"][0],
        json!({"name": "receipted_message_id", "tag": "0x001e", "value": "7F3A2B10"})
    );
    let json = reparse(&frame_to_json(&fixture("smpplib-deliver_sm_receipt.hex")).unwrap());
    assert!(json["receipt"]["correlation_key"].as_str().unwrap().starts_with("d:"), "{}", json["receipt"]);
    // An MO message carries no receipt.
    let json = reparse(&frame_to_json(&fixture("node-smpp-deliver_sm_mo.hex")).unwrap());
    assert!(json.get("receipt").is_none());
}

#[test]
fn unknown_tlvs_and_statuses_stay_raw() {
    let frame = json_to_frame(&json!({"command_id": "submit_sm_resp", "command_status": 0x401,
        "sequence_number": 9, "body": null}))
    .unwrap();
    let shown = reparse(&frame_to_json(&frame).unwrap());
    assert_eq!(shown["command_status"], 0x401);
    assert_eq!(shown["body"], Value::Null);
    let frame = json_to_frame(&json!({"command_id": "submit_sm_resp", "sequence_number": 9,
        "body": {"message_id": "A1"}, "tlvs": [{"tag": "0x1400", "hex": "0102"}]}))
    .unwrap();
    let shown = reparse(&frame_to_json(&frame).unwrap());
    assert_eq!(shown["tlvs"][0], json!({"tag": "0x1400", "hex": "0102"}));
    let bodiless = json!({"command_id": "submit_sm_resp", "command_status": 0x401, "sequence_number": 9,
        "body": null, "tlvs": [{"tag": "0x1400", "hex": "0102"}]});
    assert_eq!(err(bodiless).path, "body");
    let throttled =
        json!({"command_id": "generic_nack", "command_status": "ESME_RTHROTTLED", "sequence_number": 1});
    assert_eq!(to_hex(&json_to_frame(&throttled).unwrap()), "00000010800000000000005800000001");
}

#[test]
fn bad_json_names_the_field() {
    let base = || json!({"command_id": "submit_sm", "sequence_number": 1, "body": {}});
    let at = |value: Value| err(value).path;

    let mut v = base();
    v["body"]["source_adr"] = json!("1");
    assert_eq!(err(v.clone()), JsonError::new("body.source_adr", JsonErrorKind::UnknownField));
    assert_eq!(err(v).to_string(), "body.source_adr: unknown field");

    let mut v = base();
    v["body"]["source_addr"] = json!("123456789012345678901");
    let e = err(v);
    assert_eq!(e.path, "body.source_addr");
    assert!(matches!(e.kind, JsonErrorKind::Value(_)), "{e}");

    let mut v = base();
    v["body"]["esm_class"] = json!(256);
    assert_eq!(at(v), "body.esm_class");
    let mut v = base();
    v["sequence_number"] = json!("one");
    assert_eq!(at(v), "sequence_number");
    let mut v = base();
    v["command_id"] = json!("submit_smm");
    assert!(matches!(err(v).kind, JsonErrorKind::UnknownName { .. }));
    assert_eq!(at(json!({"sequence_number": 1})), "command_id");
    let mut v = base();
    v["extra"] = json!(1);
    assert_eq!(at(v), "extra");

    let mut v = base();
    v["tlvs"] = json!([{"name": "user_message_reference", "value": 70000}]);
    assert_eq!(at(v), "tlvs[0].value");
    let mut v = base();
    v["tlvs"] = json!([{"name": "no_such_tlv", "value": 1}]);
    assert_eq!(at(v), "tlvs[0].name");
    let mut v = base();
    v["tlvs"] = json!([{"name": "source_port", "tag": "0x020b", "value": 1}]);
    assert_eq!(at(v), "tlvs[0].tag");
    let mut v = base();
    v["tlvs"] = json!([{"name": "callback_num", "value": {"hex": "01"}}]);
    let e = err(v);
    assert_eq!(e.path, "tlvs[0]");
    assert!(matches!(e.kind, JsonErrorKind::Pdu { error: PduError::TlvLength { .. } }), "{e}");

    let mut v = base();
    v["body"]["short_message"] = json!({"hex": "4869", "text": "Ho"});
    assert_eq!(at(v), "body.short_message.text");
    let mut v = base();
    v["body"]["short_message"] = json!({"hex": "4g"});
    assert!(matches!(err(v).kind, JsonErrorKind::Hex(HexError::BadDigit { ch: 'g', .. })));
    let mut v = base();
    v["body"]["short_message"] = json!({"text": "日本"});
    assert!(matches!(err(v).kind, JsonErrorKind::Text(_)));
    let mut v = base();
    v["body"]["data_coding"] = json!(4);
    v["body"]["short_message"] = json!({"text": "binary"});
    assert_eq!(err(v).kind, JsonErrorKind::NoTextAlphabet { data_coding: 4 });
    let mut v = base();
    v["body"]["esm_class"] = json!(0x40);
    v["body"]["short_message"] = json!({"text": "x"});
    assert_eq!(at(v), "body.short_message.udh");
    let mut v = base();
    v["body"]["short_message"] = json!({"hex": "00".repeat(255)});
    assert_eq!(at(v), "body.short_message");

    let mut v = base();
    v["body"]["short_message"] = json!({"text": "x"});
    v["tlvs"] = json!([{"name": "message_payload", "value": {"hex": "41"}}]);
    let e = err(v);
    assert_eq!(e.path, "body.short_message");
    assert_eq!(e.kind, JsonErrorKind::Pdu { error: PduError::ShortMessageAndPayload });
    assert!(e.to_string().contains("ESME_RINVMSGLEN"), "{e}");

    let mut v = base();
    v["body"]["source_addr"] = json!({"hex": "41", "text": "A"});
    assert_eq!(at(v), "body.source_addr");
    let mut v = base();
    v["body"]["source_addr"] = json!({"hex": "4"});
    assert_eq!(at(v), "body.source_addr.hex");
    let data_sm =
        json!({"command_id": "data_sm", "sequence_number": 1, "body": {"short_message": {"text": "x"}}});
    assert_eq!(err(data_sm), JsonError::new("body.short_message", JsonErrorKind::UnknownField));

    let mut v = base();
    v["command_length"] = json!(10);
    assert_eq!(at(v), "command_length");

    let ok_resp = json!({"command_id": "submit_sm_resp", "sequence_number": 1, "body": null});
    assert_eq!(err(ok_resp).kind, JsonErrorKind::Pdu { error: PduError::TruncatedBody });
    assert_eq!(at(json!({"command_id": "broadcast_sm", "sequence_number": 1})), "tlvs");
    let multi = json!({"command_id": "submit_multi", "sequence_number": 1,
        "body": {"number_of_dests": 2, "dest_addresses": [{"destination_addr": "1"}]}});
    assert_eq!(at(multi), "body.number_of_dests");
}

#[test]
fn non_utf8_strings_round_trip_as_hex() {
    let v = json!({"command_id": "bind_transmitter", "sequence_number": 3,
        "body": {"system_id": {"hex": "e9ff"}, "interface_version": 0x34}});
    let frame = json_to_frame(&v).unwrap();
    let shown = reparse(&frame_to_json(&frame).unwrap());
    assert_eq!(shown["body"]["system_id"], json!({"hex": "e9ff"}));
    assert_eq!(json_to_frame(&shown).unwrap(), frame);
}

#[test]
fn hex_input_is_lenient_about_separators_only() {
    assert_eq!(parse_hex(" 0x00 01:0A\tff ").unwrap(), [0, 1, 10, 255]);
    assert_eq!(parse_hex("abc"), Err(HexError::OddDigits));
    assert_eq!(parse_hex("  "), Err(HexError::Empty));
    assert_eq!(parse_hex("00zz"), Err(HexError::BadDigit { ch: 'z', at: 2 }));
    assert_eq!(parse_hex("0x0é"), Err(HexError::BadDigit { ch: 'é', at: 3 }));
}

#[test]
fn statuses_parse_by_name_number_and_hex() {
    for (given, want) in [
        (json!("ESME_RINVPASWD"), CommandStatus::ESME_RINVPASWD),
        (json!(88), CommandStatus::ESME_RTHROTTLED),
        (json!("0x00000401"), CommandStatus(0x401)),
    ] {
        let v = json!({"command_id": "generic_nack", "command_status": given, "sequence_number": 1});
        let frame = json_to_frame(&v).unwrap();
        assert_eq!(crate::smpp::pdu::decode(&frame).unwrap().command_status, want);
    }
}

#[test]
fn message_payload_text_follows_the_body_data_coding() {
    let v = json!({"command_id": "data_sm", "sequence_number": 5,
        "body": {"destination_addr": "447700900123", "data_coding": 8},
        "tlvs": [{"name": "message_payload", "value": {"text": "Hé"}}]});
    let frame = json_to_frame(&v).unwrap();
    assert!(to_hex(&frame).ends_with("04240004004800e9"), "{}", to_hex(&frame));
    let shown = reparse(&frame_to_json(&frame).unwrap());
    assert_eq!(shown["tlvs"][0]["value"], json!({"hex": "004800e9", "text": "Hé"}));
    assert!(shown.get("receipt").is_none());
    assert_eq!(json_to_frame(&shown).unwrap(), frame);
}
