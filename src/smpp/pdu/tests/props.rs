//! Proptest round trips for every PDU type, and decode-never-panics
//! properties over arbitrary and mutated frames.
//!
//! Generated octets are leaked so that the borrowed PDU types can be
//! produced by strategies; the leak is bounded by the case count.

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::smpp::pdu::tlv::TlvTag;

const CASES: u32 = 256;

fn leak(v: Vec<u8>) -> &'static [u8] {
    Box::leak(v.into_boxed_slice())
}

fn cstr<const MAX: usize>() -> impl Strategy<Value = COctetString<'static, MAX>> {
    vec(1u8..=255, 0..MAX).prop_map(|v| COctetString::new(leak(v)).unwrap())
}

fn smpp_time() -> impl Strategy<Value = SmppTime<'static>> {
    prop_oneof![
        Just(SmppTime::NULL),
        vec(1u8..=255, SmppTime::LEN).prop_map(|v| SmppTime::new(leak(v)).unwrap())
    ]
}

fn short_message() -> impl Strategy<Value = ShortMessage<'static>> {
    vec(any::<u8>(), 0..=ShortMessage::MAX).prop_map(|v| ShortMessage::new(leak(v)).unwrap())
}

fn o() -> impl Strategy<Value = u8> {
    any::<u8>()
}

/// How a standard TLV's value is shaped, for generating valid ones.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Octets(usize, usize),
    CStr(usize),
    Time,
}

fn shape(tag: TlvTag) -> Shape {
    use Shape::*;
    match tag {
        TlvTag::DEST_TELEMATICS_ID
        | TlvTag::USER_MESSAGE_REFERENCE
        | TlvTag::SOURCE_PORT
        | TlvTag::DESTINATION_PORT
        | TlvTag::SAR_MSG_REF_NUM
        | TlvTag::BROADCAST_REP_NUM
        | TlvTag::SMS_SIGNAL
        | TlvTag::ITS_SESSION_INFO => Octets(2, 2),
        TlvTag::QOS_TIME_TO_LIVE | TlvTag::BROADCAST_ERROR_STATUS => Octets(4, 4),
        TlvTag::NETWORK_ERROR_CODE
        | TlvTag::BROADCAST_CONTENT_TYPE
        | TlvTag::BROADCAST_FREQUENCY_INTERVAL => Octets(3, 3),
        TlvTag::ADDITIONAL_STATUS_INFO_TEXT => CStr(256),
        TlvTag::RECEIPTED_MESSAGE_ID | TlvTag::SOURCE_NETWORK_ID | TlvTag::DEST_NETWORK_ID => CStr(65),
        TlvTag::SOURCE_SUBADDRESS | TlvTag::DEST_SUBADDRESS => Octets(2, 23),
        TlvTag::CALLBACK_NUM_ATAG => Octets(0, 65),
        TlvTag::CALLBACK_NUM => Octets(4, 19),
        TlvTag::MESSAGE_PAYLOAD => Octets(0, 300),
        TlvTag::BROADCAST_CONTENT_TYPE_INFO | TlvTag::BROADCAST_SERVICE_GROUP => Octets(0, 255),
        TlvTag::BROADCAST_AREA_IDENTIFIER => Octets(1, 101),
        TlvTag::BILLING_IDENTIFICATION => Octets(1, 80),
        TlvTag::BROADCAST_END_TIME => Time,
        TlvTag::SOURCE_NODE_ID | TlvTag::DEST_NODE_ID => Octets(6, 6),
        TlvTag::DEST_ADDR_NP_INFORMATION => Octets(10, 10),
        TlvTag::DEST_ADDR_NP_COUNTRY => Octets(5, 5),
        TlvTag::MS_VALIDITY => Octets(1, 4),
        TlvTag::ALERT_ON_MESSAGE_DELIVERY => Octets(0, 1),
        _ => Octets(1, 1),
    }
}

fn known_tags() -> Vec<TlvTag> {
    (0..=u16::MAX).map(TlvTag).filter(|t| t.is_known()).collect()
}

/// A valid raw value for `tag`.
fn value_for(tag: TlvTag) -> BoxedStrategy<Vec<u8>> {
    match shape(tag) {
        Shape::Octets(min, max) => vec(any::<u8>(), min..=max).boxed(),
        Shape::CStr(max) => vec(1u8..=255, 0..max)
            .prop_map(|mut v| {
                v.push(0);
                v
            })
            .boxed(),
        Shape::Time => prop_oneof![
            Just(vec![0]),
            vec(1u8..=255, 16).prop_map(|mut v| {
                v.push(0);
                v
            })
        ]
        .boxed(),
    }
}

/// A standard TLV (built through the typed decoder) or an unknown one.
fn tlv() -> impl Strategy<Value = Tlv<'static>> {
    let tags = known_tags();
    let known = proptest::sample::select(tags)
        .prop_flat_map(|tag| value_for(tag).prop_map(move |v| Tlv::from_parts(tag.0, leak(v)).unwrap()));
    let unknown = (0x1400u16..=0x3FFF, vec(any::<u8>(), 0..40))
        .prop_map(|(tag, v)| Tlv::Unknown { tag, value: leak(v) });
    prop_oneof![3 => known, 1 => unknown]
}

fn tlvs() -> impl Strategy<Value = Vec<Tlv<'static>>> {
    vec(tlv(), 0..6)
}

fn sm_fields() -> impl Strategy<Value = SmFields<'static>> {
    (
        (cstr(), o(), o(), cstr(), o(), o(), cstr()),
        (o(), o(), o(), smpp_time(), smpp_time(), o(), o(), o(), o(), short_message()),
    )
        .prop_map(
            |((st, sat, san, sa, dat, dan, da), (esm, pid, pri, sdt, vp, rd, rip, dc, dm, msg))| SmFields {
                service_type: st,
                source_addr_ton: sat,
                source_addr_npi: san,
                source_addr: sa,
                dest_addr_ton: dat,
                dest_addr_npi: dan,
                destination_addr: da,
                esm_class: esm,
                protocol_id: pid,
                priority_flag: pri,
                schedule_delivery_time: sdt,
                validity_period: vp,
                registered_delivery: rd,
                replace_if_present_flag: rip,
                data_coding: dc,
                sm_default_msg_id: dm,
                short_message: msg,
            },
        )
}

fn bind() -> impl Strategy<Value = Bind<'static>> {
    (cstr(), cstr(), cstr(), o(), o(), o(), cstr()).prop_map(|(a, b, c, d, e, f, g)| Bind {
        system_id: a,
        password: b,
        system_type: c,
        interface_version: d,
        addr_ton: e,
        addr_npi: f,
        address_range: g,
    })
}

fn dest_address() -> impl Strategy<Value = DestAddress<'static>> {
    prop_oneof![
        (o(), o(), cstr()).prop_map(|(t, n, a)| DestAddress::Sme {
            dest_addr_ton: t,
            dest_addr_npi: n,
            destination_addr: a
        }),
        cstr().prop_map(DestAddress::DistributionList),
    ]
}

fn submit_multi_body() -> impl Strategy<Value = SubmitMulti<'static>> {
    (sm_fields(), vec(dest_address(), 1..=12)).prop_map(|(f, dests)| SubmitMulti {
        service_type: f.service_type,
        source_addr_ton: f.source_addr_ton,
        source_addr_npi: f.source_addr_npi,
        source_addr: f.source_addr,
        dest_addresses: dests.into(),
        esm_class: f.esm_class,
        protocol_id: f.protocol_id,
        priority_flag: f.priority_flag,
        schedule_delivery_time: f.schedule_delivery_time,
        validity_period: f.validity_period,
        registered_delivery: f.registered_delivery,
        replace_if_present_flag: f.replace_if_present_flag,
        data_coding: f.data_coding,
        sm_default_msg_id: f.sm_default_msg_id,
        short_message: f.short_message,
    })
}

fn submit_multi_resp_body() -> impl Strategy<Value = SubmitMultiResp<'static>> {
    let entry = (o(), o(), cstr(), any::<u32>()).prop_map(|(t, n, a, s)| UnsuccessSme {
        dest_addr_ton: t,
        dest_addr_npi: n,
        destination_addr: a,
        error_status_code: CommandStatus(s),
    });
    (cstr(), vec(entry, 0..=12))
        .prop_map(|(m, l)| SubmitMultiResp { message_id: m, unsuccess_smes: l.into() })
}

/// Drop a short message that would clash with a message_payload TLV.
fn without_clash(mut body: Body<'static>, tlvs: &[Tlv<'static>]) -> Body<'static> {
    if tlvs.iter().any(|t| t.tag() == TlvTag::MESSAGE_PAYLOAD) {
        match &mut body {
            Body::SubmitSm(b) | Body::DeliverSm(b) => b.short_message = ShortMessage::EMPTY,
            Body::SubmitMulti(b) => b.short_message = ShortMessage::EMPTY,
            Body::ReplaceSm(b) => b.short_message = ShortMessage::EMPTY,
            _ => {}
        }
    }
    body
}

fn check(
    status: u32,
    seq: u32,
    body: Body<'static>,
    mut tlvs: Vec<Tlv<'static>>,
) -> Result<(), TestCaseError> {
    if let Body::BroadcastSm(_) = body {
        // v5.0 4.6.1.1: the mandatory TLVs, then whatever was generated.
        let mut with = vec![
            Tlv::from_parts(0x0606, &[1, 2]).unwrap(),
            Tlv::from_parts(0x0601, &[1, 0, 1]).unwrap(),
            Tlv::from_parts(0x0604, &[0, 1]).unwrap(),
            Tlv::from_parts(0x0605, &[9, 0, 1]).unwrap(),
        ];
        with.append(&mut tlvs);
        tlvs = with;
    }
    let body = without_clash(body, &tlvs);
    let pdu = Pdu { command_status: CommandStatus(status), sequence_number: seq, body, tlvs: tlvs.into() };
    let bytes = pdu.to_vec().map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    prop_assert_eq!(bytes.len(), pdu.encoded_len());
    let decoded = decode(&bytes).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    prop_assert_eq!(&decoded, &pdu);
    prop_assert_eq!(decoded.to_vec().unwrap(), bytes);
    Ok(())
}

macro_rules! round_trips {
    ($($name:ident => $body:expr;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]
            $(
                #[test]
                fn $name(status in any::<u32>(), seq in any::<u32>(), body in $body, tlvs in tlvs()) {
                    check(status, seq, body, tlvs)?;
                }
            )*
        }
    };
}

round_trips! {
    generic_nack => Just(Body::GenericNack);
    bind_receiver => bind().prop_map(Body::BindReceiver);
    bind_transmitter => bind().prop_map(Body::BindTransmitter);
    bind_transceiver => bind().prop_map(Body::BindTransceiver);
    bind_receiver_resp => cstr().prop_map(|s| Body::BindReceiverResp(BindResp { system_id: s }));
    bind_transmitter_resp => cstr().prop_map(|s| Body::BindTransmitterResp(BindResp { system_id: s }));
    bind_transceiver_resp => cstr().prop_map(|s| Body::BindTransceiverResp(BindResp { system_id: s }));
    outbind => (cstr(), cstr()).prop_map(|(a, b)| Body::Outbind(Outbind { system_id: a, password: b }));
    unbind => Just(Body::Unbind);
    unbind_resp => Just(Body::UnbindResp);
    enquire_link => Just(Body::EnquireLink);
    enquire_link_resp => Just(Body::EnquireLinkResp);
    submit_sm => sm_fields().prop_map(Body::SubmitSm);
    submit_sm_resp => cstr().prop_map(|m| Body::SubmitSmResp(SubmitSmResp { message_id: m }));
    deliver_sm => sm_fields().prop_map(Body::DeliverSm);
    deliver_sm_resp => cstr().prop_map(|m| Body::DeliverSmResp(DeliverSmResp { message_id: m }));
    submit_multi => submit_multi_body().prop_map(Body::SubmitMulti);
    submit_multi_resp => submit_multi_resp_body().prop_map(Body::SubmitMultiResp);
    data_sm => ((cstr(), o(), o(), cstr(), o(), o(), cstr()), (o(), o(), o())).prop_map(
        |((st, sat, san, sa, dat, dan, da), (esm, rd, dc))| Body::DataSm(DataSm {
            service_type: st,
            source_addr_ton: sat,
            source_addr_npi: san,
            source_addr: sa,
            dest_addr_ton: dat,
            dest_addr_npi: dan,
            destination_addr: da,
            esm_class: esm,
            registered_delivery: rd,
            data_coding: dc,
        })
    );
    data_sm_resp => cstr().prop_map(|m| Body::DataSmResp(DataSmResp { message_id: m }));
    query_sm => (cstr(), o(), o(), cstr()).prop_map(|(m, t, n, a)| Body::QuerySm(QuerySm {
        message_id: m,
        source_addr_ton: t,
        source_addr_npi: n,
        source_addr: a,
    }));
    query_sm_resp => (cstr(), smpp_time(), o(), o()).prop_map(|(m, d, s, e)| Body::QuerySmResp(QuerySmResp {
        message_id: m,
        final_date: d,
        message_state: s,
        error_code: e,
    }));
    cancel_sm => ((cstr(), cstr(), o(), o(), cstr()), (o(), o(), cstr())).prop_map(
        |((st, m, sat, san, sa), (dat, dan, da))| Body::CancelSm(CancelSm {
            service_type: st,
            message_id: m,
            source_addr_ton: sat,
            source_addr_npi: san,
            source_addr: sa,
            dest_addr_ton: dat,
            dest_addr_npi: dan,
            destination_addr: da,
        })
    );
    cancel_sm_resp => Just(Body::CancelSmResp);
    replace_sm => (cstr(), o(), o(), cstr(), smpp_time(), smpp_time(), o(), o(), short_message()).prop_map(
        |(m, t, n, a, sdt, vp, rd, dm, msg)| Body::ReplaceSm(ReplaceSm {
            message_id: m,
            source_addr_ton: t,
            source_addr_npi: n,
            source_addr: a,
            schedule_delivery_time: sdt,
            validity_period: vp,
            registered_delivery: rd,
            sm_default_msg_id: dm,
            short_message: msg,
        })
    );
    replace_sm_resp => Just(Body::ReplaceSmResp);
    alert_notification => (o(), o(), cstr(), o(), o(), cstr()).prop_map(|(a, b, c, d, e, f)| {
        Body::AlertNotification(AlertNotification {
            source_addr_ton: a,
            source_addr_npi: b,
            source_addr: c,
            esme_addr_ton: d,
            esme_addr_npi: e,
            esme_addr: f,
        })
    });
    broadcast_sm => ((cstr(), o(), o(), cstr(), cstr(), o()), (smpp_time(), smpp_time(), o(), o(), o())).prop_map(
        |((st, t, n, a, m, pri), (sdt, vp, rip, dc, dm))| Body::BroadcastSm(BroadcastSm {
            service_type: st,
            source_addr_ton: t,
            source_addr_npi: n,
            source_addr: a,
            message_id: m,
            priority_flag: pri,
            schedule_delivery_time: sdt,
            validity_period: vp,
            replace_if_present_flag: rip,
            data_coding: dc,
            sm_default_msg_id: dm,
        })
    );
    broadcast_sm_resp => cstr().prop_map(|m| Body::BroadcastSmResp(BroadcastSmResp { message_id: m }));
    query_broadcast_sm => (cstr(), o(), o(), cstr()).prop_map(|(m, t, n, a)| {
        Body::QueryBroadcastSm(QueryBroadcastSm { message_id: m, source_addr_ton: t, source_addr_npi: n, source_addr: a })
    });
    query_broadcast_sm_resp =>
        cstr().prop_map(|m| Body::QueryBroadcastSmResp(QueryBroadcastSmResp { message_id: m }));
    cancel_broadcast_sm => (cstr(), cstr(), o(), o(), cstr()).prop_map(|(st, m, t, n, a)| {
        Body::CancelBroadcastSm(CancelBroadcastSm {
            service_type: st,
            message_id: m,
            source_addr_ton: t,
            source_addr_npi: n,
            source_addr: a,
        })
    });
    cancel_broadcast_sm_resp => Just(Body::CancelBroadcastSmResp);
}

/// Responses that may leave their body out, with a non-OK status.
fn empty_response() -> impl Strategy<Value = Pdu<'static>> {
    let ids: Vec<CommandId> =
        CommandId::ALL.iter().copied().filter(|id| id.is_response() && Body::has_fields(*id)).collect();
    (proptest::sample::select(ids), 1u32.., any::<u32>())
        .prop_map(|(id, status, seq)| Pdu::new(CommandStatus(status), seq, Body::EmptyResponse(id)))
}

/// A valid frame of any kind, for mutation.
fn any_frame() -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::select(
        super::samples::samples().into_iter().map(|p| p.to_vec().unwrap()).collect::<Vec<_>>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn empty_responses_round_trip(pdu in empty_response()) {
        let bytes = pdu.to_vec().unwrap();
        prop_assert_eq!(bytes.len(), HEADER_LEN);
        prop_assert_eq!(decode(&bytes).unwrap(), pdu);
    }

    /// Arbitrary octets, with command_length made to match half the time
    /// and a known command_id most of the time, never panic.
    #[test]
    fn decode_never_panics_on_noise(
        mut frame in vec(any::<u8>(), 0..400),
        fix_len in any::<bool>(),
        id in proptest::sample::select(CommandId::ALL.to_vec()),
    ) {
        if frame.len() >= 16 {
            frame[4..8].copy_from_slice(&id.as_u32().to_be_bytes());
            if fix_len {
                let len = frame.len() as u32;
                frame[..4].copy_from_slice(&len.to_be_bytes());
            }
        }
        if let Ok(pdu) = decode(&frame) {
            // Whatever decodes re-encodes to the same octets.
            prop_assert_eq!(pdu.to_vec().unwrap(), frame);
        }
    }

    /// Valid frames with octets flipped or cut never panic, and whatever
    /// still decodes re-encodes exactly.
    #[test]
    fn decode_never_panics_on_mutations(
        mut frame in any_frame(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        for (at, value) in flips {
            let i = at.index(frame.len());
            if i >= 4 {
                frame[i] = value;
            }
        }
        if do_cut {
            frame.truncate(cut.index(frame.len()).max(16));
            let len = frame.len() as u32;
            frame[..4].copy_from_slice(&len.to_be_bytes());
        }
        if let Ok(pdu) = decode(&frame) {
            prop_assert_eq!(pdu.to_vec().unwrap(), frame);
        }
    }
}
