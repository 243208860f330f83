//! MO messages: a single part is published at once; a part of a
//! concatenated message (UDH IEI 0x00 or 0x08, TS 23.040 9.2.3.24.1 and
//! .8, or the sar_* TLVs, SMPP v3.4 5.3.2.22-24) is stored in Redis, where
//! parts from any bind on any instance meet, and the one that completes the
//! message publishes it. The proof of receipt of an OTA wake-up goes to
//! the OTA side instead: at once when it is one SMS, once reassembled the
//! same way when it is concatenated (its first part marks it).

use super::Inbound;
use super::view::Message;
use crate::events::payload::MoReceived;
use crate::events::{EventData, EventKey};
use crate::smpp::pdu::{CommandStatus, Pdu, Tlv, TlvTag};
use crate::smpp::text::{ConcatRef, Encoding, parse_udh};
use crate::sms::bind::BindId;
use crate::sms::ota::PorInbound;
use crate::state::{MoKey, MoKind, MoProgress};

/// How a part says which message it belongs to.
struct Concat {
    reference: u16,
    total: u8,
    seq: u8,
}

pub(super) async fn handle(inbound: &Inbound, bind: &BindId, pdu: &Pdu<'_>) -> CommandStatus {
    let Some(message) = Message::of(pdu) else { return CommandStatus::ESME_RINVCMDID };
    let (concat, data) = split_concat(pdu, &message);
    // A PoR (UDH IEI 0x71, TS 31.115 4) is the SIM answering the gateway:
    // recorded as such, not published as sms.mo.received. Concatenated,
    // only its first part carries the IEI; that part marks the message in
    // the reassembly, and the completed message goes to the OTA side.
    let por = inbound.ota.as_ref().filter(|_| crate::sms::ota::is_por(message.esm_class, message.user_data));
    let part_kind = if por.is_some() { MoKind::ProofOfReceipt } else { MoKind::Message };
    // The message this part completed in Redis, and the part's number.
    let mut completed = None;
    let (parts, kind) = match (concat, por) {
        (None, Some(ota)) => return handle_por(inbound, ota, bind, &message, message.user_data).await,
        (Some(c), _) if c.total > 1 => {
            let key = MoKey {
                source: message.source(),
                destination: message.destination(),
                reference: c.reference,
                total: c.total,
            };
            let kind = if c.seq == 1 { part_kind } else { MoKind::Message };
            match inbound.mo_parts.add_part(&key, c.seq, data, kind).await {
                Ok(MoProgress::Complete { parts, kind }) => {
                    completed = Some((key, c.seq));
                    (parts, kind)
                }
                Ok(MoProgress::Waiting { .. }) => {
                    inbound.metrics.mo("part_stored");
                    return CommandStatus::ESME_ROK;
                }
                Ok(MoProgress::Duplicate) => {
                    inbound.metrics.mo("duplicate_part");
                    return CommandStatus::ESME_ROK;
                }
                Err(crate::state::StateError::InvalidPart { .. }) => {
                    // A part that cannot belong to any message: taken alone.
                    (vec![data.to_vec()], part_kind)
                }
                Err(err) => {
                    tracing::warn!(bind = %bind, %err, "cannot store an MO part; the SMSC will resend");
                    return CommandStatus::ESME_RX_T_APPN;
                }
            }
        }
        _ => (vec![data.to_vec()], part_kind),
    };
    let status = match &inbound.ota {
        Some(ota) if kind == MoKind::ProofOfReceipt => {
            inbound.metrics.mo("por_joined");
            let user_data = crate::sim::ota::joined_por_sms(&parts.concat());
            handle_por(inbound, ota, bind, &message, &user_data).await
        }
        _ => publish(inbound, bind, &message, &parts).await,
    };
    // Not durable: the SMSC resends this part, which must complete the
    // message again rather than be taken for a late duplicate.
    if status == CommandStatus::ESME_RX_T_APPN
        && let Some((key, seq)) = &completed
        && let Err(err) = inbound.mo_parts.give_back(key, &parts, kind, *seq).await
    {
        inbound.metrics.mo("parts_lost");
        tracing::error!(bind = %bind, %err, "a completed MO was neither made durable nor given back: lost");
    }
    status
}

/// Publishes `sms.mo.received` for the message of `parts`.
async fn publish(
    inbound: &Inbound,
    bind: &BindId,
    message: &Message<'_>,
    parts: &[Vec<u8>],
) -> CommandStatus {
    let count = u16::try_from(parts.len()).unwrap_or(u16::MAX);
    let user_data: Vec<u8> = parts.concat();
    let (text, payload_hex) = match text_of(message.data_coding, &user_data) {
        Some(text) => (Some(text), None),
        None => (None, Some(crate::smpp::json::to_hex(&user_data))),
    };
    let source = message.source();
    let Ok(key) = EventKey::new(source.as_str()) else { return CommandStatus::ESME_RINVSRCADR };
    let event = inbound.origin.event(
        key,
        EventData::SmsMoReceived(MoReceived {
            message_id: crate::store::MessageId::generate().as_str().to_owned(),
            source,
            destination: message.destination(),
            data_coding: message.data_coding,
            text,
            payload_hex,
            parts: count,
            bind_id: bind.to_string(),
        }),
    );
    match inbound.events.publish(&event).await {
        Ok(_) => {
            inbound.metrics.mo("received");
            CommandStatus::ESME_ROK
        }
        Err(err) => {
            tracing::warn!(bind = %bind, %err, "MO event not durable; the SMSC will resend");
            CommandStatus::ESME_RX_T_APPN
        }
    }
}

/// Hands a PoR to the OTA side: `user_data` is the deliver_sm's, or a
/// concatenated PoR's joined (`ota::joined_por_sms`).
async fn handle_por(
    inbound: &Inbound,
    ota: &PorInbound,
    bind: &BindId,
    message: &Message<'_>,
    user_data: &[u8],
) -> CommandStatus {
    ota.handle(&inbound.events, &inbound.origin, bind, &message.source(), user_data).await
}

/// The concatenation of a part, and its user data without the UDH.
fn split_concat<'a>(pdu: &Pdu<'a>, message: &Message<'a>) -> (Option<Concat>, &'a [u8]) {
    if message.esm_class & 0x40 != 0
        && let Ok((udh, rest)) = parse_udh(message.user_data)
    {
        let concat = udh.concat().map(|c| Concat {
            reference: match c.reference {
                ConcatRef::Udh8(r) => u16::from(r),
                ConcatRef::Udh16(r) | ConcatRef::Sar(r) => r,
            },
            total: c.total,
            seq: c.seq,
        });
        return (concat, rest);
    }
    let (mut reference, mut total, mut seq) = (None, None, None);
    for tlv in pdu.tlvs.iter() {
        match tlv {
            Tlv::SarMsgRefNum(r) => reference = Some(r),
            Tlv::SarTotalSegments(t) => total = Some(t),
            Tlv::SarSegmentSeqnum(s) => seq = Some(s),
            _ => {}
        }
    }
    let _ = TlvTag::SAR_MSG_REF_NUM;
    match (reference, total, seq) {
        (Some(reference), Some(total), Some(seq)) => {
            (Some(Concat { reference, total, seq }), message.user_data)
        }
        _ => (None, message.user_data),
    }
}

/// The text of user data whose data_coding is a text one (SMPP v3.4
/// 5.2.19): GSM 03.38 for 0, IA5 for 1, Latin-1 for 3, UCS-2 for 8.
fn text_of(data_coding: u8, data: &[u8]) -> Option<String> {
    let encoding = match data_coding {
        0x00 => Encoding::Gsm7,
        0x01 => Encoding::Ia5,
        0x03 => Encoding::Latin1,
        0x08 => Encoding::Ucs2,
        _ => return None,
    };
    encoding.decode(data).ok()
}
