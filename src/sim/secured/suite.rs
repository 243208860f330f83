//! The keys of one packet with the algorithms they are used with: AES-CBC
//! or a DES mode for ciphering (KIc, TS 102 225 5.1.2), AES-CMAC or a DES
//! CBC-MAC for the cryptographic checksum (KID, 5.1.3).
//!
//! A [`KeySet`] is always AES (the applet channel); a registry key set of
//! any algorithm gives its [`PacketKeys`] (`crate::sim::RegistryKeys`) for
//! the OTA wake-up and its PoR; the operator tools (`simgate ota`) also read and build DES and triple DES
//! packets, so they resolve a [`PacketKeys`] from the packet's KIc and KID
//! octets ([`PacketKeys::resolve`]), or from algorithms the operator
//! forces, and call the `*_with` methods of the command and response
//! packets.

use super::SecuredError;
use super::algorithm::{DesMode, Kic, KicAlgorithm, Kid, KidAlgorithm};
use super::crypto::{self, AES_BLOCK_LEN, CMAC_CHECKSUM_LEN};
use super::des::{self, DES_BLOCK_LEN};
use crate::sim::keys::{AesKey, DesKey, KeyError, KeySet, key_octets_from_hex};

/// A ciphering algorithm with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CipheringKey {
    /// AES in CBC mode (KIc `x2`).
    AesCbc(AesKey),
    /// A DES mode (KIc `x1`, `x5`, `x9`, `xD`); the key's length is the
    /// mode's ([`des::key_len`]).
    Des(DesMode, DesKey),
}

/// A checksum algorithm with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChecksumKey {
    /// AES-CMAC (KID `x2`).
    AesCmac(AesKey),
    /// DES CBC-MAC with a CBC mode (KID `x1`, `x5`, `x9`); never `Ecb`.
    DesCbcMac(DesMode, DesKey),
}

/// Why a key could not be paired with the algorithm a packet names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuiteError {
    /// The key material does not fit the algorithm.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The algorithm is not one simgate implements (implicit, proprietary
    /// or reserved codings, or DES ECB for a checksum).
    #[error("{role} algorithm {name} is not supported; force one with --{flag}-alg")]
    Unsupported {
        /// "KIc" or "KID".
        role: &'static str,
        /// The lowercase flag name.
        flag: &'static str,
        /// What the octet names.
        name: String,
    },
}

/// The keys of one packet: `None` where the packet needs no such key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketKeys {
    /// For the ciphered part, when the SPI asks for ciphering.
    pub ciphering: Option<CipheringKey>,
    /// For the RC/CC/DS field, when the SPI asks for a cryptographic checksum.
    pub checksum: Option<ChecksumKey>,
}

/// Name of a KIc algorithm as the tools print and read it.
pub fn kic_algorithm_name(a: KicAlgorithm) -> String {
    match a {
        KicAlgorithm::AesCbc => "aes-cbc".to_owned(),
        KicAlgorithm::Des(m) => des::mode_name(m).to_owned(),
        KicAlgorithm::Implicit(m) => format!("implicit-{m}"),
        KicAlgorithm::AesReserved(m) => format!("aes-reserved-{m}"),
        KicAlgorithm::Proprietary(m) => format!("proprietary-{m}"),
    }
}

/// Name of a KID algorithm as the tools print and read it.
pub fn kid_algorithm_name(a: KidAlgorithm) -> String {
    match a {
        KidAlgorithm::AesCmac => "aes-cmac".to_owned(),
        KidAlgorithm::Des(m) => format!("{}-mac", des::mode_name(m)),
        KidAlgorithm::DesReserved => "des-reserved".to_owned(),
        KidAlgorithm::Implicit(m) => format!("implicit-{m}"),
        KidAlgorithm::AesReserved(m) => format!("aes-reserved-{m}"),
        KidAlgorithm::Proprietary(m) => format!("proprietary-{m}"),
    }
}

/// The implemented KIc algorithm called `name` (`aes-cbc`, `des-cbc`,
/// `3des-2key`, `3des-3key`, `des-ecb`).
pub fn kic_algorithm_by_name(name: &str) -> Option<KicAlgorithm> {
    [
        KicAlgorithm::AesCbc,
        KicAlgorithm::Des(DesMode::Cbc),
        KicAlgorithm::Des(DesMode::TripleDes2Key),
        KicAlgorithm::Des(DesMode::TripleDes3Key),
        KicAlgorithm::Des(DesMode::Ecb),
    ]
    .into_iter()
    .find(|a| kic_algorithm_name(*a).eq_ignore_ascii_case(name))
}

/// The implemented KID algorithm called `name` (`aes-cmac`, `des-cbc-mac`,
/// `3des-2key-mac`, `3des-3key-mac`).
pub fn kid_algorithm_by_name(name: &str) -> Option<KidAlgorithm> {
    [
        KidAlgorithm::AesCmac,
        KidAlgorithm::Des(DesMode::Cbc),
        KidAlgorithm::Des(DesMode::TripleDes2Key),
        KidAlgorithm::Des(DesMode::TripleDes3Key),
    ]
    .into_iter()
    .find(|a| kid_algorithm_name(*a).eq_ignore_ascii_case(name))
}

impl CipheringKey {
    /// Pairs hex key text with a KIc algorithm, checking its length.
    pub fn new(algorithm: KicAlgorithm, key_hex: &str) -> Result<Self, SuiteError> {
        let octets = key_octets_from_hex(key_hex)?;
        match algorithm {
            KicAlgorithm::AesCbc => Ok(Self::AesCbc(AesKey::new(&octets)?)),
            KicAlgorithm::Des(mode) => {
                let key = DesKey::new(&octets)?;
                des::check_key(mode, &key)?;
                Ok(Self::Des(mode, key))
            }
            other => {
                Err(SuiteError::Unsupported { role: "KIc", flag: "kic", name: kic_algorithm_name(other) })
            }
        }
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> KicAlgorithm {
        match self {
            Self::AesCbc(_) => KicAlgorithm::AesCbc,
            Self::Des(mode, _) => KicAlgorithm::Des(*mode),
        }
    }

    /// The cipher block: the padding granule.
    pub const fn block_len(&self) -> usize {
        match self {
            Self::AesCbc(_) => AES_BLOCK_LEN,
            Self::Des(..) => DES_BLOCK_LEN,
        }
    }

    /// Octets of padding that make `len` a whole number of blocks.
    pub const fn padding_for(&self, len: usize) -> usize {
        let b = self.block_len();
        (b - len % b) % b
    }

    /// Enciphers `buf` in place (a whole number of blocks).
    pub fn encrypt(&self, buf: &mut [u8]) -> Result<(), SecuredError> {
        match self {
            Self::AesCbc(k) => crypto::cbc_encrypt(k, buf),
            Self::Des(mode, k) => des::encrypt(*mode, k, buf),
        }
    }

    /// Deciphers `buf` in place.
    pub fn decrypt(&self, buf: &mut [u8]) -> Result<(), SecuredError> {
        match self {
            Self::AesCbc(k) => crypto::cbc_decrypt(k, buf),
            Self::Des(mode, k) => des::decrypt(*mode, k, buf),
        }
    }
}

impl ChecksumKey {
    /// Pairs hex key text with a KID algorithm, checking its length.
    pub fn new(algorithm: KidAlgorithm, key_hex: &str) -> Result<Self, SuiteError> {
        let octets = key_octets_from_hex(key_hex)?;
        match algorithm {
            KidAlgorithm::AesCmac => Ok(Self::AesCmac(AesKey::new(&octets)?)),
            KidAlgorithm::Des(mode) if mode != DesMode::Ecb => {
                let key = DesKey::new(&octets)?;
                des::check_key(mode, &key)?;
                Ok(Self::DesCbcMac(mode, key))
            }
            other => {
                Err(SuiteError::Unsupported { role: "KID", flag: "kid", name: kid_algorithm_name(other) })
            }
        }
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> KidAlgorithm {
        match self {
            Self::AesCmac(_) => KidAlgorithm::AesCmac,
            Self::DesCbcMac(mode, _) => KidAlgorithm::Des(*mode),
        }
    }

    /// Octets of the checksum a packet sealed with this key carries: 8
    /// for both (5.1.3: the leftmost 8 octets of the CMAC; the DES block).
    pub const fn checksum_len(&self) -> usize {
        CMAC_CHECKSUM_LEN
    }

    /// Whether a received checksum of `len` octets can be checked: AES-CMAC
    /// 8 octets; a DES CBC-MAC may be truncated to 4 to 8 octets by CHL.
    pub const fn accepts_len(&self, len: usize) -> bool {
        match self {
            Self::AesCmac(_) => len == CMAC_CHECKSUM_LEN,
            Self::DesCbcMac(..) => len >= des::MIN_CHECKSUM_LEN && len <= DES_BLOCK_LEN,
        }
    }

    /// The checksum of the concatenated `parts`.
    pub fn compute(&self, parts: &[&[u8]]) -> Result<[u8; CMAC_CHECKSUM_LEN], SecuredError> {
        match self {
            Self::AesCmac(k) => Ok(crypto::checksum(k, parts)),
            Self::DesCbcMac(mode, k) => des::cbc_mac(*mode, k, parts),
        }
    }

    /// Whether `cc` is the (leftmost part of the) checksum of `parts`.
    pub fn verify(&self, parts: &[&[u8]], cc: &[u8]) -> Result<(), SecuredError> {
        match self {
            Self::AesCmac(k) => crypto::verify_checksum(k, parts, cc),
            Self::DesCbcMac(mode, k) => des::verify_cbc_mac(*mode, k, parts, cc),
        }
    }
}

impl PacketKeys {
    /// The AES keys of a key set (AES-CBC and AES-CMAC).
    pub fn from_key_set(keys: &KeySet) -> Self {
        Self {
            ciphering: keys.kic.clone().map(CipheringKey::AesCbc),
            checksum: Some(ChecksumKey::AesCmac(keys.kid.clone())),
        }
    }

    /// Pairs hex keys with the algorithms the packet's KIc and KID name,
    /// or with `force_kic` / `force_kid` when given (for the implicit
    /// codings '00', or a packet whose octets are known to lie). A key that
    /// is not given stays `None`; the packet fails later only if it needs it.
    pub fn resolve(
        kic: Kic,
        kid: Kid,
        kic_hex: Option<&str>,
        kid_hex: Option<&str>,
        force_kic: Option<KicAlgorithm>,
        force_kid: Option<KidAlgorithm>,
    ) -> Result<Self, SuiteError> {
        let ciphering =
            kic_hex.map(|h| CipheringKey::new(force_kic.unwrap_or(kic.algorithm()), h)).transpose()?;
        let checksum =
            kid_hex.map(|h| ChecksumKey::new(force_kid.unwrap_or(kid.algorithm()), h)).transpose()?;
        Ok(Self { ciphering, checksum })
    }
}

/// A ciphering key as the packet code uses it: the AES key of a
/// [`KeySet`] (no copy on the applet channel's path) or a [`CipheringKey`].
pub(crate) trait PacketCipher {
    fn cipher_block_len(&self) -> usize;
    fn padding_for(&self, len: usize) -> usize {
        let b = self.cipher_block_len();
        (b - len % b) % b
    }
    fn encrypt_in_place(&self, buf: &mut [u8]) -> Result<(), SecuredError>;
    fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<(), SecuredError>;
}

/// A checksum key as the packet code uses it.
pub(crate) trait PacketMac {
    fn mac_len(&self) -> usize;
    fn accepts_mac_len(&self, len: usize) -> bool;
    fn mac(&self, parts: &[&[u8]]) -> Result<[u8; CMAC_CHECKSUM_LEN], SecuredError>;
    fn verify_mac(&self, parts: &[&[u8]], cc: &[u8]) -> Result<(), SecuredError>;
}

impl PacketCipher for AesKey {
    fn cipher_block_len(&self) -> usize {
        AES_BLOCK_LEN
    }
    fn encrypt_in_place(&self, buf: &mut [u8]) -> Result<(), SecuredError> {
        crypto::cbc_encrypt(self, buf)
    }
    fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<(), SecuredError> {
        crypto::cbc_decrypt(self, buf)
    }
}

impl PacketCipher for CipheringKey {
    fn cipher_block_len(&self) -> usize {
        self.block_len()
    }
    fn encrypt_in_place(&self, buf: &mut [u8]) -> Result<(), SecuredError> {
        self.encrypt(buf)
    }
    fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<(), SecuredError> {
        self.decrypt(buf)
    }
}

impl PacketMac for AesKey {
    fn mac_len(&self) -> usize {
        CMAC_CHECKSUM_LEN
    }
    fn accepts_mac_len(&self, len: usize) -> bool {
        len == CMAC_CHECKSUM_LEN
    }
    fn mac(&self, parts: &[&[u8]]) -> Result<[u8; CMAC_CHECKSUM_LEN], SecuredError> {
        Ok(crypto::checksum(self, parts))
    }
    fn verify_mac(&self, parts: &[&[u8]], cc: &[u8]) -> Result<(), SecuredError> {
        crypto::verify_checksum(self, parts, cc)
    }
}

impl PacketMac for ChecksumKey {
    fn mac_len(&self) -> usize {
        self.checksum_len()
    }
    fn accepts_mac_len(&self, len: usize) -> bool {
        self.accepts_len(len)
    }
    fn mac(&self, parts: &[&[u8]]) -> Result<[u8; CMAC_CHECKSUM_LEN], SecuredError> {
        self.compute(parts)
    }
    fn verify_mac(&self, parts: &[&[u8]], cc: &[u8]) -> Result<(), SecuredError> {
        self.verify(parts, cc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_every_implemented_algorithm() {
        for octet in 0..=255u8 {
            let a = Kic(octet).algorithm();
            if let Some(found) = kic_algorithm_by_name(&kic_algorithm_name(a)) {
                assert_eq!(found, a);
            }
            let d = Kid(octet).algorithm();
            if let Some(found) = kid_algorithm_by_name(&kid_algorithm_name(d)) {
                assert_eq!(found, d);
            }
        }
        assert_eq!(kic_algorithm_by_name("3DES-2KEY"), Some(KicAlgorithm::Des(DesMode::TripleDes2Key)));
        assert_eq!(kid_algorithm_by_name("des-cbc-mac"), Some(KidAlgorithm::Des(DesMode::Cbc)));
        assert_eq!(kid_algorithm_by_name("des-ecb-mac"), None);
        assert_eq!(kic_algorithm_by_name("implicit-0"), None);
    }

    #[test]
    fn resolve_takes_the_octets_unless_forced_and_checks_lengths() {
        let k16 = "00112233445566778899aabbccddeeff";
        let keys = PacketKeys::resolve(Kic(0x15), Kid(0x15), Some(k16), Some(k16), None, None).unwrap();
        assert_eq!(keys.ciphering.map(|c| c.algorithm()), Some(KicAlgorithm::Des(DesMode::TripleDes2Key)));
        assert_eq!(keys.checksum.map(|c| c.algorithm()), Some(KidAlgorithm::Des(DesMode::TripleDes2Key)));
        let aes = PacketKeys::resolve(Kic(0x12), Kid(0x12), Some(k16), None, None, None).unwrap();
        assert_eq!(aes.ciphering.as_ref().map(CipheringKey::block_len), Some(16));
        assert_eq!(aes.checksum, None);
        assert_eq!(
            PacketKeys::resolve(Kic(0x11), Kid(0), Some(k16), None, None, None),
            Err(SuiteError::Key(KeyError::AlgorithmLength { algorithm: "des-cbc", expected: "8", got: 16 }))
        );
        assert!(matches!(
            PacketKeys::resolve(Kic(0), Kid(0), Some(k16), None, None, None),
            Err(SuiteError::Unsupported { role: "KIc", .. })
        ));
        let forced = PacketKeys::resolve(
            Kic(0),
            Kid(0),
            Some("0011223344556677"),
            Some(k16),
            Some(KicAlgorithm::Des(DesMode::Ecb)),
            Some(KidAlgorithm::AesCmac),
        )
        .unwrap();
        assert_eq!(forced.ciphering.map(|c| c.algorithm()), Some(KicAlgorithm::Des(DesMode::Ecb)));
        assert_eq!(forced.checksum.map(|c| c.algorithm()), Some(KidAlgorithm::AesCmac));
        assert_eq!(
            PacketKeys::resolve(Kic(0x12), Kid(0x12), Some("zz"), None, None, None),
            Err(SuiteError::Key(KeyError::Hex))
        );
        assert_eq!(
            PacketKeys::resolve(Kic(0x12), Kid(0x12), None, Some("0011"), None, None),
            Err(SuiteError::Key(KeyError::Length(2)))
        );
    }

    #[test]
    fn checksum_lengths() {
        let aes = ChecksumKey::AesCmac(AesKey::new(&[1; 16]).unwrap());
        let des = ChecksumKey::DesCbcMac(DesMode::Cbc, DesKey::new(&[1; 8]).unwrap());
        assert!(aes.accepts_len(8) && !aes.accepts_len(4));
        assert!(des.accepts_len(4) && des.accepts_len(8) && !des.accepts_len(3) && !des.accepts_len(9));
        assert_eq!((aes.checksum_len(), des.checksum_len()), (8, 8));
    }
}
