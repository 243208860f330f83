//! `command_status`: the error code of a response (SMPP v3.4 5.1.3 table
//! 5-2, with the v5.0 additions).
//!
//! Kept as a newtype over `u32` rather than an enum: SMSCs send values from
//! the vendor range 0x400-0x4FF, and those must survive a round trip.

use serde::{Deserialize, Serialize};

/// A `command_status` value. Requests carry [`CommandStatus::ESME_ROK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommandStatus(pub u32);

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl CommandStatus {
            $($(#[$doc])* pub const $name: CommandStatus = CommandStatus($value);)*

            /// The specification's name (`"ESME_RTHROTTLED"`), or `None` for a
            /// reserved or vendor-specific value.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    /// No error.
    ESME_ROK = 0x0000_0000;
    /// Message length is invalid (sm_length problems).
    ESME_RINVMSGLEN = 0x0000_0001;
    /// Command length is invalid.
    ESME_RINVCMDLEN = 0x0000_0002;
    /// Invalid command id.
    ESME_RINVCMDID = 0x0000_0003;
    /// Incorrect bind status for the given command.
    ESME_RINVBNDSTS = 0x0000_0004;
    /// ESME already in bound state.
    ESME_RALYBND = 0x0000_0005;
    /// Invalid priority flag.
    ESME_RINVPRTFLG = 0x0000_0006;
    /// Invalid registered delivery flag.
    ESME_RINVREGDLVFLG = 0x0000_0007;
    /// System error.
    ESME_RSYSERR = 0x0000_0008;
    /// Invalid source address.
    ESME_RINVSRCADR = 0x0000_000A;
    /// Invalid destination address.
    ESME_RINVDSTADR = 0x0000_000B;
    /// Message id is invalid.
    ESME_RINVMSGID = 0x0000_000C;
    /// Bind failed.
    ESME_RBINDFAIL = 0x0000_000D;
    /// Invalid password.
    ESME_RINVPASWD = 0x0000_000E;
    /// Invalid system_id.
    ESME_RINVSYSID = 0x0000_000F;
    /// cancel_sm failed.
    ESME_RCANCELFAIL = 0x0000_0011;
    /// replace_sm failed.
    ESME_RREPLACEFAIL = 0x0000_0013;
    /// Message queue full.
    ESME_RMSGQFUL = 0x0000_0014;
    /// Invalid service_type.
    ESME_RINVSERTYP = 0x0000_0015;
    /// Invalid number of destinations.
    ESME_RINVNUMDESTS = 0x0000_0033;
    /// Invalid distribution list name.
    ESME_RINVDLNAME = 0x0000_0034;
    /// Destination flag is invalid (submit_multi).
    ESME_RINVDESTFLAG = 0x0000_0040;
    /// Invalid "submit with replace" request.
    ESME_RINVSUBREP = 0x0000_0042;
    /// Invalid esm_class.
    ESME_RINVESMCLASS = 0x0000_0043;
    /// Cannot submit to distribution list.
    ESME_RCNTSUBDL = 0x0000_0044;
    /// submit_sm or submit_multi failed.
    ESME_RSUBMITFAIL = 0x0000_0045;
    /// Invalid source address TON.
    ESME_RINVSRCTON = 0x0000_0048;
    /// Invalid source address NPI.
    ESME_RINVSRCNPI = 0x0000_0049;
    /// Invalid destination address TON.
    ESME_RINVDSTTON = 0x0000_0050;
    /// Invalid destination address NPI.
    ESME_RINVDSTNPI = 0x0000_0051;
    /// Invalid system_type.
    ESME_RINVSYSTYP = 0x0000_0053;
    /// Invalid replace_if_present flag.
    ESME_RINVREPFLAG = 0x0000_0054;
    /// Invalid number of messages.
    ESME_RINVNUMMSGS = 0x0000_0055;
    /// Throttling error: the ESME exceeded its allowed rate.
    ESME_RTHROTTLED = 0x0000_0058;
    /// Invalid scheduled delivery time.
    ESME_RINVSCHED = 0x0000_0061;
    /// Invalid message validity period (expiry time).
    ESME_RINVEXPIRY = 0x0000_0062;
    /// Predefined message invalid or not found.
    ESME_RINVDFTMSGID = 0x0000_0063;
    /// ESME receiver temporary application error.
    ESME_RX_T_APPN = 0x0000_0064;
    /// ESME receiver permanent application error.
    ESME_RX_P_APPN = 0x0000_0065;
    /// ESME receiver reject message error.
    ESME_RX_R_APPN = 0x0000_0066;
    /// query_sm request failed.
    ESME_RQUERYFAIL = 0x0000_0067;
    /// Error in the optional part of the PDU body (v5.0: ESME_RINVTLVSTREAM).
    ESME_RINVOPTPARSTREAM = 0x0000_00C0;
    /// Optional parameter not allowed (v5.0: ESME_RTLVNOTALLWD).
    ESME_ROPTPARNOTALLWD = 0x0000_00C1;
    /// Invalid parameter length (v5.0: ESME_RINVTLVLEN).
    ESME_RINVPARLEN = 0x0000_00C2;
    /// Expected optional parameter missing (v5.0: ESME_RMISSINGTLV).
    ESME_RMISSINGOPTPARAM = 0x0000_00C3;
    /// Invalid optional parameter value (v5.0: ESME_RINVTLVVAL).
    ESME_RINVOPTPARAMVAL = 0x0000_00C4;
    /// Delivery failure (used for data_sm_resp).
    ESME_RDELIVERYFAILURE = 0x0000_00FE;
    /// Unknown error.
    ESME_RUNKNOWNERR = 0x0000_00FF;
    /// v5.0: ESME not authorised to use this service_type.
    ESME_RSERTYPUNAUTH = 0x0000_0100;
    /// v5.0: ESME prohibited from using the operation.
    ESME_RPROHIBITED = 0x0000_0101;
    /// v5.0: specified service_type is unavailable.
    ESME_RSERTYPUNAVAIL = 0x0000_0102;
    /// v5.0: specified service_type is denied.
    ESME_RSERTYPDENIED = 0x0000_0103;
    /// v5.0: invalid data coding scheme.
    ESME_RINVDCS = 0x0000_0104;
    /// v5.0: source address subunit is invalid.
    ESME_RINVSRCADDRSUBUNIT = 0x0000_0105;
    /// v5.0: destination address subunit is invalid.
    ESME_RINVDSTADDRSUBUNIT = 0x0000_0106;
    /// v5.0: broadcast frequency interval is invalid.
    ESME_RINVBCASTFREQINT = 0x0000_0107;
    /// v5.0: broadcast alias name is invalid.
    ESME_RINVBCASTALIAS_NAME = 0x0000_0108;
    /// v5.0: broadcast area format is invalid.
    ESME_RINVBCASTAREAFMT = 0x0000_0109;
    /// v5.0: number of broadcast areas is invalid.
    ESME_RINVNUMBCAST_AREAS = 0x0000_010A;
    /// v5.0: broadcast content type is invalid.
    ESME_RINVBCASTCNTTYPE = 0x0000_010B;
    /// v5.0: broadcast message class is invalid.
    ESME_RINVBCASTMSGCLASS = 0x0000_010C;
    /// v5.0: broadcast_sm failed.
    ESME_RBCASTFAIL = 0x0000_010D;
    /// v5.0: query_broadcast_sm failed.
    ESME_RBCASTQUERYFAIL = 0x0000_010E;
    /// v5.0: cancel_broadcast_sm failed.
    ESME_RBCASTCANCELFAIL = 0x0000_010F;
    /// v5.0: number of repeated broadcasts is invalid.
    ESME_RINVBCAST_REP = 0x0000_0110;
    /// v5.0: broadcast service group is invalid.
    ESME_RINVBCASTSRVGRP = 0x0000_0111;
    /// v5.0: broadcast channel indicator is invalid.
    ESME_RINVBCASTCHANIND = 0x0000_0112;
}

impl CommandStatus {
    /// Whether this status means "try again later": queue full, throttled,
    /// receiver temporary error, system error. Everything else is permanent.
    pub const fn is_temporary(self) -> bool {
        matches!(
            self,
            CommandStatus::ESME_RMSGQFUL
                | CommandStatus::ESME_RTHROTTLED
                | CommandStatus::ESME_RX_T_APPN
                | CommandStatus::ESME_RSYSERR
        )
    }

    /// Whether this is [`CommandStatus::ESME_ROK`].
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// Whether the value lies in the range v3.4 table 5-2 reserves for
    /// SMSC vendors (0x400-0x4FF).
    pub const fn is_vendor_specific(self) -> bool {
        self.0 >= 0x400 && self.0 <= 0x4FF
    }
}

impl std::fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "command_status 0x{:08X}", self.0),
        }
    }
}
