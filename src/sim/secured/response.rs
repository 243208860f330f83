//! The response packet (ETSI TS 102 225 5.2): the proof of receipt a
//! receiving entity returns for a command packet whose SPI asked for one.
//!
//! | octets | field | |
//! |---|---|---|
//! | 2 | RPL | length of everything after RPL |
//! | 1 | RHL | length of TAR through RC/CC/DS: 10 + checksum length |
//! | 3 | TAR | the answering application |
//! | 5 | CNTR | the counter of the command packet answered, ciphered when asked |
//! | 1 | PCNTR | padding octets, ciphered |
//! | 1 | status | [`ResponseStatus`], ciphered |
//! | 0 or 8 | RC/CC/DS | AES-CMAC checksum, ciphered |
//! | n | additional data | with its padding, ciphered |
//!
//! The security of a response packet is what the command's SPI asked for
//! in its second octet ([`PorSecurity`]), with the command's KIc and KID.
//! The checksum covers the associated data, RPL, RHL, TAR, CNTR, PCNTR,
//! the status code, the data and the padding.
//!
//! `seal` and `open` take an AES [`KeySet`]; `seal_with` and `open_with`
//! take [`PacketKeys`] of any implemented algorithm (AES, DES, triple DES).

use super::algorithm::{Kic, Kid};
use super::command::{aes_keys, checksum_len, seal, select_parts, unseal};
use super::counter::Counter;
use super::spi::{ChecksumKind, Spi};
use super::status::ResponseStatus;
use super::suite::{PacketCipher, PacketKeys, PacketMac};
use super::{Opened, SecuredError};
use crate::sim::ids::Tar;
use crate::sim::keys::KeySet;

/// Octets from RPL through the status code: the smallest response packet.
pub const FIXED_LEN: usize = 13;
/// RHL without a checksum: TAR, CNTR, PCNTR, status.
const RHL_FIXED: usize = 10;
/// Where the ciphered part starts (CNTR).
const CIPHER_START: usize = 6;

/// How a response packet is secured: from the command packet it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PorSecurity {
    /// The checksum kind of the PoR (SPI second octet b4-b3).
    pub checksum: ChecksumKind,
    /// Whether the PoR is ciphered (SPI second octet b5).
    pub ciphered: bool,
    /// The command's KIc.
    pub kic: Kic,
    /// The command's KID.
    pub kid: Kid,
}

impl PorSecurity {
    /// What the command's SPI asks for its PoR.
    pub const fn for_command(spi: Spi, kic: Kic, kid: Kid) -> Self {
        Self { checksum: spi.por_checksum, ciphered: spi.por_ciphered, kic, kid }
    }
}

/// A response packet in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePacket {
    /// The answering application.
    pub tar: Tar,
    /// The counter of the command packet answered.
    pub counter: Counter,
    /// The outcome.
    pub status: ResponseStatus,
    /// Additional response data, padding removed.
    pub data: Vec<u8>,
}

impl ResponsePacket {
    /// Encodes, checksums and ciphers as `security` says.
    pub fn seal(&self, security: &PorSecurity, keys: &KeySet, aad: &[u8]) -> Result<Vec<u8>, SecuredError> {
        let cc_len = checksum_len(security.checksum, security.kid)?;
        let (cipher_key, mac_key) = aes_keys(cc_len, security.ciphered, security.kic, security.kid, keys)?;
        self.seal_inner(cipher_key, mac_key, aad)
    }

    /// Like [`ResponsePacket::seal`] with keys of any implemented
    /// algorithm; `security.kic` and `security.kid` are not looked at.
    pub fn seal_with(
        &self,
        security: &PorSecurity,
        keys: &PacketKeys,
        aad: &[u8],
    ) -> Result<Vec<u8>, SecuredError> {
        let (cipher, mac) = select_parts(security.checksum, security.ciphered, keys)?;
        self.seal_inner(cipher, mac, aad)
    }

    fn seal_inner<C: PacketCipher, M: PacketMac>(
        &self,
        cipher_key: Option<&C>,
        mac_key: Option<&M>,
        aad: &[u8],
    ) -> Result<Vec<u8>, SecuredError> {
        let mut fields = [0; 7];
        fields[..5].copy_from_slice(&self.counter.to_octets());
        fields[6] = self.status.octet();
        seal(&self.tar.0, &fields, RHL_FIXED, &self.data, cipher_key, mac_key, aad)
    }
}

/// A response packet split at its clear header (RPL, RHL, TAR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePacketView<'a> {
    /// The TAR.
    pub tar: Tar,
    /// The RHL octet; invariant: 10 <= RHL and the header fits the packet.
    header_len: u8,
    /// The whole packet.
    bytes: &'a [u8],
}

impl<'a> ResponsePacketView<'a> {
    /// Checks RPL and RHL without any key. Never panics.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, SecuredError> {
        let Some(&[r0, r1, rhl, t0, t1, t2]) = bytes.first_chunk::<CIPHER_START>() else {
            return Err(SecuredError::Short { len: bytes.len(), needed: FIXED_LEN });
        };
        if bytes.len() < FIXED_LEN {
            return Err(SecuredError::Short { len: bytes.len(), needed: FIXED_LEN });
        }
        let declared = usize::from(u16::from_be_bytes([r0, r1]));
        if declared != bytes.len() - 2 {
            return Err(SecuredError::LengthMismatch { declared, actual: bytes.len() - 2 });
        }
        if usize::from(rhl) < RHL_FIXED || 3 + usize::from(rhl) > bytes.len() {
            return Err(SecuredError::HeaderLength { header_len: rhl });
        }
        Ok(Self { tar: Tar([t0, t1, t2]), header_len: rhl, bytes })
    }

    /// The checksum field's length, from RHL.
    pub fn checksum_len(&self) -> usize {
        usize::from(self.header_len) - RHL_FIXED
    }

    /// Deciphers and verifies as `security` says.
    pub fn open(
        &self,
        security: &PorSecurity,
        keys: &KeySet,
        aad: &[u8],
    ) -> Result<ResponsePacket, SecuredError> {
        let expected = checksum_len(security.checksum, security.kid)?;
        let cc_len = self.checksum_len();
        if cc_len != expected {
            return Err(SecuredError::ChecksumLength { got: cc_len, expected });
        }
        let (cipher_key, mac_key) = aes_keys(cc_len, security.ciphered, security.kic, security.kid, keys)?;
        self.open_inner(cipher_key, mac_key, aad).map(|o| o.packet)
    }

    /// Like [`ResponsePacketView::open`] with keys of any implemented
    /// algorithm, also giving PCNTR and the checksum (for the tools);
    /// `security.kic` and `security.kid` are not looked at.
    pub fn open_with(
        &self,
        security: &PorSecurity,
        keys: &PacketKeys,
        aad: &[u8],
    ) -> Result<Opened<ResponsePacket>, SecuredError> {
        let (cipher, mac) = select_parts(security.checksum, security.ciphered, keys)?;
        self.open_inner(cipher, mac, aad)
    }

    fn open_inner<C: PacketCipher, M: PacketMac>(
        &self,
        cipher_key: Option<&C>,
        mac_key: Option<&M>,
        aad: &[u8],
    ) -> Result<Opened<ResponsePacket>, SecuredError> {
        let opened = unseal(
            &self.bytes[..CIPHER_START],
            &self.bytes[CIPHER_START..],
            7,
            self.checksum_len(),
            cipher_key,
            mac_key,
            aad,
        )?;
        let mut cntr = [0; 5];
        cntr.copy_from_slice(&opened.fields[..5]);
        let status = opened.fields[6];
        Ok(Opened {
            packet: ResponsePacket {
                tar: self.tar,
                counter: Counter::from_octets(cntr),
                status: ResponseStatus::from_octet(status),
                data: opened.data,
            },
            padding: opened.pcntr,
            checksum: opened.checksum,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ids::Kvn;
    use crate::sim::keys::AesKey;

    fn keys() -> KeySet {
        KeySet {
            kvn: Kvn::new(2).unwrap(),
            kic: Some(AesKey::new(&[7; 32]).unwrap()),
            kid: AesKey::new(&[9; 24]).unwrap(),
        }
    }

    fn security(checksum: ChecksumKind, ciphered: bool) -> PorSecurity {
        let kvn = Kvn::new(2).unwrap();
        PorSecurity { checksum, ciphered, kic: Kic::aes_cbc(kvn), kid: Kid::aes_cmac(kvn) }
    }

    #[test]
    fn round_trips_over_a_list_of_instances() {
        let k = keys();
        let por = |status, n: usize| ResponsePacket {
            tar: Tar([1, 2, 3]),
            counter: Counter::new(77).unwrap(),
            status,
            data: vec![0xA5; n],
        };
        let instances = [
            por(ResponseStatus::PorOk, 0),
            por(ResponseStatus::CounterLow, 2),
            por(ResponseStatus::Other(0xC3), 40),
        ];
        for p in &instances {
            for sec in [
                security(ChecksumKind::None, false),
                security(ChecksumKind::Cryptographic, false),
                security(ChecksumKind::Cryptographic, true),
                security(ChecksumKind::None, true),
            ] {
                let wire = p.seal(&sec, &k, &[2, 0x71, 0]).unwrap();
                let view = ResponsePacketView::parse(&wire).unwrap();
                assert_eq!(view.tar, p.tar);
                assert_eq!(view.open(&sec, &k, &[2, 0x71, 0]).as_ref(), Ok(p), "{sec:?}");
                if sec.checksum == ChecksumKind::Cryptographic {
                    assert_eq!(view.open(&sec, &k, b""), Err(SecuredError::Checksum));
                }
            }
        }
    }

    #[test]
    fn layout_and_errors() {
        let k = keys();
        let p = ResponsePacket {
            tar: Tar([1, 2, 3]),
            counter: Counter::new(5).unwrap(),
            status: ResponseStatus::TarUnknown,
            data: vec![],
        };
        let wire = p.seal(&security(ChecksumKind::None, false), &k, b"").unwrap();
        assert_eq!(wire, [0, 11, 10, 1, 2, 3, 0, 0, 0, 0, 5, 0, 9]);
        assert_eq!(
            ResponsePacketView::parse(&wire[..12]).err(),
            Some(SecuredError::Short { len: 12, needed: 13 })
        );
        let mut bad = wire.clone();
        bad[2] = 9;
        assert_eq!(ResponsePacketView::parse(&bad).err(), Some(SecuredError::HeaderLength { header_len: 9 }));
        let view = ResponsePacketView::parse(&wire).unwrap();
        assert_eq!(
            view.open(&security(ChecksumKind::Cryptographic, false), &k, b""),
            Err(SecuredError::ChecksumLength { got: 0, expected: 8 })
        );
    }

    #[test]
    fn triple_des_por_round_trips_with_packet_keys() {
        use crate::sim::keys::DesKey;
        use crate::sim::secured::{ChecksumKey, CipheringKey, DesMode};
        let keys = PacketKeys {
            ciphering: Some(CipheringKey::Des(DesMode::TripleDes2Key, DesKey::new(&[5; 16]).unwrap())),
            checksum: Some(ChecksumKey::DesCbcMac(DesMode::TripleDes3Key, DesKey::new(&[6; 24]).unwrap())),
        };
        let p = ResponsePacket {
            tar: Tar([1, 2, 3]),
            counter: Counter::new(9).unwrap(),
            status: ResponseStatus::CounterLow,
            data: vec![1, 2, 3],
        };
        let sec = security(ChecksumKind::Cryptographic, true);
        let wire = p.seal_with(&sec, &keys, b"r").unwrap();
        // 7 + 8 + 3 = 18 octets ciphered, padded to 24 (DES blocks).
        assert_eq!(wire.len() - CIPHER_START, 24);
        let opened = ResponsePacketView::parse(&wire).unwrap().open_with(&sec, &keys, b"r").unwrap();
        assert_eq!((opened.packet, opened.padding), (p, 6));
        assert_eq!(
            ResponsePacketView::parse(&wire).unwrap().open_with(&sec, &keys, b"s").err(),
            Some(SecuredError::Checksum)
        );
    }
}
