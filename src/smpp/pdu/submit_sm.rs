//! submit_sm and submit_sm_resp (SMPP v3.4 4.4).

use super::cstring::MessageId;
use super::error::Field;
use super::fields::pdu_body;

/// submit_sm: an ESME submits one short message (v3.4 4.4.1). Its layout
/// is shared with deliver_sm, see [`super::sm_fields::SmFields`].
pub type SubmitSm<'a> = super::sm_fields::SmFields<'a>;

pdu_body! {
    /// submit_sm_resp (v3.4 4.4.2). When command_status is not ESME_ROK the
    /// SMSC may omit the body; that decodes as [`super::Body::EmptyResponse`].
    pub struct SubmitSmResp<'a> {
        /// The SMSC's id for the message, up to 64 characters.
        message_id: MessageId<'a> = MessageId::parse(Field::MessageId),
    }
}
