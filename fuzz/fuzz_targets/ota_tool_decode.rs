//! `simgate ota decode`'s path (`sim::ota_tool`): telling SMS user data
//! from a bare packet, joining concatenated parts, and opening commands and
//! responses with AES, DES and triple DES keys. Arbitrary octets never make
//! it panic; a decode that succeeds re-encodes to the same packet.
//!
//! Input: octet 0 picks the form (b1-b0), the kind (b2), the algorithms
//! (b5-b3) and whether a response is ciphered (b6); octet 1 the number of
//! parts (1 to 4) the rest is cut into, evenly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::ota_tool::{Form, KindHint, PacketJson, ResponseSecurity, decode, encode, read_input};
use simgate::sim::secured::{DesMode, KicAlgorithm, KidAlgorithm, PacketKeys, SuiteError};
use simgate::sim::secured::{Kic, Kid};

const KEY: &str = "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff";

fn keys(kic: KicAlgorithm, kid: KidAlgorithm) -> Result<PacketKeys, SuiteError> {
    let len = |n: usize| &KEY[..n * 2];
    let kic_len = match kic {
        KicAlgorithm::Des(m) => simgate::sim::secured::des::key_len(m),
        _ => 16,
    };
    let kid_len = match kid {
        KidAlgorithm::Des(m) => simgate::sim::secured::des::key_len(m),
        _ => 32,
    };
    PacketKeys::resolve(Kic::new(kic, 1), Kid::new(kid, 1), Some(len(kic_len)), Some(len(kid_len)), None, None)
}

fuzz_target!(|data: &[u8]| {
    let [pick, count, rest @ ..] = data else {
        return;
    };
    let form = match pick & 3 {
        0 => Form::Auto,
        1 => Form::Packet,
        _ => Form::Sms,
    };
    let hint = if pick & 4 == 0 { KindHint::Auto } else { KindHint::Response };
    let (kic, kid) = match (pick >> 3) & 7 {
        0 => (KicAlgorithm::AesCbc, KidAlgorithm::AesCmac),
        1 => (KicAlgorithm::Des(DesMode::Cbc), KidAlgorithm::Des(DesMode::Cbc)),
        2 => (KicAlgorithm::Des(DesMode::TripleDes2Key), KidAlgorithm::Des(DesMode::TripleDes2Key)),
        3 => (KicAlgorithm::Des(DesMode::TripleDes3Key), KidAlgorithm::Des(DesMode::TripleDes3Key)),
        4 => (KicAlgorithm::Des(DesMode::Ecb), KidAlgorithm::AesCmac),
        _ => (KicAlgorithm::AesCbc, KidAlgorithm::Des(DesMode::TripleDes2Key)),
    };
    let keys = keys(kic, kid).expect("the key lengths fit their algorithms");
    let n = usize::from(count % 4) + 1;
    let size = rest.len().div_ceil(n).max(1);
    let parts: Vec<Vec<u8>> = rest.chunks(size).map(<[u8]>::to_vec).collect();
    let Ok(input) = read_input(&parts, form, hint) else {
        return;
    };
    let security = ResponseSecurity { ciphered: pick & 0x40 != 0, kic_algorithm: kic, kid_algorithm: kid };
    let Ok(json) = decode(&input, &keys, &security, None) else {
        return;
    };
    // What verified under a full 8-octet checksum re-encodes to the same
    // octets: the checksum covers the padding, so it was sealed with zero
    // padding as encode writes it. (Without a checksum, deciphered padding
    // is whatever the octets were; a truncated DES MAC re-encodes to 8.)
    let checksum = match &json {
        PacketJson::Command(c) => c.checksum.clone(),
        PacketJson::Response(r) => r.checksum.clone(),
    };
    if checksum.map_or(true, |c| c.len() != 16) {
        return;
    }
    let again = encode(&json, &keys, None).expect("a decoded packet encodes");
    assert_eq!(again.octets(), &input.octets[..], "{json:?}");
});
