//! replace_sm (SMPP v3.4 4.10); replace_sm_resp has no body.

use super::cstring::{Address, MessageId, SmppTime};
use super::error::Field;
use super::fields::{ShortMessage, octet, pdu_body};

pdu_body! {
    /// replace_sm: replace a previously submitted message (v3.4 4.10.1).
    pub struct ReplaceSm<'a> {
        /// The message to replace.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// Must match the original message's source address.
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
        /// New scheduled delivery time, NULL to keep the original.
        schedule_delivery_time: SmppTime<'a> = SmppTime::parse(Field::ScheduleDeliveryTime),
        /// New validity period, NULL to keep the original.
        validity_period: SmppTime<'a> = SmppTime::parse(Field::ValidityPeriod),
        /// New registered_delivery.
        registered_delivery: u8 = octet,
        /// New canned message index.
        sm_default_msg_id: u8 = octet,
        /// New message text.
        short_message: ShortMessage<'a> = ShortMessage::parse,
    }
}
