//! The SMPP v5.0 cell broadcast operations: broadcast_sm,
//! query_broadcast_sm, cancel_broadcast_sm and their responses (SMPP v5.0).
//! cancel_broadcast_sm_resp has no body.

use super::cstring::{Address, MessageId, ServiceType, SmppTime};
use super::error::Field;
use super::fields::{octet, pdu_body};
use super::tlv::TlvTag;

/// TLVs broadcast_sm must carry (v5.0 broadcast_sm definition).
pub const BROADCAST_SM_MANDATORY_TLVS: [TlvTag; 4] = [
    TlvTag::BROADCAST_AREA_IDENTIFIER,
    TlvTag::BROADCAST_CONTENT_TYPE,
    TlvTag::BROADCAST_REP_NUM,
    TlvTag::BROADCAST_FREQUENCY_INTERVAL,
];

pdu_body! {
    /// broadcast_sm (v5.0); the area, content type, repetition
    /// count and frequency follow as mandatory TLVs.
    pub struct BroadcastSm<'a> {
        /// Up to 5 characters; NULL for the SMSC default.
        service_type: ServiceType<'a> = ServiceType::parse(Field::ServiceType),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// Up to 20 characters.
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
        /// Id of a broadcast to replace, or NULL.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// Priority, as in submit_sm.
        priority_flag: u8 = octet,
        /// NULL for immediate broadcast.
        schedule_delivery_time: SmppTime<'a> = SmppTime::parse(Field::ScheduleDeliveryTime),
        /// NULL for the SMSC default.
        validity_period: SmppTime<'a> = SmppTime::parse(Field::ValidityPeriod),
        /// Replace the broadcast named by message_id.
        replace_if_present_flag: u8 = octet,
        /// Encoding of the content.
        data_coding: u8 = octet,
        /// Canned message index, 0 for none.
        sm_default_msg_id: u8 = octet,
    }
}

pdu_body! {
    /// broadcast_sm_resp (v5.0).
    pub struct BroadcastSmResp<'a> {
        /// The SMSC's id for the broadcast.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
    }
}

pdu_body! {
    /// query_broadcast_sm (v5.0).
    pub struct QueryBroadcastSm<'a> {
        /// The broadcast to query.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// The original source address.
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
    }
}

pdu_body! {
    /// query_broadcast_sm_resp (v5.0); message_state,
    /// broadcast_area_identifier and broadcast_area_success follow as TLVs.
    pub struct QueryBroadcastSmResp<'a> {
        /// The broadcast queried.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
    }
}

pdu_body! {
    /// cancel_broadcast_sm (v5.0).
    pub struct CancelBroadcastSm<'a> {
        /// service_type of the broadcast(s) to cancel.
        service_type: ServiceType<'a> = ServiceType::parse(Field::ServiceType),
        /// The broadcast to cancel, or NULL.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// The original source address.
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
    }
}
