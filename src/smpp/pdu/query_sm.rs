//! query_sm and query_sm_resp (SMPP v3.4 4.8).

use super::cstring::{Address, MessageId, SmppTime};
use super::error::Field;
use super::fields::{octet, pdu_body};

pdu_body! {
    /// query_sm: the state of a previously submitted message (v3.4 4.8.1).
    pub struct QuerySm<'a> {
        /// The id the SMSC gave in submit_sm_resp.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// The original source address, up to 20 characters.
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
    }
}

pdu_body! {
    /// query_sm_resp (v3.4 4.8.2).
    pub struct QuerySmResp<'a> {
        /// The id queried.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
        /// When the message reached its final state; NULL if it has not.
        final_date: SmppTime<'a> = SmppTime::parse(Field::FinalDate),
        /// A message_state value (v3.4 5.2.28).
        message_state: u8 = octet,
        /// Network error code of the failure, 0 if none (v3.4 5.2.31).
        error_code: u8 = octet,
    }
}
