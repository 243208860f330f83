//! SIM key material: the AES keys of a key set (KIc for ciphering, KID for
//! the cryptographic checksum, ETSI TS 102 225 5.1.2 and 5.1.3) and the set
//! they form under one key version number; and the DES and triple DES keys
//! of the DES codings, which the operator tools use (`simgate ota`). Keys
//! are wiped from memory when dropped and never printed: `Debug` shows only
//! their length.

use super::ids::Kvn;
use std::fmt;
use zeroize::Zeroizing;

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// AES keys are 16, 24 or 32 octets (FIPS 197).
    #[error("AES key must be 16, 24 or 32 octets, got {0}")]
    Length(usize),
    /// Hex key text with an odd length or a non-hex character.
    #[error("key is not hex")]
    Hex,
    /// DES keys are 8 (DES), 16 (two-key triple DES) or 24 (three-key
    /// triple DES) octets (FIPS 46-3, NIST SP 800-67 3.1).
    #[error("DES key must be 8, 16 or 24 octets, got {0}")]
    DesLength(usize),
    /// The key is not the length the algorithm that uses it needs.
    #[error("{algorithm} needs a key of {expected} octets, got {got}")]
    AlgorithmLength {
        /// The algorithm's name.
        algorithm: &'static str,
        /// The lengths it takes.
        expected: &'static str,
        /// The key's length.
        got: usize,
    },
}

/// An AES-128, -192 or -256 key.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey(Zeroizing<Vec<u8>>);

impl AesKey {
    /// From raw octets.
    pub fn new(octets: &[u8]) -> Result<Self, KeyError> {
        match octets.len() {
            16 | 24 | 32 => Ok(Self(Zeroizing::new(octets.to_vec()))),
            n => Err(KeyError::Length(n)),
        }
    }

    /// From hex text (either case), as keys are written in SIM set files.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        Self::new(&key_octets_from_hex(text)?)
    }

    /// The octets, for the cipher that uses them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

/// The octets of hex key text (either case, surrounding blanks ignored),
/// in memory that is wiped when dropped.
pub fn key_octets_from_hex(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let text = text.trim();
    if text.len() % 2 != 0 {
        return Err(KeyError::Hex);
    }
    let mut octets = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for pair in text.as_bytes().chunks_exact(2) {
        let hi = hex_value(pair[0]).ok_or(KeyError::Hex)?;
        let lo = hex_value(pair[1]).ok_or(KeyError::Hex)?;
        octets.push(hi << 4 | lo);
    }
    Ok(octets)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AesKey(<{} octets redacted>)", self.0.len())
    }
}

/// A DES key (8 octets) or a triple DES key of two (16 octets, K1 K2, with
/// K3 = K1) or three (24 octets, K1 K2 K3) DES keys (NIST SP 800-67 3.1).
/// The parity bits are not checked: SIM key files carry them either way.
#[derive(Clone, PartialEq, Eq)]
pub struct DesKey(Zeroizing<Vec<u8>>);

impl DesKey {
    /// From raw octets.
    pub fn new(octets: &[u8]) -> Result<Self, KeyError> {
        match octets.len() {
            8 | 16 | 24 => Ok(Self(Zeroizing::new(octets.to_vec()))),
            n => Err(KeyError::DesLength(n)),
        }
    }

    /// From hex text (either case).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        Self::new(&key_octets_from_hex(text)?)
    }

    /// The octets, for the cipher that uses them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for DesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DesKey(<{} octets redacted>)", self.0.len())
    }
}

/// Key octets of any algorithm, not yet paired with one (a key as sealed
/// at rest). Wiped when dropped; `Debug` shows only the length.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyOctets(Zeroizing<Vec<u8>>);

impl KeyOctets {
    /// Takes `octets`.
    pub fn new(octets: Zeroizing<Vec<u8>>) -> Self {
        Self(octets)
    }

    /// The octets.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for KeyOctets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyOctets(<{} octets redacted>)", self.0.len())
    }
}

/// One AES key set of a SIM: the keys a secured packet names by its KIc
/// and KID key version number (the applet channel's; the registry's of any
/// algorithm are [`super::RegistryKeys`]). `kic` is absent for SIMs whose applet does not
/// cipher (SPI says no ciphering, TS 102 225 5.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    /// The key version number both keys sit under.
    pub kvn: Kvn,
    /// Ciphering key (AES-CBC).
    pub kic: Option<AesKey>,
    /// Checksum key (AES-CMAC).
    pub kid: AesKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lengths_and_hex() {
        assert!(AesKey::new(&[0; 16]).is_ok());
        assert!(AesKey::new(&[0; 32]).is_ok());
        assert_eq!(AesKey::new(&[0; 15]), Err(KeyError::Length(15)));
        let k = AesKey::from_hex("000102030405060708090a0B0c0D0e0F");
        assert_eq!(k.as_ref().map(|k| k.expose().to_vec()), Ok((0u8..16).collect::<Vec<_>>()));
        assert_eq!(AesKey::from_hex("0g"), Err(KeyError::Hex));
        assert_eq!(AesKey::from_hex("000"), Err(KeyError::Hex));
        assert!(DesKey::new(&[1; 8]).is_ok() && DesKey::new(&[1; 16]).is_ok());
        assert_eq!(DesKey::new(&[1; 32]), Err(KeyError::DesLength(32)));
        assert_eq!(DesKey::from_hex("0123456789abcdef").map(|k| k.expose().len()), Ok(8));
        assert_eq!(DesKey::from_hex("01234567x9abcdef"), Err(KeyError::Hex));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = AesKey::from_hex("deadbeefdeadbeefdeadbeefdeadbeef");
        let shown = format!("{k:?}");
        assert!(!shown.to_lowercase().contains("dead"), "{shown}");
        assert!(shown.contains("16 octets"), "{shown}");
        let d = format!("{:?}", DesKey::from_hex("deadbeefdeadbeef"));
        assert!(!d.to_lowercase().contains("dead") && d.contains("8 octets"), "{d}");
    }
}
