//! deliver_sm and deliver_sm_resp (SMPP v3.4 4.6).

use super::cstring::MessageId;
use super::error::Field;
use super::fields::pdu_body;

/// deliver_sm: the SMSC delivers a mobile-originated message or a delivery
/// receipt (v3.4 4.6.1). Same layout as submit_sm; receipts carry the
/// receipted_message_id, message_state and network_error_code TLVs.
pub type DeliverSm<'a> = super::sm_fields::SmFields<'a>;

pdu_body! {
    /// deliver_sm_resp (v3.4 4.6.2).
    pub struct DeliverSmResp<'a> {
        /// Unused: NULL (v3.4 4.6.2). Whatever is read is kept so that the
        /// PDU re-encodes as received.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
    }
}
