//! The Security Parameter Indicator: two octets saying what security a
//! command packet carries and what its proof of receipt must carry (ETSI
//! TS 102 225 5.1.1, "Coding of the SPI").
//!
//! First octet: b2-b1 checksum kind, b3 ciphering, b5-b4 counter mode,
//! b8-b6 reserved. Second octet: b2-b1 PoR request, b4-b3 PoR checksum
//! kind, b5 PoR ciphered, b6 PoR sent by SMS-SUBMIT (else SMS-DELIVER-REPORT,
//! TS 31.115), b8-b7 reserved.

use super::SecuredError;

/// Which integrity field a packet carries (5.1.1, first octet b2-b1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumKind {
    /// No RC, CC or DS.
    None,
    /// Redundancy check (RC).
    Redundancy,
    /// Cryptographic checksum (CC), the one simgate uses: AES-CMAC.
    Cryptographic,
    /// Digital signature (DS).
    Signature,
}

impl ChecksumKind {
    const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => ChecksumKind::None,
            1 => ChecksumKind::Redundancy,
            2 => ChecksumKind::Cryptographic,
            _ => ChecksumKind::Signature,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            ChecksumKind::None => 0,
            ChecksumKind::Redundancy => 1,
            ChecksumKind::Cryptographic => 2,
            ChecksumKind::Signature => 3,
        }
    }
}

/// How the receiver treats CNTR (5.1.1, first octet b5-b4; counter
/// management). Ordered from weakest to strictest, so a policy can ask for
/// "at least" a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CounterMode {
    /// No counter available: CNTR is ignored.
    None,
    /// Counter available, no replay or sequence checking.
    Available,
    /// Process only if CNTR is higher than the receiver's last value.
    ProcessIfHigher,
    /// Process only if CNTR is exactly one higher than the last value.
    ProcessIfOneHigher,
}

impl CounterMode {
    const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => CounterMode::None,
            1 => CounterMode::Available,
            2 => CounterMode::ProcessIfHigher,
            _ => CounterMode::ProcessIfOneHigher,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            CounterMode::None => 0,
            CounterMode::Available => 1,
            CounterMode::ProcessIfHigher => 2,
            CounterMode::ProcessIfOneHigher => 3,
        }
    }

    /// Whether this mode protects against replay (the receiver keeps and
    /// compares the counter).
    pub const fn checks_replay(self) -> bool {
        matches!(self, CounterMode::ProcessIfHigher | CounterMode::ProcessIfOneHigher)
    }
}

/// Whether the receiver answers with a proof of receipt (5.1.1, second
/// octet b2-b1; '11' is reserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PorRequest {
    /// No PoR.
    None,
    /// PoR always.
    Always,
    /// PoR only when processing failed.
    OnError,
}

/// The decoded SPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spi {
    /// The command packet's integrity field.
    pub checksum: ChecksumKind,
    /// Whether CNTR, PCNTR, RC/CC/DS and the data are ciphered with KIc.
    pub ciphered: bool,
    /// How the receiver treats CNTR.
    pub counter: CounterMode,
    /// Whether a PoR is asked for.
    pub por: PorRequest,
    /// The PoR's integrity field.
    pub por_checksum: ChecksumKind,
    /// Whether the PoR is ciphered.
    pub por_ciphered: bool,
    /// PoR by SMS-SUBMIT (true) or in the SMS-DELIVER-REPORT (false); used
    /// by OTA only (TS 31.115), zero on the applet channel.
    pub por_via_submit: bool,
}

impl Spi {
    /// The SPI of applet channel messages and wake-ups: CC, the given
    /// ciphering and counter mode, no PoR unless asked.
    pub const fn checksummed(ciphered: bool, counter: CounterMode) -> Self {
        Self {
            checksum: ChecksumKind::Cryptographic,
            ciphered,
            counter,
            por: PorRequest::None,
            por_checksum: ChecksumKind::None,
            por_ciphered: false,
            por_via_submit: false,
        }
    }

    /// Decodes the two octets, refusing reserved bits and the reserved PoR
    /// value (5.1.1).
    pub const fn decode(octets: [u8; 2]) -> Result<Self, SecuredError> {
        let [first, second] = octets;
        if first & 0b1110_0000 != 0 || second & 0b1100_0000 != 0 || second & 0b11 == 0b11 {
            return Err(SecuredError::ReservedSpi(octets));
        }
        let por = match second & 0b11 {
            0 => PorRequest::None,
            1 => PorRequest::Always,
            _ => PorRequest::OnError,
        };
        Ok(Self {
            checksum: ChecksumKind::from_bits(first),
            ciphered: first & 0b100 != 0,
            counter: CounterMode::from_bits(first >> 3),
            por,
            por_checksum: ChecksumKind::from_bits(second >> 2),
            por_ciphered: second & 0b1_0000 != 0,
            por_via_submit: second & 0b10_0000 != 0,
        })
    }

    /// The two octets.
    pub const fn encode(self) -> [u8; 2] {
        let first = self.checksum.bits() | (self.ciphered as u8) << 2 | self.counter.bits() << 3;
        let por = match self.por {
            PorRequest::None => 0,
            PorRequest::Always => 1,
            PorRequest::OnError => 2,
        };
        let second = por
            | self.por_checksum.bits() << 2
            | (self.por_ciphered as u8) << 4
            | (self.por_via_submit as u8) << 5;
        [first, second]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_valid_spi_round_trips_and_reserved_ones_are_refused() {
        let mut valid = 0;
        for first in 0..=255u8 {
            for second in 0..=255u8 {
                match Spi::decode([first, second]) {
                    Ok(spi) => {
                        valid += 1;
                        assert_eq!(spi.encode(), [first, second]);
                    }
                    Err(e) => assert_eq!(e, SecuredError::ReservedSpi([first, second])),
                }
            }
        }
        // 32 first octets times 64 second octets with PoR bits not '11'.
        assert_eq!(valid, 32 * 48);
    }

    #[test]
    fn known_codings() {
        // CC, ciphered, process if higher; PoR always, CC, ciphered, by SUBMIT.
        let spi = Spi::decode([0x16, 0x39]).unwrap();
        assert_eq!(spi.checksum, ChecksumKind::Cryptographic);
        assert!(spi.ciphered);
        assert_eq!(spi.counter, CounterMode::ProcessIfHigher);
        assert_eq!(spi.por, PorRequest::Always);
        assert_eq!(spi.por_checksum, ChecksumKind::Cryptographic);
        assert!(spi.por_ciphered && spi.por_via_submit);
        assert_eq!(Spi::checksummed(false, CounterMode::ProcessIfOneHigher).encode(), [0x1A, 0x00]);
        assert!(CounterMode::ProcessIfOneHigher > CounterMode::ProcessIfHigher);
        assert!(!CounterMode::Available.checks_replay());
    }
}
