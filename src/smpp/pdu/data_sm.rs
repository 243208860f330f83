//! data_sm and data_sm_resp (SMPP v3.4 4.7). The message travels in the
//! message_payload TLV; data_sm has no short_message field.

use super::cstring::{LongAddress, MessageId, ServiceType};
use super::error::Field;
use super::fields::{octet, pdu_body};

pdu_body! {
    /// data_sm (v3.4 4.7.1).
    pub struct DataSm<'a> {
        /// Up to 5 characters; NULL for the SMSC default.
        service_type: ServiceType<'a> = ServiceType::parse(Field::ServiceType),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// Up to 64 characters (v3.4 4.7.1).
        source_addr: LongAddress<'a> = LongAddress::parse(Field::SourceAddr),
        /// Type of number of destination_addr.
        dest_addr_ton: u8 = octet,
        /// Numbering plan of destination_addr.
        dest_addr_npi: u8 = octet,
        /// Up to 64 characters (v3.4 4.7.1).
        destination_addr: LongAddress<'a> = LongAddress::parse(Field::DestinationAddr),
        /// As in submit_sm (v3.4 5.2.12).
        esm_class: u8 = octet,
        /// As in submit_sm (v3.4 5.2.17).
        registered_delivery: u8 = octet,
        /// As in submit_sm (v3.4 5.2.19).
        data_coding: u8 = octet,
    }
}

pdu_body! {
    /// data_sm_resp (v3.4 4.7.2).
    pub struct DataSmResp<'a> {
        /// The SMSC's id for the message.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
    }
}
