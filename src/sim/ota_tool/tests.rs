//! decode(encode(x)) over a list of packets, algorithms and carriers.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::sim::secured::{DesMode, Kic, KicAlgorithm, Kid, KidAlgorithm, PacketKeys, SecuredError};

fn command_json(spi: &str, kic: u8, kid: u8, data_len: usize) -> PacketJson {
    let data: Vec<u8> = (0..data_len).map(|i| (i * 7) as u8).collect();
    let text = format!(
        r#"{{"packet":"command","spi":"{spi}","kic":"{kic:02x}","kid":"{kid:02x}","tar":"b00010","counter":"0000000102","data":"{}"}}"#,
        crate::smpp::json::to_hex(&data)
    );
    serde_json::from_str(&text).unwrap()
}

fn keys_for(kic: Kic, kid: Kid) -> PacketKeys {
    let hex_for = |n: usize| "0123456789abcdeffedcba98765432100011223344556677"[..n * 2].to_owned();
    let kic_len = match kic.algorithm() {
        KicAlgorithm::Des(m) => crate::sim::secured::des::key_len(m),
        _ => 16,
    };
    let kid_len = match kid.algorithm() {
        KidAlgorithm::Des(m) => crate::sim::secured::des::key_len(m),
        _ => 24,
    };
    // Only the implemented codings get a key (KIc 00 of an unciphered packet gets none).
    let implemented_kic = matches!(kic.algorithm(), KicAlgorithm::AesCbc | KicAlgorithm::Des(_));
    let implemented_kid = matches!(kid.algorithm(), KidAlgorithm::AesCmac | KidAlgorithm::Des(_));
    let kic_hex = implemented_kic.then(|| hex_for(kic_len));
    let kid_hex = implemented_kid.then(|| hex_for(kid_len));
    PacketKeys::resolve(kic, kid, kic_hex.as_deref(), kid_hex.as_deref(), None, None).unwrap()
}

/// Strips what decode derives, so the comparison is of what encode reads.
fn inputs_of(json: &PacketJson) -> PacketJson {
    match json.clone() {
        PacketJson::Command(mut c) => {
            c.spi_fields = None;
            c.kic_fields = None;
            c.kid_fields = None;
            c.padding = None;
            c.checksum = None;
            c.sms = None;
            PacketJson::Command(c)
        }
        PacketJson::Response(mut r) => {
            r.status_name = None;
            r.padding = None;
            r.checksum = None;
            r.sms = None;
            PacketJson::Response(r)
        }
    }
}

#[test]
fn commands_round_trip_as_packets_and_as_sms() {
    let cases = [
        ("1639", 0x12, 0x12, 20),  // AES-CBC + AES-CMAC, ciphered
        ("1601", 0x15, 0x15, 33),  // 3DES two-key, ciphered
        ("1601", 0x19, 0x19, 8),   // 3DES three-key
        ("1601", 0x11, 0x11, 1),   // DES CBC
        ("1601", 0x1d, 0x11, 3),   // DES ECB with a DES CBC-MAC
        ("1201", 0x00, 0x12, 5),   // no ciphering, AES-CMAC
        ("1201", 0x00, 0x15, 300), // no ciphering, 3DES MAC, concatenated
        ("0000", 0x00, 0x00, 4),   // nothing at all
    ];
    for (spi, kic, kid, len) in cases {
        let json = command_json(spi, kic, kid, len);
        let keys = keys_for(Kic(kic), Kid(kid));
        let sealed = encode(&json, &keys, None).unwrap();
        let input = read_input(&[sealed.octets().to_vec()], Form::Packet, KindHint::Command).unwrap();
        let back = decode(&input, &keys, &ResponseSecurity::default(), None).unwrap();
        assert_eq!(inputs_of(&back), json, "{spi} {kic:02x} {kid:02x}");
        // Re-encoding the decoded JSON, derived fields and all, is byte-exact.
        assert_eq!(encode(&back, &keys, None).unwrap(), sealed);
        let sms = sealed.sms(0x21).unwrap();
        assert_eq!(sms.len() > 1, len == 300);
        let from_sms = decode(
            &read_input(&sms, Form::Auto, KindHint::Auto).unwrap(),
            &keys,
            &ResponseSecurity::default(),
            None,
        )
        .unwrap();
        assert_eq!(inputs_of(&from_sms), json);
        let PacketJson::Command(c) = from_sms else { panic!("not a command") };
        assert_eq!(c.sms.map(|s| (s.iei, s.parts.len())), Some(("70".to_owned(), sms.len())));
    }
}

#[test]
fn responses_round_trip_with_the_security_they_name() {
    for (kic_alg, kid_alg, ciphered) in [
        ("aes-cbc", "aes-cmac", true),
        ("3des-2key", "3des-2key-mac", true),
        ("des-cbc", "des-cbc-mac", false),
    ] {
        let text = format!(
            r#"{{"packet":"response","security":{{"checksum":"cryptographic","ciphered":{ciphered},"kic_algorithm":"{kic_alg}","kid_algorithm":"{kid_alg}"}},"tar":"b00010","counter":"0000000102","status":"0a","data":"9000"}}"#
        );
        let json: PacketJson = serde_json::from_str(&text).unwrap();
        let unsealed = Unsealed::from_json(&json).unwrap();
        let (kic, kid) = unsealed.algorithms();
        let keys = keys_for(kic, kid);
        let sealed = unsealed.seal(&keys, None).unwrap();
        let security =
            ResponseSecurity { ciphered, kic_algorithm: kic.algorithm(), kid_algorithm: kid.algorithm() };
        let sms = sealed.sms(0).unwrap();
        let input = read_input(&sms, Form::Auto, KindHint::Auto).unwrap();
        let back = decode(&input, &keys, &security, None).unwrap();
        assert_eq!(inputs_of(&back), json);
        let PacketJson::Response(r) = &back else { panic!("not a response") };
        assert_eq!(r.status_name.as_deref(), Some("insufficient_security"));
        assert_eq!(encode(&back, &keys, None).unwrap(), sealed);
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let json = command_json("1201", 0x00, 0x15, 4);
    let keys = keys_for(Kic(0), Kid(0x15));
    let sealed = encode(&json, &keys, None).unwrap().octets().to_vec();
    let decode_octets = |o: Vec<u8>, k: &PacketKeys| {
        decode(
            &read_input(&[o], Form::Packet, KindHint::Command).unwrap(),
            k,
            &ResponseSecurity::default(),
            None,
        )
    };
    let mut flipped = sealed.clone();
    flipped[20] ^= 1;
    assert_eq!(decode_octets(flipped, &keys), Err(OtaToolError::Secured(SecuredError::Checksum)));
    assert!(matches!(
        decode_octets(sealed[..12].to_vec(), &keys),
        Err(OtaToolError::Secured(SecuredError::Short { .. }))
    ));
    let none = PacketKeys::default();
    let missing = decode_octets(sealed.clone(), &none).unwrap_err();
    assert!(missing.is_usage(), "{missing}");
    let wrong_len = PacketKeys::resolve(Kic(0), Kid(0x15), None, Some("0011223344556677"), None, None);
    assert!(OtaToolError::from(wrong_len.unwrap_err()).is_usage());
    // The associated data is under the checksum: another one fails it
    // (a command's is none; the SMS header is not under it).
    let input = read_input(&[sealed], Form::Packet, KindHint::Command).unwrap();
    assert_eq!(
        decode(&input, &keys, &ResponseSecurity::default(), Some(&[0x02, 0x70, 0x00])),
        Err(OtaToolError::Secured(SecuredError::Checksum))
    );
    for bad in [
        r#"{"packet":"command","spi":"12","kic":"00","kid":"15","tar":"b00010","counter":"0000000102","data":""}"#,
        r#"{"packet":"command","spi":"1201","kic":"00","kid":"15","tar":"b000","counter":"0000000102","data":""}"#,
        r#"{"packet":"command","spi":"1201","kic":"00","kid":"15","tar":"b00010","counter":"0000000102","data":"zz"}"#,
        r#"{"packet":"command","kic":"00","kid":"15","tar":"b00010","counter":"0000000102","data":""}"#,
        r#"{"packet":"response","security":{"checksum":"none","ciphered":false,"kic_algorithm":"rot13","kid_algorithm":"aes-cmac"},"tar":"b00010","counter":"0000000102","status":"00","data":""}"#,
    ] {
        let json: PacketJson = serde_json::from_str(bad).unwrap();
        assert!(matches!(encode(&json, &keys, None), Err(OtaToolError::Json(_))), "{bad}");
    }
    // spi_fields stand in for spi.
    let fields = r#"{"packet":"command","spi_fields":{"checksum":"cryptographic","ciphered":false,"counter":"process_if_higher","por":"always","por_checksum":"cryptographic","por_ciphered":false,"por_via_submit":true},"kic":"00","kid":"15","tar":"b00010","counter":"0000000102","data":"01"}"#;
    let json: PacketJson = serde_json::from_str(fields).unwrap();
    assert_eq!(encode(&json, &keys, None).unwrap().octets()[3..5], [0x12, 0x29]);
    let _ = DesMode::Cbc;
}
