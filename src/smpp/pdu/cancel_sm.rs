//! cancel_sm (SMPP v3.4 4.9); cancel_sm_resp has no body.

use super::cstring::{Address, MessageId, ServiceType};
use super::error::Field;
use super::fields::{octet, pdu_body};

pdu_body! {
    /// cancel_sm: cancel one message, or all messages matching the
    /// addresses and service_type when message_id is NULL (v3.4 4.9.1).
    pub struct CancelSm<'a> {
        /// service_type of the message(s) to cancel.
        service_type: ServiceType<'a> = ServiceType::parse(Field::ServiceType),
        /// The message to cancel, or NULL.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// Source address of the message(s).
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
        /// Type of number of destination_addr.
        dest_addr_ton: u8 = octet,
        /// Numbering plan of destination_addr.
        dest_addr_npi: u8 = octet,
        /// Destination address of the message(s).
        destination_addr: Address<'a> = Address::parse(Field::DestinationAddr),
    }
}
