//! Sealing SIM keys at rest: AES-256-GCM under the master key
//! (`sim.master_key` or `sim.master_key_file`), with ring.
//!
//! Every sealed value has a fresh random 96-bit nonce and is bound, through
//! the GCM associated data, to the SIM (ICCID), the key set (KVN) and the
//! key's role (KIc or KID): a sealed KID copied into another SIM's document,
//! or into the KIc field, does not open. Each value records which master key
//! sealed it (the first 8 hex digits of the SHA-256 of the key), so after a
//! rotation values sealed under an earlier key still open with the keys of
//! `sim.previous_master_keys_file` and can be re-sealed under the current one.
//!
//! What is sealed is the key's octets, whatever its algorithm (AES, DES,
//! triple DES, `crate::sim::KeyAlgorithm`): a DES key is sealed exactly as
//! an AES key is. The algorithm is stored beside the sealed values and the
//! opened octets are checked against it by the caller.

use crate::sim::{AesKey, Iccid, KeyError, KeyOctets, Kvn};
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// Octets of a master key (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Version prefix of the associated data; a new sealing format changes it.
const AAD_CONTEXT: &[u8] = b"simgate sim key v1";

/// Base64 that accepts input with or without padding.
const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a master key or a sealed value could not be used. No variant carries
/// key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The master key text is neither 64 hex digits nor base64 of 32 octets.
    #[error("master key must be 32 octets, as 64 hex digits or base64")]
    MasterKeyFormat,
    /// The value was sealed under a master key this process does not have
    /// (neither the current one nor one of the previous ones).
    #[error("sealed under master key {0}, which is not configured (sim.previous_master_keys_file?)")]
    UnknownMasterKey(String),
    /// Authentication failed: a wrong master key with the same id (never in
    /// practice), a value bound to another SIM, key set or role, or a
    /// changed ciphertext.
    #[error("sealed key does not open: wrong master key, another SIM's key, or tampered")]
    Open,
    /// The stored value is not in the sealed format (bad base64, nonce
    /// length).
    #[error("sealed key is malformed")]
    Malformed,
    /// The opened value does not fit the key set's algorithm (a document
    /// changed outside simgate).
    #[error("opened key does not fit its key set: {0}")]
    Key(#[from] KeyError),
    /// The system random generator failed (no nonce, nothing sealed).
    #[error("system random generator failed")]
    Random,
}

/// Which key of a key set a sealed value holds (TS 102 225 5.1.2, 5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// The ciphering key.
    Kic,
    /// The checksum key.
    Kid,
}

impl KeyRole {
    fn tag(self) -> u8 {
        match self {
            KeyRole::Kic => b'C',
            KeyRole::Kid => b'D',
        }
    }
}

/// What a sealed value is bound to: it opens only for the same SIM, key set
/// and role.
#[derive(Debug, Clone, Copy)]
pub struct KeyBinding<'a> {
    /// The SIM.
    pub iccid: &'a Iccid,
    /// The key set.
    pub kvn: Kvn,
    /// KIc or KID.
    pub role: KeyRole,
}

impl KeyBinding<'_> {
    /// The associated data: context, ICCID digits, a separator (ICCIDs are
    /// digits only, so the encoding is unambiguous), KVN and role.
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_CONTEXT.len() + 24);
        aad.extend_from_slice(AAD_CONTEXT);
        aad.push(0);
        aad.extend_from_slice(self.iccid.as_str().as_bytes());
        aad.push(0);
        aad.push(self.kvn.get());
        aad.push(self.role.tag());
        aad
    }
}

/// The id of a master key: the first four octets of its SHA-256, printed as
/// 8 hex digits. It names the key in sealed values and logs; it does not
/// reveal it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MasterKeyId([u8; 4]);

impl fmt::Display for MasterKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a:02x}{b:02x}{c:02x}{d:02x}")
    }
}

/// A master key ready to seal and open.
pub struct MasterKey {
    id: MasterKeyId,
    key: LessSafeKey,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({} <redacted>)", self.id)
    }
}

impl MasterKey {
    /// From 32 raw octets.
    pub fn new(octets: &[u8]) -> Result<Self, SealError> {
        if octets.len() != MASTER_KEY_LEN {
            return Err(SealError::MasterKeyFormat);
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, octets);
        let mut id = [0; 4];
        id.copy_from_slice(&digest.as_ref()[..4]);
        let unbound = UnboundKey::new(&AES_256_GCM, octets).map_err(|_| SealError::MasterKeyFormat)?;
        Ok(Self { id: MasterKeyId(id), key: LessSafeKey::new(unbound) })
    }

    /// From text: 64 hex digits, or base64 (padded or not) of 32 octets;
    /// white space around it is ignored (files end with a newline).
    pub fn parse(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        if text.len() == 2 * MASTER_KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let key = AesKey::from_hex(text).map_err(|_| SealError::MasterKeyFormat)?;
            return Self::new(key.expose());
        }
        let octets = Zeroizing::new(B64_LENIENT.decode(text).map_err(|_| SealError::MasterKeyFormat)?);
        Self::new(&octets)
    }

    /// This key's id.
    pub fn id(&self) -> MasterKeyId {
        self.id
    }
}

/// The current master key, which seals, and earlier ones, which only open.
#[derive(Debug)]
pub struct MasterKeyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
    random: SystemRandom,
}

impl MasterKeyring {
    /// A keyring sealing with `current`. Previous keys with the current
    /// key's id are dropped (a rotation file that still lists the new key).
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        let previous = previous.into_iter().filter(|k| k.id != current.id).collect();
        Self { current, previous, random: SystemRandom::new() }
    }

    /// Id of the key new values are sealed under.
    pub fn current_id(&self) -> MasterKeyId {
        self.current.id
    }

    /// Seals the octets of `key` (of any algorithm) for `binding` under the
    /// current master key.
    pub fn seal(&self, key: &[u8], binding: &KeyBinding<'_>) -> Result<SealedKey, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut in_out = Zeroizing::new(Vec::with_capacity(key.len() + AES_256_GCM.tag_len()));
        in_out.extend_from_slice(key);
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(binding.aad()),
                &mut *in_out,
            )
            .map_err(|_| SealError::Random)?;
        Ok(SealedKey {
            master_key: self.current.id.to_string(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(&*in_out),
        })
    }

    /// Opens `sealed`, which must be bound to `binding`, with whichever
    /// configured master key sealed it; the key's octets, which the caller
    /// pairs with the key set's algorithm.
    pub fn open(&self, sealed: &SealedKey, binding: &KeyBinding<'_>) -> Result<KeyOctets, SealError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id.to_string() == sealed.master_key)
            .ok_or_else(|| SealError::UnknownMasterKey(sealed.master_key.clone()))?;
        let nonce = STANDARD.decode(&sealed.nonce).map_err(|_| SealError::Malformed)?;
        let nonce = Nonce::try_assume_unique_for_key(&nonce).map_err(|_| SealError::Malformed)?;
        let mut in_out =
            Zeroizing::new(STANDARD.decode(&sealed.ciphertext).map_err(|_| SealError::Malformed)?);
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(binding.aad()), &mut in_out)
            .map_err(|_| SealError::Open)?;
        Ok(KeyOctets::new(Zeroizing::new(plain.to_vec())))
    }

    /// Whether `sealed` was sealed under an earlier master key and should
    /// be re-sealed under the current one.
    pub fn needs_reseal(&self, sealed: &SealedKey) -> bool {
        sealed.master_key != self.current.id.to_string()
    }
}

/// A SIM key sealed under a master key, as stored in the registry.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedKey {
    /// Id of the master key that sealed it ([`MasterKeyId`], 8 hex digits).
    #[serde(rename = "mk")]
    master_key: String,
    /// The 96-bit GCM nonce, base64.
    nonce: String,
    /// Ciphertext and 128-bit tag, base64.
    #[serde(rename = "ct")]
    ciphertext: String,
}

impl SealedKey {
    /// Id of the master key that sealed it.
    pub fn master_key_id(&self) -> &str {
        &self.master_key
    }
}

impl fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedKey(mk {})", self.master_key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MK1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const MK2: &str = "f0e0d0c0b0a090807060504030201000f0e0d0c0b0a090807060504030201000";

    fn iccid(n: u8) -> Iccid {
        let body = format!("8988200000000000{n:02}");
        let check = Iccid::check_digit(&body).unwrap();
        Iccid::new(&format!("{body}{check}")).unwrap()
    }

    fn ring_of(current: &str, previous: &[&str]) -> MasterKeyring {
        MasterKeyring::new(
            MasterKey::parse(current).unwrap(),
            previous.iter().map(|k| MasterKey::parse(k).unwrap()).collect(),
        )
    }

    fn sim_key() -> AesKey {
        AesKey::from_hex("2b7e151628aed2a6abf7158809cf4f3c").unwrap()
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let ring = ring_of(MK1, &[]);
        let sim = iccid(1);
        let b = KeyBinding { iccid: &sim, kvn: Kvn::new(1).unwrap(), role: KeyRole::Kid };
        let a = ring.seal(sim_key().expose(), &b).unwrap();
        let c = ring.seal(sim_key().expose(), &b).unwrap();
        assert_ne!(a.nonce, c.nonce, "nonces repeat");
        assert_ne!(a.ciphertext, c.ciphertext);
        assert_eq!(ring.open(&a, &b).unwrap().expose(), sim_key().expose());
        assert_eq!(a.master_key_id(), ring.current_id().to_string());
        assert_eq!(a.master_key_id().len(), 8);
        assert!(!format!("{a:?}").contains(&a.ciphertext));
    }

    #[test]
    fn des_key_octets_are_sealed_like_aes_ones() {
        let ring = ring_of(MK1, &[]);
        let sim = iccid(3);
        for (len, role) in [(8, KeyRole::Kid), (16, KeyRole::Kic), (24, KeyRole::Kid)] {
            let key: Vec<u8> = (0..len).map(|i| 0xA0 | i as u8).collect();
            let b = KeyBinding { iccid: &sim, kvn: Kvn::new(2).unwrap(), role };
            let sealed = ring.seal(&key, &b).unwrap();
            let ct = STANDARD.decode(&sealed.ciphertext).unwrap();
            assert_eq!(ct.len(), len + 16, "octets and the GCM tag");
            assert!(!ct.windows(4).any(|w| w == &key[..4]), "clear octets in the ciphertext");
            let opened = ring.open(&sealed, &b).unwrap();
            assert_eq!(opened.expose(), key.as_slice());
            assert!(!format!("{opened:?}").contains("a0"), "{opened:?}");
            let other = KeyBinding { kvn: Kvn::new(3).unwrap(), ..b };
            assert_eq!(ring.open(&sealed, &other), Err(SealError::Open));
        }
    }

    #[test]
    fn wrong_master_key_does_not_open() {
        let sim = iccid(1);
        let b = KeyBinding { iccid: &sim, kvn: Kvn::new(1).unwrap(), role: KeyRole::Kid };
        let sealed = ring_of(MK1, &[]).seal(sim_key().expose(), &b).unwrap();
        let other = ring_of(MK2, &[]);
        assert_eq!(other.open(&sealed, &b), Err(SealError::UnknownMasterKey(sealed.master_key.clone())));
        // Same id claimed, other key: authentication fails.
        let forged = SealedKey { master_key: other.current_id().to_string(), ..sealed };
        assert_eq!(other.open(&forged, &b), Err(SealError::Open));
    }

    #[test]
    fn binding_to_sim_kvn_and_role_is_checked() {
        let ring = ring_of(MK1, &[]);
        let (sim, other_sim) = (iccid(1), iccid(2));
        let kvn1 = Kvn::new(1).unwrap();
        let b = KeyBinding { iccid: &sim, kvn: kvn1, role: KeyRole::Kid };
        let sealed = ring.seal(sim_key().expose(), &b).unwrap();
        for wrong in [
            KeyBinding { iccid: &other_sim, ..b },
            KeyBinding { kvn: Kvn::new(2).unwrap(), ..b },
            KeyBinding { role: KeyRole::Kic, ..b },
        ] {
            assert_eq!(ring.open(&sealed, &wrong), Err(SealError::Open), "{wrong:?}");
        }
    }

    #[test]
    fn tampered_ciphertext_or_nonce_does_not_open() {
        let ring = ring_of(MK1, &[]);
        let sim = iccid(1);
        let b = KeyBinding { iccid: &sim, kvn: Kvn::new(3).unwrap(), role: KeyRole::Kic };
        let sealed = ring.seal(sim_key().expose(), &b).unwrap();
        let mut ct = STANDARD.decode(&sealed.ciphertext).unwrap();
        ct[0] ^= 1;
        let flipped = SealedKey { ciphertext: STANDARD.encode(&ct), ..sealed.clone() };
        assert_eq!(ring.open(&flipped, &b), Err(SealError::Open));
        let mut nonce = STANDARD.decode(&sealed.nonce).unwrap();
        nonce[11] ^= 0x80;
        let renonced = SealedKey { nonce: STANDARD.encode(&nonce), ..sealed.clone() };
        assert_eq!(ring.open(&renonced, &b), Err(SealError::Open));
        let short = SealedKey { nonce: STANDARD.encode([0u8; 8]), ..sealed.clone() };
        assert_eq!(ring.open(&short, &b), Err(SealError::Malformed));
        let garbage = SealedKey { ciphertext: "***".to_owned(), ..sealed };
        assert_eq!(ring.open(&garbage, &b), Err(SealError::Malformed));
    }

    #[test]
    fn rotation_opens_old_values_and_reseals_under_the_new_key() {
        let sim = iccid(7);
        let b = KeyBinding { iccid: &sim, kvn: Kvn::new(15).unwrap(), role: KeyRole::Kid };
        let old = ring_of(MK1, &[]).seal(sim_key().expose(), &b).unwrap();
        let rotated = ring_of(MK2, &[MK1]);
        assert!(rotated.needs_reseal(&old));
        let opened = rotated.open(&old, &b).unwrap();
        let resealed = rotated.seal(opened.expose(), &b).unwrap();
        assert!(!rotated.needs_reseal(&resealed));
        assert_eq!(ring_of(MK2, &[]).open(&resealed, &b).unwrap().expose(), sim_key().expose());
    }

    #[test]
    fn master_key_text_forms() {
        let hex = MasterKey::parse(MK1).unwrap();
        let octets: Vec<u8> = (0u8..32).collect();
        let padded = STANDARD.encode(&octets);
        assert_eq!(MasterKey::parse(&format!("  {padded}\n")).unwrap().id(), hex.id());
        assert_eq!(MasterKey::parse(padded.trim_end_matches('=')).unwrap().id(), hex.id());
        assert_eq!(MasterKey::parse(&MK1.to_uppercase()).unwrap().id(), hex.id());
        for bad in ["", "abcd", &MK1[..62], &STANDARD.encode([0u8; 16]), "not base64 at all!"] {
            assert_eq!(MasterKey::parse(bad).err(), Some(SealError::MasterKeyFormat), "{bad:?}");
        }
        assert!(!format!("{hex:?}").contains("0001020304"));
    }
}
