//! One or more instances of every PDU type, round-tripped.

use super::*;
use crate::smpp::pdu::tlv::{
    AlertOnMessageDelivery, BillingIdentification, BroadcastAreaIdentifier, BroadcastContentType,
    BroadcastFrequencyInterval, MessageState, NetworkErrorCode,
};

fn submit_fields() -> SmFields<'static> {
    SmFields {
        service_type: cs("CMT"),
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: cs("simgate"),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: cs("447700900123"),
        esm_class: 0x40,
        protocol_id: 0x7F,
        priority_flag: 1,
        schedule_delivery_time: time("000000001000000R"),
        validity_period: time("261122063000004+"),
        registered_delivery: 1,
        replace_if_present_flag: 0,
        data_coding: 0xF6,
        sm_default_msg_id: 0,
        short_message: sm(&[0x02, 0x70, 0x00, 0xAA, 0xBB]),
    }
}

fn broadcast_tlvs() -> Vec<Tlv<'static>> {
    vec![
        Tlv::BroadcastAreaIdentifier(BroadcastAreaIdentifier::new(1, b"\x00\x01\x02").unwrap()),
        Tlv::BroadcastContentType(BroadcastContentType { network_type: 1, content_type: 0x0010 }),
        Tlv::BroadcastRepNum(3),
        Tlv::BroadcastFrequencyInterval(BroadcastFrequencyInterval { unit: 0x09, value: 5 }),
    ]
}

/// Every standard TLV once, plus unknown ones.
pub(super) fn all_tlvs() -> Vec<Tlv<'static>> {
    vec![
        Tlv::DestAddrSubunit(1),
        Tlv::DestNetworkType(1),
        Tlv::DestBearerType(1),
        Tlv::DestTelematicsId(0x0102),
        Tlv::SourceAddrSubunit(2),
        Tlv::SourceNetworkType(3),
        Tlv::SourceBearerType(4),
        Tlv::SourceTelematicsId(5),
        Tlv::QosTimeToLive(3600),
        Tlv::PayloadType(1),
        Tlv::AdditionalStatusInfoText(cs("queued")),
        Tlv::ReceiptedMessageId(cs("0123abcd")),
        Tlv::MsMsgWaitFacilities(0x80),
        Tlv::PrivacyIndicator(2),
        Tlv::SourceSubaddress(OctetString::new(b"\xA0\x01").unwrap()),
        Tlv::DestSubaddress(OctetString::new(b"\x80\x01\x02").unwrap()),
        Tlv::UserMessageReference(0xBEEF),
        Tlv::UserResponseCode(7),
        Tlv::SourcePort(0x1234),
        Tlv::DestinationPort(0x4321),
        Tlv::SarMsgRefNum(0x0102),
        Tlv::LanguageIndicator(1),
        Tlv::SarTotalSegments(3),
        Tlv::SarSegmentSeqnum(1),
        Tlv::ScInterfaceVersion(0x34),
        Tlv::CallbackNumPresInd(1),
        Tlv::CallbackNumAtag(OctetString::new(b"\x00home").unwrap()),
        Tlv::NumberOfMessages(9),
        Tlv::CallbackNum(OctetString::new(b"\x01\x01\x01123").unwrap()),
        Tlv::DpfResult(1),
        Tlv::SetDpf(1),
        Tlv::MsAvailabilityStatus(0),
        Tlv::NetworkErrorCode(NetworkErrorCode { network_type: 3, error_code: 0x0022 }),
        Tlv::DeliveryFailureReason(2),
        Tlv::MoreMessagesToSend(1),
        Tlv::MessageState(MessageState::DELIVERED),
        Tlv::CongestionState(50),
        Tlv::UssdServiceOp(2),
        Tlv::BroadcastChannelIndicator(0),
        Tlv::BroadcastContentTypeInfo(OctetString::new(b"info").unwrap()),
        Tlv::BroadcastMessageClass(1),
        Tlv::BroadcastErrorStatus(CommandStatus::ESME_RBCASTFAIL),
        Tlv::BroadcastAreaSuccess(100),
        Tlv::BroadcastEndTime(time("261122063000000+")),
        Tlv::BroadcastServiceGroup(OctetString::new(b"grp").unwrap()),
        Tlv::BillingIdentification(BillingIdentification::new(0x80, b"acct-1").unwrap()),
        Tlv::SourceNetworkId(cs("net-a")),
        Tlv::DestNetworkId(cs("net-b")),
        Tlv::SourceNodeId(OctetString::new(b"123456").unwrap()),
        Tlv::DestNodeId(OctetString::new(b"654321").unwrap()),
        Tlv::DestAddrNpResolution(1),
        Tlv::DestAddrNpInformation(OctetString::new(b"0123456789").unwrap()),
        Tlv::DestAddrNpCountry(OctetString::new(b"\x00\x00\x00\x01\x2C").unwrap()),
        Tlv::DisplayTime(1),
        Tlv::SmsSignal(0x0100),
        Tlv::MsValidity(OctetString::new(b"\x03").unwrap()),
        Tlv::AlertOnMessageDelivery(AlertOnMessageDelivery(None)),
        Tlv::AlertOnMessageDelivery(AlertOnMessageDelivery(Some(2))),
        Tlv::ItsReplyType(0),
        Tlv::ItsSessionInfo(0x0A01),
        Tlv::Unknown { tag: 0x1400, value: b"vendor" },
        Tlv::Unknown { tag: 0x3FFF, value: b"" },
    ]
}

/// At least one instance of every PDU type.
pub(super) fn samples() -> Vec<Pdu<'static>> {
    let ok = CommandStatus::ESME_ROK;
    let bind = Bind {
        system_id: cs("smppclient1"),
        password: cs("password"),
        system_type: cs("OTA"),
        interface_version: 0x34,
        addr_ton: 1,
        addr_npi: 1,
        address_range: cs("^44"),
    };
    let bind_resp = BindResp { system_id: cs("SMSC") };
    let mut receipt = submit_fields();
    receipt.esm_class = 0x04;
    receipt.schedule_delivery_time = SmppTime::NULL;
    receipt.validity_period = SmppTime::NULL;
    let mut with_payload = submit_fields();
    with_payload.short_message = ShortMessage::EMPTY;
    let long = vec![b'x'; 1000].leak();
    let multi = SubmitMulti {
        service_type: cs(""),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        dest_addresses: vec![
            DestAddress::Sme { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: cs("4477001") },
            DestAddress::DistributionList(cs("friends")),
            DestAddress::Sme { dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: cs("") },
        ]
        .into(),
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: SmppTime::NULL,
        validity_period: SmppTime::NULL,
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message: sm(b"hi all"),
    };
    let multi_resp = SubmitMultiResp {
        message_id: cs("m-1"),
        unsuccess_smes: vec![UnsuccessSme {
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: cs("4477001"),
            error_status_code: CommandStatus::ESME_RINVDSTADR,
        }]
        .into(),
    };
    let with = |status: CommandStatus, seq: u32, body: Body<'static>, tlvs: Vec<Tlv<'static>>| Pdu {
        command_status: status,
        sequence_number: seq,
        body,
        tlvs: tlvs.into(),
    };
    vec![
        Pdu::generic_nack(CommandStatus::ESME_RINVCMDID, 7),
        Pdu::new(ok, 1, Body::BindReceiver(bind)),
        Pdu::new(ok, 1, Body::BindTransmitter(bind)),
        Pdu::new(ok, 1, Body::BindTransceiver(bind)),
        with(ok, 1, Body::BindReceiverResp(bind_resp), vec![Tlv::ScInterfaceVersion(0x34)]),
        Pdu::new(ok, 1, Body::BindTransmitterResp(bind_resp)),
        Pdu::new(ok, 1, Body::BindTransceiverResp(bind_resp)),
        Pdu::new(CommandStatus::ESME_RBINDFAIL, 1, Body::EmptyResponse(CommandId::BindTransceiverResp)),
        Pdu::new(ok, 2, Body::Outbind(Outbind { system_id: cs("SMSC"), password: cs("secret") })),
        Pdu::new(ok, 3, Body::Unbind),
        Pdu::new(ok, 3, Body::UnbindResp),
        Pdu::new(ok, 4, Body::EnquireLink),
        Pdu::new(ok, 4, Body::EnquireLinkResp),
        Pdu::new(ok, 5, Body::SubmitSm(submit_fields())),
        with(
            ok,
            5,
            Body::SubmitSm(submit_fields()),
            vec![Tlv::SarMsgRefNum(7), Tlv::SarTotalSegments(2), Tlv::SarSegmentSeqnum(1)],
        ),
        with(ok, 6, Body::SubmitSm(with_payload), vec![Tlv::MessagePayload(OctetString::new(long).unwrap())]),
        with(ok, 6, Body::SubmitSm(SmFields::default()), all_tlvs()),
        Pdu::new(ok, 5, Body::SubmitSmResp(SubmitSmResp { message_id: cs("abc123") })),
        Pdu::new(CommandStatus::ESME_RTHROTTLED, 5, Body::EmptyResponse(CommandId::SubmitSmResp)),
        with(
            ok,
            7,
            Body::DeliverSm(receipt),
            vec![
                Tlv::ReceiptedMessageId(cs("abc123")),
                Tlv::MessageState(MessageState::DELIVERED),
                Tlv::NetworkErrorCode(NetworkErrorCode { network_type: 3, error_code: 0 }),
            ],
        ),
        Pdu::new(ok, 7, Body::DeliverSmResp(DeliverSmResp::default())),
        Pdu::new(ok, 8, Body::SubmitMulti(multi)),
        Pdu::new(ok, 8, Body::SubmitMultiResp(multi_resp)),
        Pdu::new(
            ok,
            8,
            Body::SubmitMultiResp(SubmitMultiResp { message_id: cs("m-2"), unsuccess_smes: vec![].into() }),
        ),
        with(
            ok,
            9,
            Body::DataSm(DataSm {
                service_type: cs("WAP"),
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: cs("4477009001234567890123456789"),
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: cs("12345"),
                esm_class: 0,
                registered_delivery: 1,
                data_coding: 4,
            }),
            vec![Tlv::MessagePayload(OctetString::new(b"payload").unwrap()), Tlv::SourcePort(9200)],
        ),
        with(
            ok,
            9,
            Body::DataSmResp(DataSmResp { message_id: cs("d-1") }),
            vec![Tlv::DeliveryFailureReason(0)],
        ),
        Pdu::new(
            ok,
            10,
            Body::QuerySm(QuerySm {
                message_id: cs("abc123"),
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: cs("simgate"),
            }),
        ),
        Pdu::new(
            ok,
            10,
            Body::QuerySmResp(QuerySmResp {
                message_id: cs("abc123"),
                final_date: time("261122063000000+"),
                message_state: 2,
                error_code: 0,
            }),
        ),
        Pdu::new(
            ok,
            11,
            Body::CancelSm(CancelSm {
                service_type: cs(""),
                message_id: cs("abc123"),
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: cs("simgate"),
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: cs("4477"),
            }),
        ),
        Pdu::new(ok, 11, Body::CancelSmResp),
        Pdu::new(
            ok,
            12,
            Body::ReplaceSm(ReplaceSm {
                message_id: cs("abc123"),
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: cs("simgate"),
                schedule_delivery_time: SmppTime::NULL,
                validity_period: time("000001000000000R"),
                registered_delivery: 1,
                sm_default_msg_id: 0,
                short_message: sm(b"new text"),
            }),
        ),
        Pdu::new(ok, 12, Body::ReplaceSmResp),
        with(
            ok,
            13,
            Body::AlertNotification(AlertNotification {
                source_addr_ton: 1,
                source_addr_npi: 1,
                source_addr: cs("447700900123"),
                esme_addr_ton: 5,
                esme_addr_npi: 0,
                esme_addr: cs("simgate"),
            }),
            vec![Tlv::MsAvailabilityStatus(0)],
        ),
        with(
            ok,
            14,
            Body::BroadcastSm(BroadcastSm {
                service_type: cs(""),
                source_addr_ton: 5,
                source_addr_npi: 0,
                source_addr: cs("alerts"),
                message_id: cs(""),
                priority_flag: 0,
                schedule_delivery_time: SmppTime::NULL,
                validity_period: SmppTime::NULL,
                replace_if_present_flag: 0,
                data_coding: 0,
                sm_default_msg_id: 0,
            }),
            broadcast_tlvs(),
        ),
        with(ok, 14, Body::BroadcastSmResp(BroadcastSmResp { message_id: cs("b-1") }), vec![]),
        with(
            ok,
            15,
            Body::QueryBroadcastSm(QueryBroadcastSm {
                message_id: cs("b-1"),
                source_addr_ton: 5,
                source_addr_npi: 0,
                source_addr: cs("alerts"),
            }),
            vec![Tlv::UserMessageReference(1)],
        ),
        with(
            ok,
            15,
            Body::QueryBroadcastSmResp(QueryBroadcastSmResp { message_id: cs("b-1") }),
            vec![
                Tlv::MessageState(MessageState::ENROUTE),
                Tlv::BroadcastAreaIdentifier(BroadcastAreaIdentifier::new(1, b"\x01").unwrap()),
                Tlv::BroadcastAreaSuccess(80),
            ],
        ),
        Pdu::new(
            ok,
            16,
            Body::CancelBroadcastSm(CancelBroadcastSm {
                service_type: cs(""),
                message_id: cs("b-1"),
                source_addr_ton: 5,
                source_addr_npi: 0,
                source_addr: cs("alerts"),
            }),
        ),
        Pdu::new(ok, 16, Body::CancelBroadcastSmResp),
    ]
}

#[test]
fn samples_cover_every_command_id() {
    let samples = samples();
    for id in CommandId::ALL {
        assert!(samples.iter().any(|p| p.command_id() == *id), "no sample of {id}");
    }
}

#[test]
fn every_sample_round_trips() {
    for pdu in samples() {
        assert_round_trip(&pdu);
    }
}

#[test]
fn every_standard_tlv_is_typed() {
    for tlv in all_tlvs() {
        let typed = !matches!(tlv, Tlv::Unknown { .. });
        assert_eq!(tlv.tag().is_known(), typed, "{tlv:?}");
    }
    // And every named tag has a sample.
    let tags: Vec<TlvTag> = all_tlvs().iter().map(Tlv::tag).collect();
    for tag in (0..=u16::MAX).map(TlvTag).filter(|t| t.is_known()) {
        assert!(tags.contains(&tag) || tag == TlvTag::MESSAGE_PAYLOAD || broadcast_tag(tag), "{tag}");
    }
}

fn broadcast_tag(tag: TlvTag) -> bool {
    broadcast_tlvs().iter().any(|t| t.tag() == tag)
}

#[test]
fn every_prefix_of_every_sample_fails_cleanly() {
    for pdu in samples() {
        let bytes = pdu.to_vec().unwrap();
        for cut in 0..bytes.len() {
            let mut frame = bytes[..cut].to_vec();
            if cut >= 4 {
                frame[..4].copy_from_slice(&(cut as u32).to_be_bytes());
            }
            // Must not panic; a shorter frame may still be valid (a PDU
            // whose tail was whole TLVs, or an empty error response).
            let _ = decode(&frame);
        }
    }
}

#[test]
fn decoding_does_not_copy() {
    let bytes = Pdu::new(CommandStatus::ESME_ROK, 5, Body::SubmitSm(submit_fields())).to_vec().unwrap();
    let pdu = decode(&bytes).unwrap();
    let Body::SubmitSm(sm) = pdu.body else { panic!("not submit_sm") };
    let range = bytes.as_ptr_range();
    assert!(range.contains(&sm.short_message.as_bytes().as_ptr()));
    assert!(range.contains(&sm.destination_addr.as_bytes().as_ptr()));
}
