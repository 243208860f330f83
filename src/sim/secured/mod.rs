//! ETSI TS 102 225 secured packets: the security header every OTA message
//! and every applet channel message carries, and the checksum, ciphering and
//! counter rules that go with it.
//!
//! - [`spi`]: the Security Parameter Indicator (TS 102 225 5.1.1).
//! - [`algorithm`]: KIc and KID, algorithm and key version (5.1.2, 5.1.3).
//! - [`counter`]: the 5-octet CNTR and the replay decision (5.1.1).
//! - [`status`]: the response status codes of a PoR (5.2).
//! - [`crypto`]: AES-CMAC checksums and AES-CBC ciphering with padding.
//! - [`des`]: DES and triple DES ciphering and CBC-MAC checksums.
//! - [`suite`]: keys paired with their algorithms ([`PacketKeys`]).
//! - [`command`]: the command packet (5.1).
//! - [`response`]: the response packet (5.2).
//!
//! The applet channel uses AES (KIc AES-CBC, KID AES-CMAC) with a
//! [`crate::sim::KeySet`]: `seal` and `open` refuse other codings with
//! [`SecuredError::UnsupportedAlgorithm`]. The OTA wake-up and its PoR use
//! the registry key set's algorithm, AES or DES
//! ([`crate::sim::RegistryKeys`]), and the operator tools also read and
//! build the DES codings (DES CBC and ECB, triple DES with two
//! or three keys in outer CBC, and the DES CBC-MACs) through `seal_with`
//! and `open_with` and a [`PacketKeys`]. RC and DS checksums are refused
//! everywhere.
//!
//! Everything here is pure: bytes and keys in, bytes or a typed error out.

pub mod algorithm;
pub mod command;
pub mod counter;
pub mod crypto;
pub mod des;
pub mod response;
pub mod spi;
pub mod status;
pub mod suite;

pub use algorithm::{DesMode, Kic, KicAlgorithm, Kid, KidAlgorithm};
pub use command::{CommandPacket, CommandPacketView};
pub use counter::{Counter, CounterDecision, CounterError, check_counter};
pub use crypto::{AES_BLOCK_LEN, CMAC_CHECKSUM_LEN};
pub use response::{PorSecurity, ResponsePacket, ResponsePacketView};
pub use spi::{ChecksumKind, CounterMode, PorRequest, Spi};
pub use status::ResponseStatus;
pub use suite::{ChecksumKey, CipheringKey, PacketKeys, SuiteError};

/// A packet opened by `open_with`, with the octets a tool shows that the
/// packet itself drops: the padding counter and the checksum received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<T> {
    /// The packet in the clear, padding removed.
    pub packet: T,
    /// PCNTR: padding octets that were at the end of the data.
    pub padding: u8,
    /// The RC/CC/DS field as received (deciphered), empty when none.
    pub checksum: Vec<u8>,
}

/// Why a secured packet could not be parsed, built, deciphered or verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecuredError {
    /// Fewer octets than the fixed part of the header.
    #[error("packet of {len} octets is shorter than its {needed}-octet header")]
    Short {
        /// Octets received.
        len: usize,
        /// Octets the header needs.
        needed: usize,
    },
    /// CPL or RPL does not count the octets that follow it (5.1, 5.2).
    #[error("packet length field says {declared}, {actual} octets follow it")]
    LengthMismatch {
        /// The length field.
        declared: usize,
        /// Octets actually after it.
        actual: usize,
    },
    /// CHL or RHL is below the fixed header or past the packet's end.
    #[error("header length {header_len} does not fit the packet")]
    HeaderLength {
        /// The CHL or RHL octet.
        header_len: u8,
    },
    /// An SPI with reserved bits or a reserved PoR value set (5.1.1).
    #[error("SPI {0:02X?} uses reserved values")]
    ReservedSpi([u8; 2]),
    /// The checksum kind or algorithm is one simgate does not implement
    /// (RC, DS, DES, 3DES, proprietary or reserved codings).
    #[error("security algorithm not supported: {0}")]
    UnsupportedAlgorithm(&'static str),
    /// The header's RC/CC/DS field is not the length the algorithm gives.
    #[error("checksum field of {got} octets, the algorithm gives {expected}")]
    ChecksumLength {
        /// Octets in the packet.
        got: usize,
        /// Octets the algorithm gives.
        expected: usize,
    },
    /// KIc or KID names a key version other than the key set's.
    #[error("packet names key version {packet}, the key set is version {keys}")]
    KeyVersion {
        /// The KVN in the packet.
        packet: u8,
        /// The KVN of the key set supplied.
        keys: u8,
    },
    /// Ciphering is asked for but the key set has no KIc key.
    #[error("ciphering requested but the key set has no ciphering key")]
    NoCipheringKey,
    /// A cryptographic checksum is asked for but no KID key was given.
    #[error("cryptographic checksum requested but no checksum key was given")]
    NoChecksumKey,
    /// The ciphered part is not a whole number of cipher blocks.
    #[error("ciphered part of {len} octets is not a multiple of the block length")]
    CipherLength {
        /// Octets of the ciphered part.
        len: usize,
    },
    /// PCNTR counts more padding than there is, or padding without
    /// ciphering (5.1: PCNTR is 0 when nothing is ciphered).
    #[error("padding counter {pcntr} is impossible here")]
    Padding {
        /// The PCNTR octet.
        pcntr: u8,
    },
    /// The cryptographic checksum does not verify.
    #[error("cryptographic checksum does not verify")]
    Checksum,
    /// The packet would be longer than a 2-octet length field can say.
    #[error("packet of {len} octets is too long to encode")]
    TooLong {
        /// Octets it would have.
        len: usize,
    },
}
