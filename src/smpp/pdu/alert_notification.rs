//! alert_notification (SMPP v3.4 4.12): the SMSC tells the ESME that a
//! mobile station it asked about (set_dpf) became available. It has no
//! response.

use super::cstring::LongAddress;
use super::error::Field;
use super::fields::{octet, pdu_body};

pdu_body! {
    /// alert_notification (v3.4 4.12.1); the ms_availability_status TLV may
    /// follow.
    pub struct AlertNotification<'a> {
        /// Type of number of source_addr.
        source_addr_ton: u8 = octet,
        /// Numbering plan of source_addr.
        source_addr_npi: u8 = octet,
        /// The mobile station's address, up to 64 characters.
        source_addr: LongAddress<'a> = LongAddress::parse(Field::SourceAddr),
        /// Type of number of esme_addr.
        esme_addr_ton: u8 = octet,
        /// Numbering plan of esme_addr.
        esme_addr_npi: u8 = octet,
        /// The ESME that asked, up to 64 characters.
        esme_addr: LongAddress<'a> = LongAddress::parse(Field::EsmeAddr),
    }
}
