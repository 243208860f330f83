//! Identifiers of a SIM and of its applet: the ICCID (ITU-T E.118), the
//! Toolkit Application Reference (ETSI TS 101 220 6.2, TS 102 225 5.1.1)
//! and the key version number of a key set (TS 102 225 5.1.2).

use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The ICCID is not 19 or 20 decimal digits starting with 89.
    #[error("ICCID must be 19 or 20 digits starting with 89 (E.118)")]
    IccidShape,
    /// The ICCID's last digit is not its Luhn check digit.
    #[error("ICCID check digit is wrong (E.118 Luhn)")]
    IccidCheckDigit,
    /// A TAR is exactly three octets.
    #[error("TAR must be 3 octets, got {0}")]
    TarLength(usize),
    /// A key version number is 1 to 15 (four bits, 0 is not a key set).
    #[error("key version number must be 1 to 15, got {0}")]
    Kvn(u8),
}

/// An ICCID: 19 or 20 decimal digits, major industry identifier 89
/// (telecommunications), the last digit a Luhn check digit (ITU-T E.118).
/// It names a SIM in logs only at DEBUG, never in metric labels.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iccid(String);

impl Iccid {
    /// Validates `digits`.
    pub fn new(digits: &str) -> Result<Self, IdError> {
        let shape = (19..=20).contains(&digits.len())
            && digits.starts_with("89")
            && digits.bytes().all(|b| b.is_ascii_digit());
        if !shape {
            return Err(IdError::IccidShape);
        }
        if !luhn_ok(digits) {
            return Err(IdError::IccidCheckDigit);
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Luhn check digit that completes `body` (18 or 19 digits), for
    /// tools that generate SIM sets.
    pub fn check_digit(body: &str) -> Option<u8> {
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 =
            body.bytes().rev().enumerate().map(|(i, b)| luhn_term(u32::from(b - b'0'), i % 2 == 0)).sum();
        u8::try_from((10 - sum % 10) % 10).ok()
    }
}

fn luhn_term(digit: u32, doubled: bool) -> u32 {
    if doubled {
        let d = digit * 2;
        if d > 9 { d - 9 } else { d }
    } else {
        digit
    }
}

fn luhn_ok(digits: &str) -> bool {
    let (body, last) = digits.split_at(digits.len() - 1);
    Iccid::check_digit(body).map(u32::from) == last.parse::<u32>().ok()
}

impl fmt::Debug for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iccid({})", self.0)
    }
}

impl fmt::Display for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Toolkit Application Reference: the three octets that address an
/// applet on the card (TS 101 220 6.2; carried in every secured packet,
/// TS 102 225 5.1.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tar(pub [u8; 3]);

impl Tar {
    /// From octets, refusing any length but three.
    pub fn from_slice(octets: &[u8]) -> Result<Self, IdError> {
        <[u8; 3]>::try_from(octets).map(Self).map_err(|_| IdError::TarLength(octets.len()))
    }
}

impl fmt::Debug for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tar({self})")
    }
}

impl fmt::Display for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a:02X}{b:02X}{c:02X}")
    }
}

/// A key version number: which of the SIM's key sets a packet uses. It
/// sits in the high four bits of KIc and KID (TS 102 225 5.1.2, 5.1.3);
/// 0 names no key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kvn(u8);

impl Kvn {
    /// Validates `v` (1 to 15).
    pub const fn new(v: u8) -> Result<Self, IdError> {
        if v >= 1 && v <= 15 { Ok(Self(v)) } else { Err(IdError::Kvn(v)) }
    }

    /// The number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iccid_needs_its_check_digit() {
        let body = "898820000000000001";
        let check = Iccid::check_digit(body).unwrap_or(10);
        let good = format!("{body}{check}");
        assert_eq!(Iccid::new(&good).map(|i| i.as_str().to_owned()), Ok(good.clone()));
        let wrong = format!("{body}{}", (check + 1) % 10);
        assert_eq!(Iccid::new(&wrong), Err(IdError::IccidCheckDigit));
    }

    #[test]
    fn iccid_shape_is_checked_before_the_check_digit() {
        for bad in ["", "8988", "1234567890123456789", "89882000000000000a1", "898820000000000000012"] {
            assert_eq!(Iccid::new(bad), Err(IdError::IccidShape), "{bad}");
        }
    }

    #[test]
    fn check_digit_doubles_from_the_right() {
        // Body 8988 then fourteen zeros. From the right, index 17 holds 8
        // (odd, kept: 8), 16 holds 9 (even, doubled: 18 - 9 = 9), 15 holds 8
        // (8), 14 holds 8 (doubled: 16 - 9 = 7). Sum 32, so the check is 8.
        assert_eq!(Iccid::check_digit("898800000000000000"), Some(8));
        assert_eq!(Iccid::check_digit("89880000000000000x"), None);
    }

    #[test]
    fn tar_and_kvn_bounds() {
        assert_eq!(Tar::from_slice(&[0xB0, 0x00, 0x10]).map(|t| t.to_string()), Ok("B00010".to_owned()));
        assert_eq!(Tar::from_slice(&[1, 2]), Err(IdError::TarLength(2)));
        assert_eq!(Kvn::new(0), Err(IdError::Kvn(0)));
        assert_eq!(Kvn::new(16), Err(IdError::Kvn(16)));
        assert_eq!(Kvn::new(15).map(Kvn::get), Ok(15));
    }
}
