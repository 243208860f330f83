//! The fields MO and receipt handling read, the same for deliver_sm
//! (SMPP v3.4 4.6.1) and data_sm (4.7.1).

use crate::smpp::pdu::{Body, Pdu};

/// One inbound message's addresses, coding and user data.
#[derive(Debug, Clone, Copy)]
pub(super) struct Message<'a> {
    pub(super) source: &'a [u8],
    pub(super) destination: &'a [u8],
    pub(super) esm_class: u8,
    pub(super) data_coding: u8,
    /// short_message, or message_payload when short_message is empty
    /// (v3.4 5.3.2.32).
    pub(super) user_data: &'a [u8],
}

impl<'a> Message<'a> {
    pub(super) fn of(pdu: &Pdu<'a>) -> Option<Self> {
        let payload = pdu.tlvs.message_payload();
        match &pdu.body {
            Body::DeliverSm(f) => Some(Message {
                source: f.source_addr.as_bytes(),
                destination: f.destination_addr.as_bytes(),
                esm_class: f.esm_class,
                data_coding: f.data_coding,
                user_data: match (f.short_message.as_bytes(), payload) {
                    (&[], Some(p)) => p,
                    (sm, _) => sm,
                },
            }),
            Body::DataSm(f) => Some(Message {
                source: f.source_addr.as_bytes(),
                destination: f.destination_addr.as_bytes(),
                esm_class: f.esm_class,
                data_coding: f.data_coding,
                user_data: payload.unwrap_or_default(),
            }),
            _ => None,
        }
    }

    pub(super) fn source(&self) -> String {
        String::from_utf8_lossy(self.source).into_owned()
    }

    pub(super) fn destination(&self) -> String {
        String::from_utf8_lossy(self.destination).into_owned()
    }
}
