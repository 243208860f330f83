//! SMPP PDUs: the 16-octet header, command ids and statuses, TLVs, and
//! the body of every PDU, each with one decoder (nom, over one complete
//! frame) and one encoder (into `bytes::BufMut`).
//!
//! [`decode`] takes one whole frame (the framing layer has already cut it
//! out using command_length) and borrows every string and message from it.
//! It never allocates: TLVs and the submit_multi lists keep their validated
//! octets and are parsed again, cheaply, when iterated (see [`list`]).
//! [`Pdu::encode`] computes the length first, writes the header with it,
//! then the body, and never allocates; it writes through a small buffer
//! on the stack ([`stage`]), so the output sees one `put_slice` per PDU; a
//! response that is a header and one string is written without it
//! (`direct.rs`).
//! Limits are enforced both ways, so a PDU simgate sends is one it would
//! accept.

pub mod alert_notification;
pub mod bind;
pub mod body;
pub mod broadcast;
pub mod cancel_sm;
pub mod command_id;
pub mod cstring;
pub mod data_sm;
pub mod deliver_sm;
mod direct;
pub mod error;
pub mod fields;
pub mod header;
pub mod list;
pub mod query_sm;
pub mod replace_sm;
pub mod sm_fields;
pub mod stage;
pub mod status;
pub mod submit_multi;
pub mod submit_sm;
pub mod tlv;

#[cfg(test)]
mod tests;

use bytes::BufMut;

use fields::BodyCodec;

pub use alert_notification::AlertNotification;
pub use bind::{Bind, BindResp, Outbind};
pub use body::Body;
pub use broadcast::{
    BroadcastSm, BroadcastSmResp, CancelBroadcastSm, QueryBroadcastSm, QueryBroadcastSmResp,
};
pub use cancel_sm::CancelSm;
pub use command_id::CommandId;
pub use cstring::{
    Address, AddressRange, COctetString, LongAddress, MessageId, OctetString, Password, ServiceType,
    SmppTime, SystemId, SystemType, ValueError,
};
pub use data_sm::{DataSm, DataSmResp};
pub use deliver_sm::{DeliverSm, DeliverSmResp};
pub use error::{DecodeError, Field, PduError, Reply};
pub use fields::ShortMessage;
pub use header::{HEADER_LEN, Header};
pub use query_sm::{QuerySm, QuerySmResp};
pub use replace_sm::ReplaceSm;
pub use sm_fields::SmFields;
pub use stage::Stage;
pub use status::CommandStatus;
pub use submit_multi::{DestAddress, SubmitMulti, SubmitMultiResp, UnsuccessSme};
pub use submit_sm::{SubmitSm, SubmitSmResp};
pub use tlv::{Tlv, TlvTag, Tlvs};

/// Octets of the write buffer for PDUs up to this size (a
/// submit_sm_resp, a bind); see [`stage`].
const SMALL_STAGE: usize = 64;
/// Octets of the write buffer for larger PDUs: a submit_sm or deliver_sm
/// with a 160-octet message and a few TLVs fits in one piece, and a
/// buffer of this size is zeroed with a few stores, without a call.
const STAGE: usize = 256;

/// One PDU: header fields, mandatory fields, TLVs in wire order.
/// command_length and command_id are derived from the body and TLVs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// ESME_ROK in requests; the result in responses (v3.4 5.1.3).
    pub command_status: CommandStatus,
    /// Matches a response to its request (v3.4 5.1.4).
    pub sequence_number: u32,
    /// The mandatory fields; fixes command_id.
    pub body: Body<'a>,
    /// Optional parameters after the mandatory fields (v3.4 5.3).
    pub tlvs: Tlvs<'a>,
}

/// Decode one complete frame: header, mandatory fields, then TLVs up to
/// command_length. On failure the error carries the header's command_id
/// and sequence_number when they could be read.
pub fn decode(frame: &[u8]) -> Result<Pdu<'_>, DecodeError> {
    let header = Header::peek(frame).map_err(|error| DecodeError {
        error,
        command_id: None,
        sequence_number: None,
    })?;
    let fail = |error| DecodeError {
        error,
        command_id: Some(header.command_id),
        sequence_number: Some(header.sequence_number),
    };
    // v3.4 3.2: command_length counts the whole PDU, header included, so
    // it is at least 16 and must equal the frame cut out for it.
    if usize::try_from(header.command_length).ok() != Some(frame.len()) {
        return Err(fail(PduError::CommandLength {
            command_length: header.command_length,
            frame_len: frame.len(),
        }));
    }
    let id = CommandId::from_u32(header.command_id)
        .ok_or(fail(PduError::UnknownCommandId { command_id: header.command_id }))?;
    let input = frame.get(HEADER_LEN..).unwrap_or_default();

    if input.is_empty() && id.is_response() && !header.command_status.is_ok() && Body::has_fields(id) {
        return Ok(Pdu {
            command_status: header.command_status,
            sequence_number: header.sequence_number,
            body: Body::EmptyResponse(id),
            tlvs: Tlvs::new(),
        });
    }

    let (rest, body) = Body::parse(id, input).map_err(|e| fail(list::flatten(e)))?;
    let tlvs = Tlvs::parse_all(rest).map_err(fail)?;
    check_rules(header.command_status, &body, |tag| tlvs.contains(tag)).map_err(fail)?;
    Ok(Pdu { command_status: header.command_status, sequence_number: header.sequence_number, body, tlvs })
}

impl<'a> Pdu<'a> {
    /// A request or response with no TLVs.
    pub fn new(command_status: CommandStatus, sequence_number: u32, body: Body<'a>) -> Self {
        Pdu { command_status, sequence_number, body, tlvs: Tlvs::new() }
    }

    /// generic_nack for a PDU whose header could not be used (v3.4 4.3).
    pub fn generic_nack(command_status: CommandStatus, sequence_number: u32) -> Self {
        Pdu::new(command_status, sequence_number, Body::GenericNack)
    }

    /// The command_id, fixed by the body.
    pub const fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// command_length: octets of the whole encoded PDU.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.body.wire_len() + self.tlvs.wire_len()
    }

    /// The header this PDU is sent with.
    pub fn header(&self) -> Result<Header, PduError> {
        let len = self.encoded_len();
        Ok(Header {
            command_length: u32::try_from(len).map_err(|_| PduError::TooLarge { len })?,
            command_id: self.command_id().as_u32(),
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        })
    }

    /// Check the PDU, then write it: header with the precomputed length,
    /// mandatory fields, TLVs. Nothing is written when a check fails.
    pub fn encode<B: BufMut>(&self, buf: &mut B) -> Result<(), PduError> {
        // One match on the body's variant, which calls `encode_body` for
        // that body's type: checks, length and writes are then compiled
        // for one known layout.
        self.body.encode_pdu(self, buf)
    }

    /// [`Pdu::encode`] once the body's type is known; `body` is the
    /// content of `self.body`. Not inlined into the dispatch, which stays
    /// a jump table.
    #[inline(never)]
    fn encode_body<'b, T: BodyCodec<'b>, B: BufMut>(&self, body: &T, buf: &mut B) -> Result<(), PduError> {
        body.check()?;
        if let Some(done) = self.encode_direct(body, buf) {
            return done;
        }
        let body_len = body.wire_len();
        // One pass over the TLVs: their lengths, their bounds, and whether
        // message_payload is there for the rules below.
        let tlvs = self.tlvs.summary()?;
        // A response sent without its body (v3.4 4.4.2) ends after the
        // header: TLVs there would be read as the missing body.
        if matches!(self.body, Body::EmptyResponse(_)) && tlvs.wire_len > 0 {
            return Err(PduError::TruncatedBody);
        }
        check_rules(self.command_status, &self.body, |tag| {
            if tag == TlvTag::MESSAGE_PAYLOAD { tlvs.has_message_payload } else { self.tlvs.contains(tag) }
        })?;
        let len = HEADER_LEN + body_len + tlvs.wire_len;
        let command_length = u32::try_from(len).map_err(|_| PduError::TooLarge { len })?;
        if buf.remaining_mut() < len {
            return Err(PduError::TooLarge { len });
        }
        let header = Header {
            command_length,
            command_id: self.command_id().as_u32(),
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        }
        .to_bytes();
        // Zeroing a buffer larger than the PDU costs more than it saves:
        // responses and binds fit the small one, messages the large one,
        // and anything larger is written through it in pieces.
        if len <= SMALL_STAGE {
            self.write_staged(&header, body, &mut [0u8; SMALL_STAGE], buf);
        } else {
            self.write_staged(&header, body, &mut [0u8; STAGE], buf);
        }
        Ok(())
    }

    /// Header, mandatory fields and TLVs through `stage` into `buf`.
    #[inline]
    fn write_staged<'b, T: BodyCodec<'b>, B: BufMut>(
        &self,
        header: &[u8; HEADER_LEN],
        body: &T,
        stage: &mut [u8],
        buf: &mut B,
    ) {
        let mut out = Stage::new(stage, buf);
        out.put_slice(header);
        body.write(&mut out);
        if !self.tlvs.is_empty() {
            self.tlvs.write_staged(&mut out);
        }
        out.finish();
    }

    /// Encode into a new vector (one allocation of the exact size).
    pub fn to_vec(&self) -> Result<Vec<u8>, PduError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out)?;
        Ok(out)
    }
}

/// Rules that tie the body to its TLVs, checked on both sides.
/// `has` tells whether the PDU carries a TLV with the given tag.
#[inline]
fn check_rules(status: CommandStatus, body: &Body<'_>, has: impl Fn(TlvTag) -> bool) -> Result<(), PduError> {
    match body {
        // A body may only be left out of an error response (v3.4 4.4.2).
        Body::EmptyResponse(_) if status.is_ok() => Err(PduError::TruncatedBody),
        // v3.4 5.3.2.32: with message_payload, sm_length must be 0.
        Body::SubmitSm(SmFields { short_message, .. })
        | Body::DeliverSm(SmFields { short_message, .. })
        | Body::SubmitMulti(SubmitMulti { short_message, .. })
        | Body::ReplaceSm(ReplaceSm { short_message, .. })
            if !short_message.is_empty() && has(TlvTag::MESSAGE_PAYLOAD) =>
        {
            Err(PduError::ShortMessageAndPayload)
        }
        // v5.0 broadcast_sm carries its area, content type, repetition
        // count and frequency as mandatory TLVs.
        Body::BroadcastSm(_) => {
            match broadcast::BROADCAST_SM_MANDATORY_TLVS.into_iter().find(|tag| !has(*tag)) {
                Some(tag) => Err(PduError::MissingTlv { tag: tag.0 }),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
