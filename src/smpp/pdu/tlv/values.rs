//! Value types of the standard TLVs and how each checks its length
//! (SMPP v3.4 5.3.2, v5.0 4.8.4). A length the definition does not allow
//! is ESME_RINVPARLEN (v5.0 calls the same value ESME_RINVTLVLEN).

use bytes::BufMut;

use crate::smpp::pdu::cstring::{COctetString, OctetString, SmppTime};
use crate::smpp::pdu::error::PduError;
use crate::smpp::pdu::stage::Stage;
use crate::smpp::pdu::status::CommandStatus;

/// A TLV value: decoded from exactly the value octets, sized, written.
pub trait TlvValue<'a>: Sized + Copy {
    /// Decode from the whole value of a TLV with `tag`.
    fn decode_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError>;
    /// Octets of the value on the wire.
    fn value_len(&self) -> usize;
    /// Write the value.
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>);
    /// Write the whole TLV with `tag`: tag, length (bounded to u16 by
    /// `Tlvs::summary` before a PDU is written), value (v3.4 5.3.1).
    /// Values of fixed size write all of it in one piece.
    #[inline]
    fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
        let [t0, t1] = tag.to_be_bytes();
        let [l0, l1] = u16::try_from(self.value_len()).unwrap_or(u16::MAX).to_be_bytes();
        buf.put_slice(&[t0, t1, l0, l1]);
        self.write_value(buf);
    }
}

/// A whole TLV with a value of `N` octets: tag, length, value, for a
/// single write.
#[inline]
fn fixed_tlv<const N: usize>(tag: u16, value: [u8; N], tlv: &mut [u8]) {
    let [t0, t1] = tag.to_be_bytes();
    let [l0, l1] = u16::try_from(N).unwrap_or(u16::MAX).to_be_bytes();
    if let [h0, h1, h2, h3, rest @ ..] = tlv {
        [*h0, *h1, *h2, *h3] = [t0, t1, l0, l1];
        for (dst, octet) in rest.iter_mut().zip(value) {
            *dst = octet;
        }
    }
}

fn fixed<const N: usize>(tag: u16, value: &[u8]) -> Result<[u8; N], PduError> {
    value.try_into().map_err(|_| PduError::TlvLength { tag, len: value.len() })
}

impl TlvValue<'_> for u8 {
    fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
        fixed::<1>(tag, value).map(u8::from_be_bytes)
    }
    fn value_len(&self) -> usize {
        1
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u8(*self);
    }
    #[inline]
    fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
        let mut tlv = [0u8; 5];
        fixed_tlv(tag, [*self], &mut tlv);
        buf.put_slice(&tlv);
    }
}

impl TlvValue<'_> for u16 {
    fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
        fixed::<2>(tag, value).map(u16::from_be_bytes)
    }
    fn value_len(&self) -> usize {
        2
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u16(*self);
    }
    #[inline]
    fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
        let mut tlv = [0u8; 6];
        fixed_tlv(tag, self.to_be_bytes(), &mut tlv);
        buf.put_slice(&tlv);
    }
}

impl TlvValue<'_> for u32 {
    fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
        fixed::<4>(tag, value).map(u32::from_be_bytes)
    }
    fn value_len(&self) -> usize {
        4
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u32(*self);
    }
    #[inline]
    fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
        let mut tlv = [0u8; 8];
        fixed_tlv(tag, self.to_be_bytes(), &mut tlv);
        buf.put_slice(&tlv);
    }
}

impl TlvValue<'_> for CommandStatus {
    fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
        u32::decode_value(tag, value).map(CommandStatus)
    }
    fn value_len(&self) -> usize {
        4
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u32(self.0);
    }
    #[inline]
    fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
        let mut tlv = [0u8; 8];
        fixed_tlv(tag, self.0.to_be_bytes(), &mut tlv);
        buf.put_slice(&tlv);
    }
}

impl<'a, const MAX: usize> TlvValue<'a> for COctetString<'a, MAX> {
    fn decode_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
        Self::from_tlv_value(tag, value)
    }
    fn value_len(&self) -> usize {
        self.wire_len()
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_cstr(self.as_bytes());
    }
}

impl<'a> TlvValue<'a> for SmppTime<'a> {
    fn decode_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
        Self::from_tlv_value(tag, value)
    }
    fn value_len(&self) -> usize {
        self.wire_len()
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_cstr(self.as_bytes());
    }
}

impl<'a, const MIN: usize, const MAX: usize> TlvValue<'a> for OctetString<'a, MIN, MAX> {
    fn decode_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
        Self::from_tlv_value(tag, value)
    }
    fn value_len(&self) -> usize {
        self.len()
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_slice(self.as_bytes());
    }
}

/// message_state (v3.4 5.2.28; v5.0 adds SCHEDULED and SKIPPED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageState(pub u8);

impl MessageState {
    /// v5.0: scheduled for later delivery.
    pub const SCHEDULED: Self = MessageState(0);
    /// In transit.
    pub const ENROUTE: Self = MessageState(1);
    /// Delivered to the destination.
    pub const DELIVERED: Self = MessageState(2);
    /// Validity period expired.
    pub const EXPIRED: Self = MessageState(3);
    /// Deleted.
    pub const DELETED: Self = MessageState(4);
    /// Undeliverable.
    pub const UNDELIVERABLE: Self = MessageState(5);
    /// Accepted (read on behalf of the subscriber by customer service).
    pub const ACCEPTED: Self = MessageState(6);
    /// Invalid state.
    pub const UNKNOWN: Self = MessageState(7);
    /// Rejected.
    pub const REJECTED: Self = MessageState(8);
    /// v5.0: skipped.
    pub const SKIPPED: Self = MessageState(9);

    /// The state's name, or `None` for a value outside 0-9.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "SCHEDULED",
            1 => "ENROUTE",
            2 => "DELIVERED",
            3 => "EXPIRED",
            4 => "DELETED",
            5 => "UNDELIVERABLE",
            6 => "ACCEPTED",
            7 => "UNKNOWN",
            8 => "REJECTED",
            9 => "SKIPPED",
            _ => return None,
        })
    }
}

impl TlvValue<'_> for MessageState {
    fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
        u8::decode_value(tag, value).map(MessageState)
    }
    fn value_len(&self) -> usize {
        1
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u8(self.0);
    }
    #[inline]
    fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
        let mut tlv = [0u8; 5];
        fixed_tlv(tag, [self.0], &mut tlv);
        buf.put_slice(&tlv);
    }
}

/// A 3-octet value: one octet of kind, two of value. Shared layout of
/// network_error_code (v3.4 5.3.2.31), broadcast_content_type and
/// broadcast_frequency_interval (v5.0 4.8.4.7, 4.8.4.11).
macro_rules! octet_and_u16 {
    ($(#[$doc:meta])* $name:ident { $(#[$adoc:meta])* $a:ident, $(#[$bdoc:meta])* $b:ident }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name {
            $(#[$adoc])* pub $a: u8,
            $(#[$bdoc])* pub $b: u16,
        }

        impl TlvValue<'_> for $name {
            fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
                let [a, b0, b1] = fixed::<3>(tag, value)?;
                Ok($name { $a: a, $b: u16::from_be_bytes([b0, b1]) })
            }
            fn value_len(&self) -> usize {
                3
            }
            fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
                buf.put_u8(self.$a);
                buf.put_u16(self.$b);
            }
            fn write_tlv<B: BufMut>(&self, tag: u16, buf: &mut Stage<'_, B>) {
                let [b0, b1] = self.$b.to_be_bytes();
                let mut tlv = [0u8; 7];
        fixed_tlv(tag, [self.$a, b0, b1], &mut tlv);
        buf.put_slice(&tlv);
            }
        }
    };
}

octet_and_u16!(
    /// network_error_code: the network type and its error code (v3.4 5.3.2.31).
    NetworkErrorCode {
        /// 1 ANSI-136, 2 IS-95, 3 GSM, 4 reserved; v5.0 adds more.
        network_type,
        /// The network-specific error code.
        error_code
    }
);

octet_and_u16!(
    /// broadcast_content_type (v5.0 4.8.4.7).
    BroadcastContentType {
        /// The network type the content type belongs to.
        network_type,
        /// The content type within that network.
        content_type
    }
);

octet_and_u16!(
    /// broadcast_frequency_interval (v5.0 4.8.4.11).
    BroadcastFrequencyInterval {
        /// Time unit (0x08 seconds, 0x09 minutes, ...).
        unit,
        /// Number of units between repetitions.
        value
    }
);

/// A format octet followed by data: broadcast_area_identifier (v5.0
/// 4.8.4.4) and billing_identification (v5.0 4.8.4.3).
macro_rules! format_and_data {
    ($(#[$doc:meta])* $name:ident, $max_data:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name<'a> {
            /// The format of `data`.
            pub format: u8,
            data: &'a [u8],
        }

        impl<'a> $name<'a> {
            /// Most octets of data after the format octet.
            pub const MAX_DATA: usize = $max_data;

            /// Build one, checking the data length.
            pub fn new(format: u8, data: &'a [u8]) -> Result<Self, crate::smpp::pdu::cstring::ValueError> {
                if data.len() > Self::MAX_DATA {
                    return Err(crate::smpp::pdu::cstring::ValueError::Length {
                        len: data.len(),
                        min: 0,
                        max: Self::MAX_DATA,
                    });
                }
                Ok($name { format, data })
            }

            /// The data after the format octet.
            pub const fn data(&self) -> &'a [u8] {
                self.data
            }
        }

        impl<'a> TlvValue<'a> for $name<'a> {
            fn decode_value(tag: u16, value: &'a [u8]) -> Result<Self, PduError> {
                match value.split_first() {
                    Some((&format, data)) if data.len() <= Self::MAX_DATA => Ok($name { format, data }),
                    _ => Err(PduError::TlvLength { tag, len: value.len() }),
                }
            }
            fn value_len(&self) -> usize {
                1 + self.data.len()
            }
            fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
                buf.put_u8(self.format);
                buf.put_slice(self.data);
            }
        }

        impl std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("format", &self.format)
                    .field("data", &self.data.escape_ascii().to_string())
                    .finish()
            }
        }
    };
}

format_and_data!(
    /// broadcast_area_identifier: area format and area data (v5.0 4.8.4.4,
    /// at most 100 octets of area).
    BroadcastAreaIdentifier,
    100
);

format_and_data!(
    /// billing_identification: format and billing data (v5.0 4.8.4.3, at
    /// most 1024 octets in all).
    BillingIdentification,
    1023
);

/// alert_on_message_delivery: no value in v3.4 5.3.2.41; v5.0 4.8.4.2
/// allows one octet carrying the alert type. Kept as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AlertOnMessageDelivery(pub Option<u8>);

impl TlvValue<'_> for AlertOnMessageDelivery {
    fn decode_value(tag: u16, value: &[u8]) -> Result<Self, PduError> {
        match value {
            [] => Ok(AlertOnMessageDelivery(None)),
            [b] => Ok(AlertOnMessageDelivery(Some(*b))),
            _ => Err(PduError::TlvLength { tag, len: value.len() }),
        }
    }
    fn value_len(&self) -> usize {
        usize::from(self.0.is_some())
    }
    fn write_value<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        if let Some(b) = self.0 {
            buf.put_u8(b);
        }
    }
}
