//! The AES primitives of secured packets: the cryptographic checksum with
//! AES in CMAC mode (NIST SP 800-38B; ETSI TS 102 225 5.1.3) and ciphering
//! with AES in CBC mode (NIST SP 800-38A; TS 102 225 5.1.2), for 128, 192
//! and 256-bit keys.
//!
//! TS 102 225 5.1.3: the CC of AES-CMAC is 8 octets, the leftmost (most
//! significant) octets of the CMAC. 5.1.2: AES-CBC starts from an initial
//! chaining value of zero; the data is padded to a whole number of 16-octet
//! blocks and PCNTR says how many padding octets were added. The checksum
//! is compared in constant time (`Mac::verify_truncated_left`, built on
//! `subtle`).

use super::SecuredError;
use crate::sim::keys::AesKey;
use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use cmac::{Cmac, KeyInit, Mac};

/// Octets of an AES-CMAC cryptographic checksum (TS 102 225 5.1.3).
pub const CMAC_CHECKSUM_LEN: usize = 8;
/// The AES block, and so the ciphering granule (FIPS 197).
pub const AES_BLOCK_LEN: usize = 16;

/// Runs `$body` with `$cipher` bound to the AES type of `$key`'s length.
macro_rules! with_aes {
    ($key:expr, $cipher:ident => $body:expr) => {
        match $key.expose().len() {
            16 => {
                type $cipher = Aes128;
                $body
            }
            24 => {
                type $cipher = Aes192;
                $body
            }
            _ => {
                type $cipher = Aes256;
                $body
            }
        }
    };
}

/// The full 16-octet AES-CMAC of the concatenated `parts`.
pub fn cmac(key: &AesKey, parts: &[&[u8]]) -> [u8; AES_BLOCK_LEN] {
    with_aes!(key, C => {
        // AesKey holds 16, 24 or 32 octets, so the key always fits.
        match <Cmac<C> as KeyInit>::new_from_slice(key.expose()) {
            Ok(mut mac) => {
                for part in parts {
                    mac.update(part);
                }
                mac.finalize().into_bytes().into()
            }
            Err(_) => [0; AES_BLOCK_LEN],
        }
    })
}

/// The 8-octet cryptographic checksum of the concatenated `parts`.
pub fn checksum(key: &AesKey, parts: &[&[u8]]) -> [u8; CMAC_CHECKSUM_LEN] {
    let full = cmac(key, parts);
    let mut cc = [0; CMAC_CHECKSUM_LEN];
    cc.copy_from_slice(&full[..CMAC_CHECKSUM_LEN]);
    cc
}

/// Whether `cc` is the checksum of `parts`, compared in constant time.
pub fn verify_checksum(key: &AesKey, parts: &[&[u8]], cc: &[u8]) -> Result<(), SecuredError> {
    if cc.len() != CMAC_CHECKSUM_LEN {
        return Err(SecuredError::ChecksumLength { got: cc.len(), expected: CMAC_CHECKSUM_LEN });
    }
    with_aes!(key, C => {
        let mut mac = <Cmac<C> as KeyInit>::new_from_slice(key.expose()).map_err(|_| SecuredError::Checksum)?;
        for part in parts {
            mac.update(part);
        }
        mac.verify_truncated_left(cc).map_err(|_| SecuredError::Checksum)
    })
}

/// How many padding octets make `len` a whole number of blocks.
pub const fn padding_for(len: usize) -> usize {
    (AES_BLOCK_LEN - len % AES_BLOCK_LEN) % AES_BLOCK_LEN
}

/// Enciphers `buf` in place with AES-CBC, zero initial chaining value.
pub fn cbc_encrypt(key: &AesKey, buf: &mut [u8]) -> Result<(), SecuredError> {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    if !rest.is_empty() {
        return Err(SecuredError::CipherLength { len: blocks.len() * AES_BLOCK_LEN + rest.len() });
    }
    let iv = [0u8; AES_BLOCK_LEN];
    with_aes!(key, C => {
        let mut enc = cbc::Encryptor::<C>::new_from_slices(key.expose(), &iv)
            .map_err(|_| SecuredError::NoCipheringKey)?;
        enc.encrypt_blocks(blocks);
    });
    Ok(())
}

/// Deciphers `buf` in place with AES-CBC, zero initial chaining value.
pub fn cbc_decrypt(key: &AesKey, buf: &mut [u8]) -> Result<(), SecuredError> {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    if !rest.is_empty() {
        return Err(SecuredError::CipherLength { len: blocks.len() * AES_BLOCK_LEN + rest.len() });
    }
    let iv = [0u8; AES_BLOCK_LEN];
    with_aes!(key, C => {
        let mut dec = cbc::Decryptor::<C>::new_from_slices(key.expose(), &iv)
            .map_err(|_| SecuredError::NoCipheringKey)?;
        dec.decrypt_blocks(blocks);
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Known answers: RFC 4493 section 4 (AES-128 CMAC, also NIST SP
    //! 800-38B D.1), SP 800-38B D.2/D.3 (AES-192/256, empty and 64-octet
    //! messages) and SP 800-38A F.2.1 / F.2.5 (CBC-AES128/256.Encrypt, whose
    //! IV is not zero: the IV is folded into the first block here).
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn key(s: &str) -> AesKey {
        AesKey::new(&hex(s)).unwrap()
    }

    const MSG64: &str = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                         30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";

    #[test]
    fn aes128_cmac_rfc4493_vectors() {
        let k = key("2b7e151628aed2a6abf7158809cf4f3c");
        let msg = hex(MSG64);
        let cases = [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ];
        for (len, want) in cases {
            assert_eq!(cmac(&k, &[&msg[..len]]).to_vec(), hex(want), "Mlen {len}");
        }
        // The same message fed in pieces gives the same MAC.
        assert_eq!(cmac(&k, &[&msg[..7], &msg[7..40]]).to_vec(), hex("dfa66747de9ae63030ca32611497c827"));
    }

    #[test]
    fn aes192_and_aes256_cmac_sp800_38b_vectors() {
        let k192 = key("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b");
        let k256 = key("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let msg = hex(MSG64);
        assert_eq!(cmac(&k192, &[]).to_vec(), hex("d17ddf46adaacde531cac483de7a9367"));
        assert_eq!(cmac(&k192, &[&msg]).to_vec(), hex("a1d5df0eed790f794d77589659f39a11"));
        assert_eq!(cmac(&k256, &[]).to_vec(), hex("028962f61b7bf89efc6b551f4667d983"));
        assert_eq!(cmac(&k256, &[&msg]).to_vec(), hex("e1992190549f6ed5696a2c056c315410"));
    }

    #[test]
    fn checksum_is_the_leftmost_eight_octets_and_verifies_in_constant_time() {
        let k = key("2b7e151628aed2a6abf7158809cf4f3c");
        let msg = hex(MSG64);
        let cc = checksum(&k, &[&msg[..16]]);
        assert_eq!(cc.to_vec(), hex("070a16b46b4d4144"));
        assert_eq!(verify_checksum(&k, &[&msg[..16]], &cc), Ok(()));
        let mut bad = cc;
        bad[7] ^= 1;
        assert_eq!(verify_checksum(&k, &[&msg[..16]], &bad), Err(SecuredError::Checksum));
        assert_eq!(
            verify_checksum(&k, &[&msg[..16]], &cc[..4]),
            Err(SecuredError::ChecksumLength { got: 4, expected: 8 })
        );
    }

    #[test]
    fn cbc_sp800_38a_vectors() {
        // F.2.1: the IV 000102..0F XORed into the first plaintext block gives
        // the same ciphertext under a zero IV.
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let cases = [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
                 73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7",
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
                 39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b",
            ),
        ];
        for (k, want) in cases {
            let k = key(k);
            let plain = hex(MSG64);
            let mut buf = plain.clone();
            for (b, i) in buf.iter_mut().zip(&iv) {
                *b ^= i;
            }
            cbc_encrypt(&k, &mut buf).unwrap();
            assert_eq!(buf, hex(want));
            cbc_decrypt(&k, &mut buf).unwrap();
            for (b, i) in buf.iter_mut().zip(&iv) {
                *b ^= i;
            }
            assert_eq!(buf, plain);
        }
    }

    #[test]
    fn cbc_refuses_partial_blocks_and_padding_fills_them() {
        let k = key("2b7e151628aed2a6abf7158809cf4f3c");
        let mut odd = [0u8; 17];
        assert_eq!(cbc_encrypt(&k, &mut odd), Err(SecuredError::CipherLength { len: 17 }));
        assert_eq!(cbc_decrypt(&k, &mut odd[..15]), Err(SecuredError::CipherLength { len: 15 }));
        assert_eq!([padding_for(0), padding_for(1), padding_for(16), padding_for(31)], [0, 15, 0, 1]);
    }
}
