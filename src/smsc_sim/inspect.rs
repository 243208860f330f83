//! What tests look at and inject beyond the counters: a bounded record of
//! the last submit_sm accepted ([`RecentSubmits`]), and the deliver_sm of
//! an arbitrary MO ([`MoMessage`]), e.g. a SIM's proof of receipt with its
//! user data header.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::smpp::pdu::{Address, Body, CommandStatus, Pdu, PduError, ShortMessage, SmFields};

/// Submits kept by [`RecentSubmits`]; older ones are dropped first.
pub const RECENT_SUBMITS: usize = 64;

/// The fields of one accepted submit_sm a test checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedSubmit {
    /// source_addr.
    pub source_addr: String,
    /// destination_addr.
    pub destination_addr: String,
    /// esm_class (v3.4 5.2.12).
    pub esm_class: u8,
    /// protocol_id (v3.4 5.2.13).
    pub protocol_id: u8,
    /// registered_delivery (v3.4 5.2.17).
    pub registered_delivery: u8,
    /// data_coding (v3.4 5.2.19).
    pub data_coding: u8,
    /// short_message.
    pub short_message: Vec<u8>,
}

impl ReceivedSubmit {
    /// The submit_sm fields of `pdu`; `None` for other PDUs.
    pub fn of(pdu: &Pdu<'_>) -> Option<Self> {
        match &pdu.body {
            Body::SubmitSm(b) => Some(Self {
                source_addr: String::from_utf8_lossy(b.source_addr.as_bytes()).into_owned(),
                destination_addr: String::from_utf8_lossy(b.destination_addr.as_bytes()).into_owned(),
                esm_class: b.esm_class,
                protocol_id: b.protocol_id,
                registered_delivery: b.registered_delivery,
                data_coding: b.data_coding,
                short_message: b.short_message.as_bytes().to_vec(),
            }),
            _ => None,
        }
    }
}

/// The last [`RECENT_SUBMITS`] submits accepted, oldest first.
#[derive(Debug, Default)]
pub struct RecentSubmits {
    kept: VecDeque<ReceivedSubmit>,
}

impl RecentSubmits {
    /// Keeps `submit`, dropping the oldest beyond the bound.
    pub fn push(&mut self, submit: ReceivedSubmit) {
        if self.kept.len() == RECENT_SUBMITS {
            self.kept.pop_front();
        }
        self.kept.push_back(submit);
    }

    /// Keeps the submit_sm fields of `pdu` (other PDUs are not kept),
    /// reusing the buffers of the entry it drops: no allocation once the
    /// record is full, which is every submit of a long run.
    pub fn record(&mut self, pdu: &Pdu<'_>) {
        let Body::SubmitSm(b) = &pdu.body else { return };
        let mut entry =
            if self.kept.len() == RECENT_SUBMITS { self.kept.pop_front() } else { None }.unwrap_or_default();
        entry.source_addr.clear();
        entry.source_addr.push_str(&String::from_utf8_lossy(b.source_addr.as_bytes()));
        entry.destination_addr.clear();
        entry.destination_addr.push_str(&String::from_utf8_lossy(b.destination_addr.as_bytes()));
        entry.esm_class = b.esm_class;
        entry.protocol_id = b.protocol_id;
        entry.registered_delivery = b.registered_delivery;
        entry.data_coding = b.data_coding;
        entry.short_message.clear();
        entry.short_message.extend_from_slice(b.short_message.as_bytes());
        self.kept.push_back(entry);
    }

    /// A copy, oldest first.
    pub fn snapshot(&self) -> Vec<ReceivedSubmit> {
        self.kept.iter().cloned().collect()
    }
}

/// An MO to deliver as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoMessage {
    /// source_addr: the handset (TON 1, NPI 1).
    pub source_addr: String,
    /// destination_addr (TON 0, NPI 1).
    pub destination_addr: String,
    /// esm_class: 0x40 when `user_data` opens with a UDH.
    pub esm_class: u8,
    /// protocol_id: 0x7F for a (U)SIM's PoR (TS 23.040 9.2.3.9).
    pub protocol_id: u8,
    /// data_coding.
    pub data_coding: u8,
    /// short_message, at most 254 octets.
    pub user_data: Vec<u8>,
}

impl MoMessage {
    /// The deliver_sm, encoded with sequence 0.
    pub fn pdu(&self) -> Result<Bytes, PduError> {
        let too_long = |len| PduError::TooLarge { len };
        let short_message = ShortMessage::new(&self.user_data).map_err(|_| too_long(self.user_data.len()))?;
        let source =
            Address::new(self.source_addr.as_bytes()).map_err(|_| too_long(self.source_addr.len()))?;
        let destination = Address::new(self.destination_addr.as_bytes())
            .map_err(|_| too_long(self.destination_addr.len()))?;
        let body = SmFields {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: source,
            dest_addr_ton: 0,
            dest_addr_npi: 1,
            destination_addr: destination,
            esm_class: self.esm_class,
            protocol_id: self.protocol_id,
            data_coding: self.data_coding,
            short_message,
            ..SmFields::default()
        };
        Ok(Bytes::from(Pdu::new(CommandStatus::ESME_ROK, 0, Body::DeliverSm(body)).to_vec()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smpp::pdu::decode;

    #[test]
    fn the_record_is_bounded_and_keeps_the_newest() {
        let mut r = RecentSubmits::default();
        for n in 0..(RECENT_SUBMITS + 5) {
            r.push(ReceivedSubmit { source_addr: n.to_string(), ..ReceivedSubmit::default() });
        }
        let kept = r.snapshot();
        assert_eq!(kept.len(), RECENT_SUBMITS);
        assert_eq!(kept[0].source_addr, "5");
        assert_eq!(kept[RECENT_SUBMITS - 1].source_addr, (RECENT_SUBMITS + 4).to_string());
    }

    #[test]
    fn recording_in_place_keeps_the_same_fields_as_of() {
        let mut r = RecentSubmits::default();
        let mut last = None;
        for n in 0..(RECENT_SUBMITS + 3) {
            let dest = format!("4670000{n:04}");
            let text = format!("text {n}");
            let body = SmFields {
                source_addr: Address::new(b"simgate").unwrap(),
                destination_addr: Address::new(dest.as_bytes()).unwrap(),
                esm_class: 0x40,
                registered_delivery: 1,
                data_coding: 8,
                short_message: ShortMessage::new(text.as_bytes()).unwrap(),
                ..SmFields::default()
            };
            let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::SubmitSm(body));
            r.record(&pdu);
            last = ReceivedSubmit::of(&pdu);
        }
        r.record(&Pdu::new(CommandStatus::ESME_ROK, 2, Body::EnquireLink));
        let kept = r.snapshot();
        assert_eq!(kept.len(), RECENT_SUBMITS);
        assert_eq!(kept.last(), last.as_ref(), "the newest, field by field");
        assert_eq!(kept[0].destination_addr, "46700000003");
    }

    #[test]
    fn an_mo_carries_its_fields_as_given() {
        let mo = MoMessage {
            source_addr: "46700000001".into(),
            destination_addr: "OTA".into(),
            esm_class: 0x40,
            protocol_id: 0x7F,
            data_coding: 0xF6,
            user_data: vec![0x02, 0x71, 0x00, 0xAA],
        };
        let bytes = mo.pdu().unwrap();
        let pdu = decode(&bytes).unwrap();
        let Body::DeliverSm(f) = pdu.body else { panic!("not a deliver_sm") };
        assert_eq!((f.esm_class, f.protocol_id, f.data_coding), (0x40, 0x7F, 0xF6));
        assert_eq!(f.short_message.as_bytes(), &[0x02, 0x71, 0x00, 0xAA]);
        assert_eq!(f.source_addr.as_bytes(), b"46700000001");
        let long = MoMessage { user_data: vec![0; 300], ..mo };
        assert!(long.pdu().is_err());
    }
}
