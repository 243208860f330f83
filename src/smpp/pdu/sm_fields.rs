//! The mandatory-field layout submit_sm and deliver_sm share (SMPP v3.4
//! 4.4.1 and 4.6.1: same fields, same order, same limits).

use bytes::BufMut;

use super::cstring::{Address, ServiceType, SmppTime};
use super::error::Field;
use super::fields::{ShortMessage, octet, pdu_body};
use super::stage::Stage;

pdu_body! {
    write_with write_gathered;
    /// The body of submit_sm and deliver_sm. In deliver_sm the
    /// schedule_delivery_time and validity_period are NULL and esm_class
    /// flags a delivery receipt (v3.4 4.6.1, 5.2.12); the codec keeps what
    /// it reads either way.
    pub struct SmFields<'a> {
        /// Up to 5 characters; NULL for the SMSC default (v3.4 5.2.11).
        service_type: ServiceType<'a> = ServiceType::parse(Field::ServiceType),
        /// Type of number of source_addr (v3.4 5.2.5).
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr (v3.4 5.2.6).
        source_addr_npi: u8 = octet,
        /// Up to 20 characters (v3.4 4.4.1).
        source_addr: Address<'a> = Address::parse(Field::SourceAddr),
        /// Type of number of destination_addr.
        dest_addr_ton: u8 = octet,
        /// Numbering plan of destination_addr.
        dest_addr_npi: u8 = octet,
        /// Up to 20 characters (v3.4 4.4.1).
        destination_addr: Address<'a> = Address::parse(Field::DestinationAddr),
        /// Message mode and type, UDHI, reply path (v3.4 5.2.12).
        esm_class: u8 = octet,
        /// GSM TP-PID (v3.4 5.2.13).
        protocol_id: u8 = octet,
        /// Priority 0-3 (v3.4 5.2.14).
        priority_flag: u8 = octet,
        /// NULL for immediate delivery (v3.4 5.2.15).
        schedule_delivery_time: SmppTime<'a> = SmppTime::parse(Field::ScheduleDeliveryTime),
        /// NULL for the SMSC default (v3.4 5.2.16).
        validity_period: SmppTime<'a> = SmppTime::parse(Field::ValidityPeriod),
        /// Receipt and acknowledgement requests (v3.4 5.2.17).
        registered_delivery: u8 = octet,
        /// Replace a message with the same source, destination and
        /// service_type (v3.4 5.2.18).
        replace_if_present_flag: u8 = octet,
        /// Encoding of short_message (v3.4 5.2.19).
        data_coding: u8 = octet,
        /// Canned message index, 0 for none (v3.4 5.2.20).
        sm_default_msg_id: u8 = octet,
        /// sm_length and up to 254 octets; empty when message_payload
        /// carries the message (v3.4 5.2.21, 5.3.2.32).
        short_message: ShortMessage<'a> = ShortMessage::parse,
    }
}

impl SmFields<'_> {
    /// The fields in wire order, each C-octet string's NUL written with
    /// the one-octet fields after it: 11 writes instead of 22. The layout
    /// is v3.4 4.4.1 (submit_sm) = 4.6.1 (deliver_sm).
    #[inline]
    fn write_gathered<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        let chars = |s: &[u8], buf: &mut Stage<'_, B>| {
            if !s.is_empty() {
                buf.put_slice(s);
            }
        };
        chars(self.service_type.as_bytes(), buf);
        buf.put_slice(&[0, self.source_addr_ton, self.source_addr_npi]);
        chars(self.source_addr.as_bytes(), buf);
        buf.put_slice(&[0, self.dest_addr_ton, self.dest_addr_npi]);
        chars(self.destination_addr.as_bytes(), buf);
        buf.put_slice(&[0, self.esm_class, self.protocol_id, self.priority_flag]);
        chars(self.schedule_delivery_time.as_bytes(), buf);
        buf.put_u8(0);
        chars(self.validity_period.as_bytes(), buf);
        // The constructor bounds sm_length to 254 (v3.4 5.2.21).
        let sm_length = u8::try_from(self.short_message.len()).unwrap_or(u8::MAX);
        buf.put_slice(&[
            0,
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding,
            self.sm_default_msg_id,
            sm_length,
        ]);
        chars(self.short_message.as_bytes(), buf);
    }
}
