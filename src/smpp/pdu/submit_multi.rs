//! submit_multi and submit_multi_resp (SMPP v3.4 4.5): one message to up
//! to 254 destinations, each an SME address or a distribution list name.

use bytes::BufMut;
use nom::IResult;

use super::cstring::{Address, MessageId, ServiceType, SmppTime};
use super::error::{Field, PduError};
use super::fields::{BodyCodec, FieldCodec, ShortMessage, octet, word};
use super::list::{WireItem, WireList};
use super::stage::Stage;
use super::status::CommandStatus;

/// Most destinations, and most unsuccess_sme entries (v3.4 4.5.1).
pub const MAX_DESTINATIONS: usize = 254;

/// dest_flag of an SME address (v3.4 4.5.1.1).
pub const DEST_FLAG_SME_ADDRESS: u8 = 1;
/// dest_flag of a distribution list (v3.4 4.5.1.1).
pub const DEST_FLAG_DISTRIBUTION_LIST: u8 = 2;

/// One dest_address entry (v3.4 4.5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestAddress<'a> {
    /// dest_flag 1: an SME address.
    Sme {
        /// Type of number.
        dest_addr_ton: u8,
        /// Numbering plan.
        dest_addr_npi: u8,
        /// Up to 20 characters.
        destination_addr: Address<'a>,
    },
    /// dest_flag 2: the name of a distribution list held by the SMSC, up
    /// to 20 characters.
    DistributionList(Address<'a>),
}

impl<'a> WireItem<'a> for DestAddress<'a> {
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        let (input, flag) = octet(input)?;
        match flag {
            DEST_FLAG_SME_ADDRESS => {
                let (input, dest_addr_ton) = octet(input)?;
                let (input, dest_addr_npi) = octet(input)?;
                let (input, destination_addr) = Address::parse(Field::DestinationAddr)(input)?;
                Ok((input, DestAddress::Sme { dest_addr_ton, dest_addr_npi, destination_addr }))
            }
            DEST_FLAG_DISTRIBUTION_LIST => {
                let (input, name) = Address::parse(Field::DlName)(input)?;
                Ok((input, DestAddress::DistributionList(name)))
            }
            flag => Err(nom::Err::Failure(PduError::DestFlag { flag })),
        }
    }

    fn wire_len(&self) -> usize {
        match self {
            DestAddress::Sme { destination_addr, .. } => 3 + destination_addr.wire_len(),
            DestAddress::DistributionList(name) => 1 + name.wire_len(),
        }
    }

    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        match self {
            DestAddress::Sme { dest_addr_ton, dest_addr_npi, destination_addr } => {
                buf.put_u8(DEST_FLAG_SME_ADDRESS);
                buf.put_u8(*dest_addr_ton);
                buf.put_u8(*dest_addr_npi);
                buf.put_cstr(destination_addr.as_bytes());
            }
            DestAddress::DistributionList(name) => {
                buf.put_u8(DEST_FLAG_DISTRIBUTION_LIST);
                buf.put_cstr(name.as_bytes());
            }
        }
    }
}

/// One unsuccess_sme entry of submit_multi_resp (v3.4 4.5.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnsuccessSme<'a> {
    /// Type of number.
    pub dest_addr_ton: u8,
    /// Numbering plan.
    pub dest_addr_npi: u8,
    /// The destination the message could not be sent to.
    pub destination_addr: Address<'a>,
    /// Why (v3.4 5.1.3 values).
    pub error_status_code: CommandStatus,
}

impl<'a> WireItem<'a> for UnsuccessSme<'a> {
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        let (input, dest_addr_ton) = octet(input)?;
        let (input, dest_addr_npi) = octet(input)?;
        let (input, destination_addr) = Address::parse(Field::DestinationAddr)(input)?;
        let (input, status) = word(input)?;
        Ok((
            input,
            UnsuccessSme {
                dest_addr_ton,
                dest_addr_npi,
                destination_addr,
                error_status_code: CommandStatus(status),
            },
        ))
    }

    fn wire_len(&self) -> usize {
        2 + self.destination_addr.wire_len() + 4
    }

    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_u8(self.dest_addr_ton);
        buf.put_u8(self.dest_addr_npi);
        buf.put_cstr(self.destination_addr.as_bytes());
        buf.put_u32(self.error_status_code.0);
    }
}

/// Read a count octet that must be at most 254 (and, for destinations, at
/// least 1).
fn count(min: usize) -> impl Fn(&[u8]) -> IResult<&[u8], usize, PduError> {
    move |input| {
        let (input, n) = octet(input)?;
        let n = usize::from(n);
        if n < min || n > MAX_DESTINATIONS {
            return Err(nom::Err::Failure(PduError::DestinationCount { count: n }));
        }
        Ok((input, n))
    }
}

fn check_count(n: usize, min: usize) -> Result<(), PduError> {
    if n < min || n > MAX_DESTINATIONS {
        return Err(PduError::DestinationCount { count: n });
    }
    Ok(())
}

/// submit_multi (v3.4 4.5.1). The fields after the destinations follow the
/// submit_sm layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitMulti<'a> {
    /// Up to 5 characters; NULL for the SMSC default.
    pub service_type: ServiceType<'a>,
    /// Type of number of source_addr.
    pub source_addr_ton: u8,
    /// Numbering plan of source_addr.
    pub source_addr_npi: u8,
    /// Up to 20 characters.
    pub source_addr: Address<'a>,
    /// 1 to 254 destinations; number_of_dests is their count.
    pub dest_addresses: WireList<'a, DestAddress<'a>>,
    /// As in submit_sm (v3.4 5.2.12).
    pub esm_class: u8,
    /// As in submit_sm.
    pub protocol_id: u8,
    /// As in submit_sm.
    pub priority_flag: u8,
    /// As in submit_sm.
    pub schedule_delivery_time: SmppTime<'a>,
    /// As in submit_sm.
    pub validity_period: SmppTime<'a>,
    /// As in submit_sm.
    pub registered_delivery: u8,
    /// As in submit_sm.
    pub replace_if_present_flag: u8,
    /// As in submit_sm.
    pub data_coding: u8,
    /// As in submit_sm.
    pub sm_default_msg_id: u8,
    /// As in submit_sm.
    pub short_message: ShortMessage<'a>,
}

impl<'a> BodyCodec<'a> for SubmitMulti<'a> {
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        let (input, service_type) = ServiceType::parse(Field::ServiceType)(input)?;
        let (input, source_addr_ton) = octet(input)?;
        let (input, source_addr_npi) = octet(input)?;
        let (input, source_addr) = Address::parse(Field::SourceAddr)(input)?;
        let (input, number_of_dests) = count(1)(input)?;
        let (input, dest_addresses) = WireList::parse_counted(input, number_of_dests)?;
        let (input, esm_class) = octet(input)?;
        let (input, protocol_id) = octet(input)?;
        let (input, priority_flag) = octet(input)?;
        let (input, schedule_delivery_time) = SmppTime::parse(Field::ScheduleDeliveryTime)(input)?;
        let (input, validity_period) = SmppTime::parse(Field::ValidityPeriod)(input)?;
        let (input, registered_delivery) = octet(input)?;
        let (input, replace_if_present_flag) = octet(input)?;
        let (input, data_coding) = octet(input)?;
        let (input, sm_default_msg_id) = octet(input)?;
        let (input, short_message) = ShortMessage::parse(input)?;
        Ok((
            input,
            SubmitMulti {
                service_type,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                dest_addresses,
                esm_class,
                protocol_id,
                priority_flag,
                schedule_delivery_time,
                validity_period,
                registered_delivery,
                replace_if_present_flag,
                data_coding,
                sm_default_msg_id,
                short_message,
            },
        ))
    }

    fn wire_len(&self) -> usize {
        self.service_type.wire_len()
            + 2
            + self.source_addr.wire_len()
            + 1
            + self.dest_addresses.wire_len()
            + 3
            + self.schedule_delivery_time.wire_len()
            + self.validity_period.wire_len()
            + 4
            + self.short_message.wire_len()
    }

    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_cstr(self.service_type.as_bytes());
        buf.put_u8(self.source_addr_ton);
        buf.put_u8(self.source_addr_npi);
        buf.put_cstr(self.source_addr.as_bytes());
        // `check` bounds the count to 1..=254.
        buf.put_u8(u8::try_from(self.dest_addresses.len()).unwrap_or(u8::MAX));
        self.dest_addresses.write_staged(buf);
        buf.put_u8(self.esm_class);
        buf.put_u8(self.protocol_id);
        buf.put_u8(self.priority_flag);
        buf.put_cstr(self.schedule_delivery_time.as_bytes());
        buf.put_cstr(self.validity_period.as_bytes());
        buf.put_u8(self.registered_delivery);
        buf.put_u8(self.replace_if_present_flag);
        buf.put_u8(self.data_coding);
        buf.put_u8(self.sm_default_msg_id);
        self.short_message.write_field(buf);
    }

    fn check(&self) -> Result<(), PduError> {
        check_count(self.dest_addresses.len(), 1)
    }
}

/// submit_multi_resp (v3.4 4.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitMultiResp<'a> {
    /// The SMSC's id for the message.
    pub message_id: MessageId<'a>,
    /// Destinations the SMSC could not accept; no_unsuccess is their count.
    pub unsuccess_smes: WireList<'a, UnsuccessSme<'a>>,
}

impl<'a> BodyCodec<'a> for SubmitMultiResp<'a> {
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError> {
        let (input, message_id) = MessageId::parse(Field::MessageId)(input)?;
        let (input, no_unsuccess) = count(0)(input)?;
        let (input, unsuccess_smes) = WireList::parse_counted(input, no_unsuccess)?;
        Ok((input, SubmitMultiResp { message_id, unsuccess_smes }))
    }

    fn wire_len(&self) -> usize {
        self.message_id.wire_len() + 1 + self.unsuccess_smes.wire_len()
    }

    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        buf.put_cstr(self.message_id.as_bytes());
        // `check` bounds the count to 0..=254.
        buf.put_u8(u8::try_from(self.unsuccess_smes.len()).unwrap_or(u8::MAX));
        self.unsuccess_smes.write_staged(buf);
    }

    fn check(&self) -> Result<(), PduError> {
        check_count(self.unsuccess_smes.len(), 0)
    }
}
