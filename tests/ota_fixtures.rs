//! The OTA packet fixtures of proto-fixtures/ota/ (README there): each is
//! decoded with its keys, verified, compared with the JSON it was built
//! from, and re-encoded byte-exact, as a packet and as its SMS user data.
//! Any flipped octet makes it fail to open.
//!
//! proto-fixtures/ota/cards/ holds packets simgate did not write: PoRs
//! that SIM cards sent and commands those cards accepted (README there).
//! They go through the same checks, so simgate's checksum coverage and
//! padding are held to what cards do, not only to its own encoder.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use simgate::sim::ota_tool::{
    Form, KindHint, PacketJson, PacketKind, ResponseSecurity, Unsealed, decode, encode, read_input,
};
use simgate::sim::secured::PacketKeys;
use simgate::sim::secured::suite::{kic_algorithm_by_name, kid_algorithm_by_name};
use simgate::smpp::json::parse_hex;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/ota")
}

/// The packets of cards (written by no simgate code).
fn cards_dir() -> PathBuf {
    dir().join("cards")
}

struct Fixture {
    name: String,
    json: PacketJson,
    keys: BTreeMap<String, String>,
    parts: Vec<Vec<u8>>,
}

fn fixtures() -> Vec<Fixture> {
    fixtures_in(&dir())
}

fn fixtures_in(dir: &Path) -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let keys = std::fs::read_to_string(path.with_extension("keys"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once(' ').unwrap();
                (k.to_owned(), v.trim().to_owned())
            })
            .collect();
        let parts = std::fs::read_to_string(path.with_extension("hex"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse_hex(l).unwrap())
            .collect();
        out.push(Fixture { name, json, keys, parts });
    }
    out
}

/// What decode derives, removed so the comparison is with the source JSON.
fn inputs_of(json: PacketJson) -> PacketJson {
    match json {
        PacketJson::Command(mut c) => {
            (c.spi_fields, c.kic_fields, c.kid_fields, c.padding, c.checksum, c.sms) =
                (None, None, None, None, None, None);
            PacketJson::Command(c)
        }
        PacketJson::Response(mut r) => {
            (r.status_name, r.padding, r.checksum, r.sms) = (None, None, None, None);
            PacketJson::Response(r)
        }
    }
}

/// A bare response packet does not say it is one: the JSON does.
fn hint(f: &Fixture) -> KindHint {
    match f.json {
        PacketJson::Command(_) => KindHint::Command,
        PacketJson::Response(_) => KindHint::Response,
    }
}

fn keys_of(f: &Fixture) -> (PacketKeys, ResponseSecurity) {
    let unsealed = Unsealed::from_json(&f.json).unwrap();
    let (kic, kid) = unsealed.algorithms();
    let keys = PacketKeys::resolve(
        kic,
        kid,
        f.keys.get("kic").map(String::as_str),
        f.keys.get("kid").map(String::as_str),
        None,
        None,
    )
    .unwrap();
    let security = match &f.json {
        PacketJson::Response(r) => ResponseSecurity {
            ciphered: r.security.ciphered,
            kic_algorithm: kic_algorithm_by_name(&r.security.kic_algorithm).unwrap(),
            kid_algorithm: kid_algorithm_by_name(&r.security.kid_algorithm).unwrap(),
        },
        PacketJson::Command(_) => ResponseSecurity::default(),
    };
    (keys, security)
}

/// Decodes `f` with its keys, compares the fields with its JSON, and
/// re-encodes it byte-exact, as the packet and as its SMS parts.
fn decodes_verifies_and_re_encodes(f: &Fixture) {
    let (keys, security) = keys_of(f);
    let input = read_input(&f.parts, Form::Auto, hint(f)).unwrap();
    // An SMS says which packet it carries by its IEI.
    let auto = read_input(&f.parts, Form::Auto, KindHint::Auto).unwrap();
    if input.sms.is_some() {
        assert_eq!(auto, input, "{}", f.name);
    }
    let sms = f.keys.get("form").map(String::as_str) == Some("sms");
    assert_eq!(input.sms.is_some(), sms, "{}", f.name);
    let want_kind = match f.json {
        PacketJson::Command(_) => PacketKind::Command,
        PacketJson::Response(_) => PacketKind::Response,
    };
    assert_eq!(input.kind, want_kind, "{}", f.name);
    let decoded = decode(&input, &keys, &security, None).unwrap_or_else(|e| panic!("{}: {e}", f.name));
    assert_eq!(inputs_of(decoded.clone()), f.json, "{}", f.name);
    // decode's own output, derived fields and all, encodes to the same octets.
    let sealed = encode(&decoded, &keys, None).unwrap();
    assert_eq!(sealed.octets(), &input.octets[..], "{}", f.name);
    if sms {
        let reference = f.keys.get("reference").map_or(0, |r| r.parse().unwrap());
        assert_eq!(sealed.sms(reference).unwrap(), f.parts, "{}", f.name);
    } else {
        assert_eq!(f.parts, std::slice::from_ref(&input.octets), "{}", f.name);
    }
}

/// Flips an octet near the start, in the middle and at the end of `f`:
/// none of them opens. A packet without a checksum has nothing that
/// could notice, so it is left out.
fn a_flipped_octet_fails(f: &Fixture) {
    let (keys, security) = keys_of(f);
    let input = read_input(&f.parts, Form::Auto, hint(f)).unwrap();
    let checksum = match decode(&input, &keys, &security, None).unwrap() {
        PacketJson::Command(c) => c.checksum,
        PacketJson::Response(r) => r.checksum,
    };
    if checksum.is_none_or(|c| c.is_empty()) {
        return;
    }
    for at in [3, input.octets.len() / 2, input.octets.len() - 1] {
        let mut bad = input.clone();
        bad.octets[at] ^= 0x10;
        assert!(decode(&bad, &keys, &security, None).is_err(), "{} octet {at}", f.name);
    }
}

#[test]
fn every_fixture_decodes_verifies_and_re_encodes_byte_exact() {
    let all = fixtures();
    assert!(all.len() >= 7, "{} fixtures", all.len());
    all.iter().for_each(decodes_verifies_and_re_encodes);
}

#[test]
fn the_packets_of_cards_decode_verify_and_re_encode_byte_exact() {
    let all = fixtures_in(&cards_dir());
    assert!(all.len() >= 10, "{} card packets", all.len());
    all.iter().for_each(decodes_verifies_and_re_encodes);
}

#[test]
fn a_flipped_octet_never_opens() {
    fixtures().iter().chain(&fixtures_in(&cards_dir())).for_each(a_flipped_octet_fails);
}

#[test]
fn the_readme_lists_every_fixture_with_its_keys() {
    for dir in [dir(), cards_dir()] {
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        for f in fixtures_in(&dir) {
            assert!(readme.contains(&format!("`{}.hex`", f.name)), "{} not in the README", f.name);
            for key in f.keys.get("kic").into_iter().chain(f.keys.get("kid")) {
                assert!(readme.contains(key.as_str()), "{}: key {key} not in the README", f.name);
            }
        }
    }
}
