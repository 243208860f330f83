//! Errors of the PDU codec, each mapped to the `command_status` a peer
//! should get back and to how it should be answered: a PDU whose header
//! cannot be used gets a generic_nack (SMPP v3.4 4.3); any other bad PDU
//! gets its own response carrying the error status (v3.4 5.1.3).

use super::command_id::CommandId;
use super::status::CommandStatus;

/// A mandatory field, named for errors and mapped to the status that
/// v3.4 table 5-2 reserves for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Field {
    SystemId,
    Password,
    SystemType,
    AddressRange,
    ServiceType,
    SourceAddr,
    DestinationAddr,
    EsmeAddr,
    DlName,
    MessageId,
    ScheduleDeliveryTime,
    ValidityPeriod,
    FinalDate,
}

impl Field {
    /// The field's name in the specification.
    pub const fn name(self) -> &'static str {
        match self {
            Field::SystemId => "system_id",
            Field::Password => "password",
            Field::SystemType => "system_type",
            Field::AddressRange => "address_range",
            Field::ServiceType => "service_type",
            Field::SourceAddr => "source_addr",
            Field::DestinationAddr => "destination_addr",
            Field::EsmeAddr => "esme_addr",
            Field::DlName => "dl_name",
            Field::MessageId => "message_id",
            Field::ScheduleDeliveryTime => "schedule_delivery_time",
            Field::ValidityPeriod => "validity_period",
            Field::FinalDate => "final_date",
        }
    }

    /// The status for a malformed value of this field (v3.4 table 5-2).
    /// Fields without a dedicated code get ESME_RINVPARLEN.
    pub const fn status(self) -> CommandStatus {
        match self {
            Field::SystemId => CommandStatus::ESME_RINVSYSID,
            Field::Password => CommandStatus::ESME_RINVPASWD,
            Field::SystemType => CommandStatus::ESME_RINVSYSTYP,
            Field::ServiceType => CommandStatus::ESME_RINVSERTYP,
            Field::SourceAddr => CommandStatus::ESME_RINVSRCADR,
            Field::DestinationAddr | Field::EsmeAddr => CommandStatus::ESME_RINVDSTADR,
            Field::DlName => CommandStatus::ESME_RINVDLNAME,
            Field::MessageId => CommandStatus::ESME_RINVMSGID,
            Field::ScheduleDeliveryTime => CommandStatus::ESME_RINVSCHED,
            Field::ValidityPeriod => CommandStatus::ESME_RINVEXPIRY,
            Field::AddressRange | Field::FinalDate => CommandStatus::ESME_RINVPARLEN,
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a peer's bad PDU should be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The header is unusable (bad length, unknown id): answer with
    /// generic_nack carrying the status (v3.4 4.3).
    GenericNack,
    /// The header is fine: answer with the PDU's own response carrying the
    /// status (or nothing, when the PDU has no response).
    Response,
}

/// Why a PDU could not be decoded or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// The frame is shorter than the 16-octet header (v3.4 3.2).
    #[error("frame of {len} octets is shorter than the 16-octet header")]
    ShortHeader {
        /// Octets available.
        len: usize,
    },
    /// command_length is below 16 or does not equal the frame's length.
    #[error("command_length {command_length} does not match the frame of {frame_len} octets")]
    CommandLength {
        /// The declared command_length.
        command_length: u32,
        /// The frame's actual length.
        frame_len: usize,
    },
    /// command_id names no known PDU.
    #[error("unknown command_id 0x{command_id:08X}")]
    UnknownCommandId {
        /// The value read.
        command_id: u32,
    },
    /// The body ends before all mandatory fields were read.
    #[error("body ends inside the mandatory fields")]
    TruncatedBody,
    /// A C-octet string has its NUL beyond the field's maximum (which
    /// includes the NUL), or is longer than that maximum on encode.
    #[error("{field} longer than its maximum of {max} octets with NUL")]
    CStringTooLong {
        /// Which field.
        field: Field,
        /// The maximum, NUL included.
        max: usize,
    },
    /// A C-octet string has no NUL before the body ends.
    #[error("{field} has no NUL terminator")]
    CStringUnterminated {
        /// Which field.
        field: Field,
    },
    /// A time field is neither NULL nor 16 characters (v3.4 7.1).
    #[error("{field} must be NULL or 16 characters")]
    InvalidTime {
        /// Which field.
        field: Field,
    },
    /// sm_length is above 254 (v3.4 5.2.21).
    #[error("sm_length {sm_length} is above 254")]
    SmLengthTooLarge {
        /// The value read.
        sm_length: u8,
    },
    /// sm_length promises more octets than the body holds (v3.4 5.2.21).
    #[error("sm_length {sm_length} runs past the end of the body")]
    SmLengthBeyondBody {
        /// The value read.
        sm_length: u8,
    },
    /// short_message is non-empty while a message_payload TLV is present
    /// (v3.4 5.3.2.32: sm_length must then be 0).
    #[error("short_message and message_payload are both present")]
    ShortMessageAndPayload,
    /// The TLV area does not split into whole TLVs (v3.4 5.3.1).
    #[error("optional parameters do not form whole TLVs")]
    TlvStream,
    /// A TLV has a length its definition does not allow (v3.4 5.3.2,
    /// v5.0 4.8.4); on encode, a value above 65535 octets.
    #[error("TLV 0x{tag:04X} has invalid length {len}")]
    TlvLength {
        /// The TLV's tag.
        tag: u16,
        /// The length read or attempted.
        len: usize,
    },
    /// A TLV value is malformed, e.g. a C-octet string without NUL.
    #[error("TLV 0x{tag:04X} has an invalid value")]
    TlvValue {
        /// The TLV's tag.
        tag: u16,
    },
    /// A TLV the PDU requires is absent (v5.0 broadcast_sm).
    #[error("mandatory TLV 0x{tag:04X} is missing")]
    MissingTlv {
        /// The missing tag.
        tag: u16,
    },
    /// number_of_dests or no_unsuccess is above 254 (v3.4 4.5.1), or
    /// number_of_dests is 0.
    #[error("{count} destinations; allowed 1 to 254")]
    DestinationCount {
        /// The count.
        count: usize,
    },
    /// dest_flag is neither 1 (SME address) nor 2 (distribution list)
    /// (v3.4 4.5.1.1).
    #[error("dest_flag {flag} is neither 1 nor 2")]
    DestFlag {
        /// The value read.
        flag: u8,
    },
    /// On encode: the whole PDU would not fit command_length, or the
    /// buffer has no room for it.
    #[error("PDU of {len} octets does not fit")]
    TooLarge {
        /// The encoded length.
        len: usize,
    },
}

impl PduError {
    /// The command_status to send back for this error.
    pub const fn command_status(&self) -> CommandStatus {
        match self {
            PduError::ShortHeader { .. } | PduError::CommandLength { .. } | PduError::TruncatedBody => {
                CommandStatus::ESME_RINVCMDLEN
            }
            PduError::UnknownCommandId { .. } => CommandStatus::ESME_RINVCMDID,
            PduError::CStringTooLong { field, .. }
            | PduError::CStringUnterminated { field }
            | PduError::InvalidTime { field } => field.status(),
            PduError::SmLengthTooLarge { .. }
            | PduError::SmLengthBeyondBody { .. }
            | PduError::ShortMessageAndPayload => CommandStatus::ESME_RINVMSGLEN,
            PduError::TlvStream => CommandStatus::ESME_RINVOPTPARSTREAM,
            PduError::TlvLength { .. } => CommandStatus::ESME_RINVPARLEN,
            PduError::TlvValue { .. } => CommandStatus::ESME_RINVOPTPARAMVAL,
            PduError::MissingTlv { .. } => CommandStatus::ESME_RMISSINGOPTPARAM,
            PduError::DestinationCount { .. } => CommandStatus::ESME_RINVNUMDESTS,
            PduError::DestFlag { .. } => CommandStatus::ESME_RINVDESTFLAG,
            PduError::TooLarge { .. } => CommandStatus::ESME_RSYSERR,
        }
    }

    /// Whether the header was unusable (generic_nack) or the PDU's own
    /// response should carry the status.
    pub const fn reply(&self) -> Reply {
        match self {
            PduError::ShortHeader { .. }
            | PduError::CommandLength { .. }
            | PduError::UnknownCommandId { .. } => Reply::GenericNack,
            _ => Reply::Response,
        }
    }
}

/// The nom error type of the body parsers: complete parsers only fail by
/// running out of input, which inside the mandatory fields is a truncated
/// body; every other failure is raised as a [`PduError`] directly.
impl<I> nom::error::ParseError<I> for PduError {
    fn from_error_kind(_input: I, _kind: nom::error::ErrorKind) -> Self {
        PduError::TruncatedBody
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// A decode failure with what could be read of the header, so the session
/// can echo the sequence number (v3.4 4.3: generic_nack echoes it when it
/// can be read) and answer with the right command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct DecodeError {
    /// What went wrong.
    pub error: PduError,
    /// The raw command_id, when the header was at least 16 octets.
    pub command_id: Option<u32>,
    /// The sequence_number, when the header was at least 16 octets.
    pub sequence_number: Option<u32>,
}

impl DecodeError {
    /// The status to answer with.
    pub const fn command_status(&self) -> CommandStatus {
        self.error.command_status()
    }

    /// How to answer.
    pub const fn reply(&self) -> Reply {
        self.error.reply()
    }

    /// The known command, if the id was recognised.
    pub fn command(&self) -> Option<CommandId> {
        self.command_id.and_then(CommandId::from_u32)
    }
}

impl From<DecodeError> for PduError {
    fn from(e: DecodeError) -> Self {
        e.error
    }
}
