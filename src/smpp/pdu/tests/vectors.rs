//! Hand-written frames, octet by octet, decoded and re-encoded exactly.

use super::*;
use crate::smpp::pdu::tlv::{MessageState, NetworkErrorCode};

#[test]
fn enquire_link() {
    let frame = [0, 0, 0, 0x10, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7];
    let pdu = assert_decodes_exact(&frame);
    assert_eq!(pdu, Pdu::new(CommandStatus::ESME_ROK, 7, Body::EnquireLink));
}

#[test]
fn generic_nack() {
    let frame = [0, 0, 0, 0x10, 0x80, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 9];
    let pdu = assert_decodes_exact(&frame);
    assert_eq!(pdu, Pdu::generic_nack(CommandStatus::ESME_RINVCMDID, 9));
}

#[test]
fn bind_transceiver() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x2A, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 1,
        b's', b'm', b'p', b'p', b'c', b'l', b'i', b'e', b'n', b't', b'1', 0,
        b'p', b'a', b's', b's', b'w', b'o', b'r', b'd', 0,
        0,          // system_type NULL
        0x34,       // interface_version
        1, 1,       // addr_ton, addr_npi
        0,          // address_range NULL
    ];
    let pdu = assert_decodes_exact(&frame);
    let expected = Bind {
        system_id: cs("smppclient1"),
        password: cs("password"),
        system_type: SystemType::EMPTY,
        interface_version: 0x34,
        addr_ton: 1,
        addr_npi: 1,
        address_range: AddressRange::EMPTY,
    };
    assert_eq!(pdu, Pdu::new(CommandStatus::ESME_ROK, 1, Body::BindTransceiver(expected)));
}

#[test]
fn submit_sm() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x2E, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 2,
        0,                              // service_type NULL
        1, 1, b'1', b'2', b'3', b'4', 0, // source ton, npi, addr
        1, 1, b'5', b'6', b'7', b'8', 0, // dest ton, npi, addr
        0, 0, 0,                        // esm_class, protocol_id, priority_flag
        0, 0,                           // schedule_delivery_time, validity_period NULL
        1, 0, 0, 0,                     // registered_delivery, replace, data_coding, default id
        5, b'h', b'e', b'l', b'l', b'o',
    ];
    let pdu = assert_decodes_exact(&frame);
    let expected = SmFields {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("1234"),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: cs("5678"),
        registered_delivery: 1,
        short_message: sm(b"hello"),
        ..SmFields::default()
    };
    assert_eq!(pdu, Pdu::new(CommandStatus::ESME_ROK, 2, Body::SubmitSm(expected)));
}

#[test]
fn submit_sm_resp() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x17, 0x80, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 2,
        b'a', b'b', b'c', b'1', b'2', b'3', 0,
    ];
    let pdu = assert_decodes_exact(&frame);
    assert_eq!(
        pdu,
        Pdu::new(CommandStatus::ESME_ROK, 2, Body::SubmitSmResp(SubmitSmResp { message_id: cs("abc123") }))
    );
}

#[test]
fn submit_sm_resp_without_body_on_error() {
    let frame = [0, 0, 0, 0x10, 0x80, 0, 0, 0x04, 0, 0, 0, 0x58, 0, 0, 0, 2];
    let pdu = assert_decodes_exact(&frame);
    assert_eq!(pdu.body, Body::EmptyResponse(CommandId::SubmitSmResp));
    assert!(pdu.command_status.is_temporary());
}

#[test]
fn deliver_sm_receipt_with_tlvs() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x3D, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 3,
        0,                              // service_type
        1, 1, b'5', b'6', b'7', b'8', 0,
        1, 1, b'1', b'2', b'3', b'4', 0,
        0x04, 0, 0,                     // esm_class: SMSC delivery receipt
        0, 0,
        0, 0, 0, 0,
        0,                              // sm_length 0
        0x00, 0x1E, 0, 4, b'a', b'b', b'c', 0,   // receipted_message_id "abc"
        0x04, 0x27, 0, 1, 2,                     // message_state DELIVERED
        0x04, 0x23, 0, 3, 3, 0, 0,               // network_error_code GSM 0
    ];
    let pdu = assert_decodes_exact(&frame);
    let Body::DeliverSm(body) = &pdu.body else { panic!("not deliver_sm") };
    assert_eq!(body.esm_class, 0x04);
    let tlvs: Vec<Tlv<'_>> = pdu.tlvs.iter().collect();
    assert_eq!(
        tlvs,
        vec![
            Tlv::ReceiptedMessageId(cs("abc")),
            Tlv::MessageState(MessageState::DELIVERED),
            Tlv::NetworkErrorCode(NetworkErrorCode { network_type: 3, error_code: 0 }),
        ]
    );
}

#[test]
fn submit_multi_with_destinations() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x2D, 0, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0, 4,
        0,                              // service_type
        1, 1, b'1', 0,                  // source
        2,                              // number_of_dests
        1, 1, 1, b'2', b'2', 0,         // SME address
        2, b'd', b'l', 0,               // distribution list
        0, 0, 0, 0, 0, 1, 0, 0, 0,      // esm..sm_default_msg_id
        3, b'y', b'o', b'!',
    ];
    let pdu = assert_decodes_exact(&frame);
    let Body::SubmitMulti(body) = &pdu.body else { panic!("not submit_multi") };
    let dests: Vec<DestAddress<'_>> = body.dest_addresses.iter().collect();
    assert_eq!(
        dests,
        vec![
            DestAddress::Sme { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: cs("22") },
            DestAddress::DistributionList(cs("dl")),
        ]
    );
}

#[test]
fn submit_multi_resp_with_unsuccess_list() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x27, 0x80, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0, 4,
        b'm', b'1', 0,
        2,                                      // no_unsuccess
        1, 1, b'1', b'1', b'1', 0, 0, 0, 0, 0x58, // throttled
        0, 0, b'2', b'2', 0, 0, 0, 0, 0x0B,     // invalid destination
    ];
    let pdu = assert_decodes_exact(&frame);
    let expected = SubmitMultiResp {
        message_id: cs("m1"),
        unsuccess_smes: vec![
            UnsuccessSme {
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: cs("111"),
                error_status_code: CommandStatus::ESME_RTHROTTLED,
            },
            UnsuccessSme {
                dest_addr_ton: 0,
                dest_addr_npi: 0,
                destination_addr: cs("22"),
                error_status_code: CommandStatus::ESME_RINVDSTADR,
            },
        ]
        .into(),
    };
    assert_eq!(pdu, Pdu::new(CommandStatus::ESME_ROK, 4, Body::SubmitMultiResp(expected)));
}

#[test]
fn unknown_tlv_kept_in_order() {
    #[rustfmt::skip]
    let frame = [
        0, 0, 0, 0x24, 0x80, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 2,
        b'x', 0,
        0x14, 0x01, 0, 3, 1, 2, 3,      // vendor TLV
        0x00, 0x1D, 0, 3, b'o', b'k', 0, // additional_status_info_text
        0x14, 0x02, 0, 0,               // vendor TLV, empty
    ];
    let pdu = assert_decodes_exact(&frame);
    let tags: Vec<u16> = pdu.tlvs.iter().map(|t| t.tag().0).collect();
    assert_eq!(tags, vec![0x1401, 0x001D, 0x1402]);
    assert_eq!(pdu.tlvs.get(TlvTag(0x1401)), Some(Tlv::Unknown { tag: 0x1401, value: &[1, 2, 3] }));
}
