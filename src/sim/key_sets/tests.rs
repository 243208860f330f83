//! Algorithm names, key lengths per algorithm, and the packet keys and
//! KIc/KID codings of registry key sets.
#![allow(clippy::unwrap_used)]
use super::*;

fn kvn(v: u8) -> Kvn {
    Kvn::new(v).unwrap()
}

#[test]
fn names_parse_either_case_and_serde_keeps_aes_readable() {
    for a in KeyAlgorithm::ALL {
        assert_eq!(KeyAlgorithm::from_name(a.name()), Some(a));
        assert_eq!(KeyAlgorithm::from_name(&a.name().to_uppercase()), Some(a));
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.name()));
    }
    assert_eq!(serde_json::from_str::<KeyAlgorithm>("\"aes\"").unwrap(), KeyAlgorithm::Aes);
    assert_eq!(serde_json::from_str::<KeyAlgorithm>("\"3des-2key\"").unwrap(), KeyAlgorithm::TripleDes2Key);
    assert!(serde_json::from_str::<KeyAlgorithm>("\"des-ecb\"").is_err());
    for bad in ["", "des", "3des", "des-ecb", "aes-cbc", "tdes"] {
        assert_eq!(KeyAlgorithm::from_name(bad), None, "{bad:?}");
    }
}

#[test]
fn key_lengths_per_algorithm() {
    let fits = |a: KeyAlgorithm| (1..=40).filter(|n| a.check_key_len(*n).is_ok()).collect::<Vec<_>>();
    assert_eq!(fits(KeyAlgorithm::Aes), vec![16, 24, 32]);
    assert_eq!(fits(KeyAlgorithm::DesCbc), vec![8]);
    assert_eq!(fits(KeyAlgorithm::TripleDes2Key), vec![16]);
    assert_eq!(fits(KeyAlgorithm::TripleDes3Key), vec![24]);
    assert_eq!(
        KeyAlgorithm::TripleDes2Key.check_key_len(24).unwrap_err().to_string(),
        "3des-2key needs a key of 16 octets, got 24"
    );
    assert_eq!(
        RegistryKeys::new(KeyAlgorithm::DesCbc, kvn(1), Some(&[1; 16]), &[2; 8]),
        Err(KeySetError::Kic(KeyError::AlgorithmLength { algorithm: "des-cbc", expected: "8", got: 16 }))
    );
    assert!(matches!(
        RegistryKeys::new(KeyAlgorithm::Aes, kvn(1), None, &[2; 8]),
        Err(KeySetError::Kid(KeyError::AlgorithmLength { algorithm: "aes", got: 8, .. }))
    ));
}

#[test]
fn codings_and_packet_keys_follow_the_algorithm() {
    let des = RegistryKeys::new(KeyAlgorithm::TripleDes2Key, kvn(3), Some(&[1; 16]), &[2; 16]).unwrap();
    assert_eq!((des.kic(), des.kid()), (Kic(0x35), Kid(0x35)), "TS 102 225 5.1.2/5.1.3: 3DES 2-key, KVN 3");
    assert_eq!(des.aes(), None);
    assert_eq!(des.algorithm(), KeyAlgorithm::TripleDes2Key);
    let pk = des.packet_keys();
    assert_eq!(pk.ciphering.map(|c| c.algorithm()), Some(KicAlgorithm::Des(DesMode::TripleDes2Key)));
    assert_eq!(pk.checksum.map(|c| c.algorithm()), Some(KidAlgorithm::Des(DesMode::TripleDes2Key)));
    let single = RegistryKeys::new(KeyAlgorithm::DesCbc, kvn(15), None, &[2; 8]).unwrap();
    assert_eq!((single.kic(), single.kid(), single.has_kic()), (Kic(0xF1), Kid(0xF1), false));
    let three = RegistryKeys::new(KeyAlgorithm::TripleDes3Key, kvn(1), None, &[2; 24]).unwrap();
    assert_eq!(three.kid(), Kid(0x19));
    let aes = RegistryKeys::new(KeyAlgorithm::Aes, kvn(2), Some(&[1; 16]), &[2; 32]).unwrap();
    assert_eq!((aes.kic(), aes.kid()), (Kic::aes_cbc(kvn(2)), Kid::aes_cmac(kvn(2))));
    assert_eq!(aes.aes().map(|k| k.kid.expose().len()), Some(32));
    assert_eq!(aes.kic_octets(), Some(&[1u8; 16][..]));
}

#[test]
fn debug_never_shows_a_key() {
    let des = RegistryKeys::new(KeyAlgorithm::TripleDes2Key, kvn(1), Some(&[0xAB; 16]), &[0xCD; 16]).unwrap();
    let shown = format!("{des:?}").to_lowercase();
    assert!(!shown.contains("abab") && !shown.contains("cdcd") && !shown.contains("171"), "{shown}");
    assert!(shown.contains("16 octets redacted"), "{shown}");
}
