//! What the operator handed `simgate ota decode`: one bare packet, or the
//! user data of one or more SMS. An SMS is told by its header (TS 31.115):
//! a UDH that parses and holds the command packet identifier (IEI 0x70) or
//! the response packet identifier (IEI 0x71), or a concatenation IE when
//! several parts are given. A bare packet starts with CPL or RPL, whose
//! first octet is 0 for any packet that fits an SMS, so the two rarely
//! look alike; `--packet` and `--sms` settle it when they do.

use super::OtaToolError;
use super::json::SmsJson;
use crate::sim::ota::{
    IEI_COMMAND_PACKET, IEI_RESPONSE_PACKET, join_command_sms, join_por_sms, response_packet_of_sms,
};
use crate::smpp::json::to_hex;
use crate::smpp::text::{InformationElement, parse_udh};

/// How to read the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    /// Detect from the header.
    #[default]
    Auto,
    /// A bare command or response packet.
    Packet,
    /// SMS user data with its header, one or more parts.
    Sms,
}

/// Which packet a bare packet is (an SMS says it by its IEI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindHint {
    /// A command unless the SMS header says otherwise.
    #[default]
    Auto,
    /// A command packet (TS 102 225 5.1).
    Command,
    /// A response packet (5.2).
    Response,
}

/// Command or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// A command packet.
    Command,
    /// A response packet.
    Response,
}

/// The packet found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketInput {
    /// Which packet.
    pub kind: PacketKind,
    /// Its octets, CPL or RPL onward.
    pub octets: Vec<u8>,
    /// How it was carried, when it came as SMS.
    pub sms: Option<SmsJson>,
}

/// Whether `part` starts with a UDH carrying a packet identifier or a
/// concatenation IE.
fn looks_like_sms(part: &[u8], several: bool) -> bool {
    let Ok((udh, _)) = parse_udh(part) else {
        return false;
    };
    udh.elements.iter().any(|ie| match ie {
        InformationElement::Other { iei, data } => {
            data.is_empty() && (*iei == IEI_COMMAND_PACKET || *iei == IEI_RESPONSE_PACKET)
        }
        _ => several && udh.concat().is_some(),
    })
}

/// Which identifier the parts carry: 0x71 when any part has it, else 0x70.
fn identifier_of(parts: &[Vec<u8>]) -> u8 {
    let has = |iei: u8| {
        parts.iter().any(|p| {
            parse_udh(p).is_ok_and(|(udh, _)| {
                udh.elements.iter().any(
                    |ie| matches!(ie, InformationElement::Other { iei: i, data } if *i == iei && data.is_empty()),
                )
            })
        })
    };
    if has(IEI_RESPONSE_PACKET) { IEI_RESPONSE_PACKET } else { IEI_COMMAND_PACKET }
}

/// Finds the packet in `parts` (each the octets of one argument).
pub fn read_input(parts: &[Vec<u8>], form: Form, hint: KindHint) -> Result<PacketInput, OtaToolError> {
    let first = parts.first().ok_or(OtaToolError::Empty)?;
    let several = parts.len() > 1;
    let sms = match form {
        Form::Sms => true,
        Form::Packet => false,
        Form::Auto => several || looks_like_sms(first, several),
    };
    if !sms {
        if several {
            return Err(OtaToolError::Usage("several inputs are SMS parts; --packet takes one packet"));
        }
        let kind = if hint == KindHint::Response { PacketKind::Response } else { PacketKind::Command };
        return Ok(PacketInput { kind, octets: first.clone(), sms: None });
    }
    let iei = match hint {
        KindHint::Command => IEI_COMMAND_PACKET,
        KindHint::Response => IEI_RESPONSE_PACKET,
        KindHint::Auto => identifier_of(parts),
    };
    let user_data = parts.iter().map(|p| to_hex(p)).collect();
    if iei == IEI_RESPONSE_PACKET {
        let octets = if several {
            let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            join_por_sms(&refs)?
        } else {
            response_packet_of_sms(first)?.to_vec()
        };
        return Ok(PacketInput {
            kind: PacketKind::Response,
            octets,
            sms: Some(SmsJson { iei: format!("{iei:02x}"), parts: user_data }),
        });
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let octets = join_command_sms(&refs)?;
    Ok(PacketInput {
        kind: PacketKind::Command,
        octets,
        sms: Some(SmsJson { iei: format!("{iei:02x}"), parts: user_data }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ota::OtaError;

    #[test]
    fn detection_by_header_and_flags() {
        let packet = vec![0x00, 0x0D, 0x0D, 0x12, 0x00, 0, 0, 1, 2, 3, 0, 0, 0, 0, 1];
        let single = [&[2, 0x70, 0][..], &packet].concat();
        let got = read_input(std::slice::from_ref(&single), Form::Auto, KindHint::Auto).unwrap();
        assert_eq!((got.kind, &got.octets), (PacketKind::Command, &packet));
        assert_eq!(got.sms.map(|s| s.parts.len()), Some(1));
        let got = read_input(std::slice::from_ref(&packet), Form::Auto, KindHint::Auto).unwrap();
        assert_eq!((got.kind, got.sms), (PacketKind::Command, None));
        let got = read_input(std::slice::from_ref(&packet), Form::Auto, KindHint::Response).unwrap();
        assert_eq!(got.kind, PacketKind::Response);
        let por = [&[2, 0x71, 0][..], &packet].concat();
        let got = read_input(std::slice::from_ref(&por), Form::Auto, KindHint::Auto).unwrap();
        assert_eq!((got.kind, got.octets), (PacketKind::Response, packet.clone()));
        // Forced: the same octets read as a bare packet.
        let got = read_input(std::slice::from_ref(&single), Form::Packet, KindHint::Auto).unwrap();
        assert_eq!(got.octets, single);
        assert_eq!(
            read_input(std::slice::from_ref(&packet), Form::Sms, KindHint::Auto).err(),
            Some(OtaToolError::Ota(OtaError::NoPacketIdentifier(0x70)))
        );
        assert_eq!(read_input(&[], Form::Auto, KindHint::Auto), Err(OtaToolError::Empty));
    }

    #[test]
    fn concatenated_parts_join_in_any_order() {
        let body: Vec<u8> = (0..200u16).map(|i| i as u8).collect();
        let parts = crate::sim::ota::command_sms_parts(&body, 7).unwrap();
        assert_eq!(parts.len(), 2);
        let reversed: Vec<Vec<u8>> = parts.iter().rev().cloned().collect();
        let got = read_input(&reversed, Form::Auto, KindHint::Auto).unwrap();
        assert_eq!((got.kind, got.octets), (PacketKind::Command, body.clone()));
        assert_eq!(
            read_input(&reversed[..1], Form::Sms, KindHint::Auto).err(),
            Some(OtaToolError::Ota(OtaError::NoPacketIdentifier(0x70)))
        );
        assert_eq!(
            read_input(&parts[..1], Form::Sms, KindHint::Auto).err(),
            Some(OtaToolError::Ota(OtaError::Parts))
        );
        // A concatenated PoR: the response packet identifier in its first part.
        let parts = crate::sim::ota::por_sms_parts(&body, 8).unwrap();
        let reversed: Vec<Vec<u8>> = parts.iter().rev().cloned().collect();
        let got = read_input(&reversed, Form::Auto, KindHint::Auto).unwrap();
        assert_eq!((got.kind, got.octets), (PacketKind::Response, body));
        assert_eq!(
            read_input(&parts[..1], Form::Sms, KindHint::Auto).err(),
            Some(OtaToolError::Ota(OtaError::ConcatenatedPor))
        );
    }
}
