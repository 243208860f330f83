//! [`MtPart`]: one submit_sm as the application hands it to a bind, owned
//! so it can cross a channel, and turned into a borrowed PDU body only in
//! the task that encodes it. [`QuerySmRequest`] is the same for query_sm.

use crate::smpp::pdu::{
    Address, Body, COctetString, MessageId, PduError, QuerySm, ShortMessage, SmFields, SmppTime, Tlv, Tlvs,
    ValueError,
};

/// One short message to submit (SMPP v3.4 4.4.1), fields owned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MtPart {
    /// service_type, usually empty.
    pub service_type: String,
    /// Type of number of the source (v3.4 5.2.5).
    pub source_addr_ton: u8,
    /// Numbering plan of the source (v3.4 5.2.6).
    pub source_addr_npi: u8,
    /// The sender, at most 20 characters.
    pub source_addr: String,
    /// Type of number of the destination.
    pub dest_addr_ton: u8,
    /// Numbering plan of the destination.
    pub dest_addr_npi: u8,
    /// The handset, at most 20 characters.
    pub destination_addr: String,
    /// esm_class: 0x40 when `short_message` starts with a UDH (v3.4 5.2.12).
    pub esm_class: u8,
    /// protocol_id (v3.4 5.2.13).
    pub protocol_id: u8,
    /// priority_flag 0-3 (v3.4 5.2.14).
    pub priority_flag: u8,
    /// validity_period in SMPP time format, empty for the SMSC default.
    pub validity_period: String,
    /// registered_delivery (v3.4 5.2.17).
    pub registered_delivery: u8,
    /// data_coding (v3.4 5.2.19).
    pub data_coding: u8,
    /// At most 254 octets; empty when `payload` carries the message.
    pub short_message: Vec<u8>,
    /// Extra TLVs as (tag, value): sar_*, message_payload, ports.
    pub tlvs: Vec<(u16, Vec<u8>)>,
}

/// Why an [`MtPart`] cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartError {
    /// A field breaks its limit in the specification.
    #[error("{field}: {error}")]
    Field {
        /// The field's name in the specification.
        field: &'static str,
        /// What is wrong with it.
        error: ValueError,
    },
    /// A TLV value does not fit its tag.
    #[error("tlv: {0}")]
    Tlv(PduError),
}

impl MtPart {
    /// The submit_sm body and TLVs, borrowing from `self`; checks every
    /// limit so a refused part fails here and not half-encoded.
    pub fn to_body(&self) -> Result<(Body<'_>, Tlvs<'_>), PartError> {
        let fields = SmFields {
            service_type: cstr("service_type", &self.service_type)?,
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: address("source_addr", &self.source_addr)?,
            dest_addr_ton: self.dest_addr_ton,
            dest_addr_npi: self.dest_addr_npi,
            destination_addr: address("destination_addr", &self.destination_addr)?,
            esm_class: self.esm_class,
            protocol_id: self.protocol_id,
            priority_flag: self.priority_flag,
            schedule_delivery_time: time("schedule_delivery_time", "")?,
            validity_period: time("validity_period", &self.validity_period)?,
            registered_delivery: self.registered_delivery,
            replace_if_present_flag: 0,
            data_coding: self.data_coding,
            sm_default_msg_id: 0,
            short_message: ShortMessage::new(&self.short_message)
                .map_err(|error| PartError::Field { field: "short_message", error })?,
        };
        let tlvs = self
            .tlvs
            .iter()
            .map(|(tag, value)| Tlv::from_parts(*tag, value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(PartError::Tlv)?;
        Ok((Body::SubmitSm(fields), Tlvs::from_items(tlvs)))
    }
}

/// One query_sm (SMPP v3.4 4.8.1): the SMSC's id of a message and the
/// source address it was submitted with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuerySmRequest {
    /// The id submit_sm_resp gave, as received, at most 64 characters.
    pub message_id: String,
    /// Type of number of the source (v3.4 5.2.5).
    pub source_addr_ton: u8,
    /// Numbering plan of the source (v3.4 5.2.6).
    pub source_addr_npi: u8,
    /// The submit's source_addr, at most 20 characters.
    pub source_addr: String,
}

impl QuerySmRequest {
    /// The query_sm body, borrowing from `self`, with every limit checked.
    pub fn to_body(&self) -> Result<Body<'_>, PartError> {
        Ok(Body::QuerySm(QuerySm {
            message_id: MessageId::new(self.message_id.as_bytes())
                .map_err(|error| PartError::Field { field: "message_id", error })?,
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: address("source_addr", &self.source_addr)?,
        }))
    }
}

fn cstr<'a, const MAX: usize>(field: &'static str, v: &'a str) -> Result<COctetString<'a, MAX>, PartError> {
    COctetString::new(v.as_bytes()).map_err(|error| PartError::Field { field, error })
}

fn address<'a>(field: &'static str, v: &'a str) -> Result<Address<'a>, PartError> {
    cstr(field, v)
}

fn time<'a>(field: &'static str, v: &'a str) -> Result<SmppTime<'a>, PartError> {
    SmppTime::new(v.as_bytes()).map_err(|error| PartError::Field { field, error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smpp::pdu::{CommandStatus, Pdu, TlvTag, decode};

    fn part() -> MtPart {
        MtPart {
            source_addr: "simgate".into(),
            destination_addr: "15551230001".into(),
            registered_delivery: 1,
            short_message: b"hello".to_vec(),
            tlvs: vec![(TlvTag::USER_MESSAGE_REFERENCE.0, vec![0, 7])],
            ..MtPart::default()
        }
    }

    #[test]
    fn a_part_encodes_to_the_submit_sm_it_describes() {
        let p = part();
        let (body, tlvs) = p.to_body().unwrap();
        let bytes =
            Pdu { command_status: CommandStatus::ESME_ROK, sequence_number: 3, body, tlvs }.to_vec().unwrap();
        let back = decode(&bytes).unwrap();
        let Body::SubmitSm(f) = &back.body else { panic!("not submit_sm: {back:?}") };
        assert_eq!(f.destination_addr.as_bytes(), b"15551230001");
        assert_eq!(f.short_message.as_bytes(), b"hello");
        assert_eq!(f.registered_delivery, 1);
        assert!(back.tlvs.contains(TlvTag::USER_MESSAGE_REFERENCE));
    }

    #[test]
    fn a_query_encodes_to_query_sm_and_checks_its_limits() {
        let q =
            QuerySmRequest { message_id: "1a2b".into(), source_addr: "SIMGATE".into(), ..Default::default() };
        let bytes = Pdu::new(CommandStatus::ESME_ROK, 4, q.to_body().unwrap()).to_vec().unwrap();
        let Body::QuerySm(back) = decode(&bytes).unwrap().body else { panic!("not query_sm") };
        assert_eq!(
            (back.message_id.as_bytes(), back.source_addr.as_bytes()),
            (&b"1a2b"[..], &b"SIMGATE"[..])
        );
        let long = QuerySmRequest { message_id: "9".repeat(65), ..q };
        assert!(matches!(long.to_body(), Err(PartError::Field { field: "message_id", .. })));
    }

    #[test]
    fn limits_are_checked_with_the_field_named() {
        let mut p = part();
        p.destination_addr = "1".repeat(21);
        assert!(matches!(p.to_body(), Err(PartError::Field { field: "destination_addr", .. })));
        let mut p = part();
        p.short_message = vec![0; 255];
        assert!(matches!(p.to_body(), Err(PartError::Field { field: "short_message", .. })));
        let mut p = part();
        p.tlvs = vec![(TlvTag::SAR_MSG_REF_NUM.0, vec![1, 2, 3])];
        assert!(matches!(p.to_body(), Err(PartError::Tlv(_))));
    }
}
