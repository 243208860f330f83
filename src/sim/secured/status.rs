//! The response status code of a proof of receipt (ETSI TS 102 225 5.2,
//! "Response Status Codes").

/// One status code. Codes the standard reserves, or leaves to proprietary
/// use, are kept as [`ResponseStatus::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseStatus {
    /// '00': PoR OK.
    PorOk,
    /// '01': RC/CC/DS failed.
    ChecksumFailed,
    /// '02': CNTR low.
    CounterLow,
    /// '03': CNTR high.
    CounterHigh,
    /// '04': CNTR blocked.
    CounterBlocked,
    /// '05': ciphering error.
    CipheringError,
    /// '06': unidentified security error.
    SecurityError,
    /// '07': insufficient memory to process the incoming message.
    InsufficientMemory,
    /// '08': more time needed to process the command packet.
    MoreTime,
    /// '09': TAR unknown.
    TarUnknown,
    /// '0A': insufficient security level.
    InsufficientSecurity,
    /// Any other code.
    Other(u8),
}

impl ResponseStatus {
    /// From the octet.
    pub const fn from_octet(o: u8) -> Self {
        match o {
            0x00 => ResponseStatus::PorOk,
            0x01 => ResponseStatus::ChecksumFailed,
            0x02 => ResponseStatus::CounterLow,
            0x03 => ResponseStatus::CounterHigh,
            0x04 => ResponseStatus::CounterBlocked,
            0x05 => ResponseStatus::CipheringError,
            0x06 => ResponseStatus::SecurityError,
            0x07 => ResponseStatus::InsufficientMemory,
            0x08 => ResponseStatus::MoreTime,
            0x09 => ResponseStatus::TarUnknown,
            0x0A => ResponseStatus::InsufficientSecurity,
            other => ResponseStatus::Other(other),
        }
    }

    /// The octet.
    pub const fn octet(self) -> u8 {
        match self {
            ResponseStatus::PorOk => 0x00,
            ResponseStatus::ChecksumFailed => 0x01,
            ResponseStatus::CounterLow => 0x02,
            ResponseStatus::CounterHigh => 0x03,
            ResponseStatus::CounterBlocked => 0x04,
            ResponseStatus::CipheringError => 0x05,
            ResponseStatus::SecurityError => 0x06,
            ResponseStatus::InsufficientMemory => 0x07,
            ResponseStatus::MoreTime => 0x08,
            ResponseStatus::TarUnknown => 0x09,
            ResponseStatus::InsufficientSecurity => 0x0A,
            ResponseStatus::Other(o) => o,
        }
    }

    /// Its name as a metric label and in events: `ok`, `checksum_failed`,
    /// ..., `other` for every code the standard does not name.
    pub const fn label(self) -> &'static str {
        match self {
            ResponseStatus::PorOk => "ok",
            ResponseStatus::ChecksumFailed => "checksum_failed",
            ResponseStatus::CounterLow => "counter_low",
            ResponseStatus::CounterHigh => "counter_high",
            ResponseStatus::CounterBlocked => "counter_blocked",
            ResponseStatus::CipheringError => "ciphering_error",
            ResponseStatus::SecurityError => "security_error",
            ResponseStatus::InsufficientMemory => "insufficient_memory",
            ResponseStatus::MoreTime => "more_time",
            ResponseStatus::TarUnknown => "tar_unknown",
            ResponseStatus::InsufficientSecurity => "insufficient_security",
            ResponseStatus::Other(_) => "other",
        }
    }

    /// Whether the command was processed.
    pub const fn is_ok(self) -> bool {
        matches!(self, ResponseStatus::PorOk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_round_trips() {
        for o in 0..=255u8 {
            let s = ResponseStatus::from_octet(o);
            assert_eq!(s.octet(), o);
            assert_eq!(matches!(s, ResponseStatus::Other(_)), o > 0x0A, "{o:02X}");
        }
        assert!(ResponseStatus::PorOk.is_ok() && !ResponseStatus::TarUnknown.is_ok());
    }
}
