//! Optional parameters: TLVs (SMPP v3.4 5.3, v5.0 4.8).
//!
//! Every standard tag decodes into a typed [`Tlv`] variant whose value type
//! enforces the length the specification fixes; any other tag is kept as
//! [`Tlv::Unknown`] with its raw value. A PDU's TLVs are a [`Tlvs`] list in
//! the order received, so a decoded PDU re-encodes byte for byte.

pub mod tags;
pub mod values;

use bytes::BufMut;
use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::be_u16;

pub use tags::TlvTag;
pub use values::{
    AlertOnMessageDelivery, BillingIdentification, BroadcastAreaIdentifier, BroadcastContentType,
    BroadcastFrequencyInterval, MessageState, NetworkErrorCode, TlvValue,
};

use super::cstring::{COctetString, MessageId, OctetString, SmppTime};
use super::error::PduError;
use super::list::WireList;
use super::stage::Stage;
use super::status::CommandStatus;

/// Octets of a TLV's tag and length (v3.4 5.3.1).
pub const TLV_HEADER_LEN: usize = 4;

/// A PDU's TLVs, in wire order.
pub type Tlvs<'a> = WireList<'a, Tlv<'a>>;

macro_rules! tlv_enum {
    ($($(#[$doc:meta])* $variant:ident($ty:ty) = $tag:ident;)*) => {
        /// One TLV. Variant docs give the value's wire size.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tlv<'a> {
            $($(#[$doc])* $variant($ty),)*
            /// A tag simgate does not type, with its raw value. Use a tag
            /// outside [`TlvTag::is_known`]: a known tag decodes typed.
            Unknown {
                /// The tag.
                tag: u16,
                /// The raw value, at most 65535 octets.
                value: &'a [u8],
            },
        }

        impl<'a> Tlv<'a> {
            /// The tag.
            pub const fn tag(&self) -> TlvTag {
                match self {
                    $(Tlv::$variant(_) => TlvTag::$tag,)*
                    Tlv::Unknown { tag, .. } => TlvTag(*tag),
                }
            }

            /// Octets of the value.
            pub fn value_len(&self) -> usize {
                match self {
                    $(Tlv::$variant(v) => v.value_len(),)*
                    Tlv::Unknown { value, .. } => value.len(),
                }
            }

            /// The tag and the value's length, from one match on the
            /// variant (what [`Tlvs::summary`] needs of each TLV).
            #[inline]
            fn tag_and_len(&self) -> (TlvTag, usize) {
                match self {
                    $(Tlv::$variant(v) => (TlvTag::$tag, v.value_len()),)*
                    Tlv::Unknown { tag, value } => (TlvTag(*tag), value.len()),
                }
            }

            /// Writes tag, length and value with one match on the variant.
            /// `Tlvs::summary` bounds every value to u16 before a PDU is written.
            fn write_tlv<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
                match self {
                    $(Tlv::$variant(v) => v.write_tlv(TlvTag::$tag.0, buf),)*
                    Tlv::Unknown { tag, value } => {
                        put_tlv_header(buf, *tag, value.len());
                        buf.put_slice(value);
                    }
                }
            }

            /// Decode the value of a TLV with `tag`.
            pub fn from_parts(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
                match TlvTag(tag) {
                    $(TlvTag::$tag => <$ty as TlvValue<'a>>::decode_value(tag, value).map(Tlv::$variant),)*
                    _ => Ok(Tlv::Unknown { tag, value }),
                }
            }
        }
    };
}

tlv_enum! {
    /// 1 octet (v3.4 5.3.2.1).
    DestAddrSubunit(u8) = DEST_ADDR_SUBUNIT;
    /// 1 octet (v3.4 5.3.2.3).
    DestNetworkType(u8) = DEST_NETWORK_TYPE;
    /// 1 octet (v3.4 5.3.2.5).
    DestBearerType(u8) = DEST_BEARER_TYPE;
    /// 2 octets (v3.4 5.3.2.7).
    DestTelematicsId(u16) = DEST_TELEMATICS_ID;
    /// 1 octet (v3.4 5.3.2.2).
    SourceAddrSubunit(u8) = SOURCE_ADDR_SUBUNIT;
    /// 1 octet (v3.4 5.3.2.4).
    SourceNetworkType(u8) = SOURCE_NETWORK_TYPE;
    /// 1 octet (v3.4 5.3.2.6).
    SourceBearerType(u8) = SOURCE_BEARER_TYPE;
    /// 1 octet (v3.4 5.3.2.8).
    SourceTelematicsId(u8) = SOURCE_TELEMATICS_ID;
    /// 4 octets, seconds (v3.4 5.3.2.9).
    QosTimeToLive(u32) = QOS_TIME_TO_LIVE;
    /// 1 octet (v3.4 5.3.2.10).
    PayloadType(u8) = PAYLOAD_TYPE;
    /// C-octet string, at most 256 with NUL (v3.4 5.3.2.11).
    AdditionalStatusInfoText(COctetString<'a, 256>) = ADDITIONAL_STATUS_INFO_TEXT;
    /// C-octet string, at most 65 with NUL (v3.4 5.3.2.12).
    ReceiptedMessageId(MessageId<'a>) = RECEIPTED_MESSAGE_ID;
    /// 1 octet (v3.4 5.3.2.13).
    MsMsgWaitFacilities(u8) = MS_MSG_WAIT_FACILITIES;
    /// 1 octet (v3.4 5.3.2.14).
    PrivacyIndicator(u8) = PRIVACY_INDICATOR;
    /// 2-23 octets (v3.4 5.3.2.15).
    SourceSubaddress(OctetString<'a, 2, 23>) = SOURCE_SUBADDRESS;
    /// 2-23 octets (v3.4 5.3.2.16).
    DestSubaddress(OctetString<'a, 2, 23>) = DEST_SUBADDRESS;
    /// 2 octets (v3.4 5.3.2.17).
    UserMessageReference(u16) = USER_MESSAGE_REFERENCE;
    /// 1 octet (v3.4 5.3.2.18).
    UserResponseCode(u8) = USER_RESPONSE_CODE;
    /// 2 octets (v3.4 5.3.2.20).
    SourcePort(u16) = SOURCE_PORT;
    /// 2 octets (v3.4 5.3.2.21).
    DestinationPort(u16) = DESTINATION_PORT;
    /// 2 octets (v3.4 5.3.2.22).
    SarMsgRefNum(u16) = SAR_MSG_REF_NUM;
    /// 1 octet (v3.4 5.3.2.19).
    LanguageIndicator(u8) = LANGUAGE_INDICATOR;
    /// 1 octet (v3.4 5.3.2.23).
    SarTotalSegments(u8) = SAR_TOTAL_SEGMENTS;
    /// 1 octet (v3.4 5.3.2.24).
    SarSegmentSeqnum(u8) = SAR_SEGMENT_SEQNUM;
    /// 1 octet (v3.4 5.3.2.25).
    ScInterfaceVersion(u8) = SC_INTERFACE_VERSION;
    /// 1 octet (v3.4 5.3.2.37).
    CallbackNumPresInd(u8) = CALLBACK_NUM_PRES_IND;
    /// 0-65 octets (v3.4 5.3.2.38).
    CallbackNumAtag(OctetString<'a, 0, 65>) = CALLBACK_NUM_ATAG;
    /// 1 octet (v3.4 5.3.2.39).
    NumberOfMessages(u8) = NUMBER_OF_MESSAGES;
    /// 4-19 octets (v3.4 5.3.2.36).
    CallbackNum(OctetString<'a, 4, 19>) = CALLBACK_NUM;
    /// 1 octet (v3.4 5.3.2.28).
    DpfResult(u8) = DPF_RESULT;
    /// 1 octet (v3.4 5.3.2.29).
    SetDpf(u8) = SET_DPF;
    /// 1 octet (v3.4 5.3.2.30).
    MsAvailabilityStatus(u8) = MS_AVAILABILITY_STATUS;
    /// 3 octets: network type, then a 2-octet error code (v3.4 5.3.2.31).
    NetworkErrorCode(NetworkErrorCode) = NETWORK_ERROR_CODE;
    /// 0-65535 octets of message (v3.4 5.3.2.32).
    MessagePayload(OctetString<'a, 0, 65535>) = MESSAGE_PAYLOAD;
    /// 1 octet (v3.4 5.3.2.33).
    DeliveryFailureReason(u8) = DELIVERY_FAILURE_REASON;
    /// 1 octet (v3.4 5.3.2.34).
    MoreMessagesToSend(u8) = MORE_MESSAGES_TO_SEND;
    /// 1 octet (v3.4 5.3.2.35).
    MessageState(MessageState) = MESSAGE_STATE;
    /// 1 octet (v5.0 4.8.4.18).
    CongestionState(u8) = CONGESTION_STATE;
    /// 1 octet (v3.4 5.3.2.44).
    UssdServiceOp(u8) = USSD_SERVICE_OP;
    /// 1 octet (v5.0 4.8.4.6).
    BroadcastChannelIndicator(u8) = BROADCAST_CHANNEL_INDICATOR;
    /// 3 octets (v5.0 4.8.4.7).
    BroadcastContentType(BroadcastContentType) = BROADCAST_CONTENT_TYPE;
    /// 0-255 octets (v5.0 4.8.4.8).
    BroadcastContentTypeInfo(OctetString<'a, 0, 255>) = BROADCAST_CONTENT_TYPE_INFO;
    /// 1 octet (v5.0 4.8.4.12).
    BroadcastMessageClass(u8) = BROADCAST_MESSAGE_CLASS;
    /// 2 octets (v5.0 4.8.4.13).
    BroadcastRepNum(u16) = BROADCAST_REP_NUM;
    /// 3 octets (v5.0 4.8.4.11).
    BroadcastFrequencyInterval(BroadcastFrequencyInterval) = BROADCAST_FREQUENCY_INTERVAL;
    /// Format octet and up to 100 octets of area (v5.0 4.8.4.4).
    BroadcastAreaIdentifier(BroadcastAreaIdentifier<'a>) = BROADCAST_AREA_IDENTIFIER;
    /// 4 octets, a command_status value (v5.0 4.8.4.10).
    BroadcastErrorStatus(CommandStatus) = BROADCAST_ERROR_STATUS;
    /// 1 octet, percent (v5.0 4.8.4.5).
    BroadcastAreaSuccess(u8) = BROADCAST_AREA_SUCCESS;
    /// 17 octets time, or 1 when NULL (v5.0 4.8.4.9).
    BroadcastEndTime(SmppTime<'a>) = BROADCAST_END_TIME;
    /// 0-255 octets (v5.0 4.8.4.14).
    BroadcastServiceGroup(OctetString<'a, 0, 255>) = BROADCAST_SERVICE_GROUP;
    /// Format octet and up to 1023 octets (v5.0 4.8.4.3).
    BillingIdentification(BillingIdentification<'a>) = BILLING_IDENTIFICATION;
    /// C-octet string, at most 65 with NUL (v5.0 4.8.4).
    SourceNetworkId(COctetString<'a, 65>) = SOURCE_NETWORK_ID;
    /// C-octet string, at most 65 with NUL (v5.0 4.8.4.25).
    DestNetworkId(COctetString<'a, 65>) = DEST_NETWORK_ID;
    /// 6 decimal octets (v5.0 4.8.4).
    SourceNodeId(OctetString<'a, 6, 6>) = SOURCE_NODE_ID;
    /// 6 decimal octets (v5.0 4.8.4.27).
    DestNodeId(OctetString<'a, 6, 6>) = DEST_NODE_ID;
    /// 1 octet (v5.0 4.8.4.22).
    DestAddrNpResolution(u8) = DEST_ADDR_NP_RESOLUTION;
    /// 10 octets (v5.0 4.8.4.21).
    DestAddrNpInformation(OctetString<'a, 10, 10>) = DEST_ADDR_NP_INFORMATION;
    /// 5 octets (v5.0 4.8.4.20).
    DestAddrNpCountry(OctetString<'a, 5, 5>) = DEST_ADDR_NP_COUNTRY;
    /// 1 octet (v3.4 5.3.2.26).
    DisplayTime(u8) = DISPLAY_TIME;
    /// 2 octets (v3.4 5.3.2.40).
    SmsSignal(u16) = SMS_SIGNAL;
    /// 1 octet in v3.4 5.3.2.27; v5.0 4.8.4 allows up to 4.
    MsValidity(OctetString<'a, 1, 4>) = MS_VALIDITY;
    /// No value in v3.4 5.3.2.41; 0 or 1 octet in v5.0.
    AlertOnMessageDelivery(AlertOnMessageDelivery) = ALERT_ON_MESSAGE_DELIVERY;
    /// 1 octet (v3.4 5.3.2.42).
    ItsReplyType(u8) = ITS_REPLY_TYPE;
    /// 2 octets: session number, sequence number (v3.4 5.3.2.43).
    ItsSessionInfo(u16) = ITS_SESSION_INFO;
}

/// TLVs as they sit after the mandatory fields: 2-octet tag, 2-octet
/// length, value (v3.4 5.3.1). Anything that does not split into whole
/// TLVs is ESME_RINVOPTPARSTREAM.
impl<'a> super::list::WireItem<'a> for Tlv<'a> {
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        let stream = |_: nom::Err<PduError>| nom::Err::Failure(PduError::TlvStream);
        let (rest, tag) = be_u16::<_, PduError>(input).map_err(stream)?;
        let (rest, len) = be_u16::<_, PduError>(rest).map_err(stream)?;
        let (rest, value) = take::<_, _, PduError>(len)(rest).map_err(stream)?;
        let tlv = Tlv::from_parts(tag, value).map_err(nom::Err::Failure)?;
        Ok((rest, tlv))
    }

    fn wire_len(&self) -> usize {
        TLV_HEADER_LEN + self.value_len()
    }

    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        self.write_tlv(buf);
    }
}

/// Tag and length in one write, for a value written after it.
fn put_tlv_header<B: BufMut>(buf: &mut Stage<'_, B>, tag: u16, len: usize) {
    let [t0, t1] = tag.to_be_bytes();
    let [l0, l1] = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    buf.put_slice(&[t0, t1, l0, l1]);
}

/// What encoding needs to know of a TLV list, gathered in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlvSummary {
    /// Octets of the whole list on the wire.
    pub wire_len: usize,
    /// Whether message_payload is present.
    pub has_message_payload: bool,
}

impl<'a> Tlvs<'a> {
    /// Checks every TLV's length and sums the list's octets in one pass.
    /// A decoded list was checked when it was read; only its tags are
    /// scanned, and only for message_payload.
    pub(crate) fn summary(&self) -> Result<TlvSummary, PduError> {
        if self.is_empty() {
            return Ok(TlvSummary { wire_len: 0, has_message_payload: false });
        }
        if let Some(octets) = self.wire_octets() {
            return Ok(TlvSummary {
                wire_len: octets.len(),
                has_message_payload: find_raw(octets, TlvTag::MESSAGE_PAYLOAD).is_some(),
            });
        }
        let mut summary = TlvSummary { wire_len: 0, has_message_payload: false };
        for tlv in self.items().unwrap_or_default() {
            let (tag, len) = tlv.tag_and_len();
            if len > usize::from(u16::MAX) {
                return Err(PduError::TlvLength { tag: tag.0, len });
            }
            summary.wire_len += TLV_HEADER_LEN + len;
            summary.has_message_payload |= tag == TlvTag::MESSAGE_PAYLOAD;
        }
        Ok(summary)
    }

    /// The first TLV with `tag`. On a decoded list only the tag octets are
    /// scanned and only the match is decoded.
    pub fn get(&self, tag: TlvTag) -> Option<Tlv<'a>> {
        match self.wire_octets() {
            Some(octets) => find_raw(octets, tag).and_then(|value| Tlv::from_parts(tag.0, value).ok()),
            None => self.iter().find(|tlv| tlv.tag() == tag),
        }
    }

    /// Whether a TLV with `tag` is present.
    pub fn contains(&self, tag: TlvTag) -> bool {
        match self.wire_octets() {
            Some(octets) => find_raw(octets, tag).is_some(),
            None => self.iter().any(|tlv| tlv.tag() == tag),
        }
    }

    /// The message_payload value, if present.
    pub fn message_payload(&self) -> Option<&'a [u8]> {
        match self.get(TlvTag::MESSAGE_PAYLOAD) {
            Some(Tlv::MessagePayload(p)) => Some(p.as_bytes()),
            _ => None,
        }
    }
}

/// The value of the first TLV with `tag` in validated TLV octets.
fn find_raw(mut octets: &[u8], tag: TlvTag) -> Option<&[u8]> {
    while let [t0, t1, l0, l1, rest @ ..] = octets {
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let (value, next) = rest.split_at_checked(len)?;
        if u16::from_be_bytes([*t0, *t1]) == tag.0 {
            return Some(value);
        }
        octets = next;
    }
    None
}
