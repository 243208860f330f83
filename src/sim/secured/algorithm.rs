//! KIc and KID: the octets naming the ciphering and checksum algorithms and
//! the key version they use (ETSI TS 102 225 5.1.2 "Coding of the KIc" and
//! 5.1.3 "Coding of the KID").
//!
//! Both: b2-b1 the algorithm family ('00' known implicitly, '01' DES, '10'
//! AES, '11' proprietary), b4-b3 the mode within the family, b8-b5 the key
//! version number. For AES the only defined mode is '00': AES-CBC for KIc
//! (`x2`), AES-CMAC for KID (`x2` as well); '01' to '11' are reserved.
//! That is what SIM cards and other OTA servers send (the card packets of
//! proto-fixtures/ota/cards/ carry KIc and KID `22`). The applet channel
//! takes AES-CBC and AES-CMAC only; the OTA paths and the tools also take
//! the DES codings (`x1`, `x5`, `x9`; `xD` for KIc).

use super::SecuredError;
use crate::sim::ids::Kvn;

/// The DES family modes (5.1.2, 5.1.3; ECB exists for KIc only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DesMode {
    /// Single DES, CBC.
    Cbc,
    /// Triple DES, outer CBC, two keys.
    TripleDes2Key,
    /// Triple DES, outer CBC, three keys.
    TripleDes3Key,
    /// Single DES, ECB (KIc only).
    Ecb,
}

/// A KIc algorithm (5.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KicAlgorithm {
    /// Known implicitly by both entities (b4-b3 given).
    Implicit(u8),
    /// A DES family mode.
    Des(DesMode),
    /// AES in CBC mode, the one simgate uses.
    AesCbc,
    /// An AES coding with a reserved mode (b4-b3 given).
    AesReserved(u8),
    /// Proprietary (b4-b3 given).
    Proprietary(u8),
}

/// A KID algorithm (5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KidAlgorithm {
    /// Known implicitly by both entities (b4-b3 given).
    Implicit(u8),
    /// A DES family mode (never `Ecb`).
    Des(DesMode),
    /// DES with the reserved mode '11'.
    DesReserved,
    /// AES in CMAC mode (NIST SP 800-38B), the one simgate uses.
    AesCmac,
    /// An AES coding with a reserved mode (b4-b3 given).
    AesReserved(u8),
    /// Proprietary (b4-b3 given).
    Proprietary(u8),
}

const fn des_mode(mode: u8) -> DesMode {
    match mode & 0b11 {
        0 => DesMode::Cbc,
        1 => DesMode::TripleDes2Key,
        2 => DesMode::TripleDes3Key,
        _ => DesMode::Ecb,
    }
}

const fn des_bits(mode: DesMode) -> u8 {
    match mode {
        DesMode::Cbc => 0,
        DesMode::TripleDes2Key => 1,
        DesMode::TripleDes3Key => 2,
        DesMode::Ecb => 3,
    }
}

/// The KIc octet: every value decodes, so it is kept as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kic(pub u8);

impl Kic {
    /// AES-CBC under key version `kvn`.
    pub const fn aes_cbc(kvn: Kvn) -> Self {
        Self(kvn.get() << 4 | 0b0010)
    }

    /// The algorithm (b4-b1).
    pub const fn algorithm(self) -> KicAlgorithm {
        let mode = (self.0 >> 2) & 0b11;
        match self.0 & 0b11 {
            0 => KicAlgorithm::Implicit(mode),
            1 => KicAlgorithm::Des(des_mode(mode)),
            2 if mode == 0 => KicAlgorithm::AesCbc,
            2 => KicAlgorithm::AesReserved(mode),
            _ => KicAlgorithm::Proprietary(mode),
        }
    }

    /// The key version number (b8-b5), 0 to 15.
    pub const fn key_version(self) -> u8 {
        self.0 >> 4
    }

    /// Builds the octet from an algorithm and a key version (the inverse of
    /// [`Kic::algorithm`] and [`Kic::key_version`]).
    pub const fn new(algorithm: KicAlgorithm, key_version: u8) -> Self {
        let low = match algorithm {
            KicAlgorithm::Implicit(m) => (m & 0b11) << 2,
            KicAlgorithm::Des(m) => des_bits(m) << 2 | 1,
            KicAlgorithm::AesCbc => 2,
            KicAlgorithm::AesReserved(m) => (m & 0b11) << 2 | 2,
            KicAlgorithm::Proprietary(m) => (m & 0b11) << 2 | 3,
        };
        Self((key_version & 0x0F) << 4 | low)
    }

    /// Refuses anything but AES-CBC (what [`super::crypto`] implements).
    pub const fn require_aes_cbc(self) -> Result<(), SecuredError> {
        match self.algorithm() {
            KicAlgorithm::AesCbc => Ok(()),
            _ => Err(SecuredError::UnsupportedAlgorithm("KIc other than AES-CBC")),
        }
    }
}

/// The KID octet: every value decodes, so it is kept as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kid(pub u8);

impl Kid {
    /// AES-CMAC under key version `kvn`.
    pub const fn aes_cmac(kvn: Kvn) -> Self {
        Self(kvn.get() << 4 | 0b0010)
    }

    /// The algorithm (b4-b1).
    pub const fn algorithm(self) -> KidAlgorithm {
        let mode = (self.0 >> 2) & 0b11;
        match self.0 & 0b11 {
            0 => KidAlgorithm::Implicit(mode),
            1 if mode == 3 => KidAlgorithm::DesReserved,
            1 => KidAlgorithm::Des(des_mode(mode)),
            2 if mode == 0 => KidAlgorithm::AesCmac,
            2 => KidAlgorithm::AesReserved(mode),
            _ => KidAlgorithm::Proprietary(mode),
        }
    }

    /// The key version number (b8-b5), 0 to 15.
    pub const fn key_version(self) -> u8 {
        self.0 >> 4
    }

    /// Builds the octet from an algorithm and a key version.
    pub const fn new(algorithm: KidAlgorithm, key_version: u8) -> Self {
        let low = match algorithm {
            KidAlgorithm::Implicit(m) => (m & 0b11) << 2,
            KidAlgorithm::Des(m) => des_bits(m) << 2 | 1,
            KidAlgorithm::DesReserved => 0b1101,
            KidAlgorithm::AesCmac => 0b0010,
            KidAlgorithm::AesReserved(m) => (m & 0b11) << 2 | 2,
            KidAlgorithm::Proprietary(m) => (m & 0b11) << 2 | 3,
        };
        Self((key_version & 0x0F) << 4 | low)
    }

    /// Refuses anything but AES-CMAC.
    pub const fn require_aes_cmac(self) -> Result<(), SecuredError> {
        match self.algorithm() {
            KidAlgorithm::AesCmac => Ok(()),
            _ => Err(SecuredError::UnsupportedAlgorithm("KID other than AES-CMAC")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_round_trips_through_algorithm_and_version() {
        for octet in 0..=255u8 {
            let kic = Kic(octet);
            assert_eq!(Kic::new(kic.algorithm(), kic.key_version()), kic, "KIc {octet:02X}");
            let kid = Kid(octet);
            assert_eq!(Kid::new(kid.algorithm(), kid.key_version()), kid, "KID {octet:02X}");
        }
    }

    #[test]
    fn aes_codings() {
        let kvn = Kvn::new(3).unwrap();
        assert_eq!(Kic::aes_cbc(kvn), Kic(0x32));
        assert_eq!(Kid::aes_cmac(kvn), Kid(0x32));
        assert_eq!(Kic(0x32).algorithm(), KicAlgorithm::AesCbc);
        assert_eq!(Kid(0x32).algorithm(), KidAlgorithm::AesCmac);
        assert_eq!(Kic(0x15).algorithm(), KicAlgorithm::Des(DesMode::TripleDes2Key));
        assert_eq!(Kid(0x15).algorithm(), KidAlgorithm::Des(DesMode::TripleDes2Key));
        // '10' in b4-b3 is reserved for AES, not CMAC.
        assert_eq!(Kid(0x3A).algorithm(), KidAlgorithm::AesReserved(2));
        assert!(Kid(0x15).require_aes_cmac().is_err());
        assert!(Kic(0x12).require_aes_cbc().is_ok());
        assert_eq!(Kic(0x32).key_version(), 3);
    }
}
