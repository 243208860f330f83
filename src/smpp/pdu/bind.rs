//! bind_transmitter, bind_receiver, bind_transceiver, their responses,
//! and outbind (SMPP v3.4 4.1). The three binds share one layout.

use super::cstring::{AddressRange, Password, SystemId, SystemType};
use super::error::Field;
use super::fields::{octet, pdu_body};

pdu_body! {
    /// The body of bind_transmitter, bind_receiver and bind_transceiver
    /// (v3.4 4.1.1, 4.1.3, 4.1.5).
    pub struct Bind<'a> {
        /// The ESME's account, up to 15 characters.
        system_id: SystemId<'a> = SystemId::parse(Field::SystemId),
        /// Up to 8 characters.
        password: Password<'a> = Password::parse(Field::Password),
        /// Kind of ESME, up to 12 characters; often NULL.
        system_type: SystemType<'a> = SystemType::parse(Field::SystemType),
        /// SMPP version the ESME speaks: 0x34 for v3.4, 0x50 for v5.0
        /// (v3.4 5.2.4).
        interface_version: u8 = octet,
        /// Type of number of address_range.
        addr_ton: u8 = octet,
        /// Numbering plan of address_range.
        addr_npi: u8 = octet,
        /// Addresses served by a receiver, up to 40 characters; often NULL.
        address_range: AddressRange<'a> = AddressRange::parse(Field::AddressRange),
    }
}

pdu_body! {
    /// The body of the three bind responses (v3.4 4.1.2, 4.1.4, 4.1.6);
    /// the SMSC may add sc_interface_version as a TLV.
    pub struct BindResp<'a> {
        /// The SMSC's identity, up to 15 characters.
        system_id: SystemId<'a> = SystemId::parse(Field::SystemId),
    }
}

pdu_body! {
    /// outbind: the SMSC asks the ESME to bind as a receiver (v3.4 4.1.7).
    /// It has no response.
    pub struct Outbind<'a> {
        /// The SMSC's identity.
        system_id: SystemId<'a> = SystemId::parse(Field::SystemId),
        /// The password the ESME must present.
        password: Password<'a> = Password::parse(Field::Password),
    }
}
