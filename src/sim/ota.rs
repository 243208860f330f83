//! OTA SMS-PP packets for the applet's wake-up: the user data of the
//! submit_sm that carries a TS 102 225 command packet to the applet's TAR,
//! and the proof of receipt the SIM may send back as an MO.
//!
//! Layout (3GPP TS 31.115 clause 4, with TS 23.040 9.2.3.24):
//!
//! - Command, one SMS: `UDHL=02, 70 00` (IEI 0x70, the command packet
//!   identifier, no data), then the command packet (CPL onward).
//! - Command, concatenated: the first part's UDH is `07, 70 00, 00 03 ref
//!   total 1`; every later part's is `05, 00 03 ref total seq`. The command
//!   packet is cut across the parts after their headers.
//! - PoR, one SMS: `UDHL=02, 71 00` (IEI 0x71, the response packet
//!   identifier), then the response packet (RPL onward).
//! - PoR, concatenated (a response packet with more additional data than
//!   one SMS holds): as a command, the response packet identifier in the
//!   first part only (`07, 71 00, 00 03 ref total 1`), the later parts with
//!   the concatenation IE alone (TS 23.040 9.2.3.24.1, or 9.2.3.24.8 with a
//!   16-bit reference). [`join_por_sms`] also takes later parts that repeat
//!   the identifier.
//!
//! What the checksum covers (TS 31.115 4): for a command, the packet from
//! CPL on and nothing of the header, so [`COMMAND_AAD`] is empty, also
//! when a command is concatenated. For a response, the three octets
//! `02 71 00` (UDHL, IEI, IEIDL) come first, so that the data before the
//! RC/CC/DS field is a whole number of blocks ([`RESPONSE_AAD`]). Both are
//! checked against packets of real SIM cards (proto-fixtures/ota/cards/):
//! PoRs the cards computed, and commands the cards accepted.
//!
//! Packets are secured under a registry key set ([`RegistryKeys`]) of any
//! algorithm: the KIc and KID octets name it and its KVN (TS 102 225 5.1.2,
//! 5.1.3: `x2` for AES-CBC and AES-CMAC, `x1` DES-CBC, `x5` triple DES
//! two keys, `x9` three keys), and the checksum is the AES-CMAC or the DES
//! CBC-MAC of that mode. An AES [`crate::sim::KeySet`] converts with
//! `RegistryKeys::from`.
//!
//! The SMS pipeline submits each part as one submit_sm with
//! [`PROTOCOL_ID`], [`ESM_CLASS_UDHI`] and [`DATA_CODING`]; this module
//! only builds and parses the octets.

use super::applet::AppletMessage;
use super::ids::Tar;
use super::key_sets::RegistryKeys;
use super::secured::{
    ChecksumKind, CommandPacket, CommandPacketView, Counter, CounterMode, Kic, PorRequest, PorSecurity,
    ResponsePacket, ResponsePacketView, SecuredError, Spi,
};
use crate::smpp::text::{ConcatRef, InformationElement, UdhError, parse_udh};

/// TP-PID "(U)SIM data download" (TS 23.040 9.2.3.9): the handset hands
/// the message to the SIM, not to the user.
pub const PROTOCOL_ID: u8 = 0x7F;
/// esm_class with UDHI set (SMPP v3.4 5.2.12): the user data starts with a
/// header.
pub const ESM_CLASS_UDHI: u8 = 0x40;
/// data_coding 0xF6 (TS 23.038 4): 8-bit data, message class 2, (U)SIM
/// specific.
pub const DATA_CODING: u8 = 0xF6;
/// IEI of the command packet identifier (TS 31.115, TS 23.040 9.2.3.24).
pub const IEI_COMMAND_PACKET: u8 = 0x70;
/// IEI of the response packet identifier.
pub const IEI_RESPONSE_PACKET: u8 = 0x71;
/// Octets of 8-bit user data in one SMS, header included (TS 23.040 9.2.3.16).
pub const SMS_USER_DATA_LEN: usize = 140;
/// Associated data under a command packet's checksum: none, the CC covers
/// CPL to the end of the secured data (TS 31.115 4).
pub const COMMAND_AAD: [u8; 0] = [];
/// Associated data under a response packet's checksum: its SMS header,
/// UDHL, IEI 0x71 and IEIDL (TS 31.115 4).
pub const RESPONSE_AAD: [u8; 3] = [0x02, IEI_RESPONSE_PACKET, 0x00];

/// Octets of the first part's UDH when concatenated.
const FIRST_UDH_LEN: usize = 8;
/// Octets of a later part's UDH.
const LATER_UDH_LEN: usize = 6;

/// Why an OTA packet could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtaError {
    /// Securing or verifying the packet failed.
    #[error(transparent)]
    Secured(#[from] SecuredError),
    /// The user data header does not parse.
    #[error(transparent)]
    Udh(#[from] UdhError),
    /// The header has no command (0x70) or response (0x71) packet IE.
    #[error("user data header has no IEI {0:#04x}")]
    NoPacketIdentifier(u8),
    /// More than 255 parts would be needed.
    #[error("packet of {len} octets needs more than 255 SMS")]
    TooManyParts {
        /// The packet's length.
        len: usize,
    },
    /// Concatenated parts are missing, repeated or disagree.
    #[error("concatenated parts are incomplete or inconsistent")]
    Parts,
    /// One part of a concatenated PoR was read as a whole PoR; its parts
    /// are joined first ([`join_por_sms`]).
    #[error("part of a concatenated proof of receipt read alone")]
    ConcatenatedPor,
    /// A PoR larger than one SMS.
    #[error("response packet of {len} octets does not fit one SMS")]
    TooLong {
        /// The packet's length.
        len: usize,
    },
}

/// The SPI of a wake-up: CC, no ciphering (it carries no secret), "process
/// if higher", PoR always, with a CC, by SMS-SUBMIT so it comes back as MO.
pub const WAKE_UP_SPI: Spi = Spi {
    checksum: ChecksumKind::Cryptographic,
    ciphered: false,
    counter: CounterMode::ProcessIfHigher,
    por: PorRequest::Always,
    por_checksum: ChecksumKind::Cryptographic,
    por_ciphered: false,
    por_via_submit: true,
};

/// The wake-up command packet for the applet at `tar`: `counter` is the
/// SIM's next OTA counter (one above the last the gateway sent it). The
/// KID names the key set's checksum algorithm and KVN; KIc is 0, nothing
/// being ciphered.
pub fn wake_up_packet(keys: &RegistryKeys, tar: Tar, counter: Counter) -> CommandPacket {
    CommandPacket {
        spi: WAKE_UP_SPI,
        kic: Kic(0),
        kid: keys.kid(),
        tar,
        counter,
        data: AppletMessage::WakeUp.to_vec(),
    }
}

/// Seals `packet` and cuts it into SMS user data, one `Vec` per submit_sm;
/// `reference` is the concatenation reference when more than one is needed.
pub fn command_sms(
    packet: &CommandPacket,
    keys: &RegistryKeys,
    reference: u8,
) -> Result<Vec<Vec<u8>>, OtaError> {
    let sealed = keys.seal_command(packet, &COMMAND_AAD)?;
    command_sms_parts(&sealed, reference)
}

/// Cuts an already sealed command packet (sealed with [`COMMAND_AAD`])
/// into SMS user data, as [`command_sms`] does; for tools that seal with
/// other keys (`CommandPacket::seal_with`).
pub fn command_sms_parts(sealed: &[u8], reference: u8) -> Result<Vec<Vec<u8>>, OtaError> {
    cut_sms(sealed, IEI_COMMAND_PACKET, reference)
}

/// Cuts an already sealed response packet (sealed with [`RESPONSE_AAD`])
/// into PoR user data: one SMS when it fits, else concatenated parts with
/// the response packet identifier in the first (what a SIM sends when its
/// PoR carries more additional data than one SMS holds).
pub fn por_sms_parts(sealed: &[u8], reference: u8) -> Result<Vec<Vec<u8>>, OtaError> {
    cut_sms(sealed, IEI_RESPONSE_PACKET, reference)
}

/// One SMS `02 iei 00 packet` when it fits; else the first part `07 iei 00
/// 00 03 ref total 1`, the later ones `05 00 03 ref total seq` (TS 31.115 4,
/// TS 23.040 9.2.3.24.1).
fn cut_sms(sealed: &[u8], iei: u8, reference: u8) -> Result<Vec<Vec<u8>>, OtaError> {
    let single_udh = [0x02, iei, 0x00];
    if single_udh.len() + sealed.len() <= SMS_USER_DATA_LEN {
        return Ok(vec![[&single_udh[..], sealed].concat()]);
    }
    let first_room = SMS_USER_DATA_LEN - FIRST_UDH_LEN;
    let later_room = SMS_USER_DATA_LEN - LATER_UDH_LEN;
    let parts = 1 + (sealed.len() - first_room).div_ceil(later_room);
    let total = u8::try_from(parts).map_err(|_| OtaError::TooManyParts { len: sealed.len() })?;
    let (first, mut rest) = sealed.split_at(first_room);
    let mut out = Vec::with_capacity(parts);
    out.push([&[7, iei, 0, 0x00, 3, reference, total, 1][..], first].concat());
    for seq in 2..=total {
        let (chunk, tail) = rest.split_at(later_room.min(rest.len()));
        out.push([&[5, 0x00, 3, reference, total, seq][..], chunk].concat());
        rest = tail;
    }
    Ok(out)
}

/// Joins the user data of the parts of one command (any order) into the
/// command packet's octets, checking the headers: the command packet
/// identifier in the first part and in no other (TS 31.115 4).
pub fn join_command_sms(parts: &[&[u8]]) -> Result<Vec<u8>, OtaError> {
    join_sms(parts, IEI_COMMAND_PACKET, LaterParts::WithoutIdentifier)
}

/// Joins the user data of the parts of one PoR (any order; one SMS is a
/// PoR of one part) into the response packet's octets, checking the
/// headers: the response packet identifier in the first part (TS 31.115
/// 4; a later part that repeats it is taken too), every part of the same
/// reference and count, each sequence number once (TS 23.040 9.2.3.24.1,
/// 9.2.3.24.8).
pub fn join_por_sms(parts: &[&[u8]]) -> Result<Vec<u8>, OtaError> {
    join_sms(parts, IEI_RESPONSE_PACKET, LaterParts::MayRepeatIdentifier)
}

/// Whether the parts after the first may carry the packet identifier.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LaterParts {
    /// Never: what simgate sends and what the spec says.
    WithoutIdentifier,
    /// Tolerated: what simgate reads from SIMs.
    MayRepeatIdentifier,
}

fn join_sms(parts: &[&[u8]], iei: u8, later: LaterParts) -> Result<Vec<u8>, OtaError> {
    let mut pieces: Vec<(u8, &[u8])> = Vec::with_capacity(parts.len());
    let mut shape: Option<(ConcatRef, u8)> = None;
    let mut saw_identifier = false;
    for part in parts {
        let (udh, data) = parse_udh(part)?;
        let has_identifier = udh.elements.iter().any(|ie| is_identifier(ie, iei));
        match udh.concat() {
            None if parts.len() == 1 && has_identifier => return Ok(data.to_vec()),
            None => {
                return Err(if has_identifier { OtaError::Parts } else { OtaError::NoPacketIdentifier(iei) });
            }
            Some(c) => {
                let key = (c.reference, c.total);
                let misplaced = match later {
                    LaterParts::WithoutIdentifier => (c.seq == 1) != has_identifier,
                    LaterParts::MayRepeatIdentifier => c.seq == 1 && !has_identifier,
                };
                if *shape.get_or_insert(key) != key || misplaced {
                    return Err(OtaError::Parts);
                }
                saw_identifier |= has_identifier;
                pieces.push((c.seq, data));
            }
        }
    }
    let total = shape.map_or(0, |(_, t)| usize::from(t));
    if !saw_identifier || pieces.len() != total {
        return Err(if saw_identifier { OtaError::Parts } else { OtaError::NoPacketIdentifier(iei) });
    }
    pieces.sort_by_key(|(seq, _)| *seq);
    if pieces.iter().enumerate().any(|(i, (seq, _))| usize::from(*seq) != i + 1) {
        return Err(OtaError::Parts);
    }
    Ok(pieces.into_iter().flat_map(|(_, d)| d.iter().copied()).collect())
}

/// Opens a command that arrived as SMS (what a SIM does; for the simulator
/// and `simgate ota decode`).
pub fn open_command_sms(parts: &[&[u8]], keys: &RegistryKeys) -> Result<CommandPacket, OtaError> {
    let octets = join_command_sms(parts)?;
    Ok(keys.open_command(&CommandPacketView::parse(&octets)?, &COMMAND_AAD)?)
}

/// The user data of a PoR for a command (what the SIM sends).
pub fn por_sms(
    response: &ResponsePacket,
    security: &PorSecurity,
    keys: &RegistryKeys,
) -> Result<Vec<u8>, OtaError> {
    let sealed = keys.seal_response(response, security, &RESPONSE_AAD)?;
    let len = RESPONSE_AAD.len() + sealed.len();
    if len > SMS_USER_DATA_LEN {
        return Err(OtaError::TooLong { len: sealed.len() });
    }
    Ok([&RESPONSE_AAD[..], &sealed].concat())
}

/// Parses and verifies the PoR carried by an MO's user data (UDHI set):
/// `security` is what the command's SPI asked for, with its KIc and KID,
/// which must name the algorithm and KVN of `keys`.
pub fn parse_por_sms(
    user_data: &[u8],
    security: &PorSecurity,
    keys: &RegistryKeys,
) -> Result<ResponsePacket, OtaError> {
    let packet = response_packet_of_sms(user_data)?;
    Ok(keys.open_response(&ResponsePacketView::parse(packet)?, security, &RESPONSE_AAD)?)
}

/// The user data a response packet has in one SMS, `02 71 00` then the
/// packet, at any length: a PoR that arrived concatenated is verified in
/// this form, since its checksum covers the single-SMS header whichever
/// way it came (module doc), so [`parse_por_sms`] reads it as it reads a
/// single-SMS PoR. Not for sending: it may be longer than one SMS.
pub fn joined_por_sms(packet: &[u8]) -> Vec<u8> {
    [&RESPONSE_AAD[..], packet].concat()
}

/// The response packet's octets in a PoR's user data, after checking its
/// header (IEI 0x71, no concatenation), without opening it. The length is
/// not checked against one SMS, so the form [`joined_por_sms`] gives a
/// concatenated PoR reads too.
pub fn response_packet_of_sms(user_data: &[u8]) -> Result<&[u8], OtaError> {
    let (udh, packet) = parse_udh(user_data)?;
    if udh.concat().is_some() {
        return Err(OtaError::ConcatenatedPor);
    }
    if !udh.elements.iter().any(|ie| is_identifier(ie, IEI_RESPONSE_PACKET)) {
        return Err(OtaError::NoPacketIdentifier(IEI_RESPONSE_PACKET));
    }
    Ok(packet)
}

/// The PoR user data around an already sealed response packet (sealed
/// with [`RESPONSE_AAD`]), as [`por_sms`] builds it.
pub fn por_sms_octets(sealed: &[u8]) -> Result<Vec<u8>, OtaError> {
    if RESPONSE_AAD.len() + sealed.len() > SMS_USER_DATA_LEN {
        return Err(OtaError::TooLong { len: sealed.len() });
    }
    Ok([&RESPONSE_AAD[..], sealed].concat())
}

fn is_identifier(ie: &InformationElement, iei: u8) -> bool {
    matches!(ie, InformationElement::Other { iei: i, data } if *i == iei && data.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ids::Kvn;
    use crate::sim::key_sets::KeyAlgorithm;
    use crate::sim::keys::{AesKey, KeySet};
    use crate::sim::secured::{DesMode, Kid, KidAlgorithm, PacketKeys, ResponseStatus};

    fn keys() -> RegistryKeys {
        RegistryKeys::from(KeySet {
            kvn: Kvn::new(1).unwrap(),
            kic: Some(AesKey::new(&[3; 16]).unwrap()),
            kid: AesKey::new(&[4; 16]).unwrap(),
        })
    }

    fn des_keys(kvn: u8) -> RegistryKeys {
        let kic: Vec<u8> = (0x10..0x20).collect();
        let kid: Vec<u8> = (0x40..0x50).collect();
        RegistryKeys::new(KeyAlgorithm::TripleDes2Key, Kvn::new(kvn).unwrap(), Some(&kic), &kid).unwrap()
    }

    const TAR: Tar = Tar([0xC0, 0x00, 0x01]);

    #[test]
    fn wake_up_fits_one_sms_with_the_command_packet_identifier() {
        let packet = wake_up_packet(&keys(), TAR, Counter::new(3).unwrap());
        let parts = command_sms(&packet, &keys(), 9).unwrap();
        assert_eq!(parts.len(), 1);
        let sms = &parts[0];
        assert_eq!(&sms[..3], &[0x02, 0x70, 0x00]);
        assert!(sms.len() <= SMS_USER_DATA_LEN);
        // SPI 12 29: CC, process if higher; PoR always, CC, by SMS-SUBMIT.
        assert_eq!(&sms[6..8], &[0x12, 0x29]);
        let opened = open_command_sms(&[sms], &keys()).unwrap();
        assert_eq!(opened, packet);
        assert_eq!(AppletMessage::decode(&opened.data), Ok(AppletMessage::WakeUp));
    }

    #[test]
    fn a_long_command_is_concatenated_and_joins_in_any_order() {
        for len in [120, 137, 300, 1000] {
            let mut packet = wake_up_packet(&keys(), TAR, Counter::new(3).unwrap());
            packet.spi.ciphered = true;
            packet.kic = keys().kic();
            packet.data = (0..len).map(|i| i as u8).collect();
            let parts = command_sms(&packet, &keys(), 0x42).unwrap();
            assert!(parts.iter().all(|p| p.len() <= SMS_USER_DATA_LEN), "{len}");
            let mut refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            refs.reverse();
            assert_eq!(open_command_sms(&refs, &keys()), Ok(packet.clone()), "{len}");
            if parts.len() > 1 {
                assert_eq!(&parts[0][..8], &[7, 0x70, 0, 0, 3, 0x42, parts.len() as u8, 1]);
                assert_eq!(open_command_sms(&refs[1..], &keys()), Err(OtaError::Parts));
            }
        }
    }

    #[test]
    fn por_round_trip_and_refusals() {
        let packet = wake_up_packet(&keys(), TAR, Counter::new(3).unwrap());
        let security = PorSecurity::for_command(packet.spi, packet.kic, packet.kid);
        let por =
            ResponsePacket { tar: TAR, counter: packet.counter, status: ResponseStatus::PorOk, data: vec![] };
        let sms = por_sms(&por, &security, &keys()).unwrap();
        assert_eq!(&sms[..3], &[0x02, 0x71, 0x00]);
        assert_eq!(parse_por_sms(&sms, &security, &keys()), Ok(por));
        let mut forged = sms.clone();
        let last = forged.len() - 1;
        forged[last] ^= 0x80;
        assert_eq!(
            parse_por_sms(&forged, &security, &keys()),
            Err(OtaError::Secured(SecuredError::Checksum))
        );
        let mut wrong_iei = sms.clone();
        wrong_iei[1] = 0x70;
        assert_eq!(parse_por_sms(&wrong_iei, &security, &keys()), Err(OtaError::NoPacketIdentifier(0x71)));
        assert!(matches!(parse_por_sms(&[], &security, &keys()), Err(OtaError::Udh(_))));
        assert_eq!((PROTOCOL_ID, ESM_CLASS_UDHI, DATA_CODING), (0x7F, 0x40, 0xF6));
    }

    #[test]
    fn a_3des_2key_wake_up_and_its_por_round_trip_under_the_des_suite() {
        let des = des_keys(2);
        let packet = wake_up_packet(&des, TAR, Counter::new(9).unwrap());
        assert_eq!((packet.kic, packet.kid), (Kic(0), Kid(0x25)), "KID: 3DES 2-key CBC-MAC, KVN 2");
        let parts = command_sms(&packet, &des, 0).unwrap();
        assert_eq!(parts.len(), 1);
        // Opened by the tools' path, from the octets alone.
        let octets = join_command_sms(&[&parts[0]]).unwrap();
        let view = CommandPacketView::parse(&octets).unwrap();
        let kid_hex: String = (0x40..0x50u8).map(|b| format!("{b:02x}")).collect();
        let tool_keys = PacketKeys::resolve(view.kic, view.kid, None, Some(&kid_hex), None, None).unwrap();
        assert_eq!(
            tool_keys.checksum.as_ref().map(|c| c.algorithm()),
            Some(KidAlgorithm::Des(DesMode::TripleDes2Key))
        );
        let opened = view.open_with(&tool_keys, &COMMAND_AAD).unwrap();
        assert_eq!((opened.packet.counter.get(), opened.checksum.len()), (9, 8));
        assert_eq!(open_command_sms(&[&parts[0]], &des), Ok(packet.clone()));
        // Another key set, or the same keys as AES, do not open it.
        assert_eq!(
            open_command_sms(&[&parts[0]], &des_keys(3)),
            Err(OtaError::Secured(SecuredError::KeyVersion { packet: 2, keys: 3 }))
        );
        assert!(open_command_sms(&[&parts[0]], &keys()).is_err());

        let security = PorSecurity::for_command(packet.spi, packet.kic, packet.kid);
        let por = ResponsePacket {
            tar: TAR,
            counter: packet.counter,
            status: ResponseStatus::PorOk,
            data: vec![1],
        };
        let sms = por_sms(&por, &security, &des).unwrap();
        assert_eq!(parse_por_sms(&sms, &security, &des), Ok(por));
        let mut forged = sms.clone();
        forged[9] ^= 0x01;
        assert_eq!(parse_por_sms(&forged, &security, &des), Err(OtaError::Secured(SecuredError::Checksum)));
        let aes_security = PorSecurity::for_command(packet.spi, Kic(0), keys().kid());
        assert!(parse_por_sms(&sms, &aes_security, &des).is_err(), "KID naming AES under a DES key set");
        assert!(parse_por_sms(&sms, &security, &keys()).is_err());
    }

    #[test]
    fn a_ciphered_des_command_round_trips_concatenated() {
        let des = des_keys(4);
        let mut packet = wake_up_packet(&des, TAR, Counter::new(3).unwrap());
        packet.spi.ciphered = true;
        packet.kic = des.kic();
        packet.data = (0..300).map(|i| i as u8).collect();
        assert_eq!(packet.kic, Kic(0x45));
        let parts = command_sms(&packet, &des, 7).unwrap();
        assert!(parts.len() > 1);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        assert_eq!(open_command_sms(&refs, &des), Ok(packet.clone()));
        let mut wrong = packet.clone();
        wrong.kic = Kic::aes_cbc(Kvn::new(4).unwrap());
        assert!(matches!(
            command_sms(&wrong, &des, 7),
            Err(OtaError::Secured(SecuredError::UnsupportedAlgorithm(_)))
        ));
    }

    /// A PoR whose additional data needs three SMS, its security and parts.
    fn long_por(reference: u8) -> (ResponsePacket, PorSecurity, Vec<Vec<u8>>) {
        let packet = wake_up_packet(&keys(), TAR, Counter::new(7).unwrap());
        let security = PorSecurity::for_command(packet.spi, packet.kic, packet.kid);
        let por = ResponsePacket {
            tar: TAR,
            counter: packet.counter,
            status: ResponseStatus::PorOk,
            data: (0..250).map(|i| i as u8).collect(),
        };
        let sealed = por.seal(&security, keys().aes().unwrap(), &RESPONSE_AAD).unwrap();
        (por, security, por_sms_parts(&sealed, reference).unwrap())
    }

    #[test]
    fn a_long_por_is_concatenated_with_the_identifier_in_the_first_part() {
        let (por, security, parts) = long_por(0x21);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.len() <= SMS_USER_DATA_LEN));
        assert_eq!(&parts[0][..8], &[7, 0x71, 0, 0, 3, 0x21, 3, 1]);
        assert_eq!(&parts[1][..6], &[5, 0, 3, 0x21, 3, 2]);
        assert_eq!(&parts[2][..6], &[5, 0, 3, 0x21, 3, 3]);
        // A part read alone is refused, not misread.
        assert_eq!(parse_por_sms(&parts[0], &security, &keys()), Err(OtaError::ConcatenatedPor));
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let joined = join_por_sms(&refs).unwrap();
        assert_eq!(parse_por_sms(&joined_por_sms(&joined), &security, &keys()), Ok(por.clone()));
        // What the MO reassembly gives (each part's data after its header,
        // in sequence order) is the same packet.
        let datas: Vec<u8> = parts.iter().flat_map(|p| parse_udh(p).unwrap().1.to_vec()).collect();
        assert_eq!(datas, joined);
        // A short PoR stays one SMS, the same as por_sms.
        let short = ResponsePacket { data: vec![], ..por };
        let sealed = short.seal(&security, keys().aes().unwrap(), &RESPONSE_AAD).unwrap();
        let one = por_sms_parts(&sealed, 0x21).unwrap();
        assert_eq!(one, vec![por_sms(&short, &security, &keys()).unwrap()]);
        assert_eq!(join_por_sms(&[&one[0]]), Ok(sealed));
    }

    #[test]
    fn por_parts_join_in_any_order() {
        let (por, security, parts) = long_por(0x22);
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]] {
            let refs: Vec<&[u8]> = order.iter().map(|&i| parts[i].as_slice()).collect();
            let joined = join_por_sms(&refs).unwrap();
            assert_eq!(
                parse_por_sms(&joined_por_sms(&joined), &security, &keys()),
                Ok(por.clone()),
                "{order:?}"
            );
        }
    }

    #[test]
    fn por_parts_missing_repeated_or_of_another_message_are_refused() {
        let (_, _, parts) = long_por(0x23);
        let (_, _, other) = long_por(0x24);
        let refs = |idx: &[usize], from: &[Vec<u8>]| -> Vec<Vec<u8>> {
            idx.iter().map(|&i| from[i].clone()).collect()
        };
        let join = |ps: Vec<Vec<u8>>| {
            let r: Vec<&[u8]> = ps.iter().map(Vec::as_slice).collect();
            join_por_sms(&r)
        };
        assert_eq!(join(refs(&[0, 2], &parts)), Err(OtaError::Parts), "a middle part missing");
        assert_eq!(join(refs(&[0, 1], &parts)), Err(OtaError::Parts), "the last part missing");
        assert_eq!(join(refs(&[1, 2], &parts)), Err(OtaError::NoPacketIdentifier(0x71)), "the first missing");
        assert_eq!(join(refs(&[0, 1, 1], &parts)), Err(OtaError::Parts), "a part twice");
        let mixed = vec![parts[0].clone(), other[1].clone(), parts[2].clone()];
        assert_eq!(join(mixed), Err(OtaError::Parts), "a part with another reference");
        // Another part count under the same reference is another message.
        let mut recount = parts[2].clone();
        recount[4] = 4;
        assert_eq!(join(vec![parts[0].clone(), parts[1].clone(), recount]), Err(OtaError::Parts));
        // A first part without the identifier is not a PoR's.
        let mut bare = parts[0].clone();
        bare[1] = 0x70;
        assert_eq!(join(vec![bare, parts[1].clone(), parts[2].clone()]), Err(OtaError::Parts));
        assert!(matches!(join(vec![vec![0x09]]), Err(OtaError::Udh(_))));
        assert_eq!(join(vec![]), Err(OtaError::NoPacketIdentifier(0x71)));
    }

    #[test]
    fn por_parts_may_repeat_the_identifier_and_use_16_bit_references() {
        let (por, security, parts) = long_por(0x25);
        // Every part with `71 00` and the 16-bit concatenation IE 08.
        let rewritten: Vec<Vec<u8>> = parts
            .iter()
            .map(|p| {
                let (udh, data) = parse_udh(p).unwrap();
                let c = udh.concat().unwrap();
                [&[8, 0x71, 0, 0x08, 4, 0x12, 0x34, c.total, c.seq][..], data].concat()
            })
            .collect();
        let refs: Vec<&[u8]> = rewritten.iter().rev().map(Vec::as_slice).collect();
        let joined = join_por_sms(&refs).unwrap();
        assert_eq!(parse_por_sms(&joined_por_sms(&joined), &security, &keys()), Ok(por));
        // An 8-bit and a 16-bit reference are different messages.
        let mixed: Vec<&[u8]> = vec![&parts[0], &rewritten[1], &rewritten[2]];
        assert_eq!(join_por_sms(&mixed), Err(OtaError::Parts));
        // Commands keep the strict rule: the identifier in the first part only.
        let command: Vec<Vec<u8>> = rewritten.iter().map(|p| [&[8, 0x70][..], &p[2..]].concat()).collect();
        let command: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        assert_eq!(join_command_sms(&command), Err(OtaError::Parts));
    }
}
