//! The DES primitives of secured packets (ETSI TS 102 225 5.1.2 and 5.1.3):
//! ciphering with DES in CBC or ECB mode and with triple DES in outer CBC
//! mode (two or three keys), and the cryptographic checksum DES CBC-MAC
//! with the same three block ciphers.
//!
//! - DES is FIPS 46-3; triple DES (TDEA) is NIST SP 800-67: encrypt with
//!   K1, decrypt with K2, encrypt with K3, where the two-key variant takes
//!   K3 = K1. "Outer CBC" chains the whole TDEA operation (SP 800-67 3.2,
//!   FIPS 81 CBC), which is what the RustCrypto `cbc` mode over `des::TdesEde*`
//!   does.
//! - CBC starts from an initial chaining value of zero (TS 102 225 5.1.2).
//!   The data is padded to a whole number of 8-octet blocks; PCNTR counts
//!   the padding (5.1).
//! - The CBC-MAC is the last block of the CBC encryption, zero initial
//!   chaining value, of the checksummed octets padded with zero octets to a
//!   whole number of blocks (ISO/IEC 9797-1 MAC algorithm 1, padding method
//!   1); the packet carries its leftmost octets (5.1.3: the CC is 8 octets,
//!   the full block; a shorter CHL truncates it). The padding for the MAC
//!   is not sent.
//!
//! The checksum is compared in constant time (`subtle`'s `ConstantTimeEq`
//! would be the same: a fold over XORs with no early exit).

use super::SecuredError;
use super::algorithm::DesMode;
use crate::sim::keys::{DesKey, KeyError};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use des::{Des, TdesEde2, TdesEde3};

/// The DES block, and so the ciphering granule and the CBC-MAC length.
pub const DES_BLOCK_LEN: usize = 8;

/// The key length a DES mode takes: 8, 16 or 24 octets.
pub const fn key_len(mode: DesMode) -> usize {
    match mode {
        DesMode::Cbc | DesMode::Ecb => 8,
        DesMode::TripleDes2Key => 16,
        DesMode::TripleDes3Key => 24,
    }
}

/// The mode's name as the tools print it.
pub const fn mode_name(mode: DesMode) -> &'static str {
    match mode {
        DesMode::Cbc => "des-cbc",
        DesMode::TripleDes2Key => "3des-2key",
        DesMode::TripleDes3Key => "3des-3key",
        DesMode::Ecb => "des-ecb",
    }
}

/// Refuses a key whose length is not the one `mode` takes.
pub fn check_key(mode: DesMode, key: &DesKey) -> Result<(), KeyError> {
    let got = key.expose().len();
    if got == key_len(mode) {
        return Ok(());
    }
    let expected = match key_len(mode) {
        8 => "8",
        16 => "16",
        _ => "24",
    };
    Err(KeyError::AlgorithmLength { algorithm: mode_name(mode), expected, got })
}

/// Runs `$body` with `$cipher` bound to the block cipher of `$mode`.
macro_rules! with_des {
    ($mode:expr, $cipher:ident => $body:expr) => {
        match $mode {
            DesMode::Cbc | DesMode::Ecb => {
                type $cipher = Des;
                $body
            }
            DesMode::TripleDes2Key => {
                type $cipher = TdesEde2;
                $body
            }
            DesMode::TripleDes3Key => {
                type $cipher = TdesEde3;
                $body
            }
        }
    };
}

fn blocks(buf: &mut [u8]) -> Result<&mut [Array<u8, cbc::cipher::consts::U8>], SecuredError> {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    if rest.is_empty() {
        Ok(blocks)
    } else {
        Err(SecuredError::CipherLength { len: blocks.len() * DES_BLOCK_LEN + rest.len() })
    }
}

fn wrong_key(mode: DesMode) -> SecuredError {
    SecuredError::UnsupportedAlgorithm(match mode {
        DesMode::Cbc | DesMode::Ecb => "DES key of another length than 8",
        DesMode::TripleDes2Key => "3DES two-key key of another length than 16",
        DesMode::TripleDes3Key => "3DES three-key key of another length than 24",
    })
}

/// Enciphers `buf` in place (CBC with a zero initial chaining value, or
/// ECB for [`DesMode::Ecb`]).
pub fn encrypt(mode: DesMode, key: &DesKey, buf: &mut [u8]) -> Result<(), SecuredError> {
    let blocks = blocks(buf)?;
    let iv = [0u8; DES_BLOCK_LEN];
    with_des!(mode, C => {
        if mode == DesMode::Ecb {
            let cipher = <C as KeyInit>::new_from_slice(key.expose()).map_err(|_| wrong_key(mode))?;
            cipher.encrypt_blocks(blocks);
        } else {
            let mut enc = cbc::Encryptor::<C>::new_from_slices(key.expose(), &iv)
                .map_err(|_| wrong_key(mode))?;
            enc.encrypt_blocks(blocks);
        }
    });
    Ok(())
}

/// Deciphers `buf` in place; the inverse of [`encrypt`].
pub fn decrypt(mode: DesMode, key: &DesKey, buf: &mut [u8]) -> Result<(), SecuredError> {
    use cbc::cipher::BlockCipherDecrypt;
    let blocks = blocks(buf)?;
    let iv = [0u8; DES_BLOCK_LEN];
    with_des!(mode, C => {
        if mode == DesMode::Ecb {
            let cipher = <C as KeyInit>::new_from_slice(key.expose()).map_err(|_| wrong_key(mode))?;
            cipher.decrypt_blocks(blocks);
        } else {
            let mut dec = cbc::Decryptor::<C>::new_from_slices(key.expose(), &iv)
                .map_err(|_| wrong_key(mode))?;
            dec.decrypt_blocks(blocks);
        }
    });
    Ok(())
}

/// The CBC-MAC (the full last block) of the concatenated `parts`, padded
/// with zeros to a whole number of blocks; an empty input is one zero
/// block. `mode` must be a CBC mode (`Ecb` is refused, 5.1.3 has none).
pub fn cbc_mac(mode: DesMode, key: &DesKey, parts: &[&[u8]]) -> Result<[u8; DES_BLOCK_LEN], SecuredError> {
    if mode == DesMode::Ecb {
        return Err(SecuredError::UnsupportedAlgorithm("DES ECB checksum"));
    }
    let mut chain = [0u8; DES_BLOCK_LEN];
    let mut fill = 0;
    let mut any = false;
    with_des!(mode, C => {
        let cipher = <C as KeyInit>::new_from_slice(key.expose()).map_err(|_| wrong_key(mode))?;
        for octet in parts.iter().flat_map(|p| p.iter()) {
            chain[fill] ^= octet;
            fill += 1;
            any = true;
            if fill == DES_BLOCK_LEN {
                cipher.encrypt_block((&mut chain).into());
                fill = 0;
            }
        }
        // Zero padding XORs nothing into the chain: encipher the partial
        // (or, for an empty input, the all-zero) block as it stands.
        if fill > 0 || !any {
            cipher.encrypt_block((&mut chain).into());
        }
    });
    Ok(chain)
}

/// Whether `cc` (4 to 8 octets, the CHL gives the length) is the leftmost
/// part of the CBC-MAC of `parts`, compared without an early exit.
pub fn verify_cbc_mac(mode: DesMode, key: &DesKey, parts: &[&[u8]], cc: &[u8]) -> Result<(), SecuredError> {
    if !(MIN_CHECKSUM_LEN..=DES_BLOCK_LEN).contains(&cc.len()) {
        return Err(SecuredError::ChecksumLength { got: cc.len(), expected: DES_BLOCK_LEN });
    }
    let mac = cbc_mac(mode, key, parts)?;
    let diff = mac.iter().zip(cc).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff == 0 { Ok(()) } else { Err(SecuredError::Checksum) }
}

/// The shortest truncated CBC-MAC simgate accepts when verifying.
pub const MIN_CHECKSUM_LEN: usize = 4;

#[cfg(test)]
mod tests {
    //! Known answers: FIPS 81 appendix B (DES ECB and CBC, key
    //! 0123456789ABCDEF, "Now is the time for all "), NIST SP 800-67 Rev. 1
    //! appendix B (three-key TDEA ECB, "The quick brown fox jump"). The CBC
    //! vectors with a non-zero IV are checked with the IV folded into the
    //! first block; the CBC-MAC vectors follow from them (the MAC is the
    //! last CBC block). Two-key TDEA is checked as three-key TDEA with
    //! K3 = K1 and against single DES when K1 = K2 (SP 800-67 3.1: keying
    //! option 3 is single DES).
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn key(s: &str) -> DesKey {
        DesKey::new(&hex(s)).unwrap()
    }

    const NOW_IS: &str = "4e6f772069732074 68652074696d6520 666f7220616c6c20";
    const FIPS81_KEY: &str = "0123456789abcdef";
    const FIPS81_IV: &str = "1234567890abcdef";

    #[test]
    fn des_ecb_fips81() {
        let mut buf = hex(NOW_IS);
        encrypt(DesMode::Ecb, &key(FIPS81_KEY), &mut buf).unwrap();
        assert_eq!(buf, hex("3fa40e8a984d4815 6a271787ab8883f9 893d51ec4b563b53"));
        decrypt(DesMode::Ecb, &key(FIPS81_KEY), &mut buf).unwrap();
        assert_eq!(buf, hex(NOW_IS));
    }

    #[test]
    fn des_cbc_fips81_and_its_cbc_mac() {
        let plain = hex(NOW_IS);
        let mut buf = plain.clone();
        for (b, i) in buf.iter_mut().zip(hex(FIPS81_IV)) {
            *b ^= i;
        }
        let folded = buf.clone();
        encrypt(DesMode::Cbc, &key(FIPS81_KEY), &mut buf).unwrap();
        assert_eq!(buf, hex("e5c7cdde872bf27c 43e934008c389c0f 683788499a7c05f6"));
        decrypt(DesMode::Cbc, &key(FIPS81_KEY), &mut buf).unwrap();
        assert_eq!(buf, folded);
        let mac = cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&folded[..5], &folded[5..]]).unwrap();
        assert_eq!(mac.to_vec(), hex("683788499a7c05f6"));
        // One block: the MAC is its ECB encryption.
        let mac1 = cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&plain[..8]]).unwrap();
        assert_eq!(mac1.to_vec(), hex("3fa40e8a984d4815"));
        // A partial block is zero-padded: "Now is" + 00 00 is not "Now is t".
        let padded = cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&plain[..6]]).unwrap();
        let explicit = cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&plain[..6], &[0, 0]]).unwrap();
        assert_eq!(padded, explicit);
        assert_ne!(padded, mac1);
        assert_eq!(
            verify_cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&folded], &hex("683788499a7c05")),
            Ok(())
        );
        assert_eq!(
            verify_cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&folded], &hex("683788499a7c05f7")),
            Err(SecuredError::Checksum)
        );
        assert_eq!(
            verify_cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&folded], &hex("683788")),
            Err(SecuredError::ChecksumLength { got: 3, expected: 8 })
        );
    }

    const FOX: &str = "5468652071756663 6b2062726f776e20 666f78206a756d70";
    const SP800_67_KEY: &str = "0123456789abcdef 23456789abcdef01 456789abcdef0123";
    const SP800_67_CT: &str = "a826fd8ce53b855f cce21c8112256fe6 68d5c05dd9b6b900";

    #[test]
    fn tdea_three_key_sp800_67_in_cbc_and_cbc_mac() {
        let ct = hex(SP800_67_CT);
        // CBC with a zero IV of P1, P2^C1, P3^C2 gives the ECB blocks C1 C2 C3.
        let mut chained = hex(FOX);
        for i in 8..24 {
            chained[i] ^= ct[i - 8];
        }
        let mut buf = chained.clone();
        encrypt(DesMode::TripleDes3Key, &key(SP800_67_KEY), &mut buf).unwrap();
        assert_eq!(buf, ct);
        decrypt(DesMode::TripleDes3Key, &key(SP800_67_KEY), &mut buf).unwrap();
        assert_eq!(buf, chained);
        let mac = cbc_mac(DesMode::TripleDes3Key, &key(SP800_67_KEY), &[&chained]).unwrap();
        assert_eq!(mac.to_vec(), hex("68d5c05dd9b6b900"));
    }

    #[test]
    fn tdea_two_key_is_three_key_with_k3_k1_and_des_when_k1_is_k2() {
        let k1k2 = "0123456789abcdef 23456789abcdef01";
        let k1k2k1 = "0123456789abcdef 23456789abcdef01 0123456789abcdef";
        let data = hex(FOX);
        let mut two = data.clone();
        let mut three = data.clone();
        encrypt(DesMode::TripleDes2Key, &key(k1k2), &mut two).unwrap();
        encrypt(DesMode::TripleDes3Key, &key(k1k2k1), &mut three).unwrap();
        assert_eq!(two, three);
        assert_ne!(two, data);
        let mac2 = cbc_mac(DesMode::TripleDes2Key, &key(k1k2), &[&data]).unwrap();
        assert_eq!(mac2.to_vec(), two[16..].to_vec());
        // K1 = K2: EDE collapses to single DES (FIPS 81 vector again).
        let mut buf = hex(NOW_IS);
        encrypt(DesMode::TripleDes2Key, &key("0123456789abcdef 0123456789abcdef"), &mut buf).unwrap();
        let mut single = hex(NOW_IS);
        encrypt(DesMode::Cbc, &key(FIPS81_KEY), &mut single).unwrap();
        assert_eq!(buf, single);
    }

    #[test]
    fn lengths_are_refused_with_typed_errors() {
        let mut odd = [0u8; 9];
        assert_eq!(
            encrypt(DesMode::Cbc, &key(FIPS81_KEY), &mut odd),
            Err(SecuredError::CipherLength { len: 9 })
        );
        assert!(matches!(
            encrypt(DesMode::TripleDes2Key, &key(FIPS81_KEY), &mut [0u8; 8]),
            Err(SecuredError::UnsupportedAlgorithm(_))
        ));
        assert!(cbc_mac(DesMode::Ecb, &key(FIPS81_KEY), &[]).is_err());
        assert_eq!(
            check_key(DesMode::TripleDes3Key, &key(FIPS81_KEY)),
            Err(KeyError::AlgorithmLength { algorithm: "3des-3key", expected: "24", got: 8 })
        );
        assert_eq!(check_key(DesMode::TripleDes2Key, &key("00112233445566778899aabbccddeeff")), Ok(()));
        // The empty input is one zero block.
        let zero = cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[]).unwrap();
        assert_eq!(zero, cbc_mac(DesMode::Cbc, &key(FIPS81_KEY), &[&[0; 8]]).unwrap());
    }
}
