//! Every limit, broken once on decode and once on encode where the types
//! allow building the bad value.

use super::*;
use crate::smpp::pdu::tlv::TlvTag;

/// A frame of `id` with `body`, command_length set right.
fn frame(id: u32, status: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&((16 + body.len()) as u32).to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&status.to_be_bytes());
    out.extend_from_slice(&42u32.to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn err(frame: &[u8]) -> DecodeError {
    decode(frame).expect_err("decoded a bad frame")
}

/// A submit_sm body with the given short message octets and sm_length.
fn submit_body(sm_length: u8, message: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 1, 1, b'1', 0, 1, 1, b'2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sm_length];
    b.extend_from_slice(message);
    b
}

#[test]
fn frame_shorter_than_header() {
    let e = err(&[0, 0, 0, 0x10, 0, 0, 0]);
    assert_eq!(e.error, PduError::ShortHeader { len: 7 });
    assert_eq!(e.sequence_number, None);
    assert_eq!(e.reply(), Reply::GenericNack);
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVCMDLEN);
}

#[test]
fn command_length_below_16() {
    let mut f = frame(0x15, 0, &[]);
    f[3] = 0x0C;
    let e = err(&f);
    assert_eq!(e.error, PduError::CommandLength { command_length: 12, frame_len: 16 });
    assert_eq!(e.reply(), Reply::GenericNack);
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVCMDLEN);
    assert_eq!(e.sequence_number, Some(42));
}

#[test]
fn command_length_not_frame_length() {
    let mut f = frame(0x15, 0, &[]);
    f[3] = 0x11;
    assert_eq!(err(&f).error, PduError::CommandLength { command_length: 17, frame_len: 16 });
    let mut f = frame(0x15, 0, &[0, 0, 0, 0]);
    f[3] = 0x10;
    assert_eq!(err(&f).command_status(), CommandStatus::ESME_RINVCMDLEN);
}

#[test]
fn unknown_command_id() {
    let e = err(&frame(0x0000_0099, 0, &[]));
    assert_eq!(e.error, PduError::UnknownCommandId { command_id: 0x99 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVCMDID);
    assert_eq!(e.reply(), Reply::GenericNack);
    assert_eq!((e.command_id, e.sequence_number), (Some(0x99), Some(42)));
    // outbind has no response id.
    assert_eq!(err(&frame(0x8000_000B, 0, &[])).command_status(), CommandStatus::ESME_RINVCMDID);
}

#[test]
fn over_long_c_octet_string() {
    // system_id of 16 characters: its NUL is the 17th octet, max is 16.
    let mut body = b"0123456789abcdef\0pw\0\0\x34\0\0\0".to_vec();
    let e = err(&frame(0x09, 0, &body));
    assert_eq!(e.error, PduError::CStringTooLong { field: Field::SystemId, max: 16 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVSYSID);
    assert_eq!(e.reply(), Reply::Response);
    // 15 characters is the most that fits.
    body.remove(0);
    assert!(decode(&frame(0x09, 0, &body)).is_ok());
    // A 21-character destination_addr in submit_sm.
    let mut body = vec![0, 1, 1, b'1', 0, 1, 1];
    body.extend_from_slice(&[b'9'; 21]);
    body.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let e = err(&frame(0x04, 0, &body));
    assert_eq!(e.error, PduError::CStringTooLong { field: Field::DestinationAddr, max: 21 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVDSTADR);
}

#[test]
fn over_long_submit_multi_destination() {
    let mut body = vec![0, 1, 1, b'1', 0, 1, 1, 1, 1];
    body.extend_from_slice(&[b'9'; 25]);
    body.push(0);
    let e = err(&frame(0x21, 0, &body));
    assert_eq!(e.error, PduError::CStringTooLong { field: Field::DestinationAddr, max: 21 });
}

#[test]
fn missing_nul() {
    let e = err(&frame(0x09, 0, b"abc"));
    assert_eq!(e.error, PduError::CStringUnterminated { field: Field::SystemId });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVSYSID);
    let e = err(&frame(0x80000004, 0, b"abc"));
    assert_eq!(e.error, PduError::CStringUnterminated { field: Field::MessageId });
}

#[test]
fn time_neither_null_nor_16_characters() {
    let body = [0, 1, 1, b'1', 0, 1, 1, b'2', 0, 0, 0, 0, b'1', b'2', 0, 0, 0, 0, 0, 0, 0];
    let e = err(&frame(0x04, 0, &body));
    assert_eq!(e.error, PduError::InvalidTime { field: Field::ScheduleDeliveryTime });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVSCHED);
    assert!(SmppTime::new(b"12").is_err());
    assert!(SmppTime::new(b"0000000010000000R").is_err());
}

#[test]
fn sm_length_255() {
    let e = err(&frame(0x04, 0, &submit_body(255, &[b'x'; 255])));
    assert_eq!(e.error, PduError::SmLengthTooLarge { sm_length: 255 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVMSGLEN);
    assert!(decode(&frame(0x04, 0, &submit_body(254, &[b'x'; 254]))).is_ok());
    assert!(ShortMessage::new(&[0; 255]).is_err());
}

#[test]
fn sm_length_past_the_body() {
    let e = err(&frame(0x04, 0, &submit_body(10, b"short")));
    assert_eq!(e.error, PduError::SmLengthBeyondBody { sm_length: 10 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVMSGLEN);
}

#[test]
fn short_message_and_message_payload() {
    let mut body = submit_body(2, b"hi");
    body.extend_from_slice(&[0x04, 0x24, 0, 2, b'h', b'i']);
    let e = err(&frame(0x04, 0, &body));
    assert_eq!(e.error, PduError::ShortMessageAndPayload);
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVMSGLEN);

    let fields = SmFields { short_message: sm(b"hi"), ..SmFields::default() };
    let pdu = Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: 1,
        body: Body::SubmitSm(fields),
        tlvs: vec![Tlv::MessagePayload(OctetString::new(b"hi").unwrap())].into(),
    };
    let mut out = Vec::new();
    assert_eq!(pdu.encode(&mut out), Err(PduError::ShortMessageAndPayload));
    assert!(out.is_empty(), "nothing is written when a check fails");
}

#[test]
fn wrong_fixed_tlv_length() {
    // sar_msg_ref_num is 2 octets (v3.4 5.3.2.22); here 1.
    let mut body = submit_body(0, b"");
    body.extend_from_slice(&[0x02, 0x0C, 0, 1, 7]);
    let e = err(&frame(0x04, 0, &body));
    assert_eq!(e.error, PduError::TlvLength { tag: 0x020C, len: 1 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVPARLEN);
    assert_eq!(e.command_status().0, 0xC2);
    assert_eq!(e.reply(), Reply::Response);
    // network_error_code is 3 octets; here 2.
    let mut body = submit_body(0, b"");
    body.extend_from_slice(&[0x04, 0x23, 0, 2, 3, 0]);
    assert_eq!(err(&frame(0x04, 0, &body)).error, PduError::TlvLength { tag: 0x0423, len: 2 });
    // alert_on_message_delivery: no value (v5.0 allows one octet); here 2.
    let mut body = submit_body(0, b"");
    body.extend_from_slice(&[0x13, 0x0C, 0, 2, 0, 0]);
    assert_eq!(err(&frame(0x04, 0, &body)).error, PduError::TlvLength { tag: 0x130C, len: 2 });
}

#[test]
fn tlv_c_octet_string_without_nul() {
    let mut body = submit_body(0, b"");
    body.extend_from_slice(&[0x00, 0x1E, 0, 3, b'a', b'b', b'c']);
    let e = err(&frame(0x04, 0, &body));
    assert_eq!(e.error, PduError::TlvValue { tag: 0x001E });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVOPTPARAMVAL);
}

#[test]
fn truncated_tlv() {
    for tail in [&[0x02, 0x0C, 0, 2, 7][..], &[0x02, 0x0C, 0][..], &[0x02][..]] {
        let mut body = submit_body(0, b"");
        body.extend_from_slice(tail);
        let e = err(&frame(0x04, 0, &body));
        assert_eq!(e.error, PduError::TlvStream, "{tail:?}");
        assert_eq!(e.command_status(), CommandStatus::ESME_RINVOPTPARSTREAM);
    }
    // Trailing octets after an empty-body PDU are TLVs too.
    assert_eq!(err(&frame(0x15, 0, &[1, 2, 3])).error, PduError::TlvStream);
}

#[test]
fn truncated_mandatory_fields() {
    let body = submit_body(0, b"");
    let e = err(&frame(0x04, 0, &body[..10]));
    assert_eq!(e.error, PduError::TruncatedBody);
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVCMDLEN);
    assert_eq!(e.reply(), Reply::Response);
    // A request cannot leave its body out.
    assert_eq!(err(&frame(0x04, 0, &[])).error, PduError::TruncatedBody);
    // Nor can a successful response.
    assert_eq!(err(&frame(0x8000_0004, 0, &[])).error, PduError::TruncatedBody);
}

#[test]
fn submit_multi_destination_limits() {
    // number_of_dests 0 and 255.
    for n in [0u8, 255] {
        let body = [0, 1, 1, b'1', 0, n];
        assert_eq!(err(&frame(0x21, 0, &body)).error, PduError::DestinationCount { count: n.into() });
    }
    // dest_flag 3.
    let body = [0, 1, 1, b'1', 0, 1, 3, 0];
    let e = err(&frame(0x21, 0, &body));
    assert_eq!(e.error, PduError::DestFlag { flag: 3 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVDESTFLAG);
    // Encode side: no destinations, and 255 of them.
    for n in [0usize, 255] {
        let dests = vec![DestAddress::DistributionList(cs("dl")); n];
        let body = SubmitMulti { dest_addresses: dests.into(), ..SubmitMulti::default() };
        let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::SubmitMulti(body));
        assert_eq!(pdu.to_vec(), Err(PduError::DestinationCount { count: n }));
    }
    let list = vec![
        UnsuccessSme {
            dest_addr_ton: 0,
            dest_addr_npi: 0,
            destination_addr: Address::EMPTY,
            error_status_code: CommandStatus::ESME_RSYSERR,
        };
        255
    ];
    let body = SubmitMultiResp { message_id: MessageId::EMPTY, unsuccess_smes: list.into() };
    let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::SubmitMultiResp(body));
    assert_eq!(pdu.to_vec(), Err(PduError::DestinationCount { count: 255 }));
}

#[test]
fn broadcast_sm_needs_its_tlvs() {
    let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::BroadcastSm(BroadcastSm::default()));
    let e = pdu.to_vec().unwrap_err();
    assert_eq!(e, PduError::MissingTlv { tag: TlvTag::BROADCAST_AREA_IDENTIFIER.0 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RMISSINGOPTPARAM);
    // The same on decode: the body alone.
    let body = [0, 0, 0, b'a', 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(err(&frame(0x111, 0, &body)).error, e);
}

#[test]
fn constructors_enforce_field_limits() {
    assert!(SystemId::new(b"0123456789abcde").is_ok());
    assert_eq!(SystemId::new(b"0123456789abcdef"), Err(ValueError::Length { len: 16, min: 0, max: 15 }));
    assert!(Password::new(b"123456789").is_err());
    assert!(SystemType::new(&[b'x'; 13]).is_err());
    assert!(AddressRange::new(&[b'x'; 41]).is_err());
    assert!(Address::new(&[b'1'; 21]).is_err());
    assert!(Address::new(&[b'1'; 20]).is_ok());
    assert!(ServiceType::new(b"ABCDEF").is_err());
    assert!(MessageId::new(&[b'1'; 65]).is_err());
    assert_eq!(Address::new(b"1\x002"), Err(ValueError::EmbeddedNul));
    assert!(OctetString::<4, 19>::new(b"123").is_err());
}

#[test]
fn unknown_tlv_over_65535_octets_is_refused_on_encode() {
    let big = vec![0u8; 65_536];
    let pdu = Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: 1,
        body: Body::EnquireLink,
        tlvs: vec![Tlv::Unknown { tag: 0x1400, value: &big }].into(),
    };
    assert_eq!(pdu.to_vec(), Err(PduError::TlvLength { tag: 0x1400, len: 65_536 }));
}

#[test]
fn empty_response_only_for_error_responses() {
    let request = Pdu::new(CommandStatus::ESME_RSYSERR, 1, Body::EmptyResponse(CommandId::SubmitSm));
    assert_eq!(request.to_vec(), Err(PduError::TruncatedBody));
    let ok = Pdu::new(CommandStatus::ESME_ROK, 1, Body::EmptyResponse(CommandId::SubmitSmResp));
    assert_eq!(ok.to_vec(), Err(PduError::TruncatedBody));
    // Without its body the response ends after the header: TLVs there
    // would decode as the missing body, so simgate never sends that.
    let error = Pdu::new(CommandStatus::ESME_RSYSERR, 1, Body::EmptyResponse(CommandId::SubmitSmResp));
    let bare = error.to_vec().unwrap();
    assert_eq!(decode(&bare).unwrap(), error);
    let tlv = Tlv::from_parts(TlvTag::USER_MESSAGE_REFERENCE.0, &[0, 1]).unwrap();
    let with_tlv = Pdu { tlvs: Tlvs::from_items(vec![tlv]), ..error };
    assert_eq!(with_tlv.to_vec(), Err(PduError::TruncatedBody));
}

#[test]
fn buffer_too_small() {
    let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::EnquireLink);
    let mut storage = [0u8; 8];
    let mut buf = &mut storage[..];
    assert_eq!(pdu.encode(&mut buf), Err(PduError::TooLarge { len: 16 }));
}

#[test]
fn status_names_and_retry_class() {
    assert_eq!(CommandStatus::ESME_RTHROTTLED.name(), Some("ESME_RTHROTTLED"));
    assert_eq!(CommandStatus(0x61).name(), Some("ESME_RINVSCHED"));
    assert_eq!(CommandStatus(0xC2).name(), Some("ESME_RINVPARLEN"));
    assert_eq!(CommandStatus(0x0112).name(), Some("ESME_RINVBCASTCHANIND"));
    assert_eq!(CommandStatus(0x0400).name(), None);
    assert!(CommandStatus(0x0400).is_vendor_specific());
    for s in [
        CommandStatus::ESME_RMSGQFUL,
        CommandStatus::ESME_RTHROTTLED,
        CommandStatus::ESME_RX_T_APPN,
        CommandStatus::ESME_RSYSERR,
    ] {
        assert!(s.is_temporary(), "{s}");
    }
    for s in [
        CommandStatus::ESME_ROK,
        CommandStatus::ESME_RINVDSTADR,
        CommandStatus::ESME_RX_R_APPN,
        CommandStatus::ESME_RSUBMITFAIL,
    ] {
        assert!(!s.is_temporary(), "{s}");
    }
    assert_eq!(CommandStatus(0x1234).to_string(), "command_status 0x00001234");
}

#[test]
fn command_ids() {
    for id in CommandId::ALL {
        assert_eq!(CommandId::from_u32(id.as_u32()), Some(*id));
        if let Some(resp) = id.response() {
            assert_eq!(resp.as_u32(), id.as_u32() | 0x8000_0000);
            assert_eq!(resp.name(), format!("{}_resp", id.name()));
        }
    }
    assert_eq!(CommandId::AlertNotification.response(), None);
    assert_eq!(CommandId::Outbind.response(), None);
    assert_eq!(CommandId::SubmitSm.response(), Some(CommandId::SubmitSmResp));
    assert_eq!(serde_json::to_string(&CommandId::SubmitSm).unwrap(), "\"submit_sm\"");
    assert_eq!(
        serde_json::to_string(&CommandId::QueryBroadcastSmResp).unwrap(),
        "\"query_broadcast_sm_resp\""
    );
    assert_eq!(CommandId::BroadcastSm.as_u32(), 0x111);
    assert_eq!(CommandId::CancelBroadcastSmResp.as_u32(), 0x8000_0113);
}

#[test]
fn decode_error_names_the_command() {
    let e = err(&frame(0x04, 0, &[0, 1]));
    assert_eq!(e.command(), Some(CommandId::SubmitSm));
    assert_eq!(e.command().and_then(CommandId::response), Some(CommandId::SubmitSmResp));
    assert_eq!(PduError::from(e), PduError::TruncatedBody);
}

#[test]
fn tlv_lookup_agrees_on_decoded_and_built_lists() {
    let built: Tlvs<'_> = vec![
        Tlv::SarMsgRefNum(9),
        Tlv::MessagePayload(OctetString::new(b"abc").unwrap()),
        Tlv::SarMsgRefNum(10),
    ]
    .into();
    let pdu = Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: 1,
        body: Body::DataSm(DataSm::default()),
        tlvs: built.clone(),
    };
    let bytes = pdu.to_vec().unwrap();
    let decoded = decode(&bytes).unwrap().tlvs;
    for list in [&built, &decoded] {
        assert_eq!(list.get(TlvTag::SAR_MSG_REF_NUM), Some(Tlv::SarMsgRefNum(9)));
        assert_eq!(list.message_payload(), Some(&b"abc"[..]));
        assert!(!list.contains(TlvTag::RECEIPTED_MESSAGE_ID));
        assert_eq!(list.len(), 3);
    }
}
