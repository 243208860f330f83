//! Field-level pieces shared by the PDU bodies: the body codec trait, the
//! octet reader, and the short_message field (SMPP v3.4 5.2.21-5.2.22).

use bytes::BufMut;
use nom::IResult;
use nom::number::complete::{be_u8, be_u32};

use super::cstring::ValueError;
use super::error::PduError;
use super::stage::Stage;

/// Decode and encode of one PDU body's mandatory fields. TLVs that follow
/// them are handled once, for every PDU, in [`super::Pdu`].
pub trait BodyCodec<'a>: Sized {
    /// Read the mandatory fields from the front of the body.
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError>;
    /// Octets of the mandatory fields.
    fn wire_len(&self) -> usize;
    /// Write the mandatory fields.
    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>);
    /// Check limits the field types cannot express (encode side).
    fn check(&self) -> Result<(), PduError> {
        Ok(())
    }
    /// The characters of the only field, when the body is one C-octet
    /// string (submit_sm_resp, deliver_sm_resp, data_sm_resp, a bind
    /// response): such a body is written straight to the output.
    fn lone_cstr(&self) -> Option<&[u8]> {
        None
    }
}

/// Read one octet.
pub(crate) fn octet(input: &[u8]) -> IResult<&[u8], u8, PduError> {
    be_u8(input)
}

/// Read a 4-octet integer.
pub(crate) fn word(input: &[u8]) -> IResult<&[u8], u32, PduError> {
    be_u32(input)
}

/// short_message: 0 to 254 octets, preceded on the wire by sm_length
/// (v3.4 5.2.21, 5.2.22).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ShortMessage<'a>(&'a [u8]);

impl<'a> ShortMessage<'a> {
    /// Most octets of a short_message (v3.4 5.2.21).
    pub const MAX: usize = 254;
    /// No short message (sm_length 0), e.g. when message_payload is used.
    pub const EMPTY: Self = ShortMessage(&[]);

    /// Check the length of `octets`.
    pub fn new(octets: &'a [u8]) -> Result<Self, ValueError> {
        if octets.len() > Self::MAX {
            return Err(ValueError::Length { len: octets.len(), min: 0, max: Self::MAX });
        }
        Ok(ShortMessage(octets))
    }

    /// The octets.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// sm_length.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether sm_length is 0.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Octets on the wire: sm_length and the message.
    pub const fn wire_len(&self) -> usize {
        1 + self.0.len()
    }

    /// Read sm_length and the message.
    pub(crate) fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        let (rest, sm_length) = octet(input)?;
        if usize::from(sm_length) > Self::MAX {
            return Err(nom::Err::Failure(PduError::SmLengthTooLarge { sm_length }));
        }
        match rest.split_at_checked(usize::from(sm_length)) {
            Some((message, rest)) => Ok((rest, ShortMessage(message))),
            None => Err(nom::Err::Failure(PduError::SmLengthBeyondBody { sm_length })),
        }
    }

    /// Write sm_length and the message.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        // The constructor bounds the length to 254.
        buf.put_u8(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        buf.put_slice(self.0);
    }
}

impl std::fmt::Debug for ShortMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// A mandatory field's wire size and writer, so body layouts can be
/// declared once with the crate-private `pdu_body!` macro.
pub trait FieldCodec {
    /// Octets on the wire.
    fn field_len(&self) -> usize;
    /// Write the field.
    fn write_field<B: BufMut>(&self, buf: &mut Stage<'_, B>);
    /// The characters, when the field is a C-octet string (written as
    /// they are, then a NUL).
    fn as_cstr(&self) -> Option<&[u8]> {
        None
    }
}

impl FieldCodec for u8 {
    fn field_len(&self) -> usize {
        1
    }
    fn write_field<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u8(*self);
    }
}

impl<const MAX: usize> FieldCodec for super::cstring::COctetString<'_, MAX> {
    fn field_len(&self) -> usize {
        self.wire_len()
    }
    fn write_field<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_cstr(self.as_bytes());
    }
    fn as_cstr(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

impl FieldCodec for super::cstring::SmppTime<'_> {
    fn field_len(&self) -> usize {
        self.wire_len()
    }
    fn write_field<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_cstr(self.as_bytes());
    }
}

impl FieldCodec for ShortMessage<'_> {
    fn field_len(&self) -> usize {
        self.wire_len()
    }
    fn write_field<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        // The constructor bounds the length to 254.
        buf.put_u8(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        buf.put_slice(self.0);
    }
}

impl FieldCodec for super::status::CommandStatus {
    fn field_len(&self) -> usize {
        4
    }
    fn write_field<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u32(self.0);
    }
}

/// Declare a body of fixed field layout: the struct (all fields public,
/// in wire order) and its [`BodyCodec`], each field read by the parser
/// given after `=`. Fields are written one [`FieldCodec::write_field`]
/// each, or, after `write_with method;`, by that method of the struct
/// (for a hot body that writes adjacent fixed octets together).
macro_rules! pdu_body {
    (
        $(write_with $writer:ident;)?
        $(#[$doc:meta])*
        pub struct $name:ident<'a> {
            $($(#[$fdoc:meta])* $field:ident: $ty:ty = $parse:expr,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name<'a> {
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl<'a> $crate::smpp::pdu::fields::BodyCodec<'a> for $name<'a> {
            fn parse(
                input: &'a [u8],
            ) -> nom::IResult<&'a [u8], Self, $crate::smpp::pdu::error::PduError> {
                $(let (input, $field) = ($parse)(input)?;)*
                Ok((input, $name { $($field,)* }))
            }

            fn wire_len(&self) -> usize {
                0 $(+ $crate::smpp::pdu::fields::FieldCodec::field_len(&self.$field))*
            }

            fn write<B: bytes::BufMut>(
                &self,
                buf: &mut $crate::smpp::pdu::stage::Stage<'_, B>,
            ) {
                $crate::smpp::pdu::fields::pdu_body!(@write self buf [$($writer)?] $($field)*);
            }

            fn lone_cstr(&self) -> Option<&[u8]> {
                $crate::smpp::pdu::fields::pdu_body!(@lone self $($field)*)
            }
        }
    };
    (@lone $self:ident $field:ident) => {
        $crate::smpp::pdu::fields::FieldCodec::as_cstr(&$self.$field)
    };
    (@lone $self:ident $($field:ident)*) => {
        None
    };
    (@write $self:ident $buf:ident [] $($field:ident)*) => {
        $($crate::smpp::pdu::fields::FieldCodec::write_field(&$self.$field, $buf);)*
    };
    (@write $self:ident $buf:ident [$writer:ident] $($field:ident)*) => {
        $self.$writer($buf)
    };
}
pub(crate) use pdu_body;
