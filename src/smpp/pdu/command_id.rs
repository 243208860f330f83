//! `command_id`: which PDU a frame carries (SMPP v3.4 5.1.2.1, and the v5.0 broadcast ids).
//!
//! A response's id is its request's id with bit 31 set (v3.4 5.1.2.1);
//! `generic_nack` is the only response without a request.

use serde::{Deserialize, Serialize};

/// Bit 31 of `command_id`: set on every response.
pub const RESPONSE_BIT: u32 = 0x8000_0000;

macro_rules! command_ids {
    ($($(#[$doc:meta])* $variant:ident = $value:literal, $name:literal;)*) => {
        /// Every PDU simgate knows, named as in the specification (`submit_sm`),
        /// which is also its JSON spelling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u32)]
        pub enum CommandId {
            $($(#[$doc])* $variant = $value,)*
        }

        impl CommandId {
            /// Every known id, for tests and tables.
            pub const ALL: &'static [CommandId] = &[$(CommandId::$variant,)*];

            /// The id for a wire value, or `None` when the value names no
            /// known PDU (answered with generic_nack ESME_RINVCMDID).
            pub const fn from_u32(value: u32) -> Option<Self> {
                match value {
                    $($value => Some(CommandId::$variant),)*
                    _ => None,
                }
            }

            /// The specification's name, e.g. `"submit_sm_resp"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(CommandId::$variant => $name,)*
                }
            }
        }
    };
}

command_ids! {
    /// Negative acknowledgement of a PDU whose header could not be used.
    GenericNack = 0x8000_0000, "generic_nack";
    BindReceiver = 0x0000_0001, "bind_receiver";
    BindReceiverResp = 0x8000_0001, "bind_receiver_resp";
    BindTransmitter = 0x0000_0002, "bind_transmitter";
    BindTransmitterResp = 0x8000_0002, "bind_transmitter_resp";
    QuerySm = 0x0000_0003, "query_sm";
    QuerySmResp = 0x8000_0003, "query_sm_resp";
    SubmitSm = 0x0000_0004, "submit_sm";
    SubmitSmResp = 0x8000_0004, "submit_sm_resp";
    DeliverSm = 0x0000_0005, "deliver_sm";
    DeliverSmResp = 0x8000_0005, "deliver_sm_resp";
    Unbind = 0x0000_0006, "unbind";
    UnbindResp = 0x8000_0006, "unbind_resp";
    ReplaceSm = 0x0000_0007, "replace_sm";
    ReplaceSmResp = 0x8000_0007, "replace_sm_resp";
    CancelSm = 0x0000_0008, "cancel_sm";
    CancelSmResp = 0x8000_0008, "cancel_sm_resp";
    BindTransceiver = 0x0000_0009, "bind_transceiver";
    BindTransceiverResp = 0x8000_0009, "bind_transceiver_resp";
    Outbind = 0x0000_000B, "outbind";
    EnquireLink = 0x0000_0015, "enquire_link";
    EnquireLinkResp = 0x8000_0015, "enquire_link_resp";
    SubmitMulti = 0x0000_0021, "submit_multi";
    SubmitMultiResp = 0x8000_0021, "submit_multi_resp";
    /// Has no response (v3.4 4.12).
    AlertNotification = 0x0000_0102, "alert_notification";
    DataSm = 0x0000_0103, "data_sm";
    DataSmResp = 0x8000_0103, "data_sm_resp";
    /// SMPP v5.0.
    BroadcastSm = 0x0000_0111, "broadcast_sm";
    BroadcastSmResp = 0x8000_0111, "broadcast_sm_resp";
    /// SMPP v5.0.
    QueryBroadcastSm = 0x0000_0112, "query_broadcast_sm";
    QueryBroadcastSmResp = 0x8000_0112, "query_broadcast_sm_resp";
    /// SMPP v5.0.
    CancelBroadcastSm = 0x0000_0113, "cancel_broadcast_sm";
    CancelBroadcastSmResp = 0x8000_0113, "cancel_broadcast_sm_resp";
}

impl CommandId {
    /// The wire value.
    pub const fn as_u32(self) -> u32 {
        self as u32
    }

    /// Whether bit 31 is set (every response, and generic_nack).
    pub const fn is_response(self) -> bool {
        self.as_u32() & RESPONSE_BIT != 0
    }

    /// The response to this request, or `None` for responses, outbind and
    /// alert_notification, which are never answered (v3.4 4.1.7, 4.12).
    pub const fn response(self) -> Option<CommandId> {
        if self.is_response() {
            return None;
        }
        CommandId::from_u32(self.as_u32() | RESPONSE_BIT)
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
