//! [`Body`]: the mandatory part of every PDU, one variant per command_id,
//! and the dispatch from command_id to the body's codec.

use bytes::BufMut;
use nom::IResult;

use super::alert_notification::AlertNotification;
use super::bind::{Bind, BindResp, Outbind};
use super::broadcast::{
    BroadcastSm, BroadcastSmResp, CancelBroadcastSm, QueryBroadcastSm, QueryBroadcastSmResp,
};
use super::cancel_sm::CancelSm;
use super::command_id::CommandId;
use super::data_sm::{DataSm, DataSmResp};
use super::deliver_sm::{DeliverSm, DeliverSmResp};
use super::error::PduError;
use super::fields::{BodyCodec, ShortMessage};
use super::query_sm::{QuerySm, QuerySmResp};
use super::replace_sm::ReplaceSm;
use super::stage::Stage;
use super::submit_multi::{SubmitMulti, SubmitMultiResp};
use super::submit_sm::{SubmitSm, SubmitSmResp};

macro_rules! bodies {
    (
        empty { $($(#[$edoc:meta])* $empty:ident,)* }
        fields { $($(#[$fdoc:meta])* $variant:ident($ty:ty),)* }
    ) => {
        /// The mandatory fields of a PDU; the variant fixes the command_id.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Body<'a> {
            $($(#[$edoc])* $empty,)*
            $($(#[$fdoc])* $variant($ty),)*
            /// A response sent without its body because command_status is
            /// not ESME_ROK (v3.4 4.4.2 and the other responses).
            EmptyResponse(CommandId),
        }

        impl<'a> Body<'a> {
            /// The command_id this body is sent with.
            pub const fn command_id(&self) -> CommandId {
                match self {
                    $(Body::$empty => CommandId::$empty,)*
                    $(Body::$variant(_) => CommandId::$variant,)*
                    Body::EmptyResponse(id) => *id,
                }
            }

            /// Whether PDUs with `id` have mandatory fields.
            pub const fn has_fields(id: CommandId) -> bool {
                !matches!(id, $(CommandId::$empty)|*)
            }

            /// Read the body of a PDU with `id`.
            pub(crate) fn parse(id: CommandId, input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
                match id {
                    $(CommandId::$empty => Ok((input, Body::$empty)),)*
                    $(CommandId::$variant => {
                        let (rest, body) = <$ty as BodyCodec<'a>>::parse(input)?;
                        Ok((rest, Body::$variant(body)))
                    })*
                }
            }

            /// Octets of the mandatory fields.
            pub fn wire_len(&self) -> usize {
                match self {
                    $(Body::$variant(b) => b.wire_len(),)*
                    _ => 0,
                }
            }

            /// Encode `pdu`, whose body this is: the one dispatch on the
            /// variant in [`super::Pdu::encode`].
            #[inline]
            pub(crate) fn encode_pdu<B: BufMut>(&self, pdu: &super::Pdu<'_>, buf: &mut B) -> Result<(), PduError> {
                match self {
                    $(Body::$variant(b) => pdu.encode_body(b, buf),)*
                    Body::EmptyResponse(id) if !id.is_response() || !Body::has_fields(*id) => {
                        Err(PduError::TruncatedBody)
                    }
                    _ => pdu.encode_body(&NoFields, buf),
                }
            }
        }
    };
}

bodies! {
    empty {
        /// v3.4 4.3.1.
        GenericNack,
        /// v3.4 4.2.1.
        Unbind,
        /// v3.4 4.2.2.
        UnbindResp,
        /// v3.4 4.11.1.
        EnquireLink,
        /// v3.4 4.11.2.
        EnquireLinkResp,
        /// v3.4 4.9.2.
        CancelSmResp,
        /// v3.4 4.10.2.
        ReplaceSmResp,
        /// v5.0.
        CancelBroadcastSmResp,
    }
    fields {
        /// v3.4 4.1.3.
        BindReceiver(Bind<'a>),
        /// v3.4 4.1.4.
        BindReceiverResp(BindResp<'a>),
        /// v3.4 4.1.1.
        BindTransmitter(Bind<'a>),
        /// v3.4 4.1.2.
        BindTransmitterResp(BindResp<'a>),
        /// v3.4 4.1.5.
        BindTransceiver(Bind<'a>),
        /// v3.4 4.1.6.
        BindTransceiverResp(BindResp<'a>),
        /// v3.4 4.1.7.
        Outbind(Outbind<'a>),
        /// v3.4 4.8.1.
        QuerySm(QuerySm<'a>),
        /// v3.4 4.8.2.
        QuerySmResp(QuerySmResp<'a>),
        /// v3.4 4.4.1.
        SubmitSm(SubmitSm<'a>),
        /// v3.4 4.4.2.
        SubmitSmResp(SubmitSmResp<'a>),
        /// v3.4 4.6.1.
        DeliverSm(DeliverSm<'a>),
        /// v3.4 4.6.2.
        DeliverSmResp(DeliverSmResp<'a>),
        /// v3.4 4.10.1.
        ReplaceSm(ReplaceSm<'a>),
        /// v3.4 4.9.1.
        CancelSm(CancelSm<'a>),
        /// v3.4 4.5.1.
        SubmitMulti(SubmitMulti<'a>),
        /// v3.4 4.5.2.
        SubmitMultiResp(SubmitMultiResp<'a>),
        /// v3.4 4.12.1.
        AlertNotification(AlertNotification<'a>),
        /// v3.4 4.7.1.
        DataSm(DataSm<'a>),
        /// v3.4 4.7.2.
        DataSmResp(DataSmResp<'a>),
        /// v5.0.
        BroadcastSm(BroadcastSm<'a>),
        /// v5.0.
        BroadcastSmResp(BroadcastSmResp<'a>),
        /// v5.0.
        QueryBroadcastSm(QueryBroadcastSm<'a>),
        /// v5.0.
        QueryBroadcastSmResp(QueryBroadcastSmResp<'a>),
        /// v5.0.
        CancelBroadcastSm(CancelBroadcastSm<'a>),
    }
}

impl<'a> Body<'a> {
    /// The short_message field, for the bodies that have one.
    pub fn short_message(&self) -> Option<ShortMessage<'a>> {
        match self {
            Body::SubmitSm(b) | Body::DeliverSm(b) => Some(b.short_message),
            Body::SubmitMulti(b) => Some(b.short_message),
            Body::ReplaceSm(b) => Some(b.short_message),
            _ => None,
        }
    }
}

/// The mandatory fields of a PDU that has none (enquire_link, unbind, ...)
/// or of a response sent without its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoFields;

impl<'a> BodyCodec<'a> for NoFields {
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        Ok((input, NoFields))
    }
    fn wire_len(&self) -> usize {
        0
    }
    fn write<B: BufMut>(&self, _buf: &mut Stage<'_, B>) {}
}
