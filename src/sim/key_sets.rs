//! The key sets the SIM registry holds: their algorithm ([`KeyAlgorithm`],
//! one per key set, for both KIc and KID) and the keys opened
//! ([`RegistryKeys`]), AES or one of the DES codings of ETSI TS 102 225
//! 5.1.2 and 5.1.3 that deployed SIMs still use for OTA.
//!
//! A [`RegistryKeys`] gives the [`PacketKeys`] of its algorithm for the OTA
//! paths, the KIc and KID octets that name it, and the AES [`KeySet`] only
//! when it is AES: the applet channel is AES only (docs/applet-protocol.md).
//! Sealing and opening OTA packets under a key set (`packets`) checks that
//! the packet's KIc and KID name this key set's algorithm and version.

use super::ids::Kvn;
use super::keys::{AesKey, DesKey, KeyError, KeySet};
use super::secured::des::{self, mode_name};
use super::secured::{ChecksumKey, CipheringKey, DesMode, Kic, KicAlgorithm, Kid, KidAlgorithm, PacketKeys};
use serde::{Deserialize, Serialize};

/// The algorithm of a key set: ciphering with KIc in that mode and the
/// checksum with KID (TS 102 225 5.1.2, 5.1.3; TS 102 226 for AES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// AES-CBC ciphering, AES-CMAC checksums; keys of 16, 24 or 32 octets.
    #[serde(rename = "aes")]
    Aes,
    /// Single DES in CBC mode, DES CBC-MAC; keys of 8 octets.
    #[serde(rename = "des-cbc")]
    DesCbc,
    /// Triple DES with two keys in outer CBC, and its CBC-MAC; keys of 16
    /// octets (K1 K2).
    #[serde(rename = "3des-2key")]
    TripleDes2Key,
    /// Triple DES with three keys in outer CBC, and its CBC-MAC; keys of
    /// 24 octets.
    #[serde(rename = "3des-3key")]
    TripleDes3Key,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order docs list them.
    pub const ALL: [KeyAlgorithm; 4] =
        [KeyAlgorithm::Aes, KeyAlgorithm::DesCbc, KeyAlgorithm::TripleDes2Key, KeyAlgorithm::TripleDes3Key];

    /// The name in SIM set files and stored documents.
    pub const fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Aes => "aes",
            KeyAlgorithm::DesCbc => mode_name(DesMode::Cbc),
            KeyAlgorithm::TripleDes2Key => mode_name(DesMode::TripleDes2Key),
            KeyAlgorithm::TripleDes3Key => mode_name(DesMode::TripleDes3Key),
        }
    }

    /// The algorithm called `name` (either case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The DES mode, `None` for AES.
    pub const fn des_mode(self) -> Option<DesMode> {
        match self {
            KeyAlgorithm::Aes => None,
            KeyAlgorithm::DesCbc => Some(DesMode::Cbc),
            KeyAlgorithm::TripleDes2Key => Some(DesMode::TripleDes2Key),
            KeyAlgorithm::TripleDes3Key => Some(DesMode::TripleDes3Key),
        }
    }

    /// The KIc algorithm (5.1.2).
    pub const fn kic_algorithm(self) -> KicAlgorithm {
        match self.des_mode() {
            None => KicAlgorithm::AesCbc,
            Some(mode) => KicAlgorithm::Des(mode),
        }
    }

    /// The KID algorithm (5.1.3).
    pub const fn kid_algorithm(self) -> KidAlgorithm {
        match self.des_mode() {
            None => KidAlgorithm::AesCmac,
            Some(mode) => KidAlgorithm::Des(mode),
        }
    }

    /// Refuses a key of `len` octets that this algorithm cannot use (AES
    /// 16/24/32, FIPS 197; DES 8, two-key triple DES 16, three-key 24,
    /// NIST SP 800-67 3.1).
    pub const fn check_key_len(self, len: usize) -> Result<(), KeyError> {
        let (fits, expected) = match self.des_mode() {
            None => (matches!(len, 16 | 24 | 32), "16, 24 or 32"),
            Some(mode) => match des::key_len(mode) {
                8 => (len == 8, "8"),
                16 => (len == 16, "16"),
                _ => (len == 24, "24"),
            },
        };
        if fits {
            Ok(())
        } else {
            Err(KeyError::AlgorithmLength { algorithm: self.name(), expected, got: len })
        }
    }
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which key of a key set does not fit its algorithm. Never carries key
/// material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    /// The ciphering key.
    #[error("kic: {0}")]
    Kic(KeyError),
    /// The checksum key.
    #[error("kid: {0}")]
    Kid(KeyError),
}

/// One key set of a SIM as the registry hands it out, keys opened, of any
/// [`KeyAlgorithm`]. Invariant: every key has a length its algorithm
/// takes. `Debug` never shows a key ([`AesKey`], [`DesKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryKeys(Keys);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Keys {
    Aes(KeySet),
    Des { kvn: Kvn, mode: DesMode, kic: Option<DesKey>, kid: DesKey },
}

impl From<KeySet> for RegistryKeys {
    fn from(keys: KeySet) -> Self {
        Self(Keys::Aes(keys))
    }
}

impl RegistryKeys {
    /// Pairs raw key octets with `algorithm`, checking their lengths.
    pub fn new(
        algorithm: KeyAlgorithm,
        kvn: Kvn,
        kic: Option<&[u8]>,
        kid: &[u8],
    ) -> Result<Self, KeySetError> {
        if let Some(k) = kic {
            algorithm.check_key_len(k.len()).map_err(KeySetError::Kic)?;
        }
        algorithm.check_key_len(kid.len()).map_err(KeySetError::Kid)?;
        let keys = match algorithm.des_mode() {
            None => Keys::Aes(KeySet {
                kvn,
                kic: kic.map(AesKey::new).transpose().map_err(KeySetError::Kic)?,
                kid: AesKey::new(kid).map_err(KeySetError::Kid)?,
            }),
            Some(mode) => Keys::Des {
                kvn,
                mode,
                kic: kic.map(DesKey::new).transpose().map_err(KeySetError::Kic)?,
                kid: DesKey::new(kid).map_err(KeySetError::Kid)?,
            },
        };
        Ok(Self(keys))
    }

    /// The key version number.
    pub fn kvn(&self) -> Kvn {
        match &self.0 {
            Keys::Aes(k) => k.kvn,
            Keys::Des { kvn, .. } => *kvn,
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.0 {
            Keys::Aes(_) => KeyAlgorithm::Aes,
            Keys::Des { mode: DesMode::Cbc | DesMode::Ecb, .. } => KeyAlgorithm::DesCbc,
            Keys::Des { mode: DesMode::TripleDes2Key, .. } => KeyAlgorithm::TripleDes2Key,
            Keys::Des { mode: DesMode::TripleDes3Key, .. } => KeyAlgorithm::TripleDes3Key,
        }
    }

    /// The AES key set, `None` for a DES one (the applet channel takes
    /// AES only).
    pub fn aes(&self) -> Option<&KeySet> {
        match &self.0 {
            Keys::Aes(k) => Some(k),
            Keys::Des { .. } => None,
        }
    }

    /// Whether it has a ciphering key.
    pub fn has_kic(&self) -> bool {
        match &self.0 {
            Keys::Aes(k) => k.kic.is_some(),
            Keys::Des { kic, .. } => kic.is_some(),
        }
    }

    /// The ciphering key's octets, for sealing at rest.
    pub fn kic_octets(&self) -> Option<&[u8]> {
        match &self.0 {
            Keys::Aes(k) => k.kic.as_ref().map(AesKey::expose),
            Keys::Des { kic, .. } => kic.as_ref().map(DesKey::expose),
        }
    }

    /// The checksum key's octets, for sealing at rest.
    pub fn kid_octets(&self) -> &[u8] {
        match &self.0 {
            Keys::Aes(k) => k.kid.expose(),
            Keys::Des { kid, .. } => kid.expose(),
        }
    }

    /// The keys paired with the algorithm, as the packet code takes them.
    pub fn packet_keys(&self) -> PacketKeys {
        match &self.0 {
            Keys::Aes(k) => PacketKeys::from_key_set(k),
            Keys::Des { mode, kic, kid, .. } => PacketKeys {
                ciphering: kic.clone().map(|k| CipheringKey::Des(*mode, k)),
                checksum: Some(ChecksumKey::DesCbcMac(*mode, kid.clone())),
            },
        }
    }

    /// The KIc octet of a packet ciphered under this key set (5.1.2).
    pub fn kic(&self) -> Kic {
        Kic::new(self.algorithm().kic_algorithm(), self.kvn().get())
    }

    /// The KID octet of a packet checksummed under this key set (5.1.3).
    pub fn kid(&self) -> Kid {
        Kid::new(self.algorithm().kid_algorithm(), self.kvn().get())
    }
}

mod packets;

#[cfg(test)]
mod tests;
