//! `simgate ota decode` and `simgate ota encode` run as an operator runs
//! them: the built binary, its arguments and standard input, the JSON it
//! prints and its exit statuses (0 done, 1 bad or unverifiable packet or
//! JSON, 64 command line at fault), on the fixtures of proto-fixtures/ota/.
#![allow(clippy::unwrap_used)]

mod support;

use support::tool::ToolRun as Run;

use std::path::Path;

use serde_json::Value;

/// Runs `simgate args...` with `stdin` and no environment, killed after 30 s.
fn simgate(args: &[&str], stdin: &str) -> Run {
    simgate_env(args, stdin, &[])
}

/// [`simgate`] with these environment variables only.
fn simgate_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    support::tool::run(args, stdin, env)
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/ota").join(name);
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

const T2_KIC: &str = "0123456789abcdeffedcba9876543210";
const T2_KID: &str = "89abcdef0123456776543210fedcba98";
const AES_KIC: &str = "000102030405060708090a0b0c0d0e0f";
const AES_KID: &str = "101112131415161718191a1b1c1d1e1f";

/// The one line on standard error, and nothing on standard output.
fn failed(run: &Run, code: i32, needle: &str) {
    assert_eq!(run.code, Some(code), "stderr: {}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(needle), "{:?} not in {}", needle, run.stderr);
    assert!(!run.stderr.contains(T2_KIC) && !run.stderr.contains(AES_KID), "a key in {}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn decode_prints_every_field_of_a_3des_command() {
    let hex = fixture("command-3des2-cbc-mac.hex");
    let run = simgate(&["ota", "decode", &hex, "--kic", T2_KIC, "--kid", T2_KID], "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["packet"], "command");
    assert_eq!(v["spi"], "1621");
    assert_eq!(v["spi_fields"]["checksum"], "cryptographic");
    assert_eq!(v["spi_fields"]["ciphered"], true);
    assert_eq!(v["spi_fields"]["counter"], "process_if_higher");
    assert_eq!(v["spi_fields"]["por"], "always");
    assert_eq!(v["kic_fields"]["algorithm"], "3des-2key");
    assert_eq!(v["kid_fields"]["algorithm"], "3des-2key-mac");
    assert_eq!(v["kid_fields"]["key_version"], 1);
    assert_eq!(v["tar"], "b00010");
    assert_eq!(v["counter"], "0000000002");
    assert_eq!(v["data"], "a0b000000a");
    assert_eq!(v["checksum"].as_str().map(str::len), Some(16));
    // 6 + 8 + 5 = 19 octets ciphered: 5 of padding to 24.
    assert_eq!(v["padding"], 5);
}

#[test]
fn decode_reads_sms_parts_from_arguments_or_standard_input() {
    let parts = fixture("command-3des3-sms-concat.hex");
    let lines: Vec<&str> = parts.lines().collect();
    assert_eq!(lines.len(), 2);
    let kic = "0123456789abcdef23456789abcdef01456789abcdef0123";
    let kid = "456789abcdef01230123456789abcdef23456789abcdef01";
    // Parts in reverse order as arguments.
    let run = simgate(&["ota", "decode", lines[1], lines[0], "--kic", kic, "--kid", kid], "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["sms"]["iei"], "70");
    assert_eq!(v["data"].as_str().map(str::len), Some(400));
    // The keys from the environment, the parts on standard input.
    let env = [("SIMGATE_OTA_KIC", kic), ("SIMGATE_OTA_KID", kid)];
    let run = simgate_env(&["ota", "decode"], &format!("# parts\n{parts}\n"), &env);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let w: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(w["data"], v["data"]);
}

#[test]
fn decode_of_a_por_sms_prints_its_status() {
    let run = simgate(&["ota", "decode", &fixture("response-por-ok-sms.hex"), "--kid", AES_KID], "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((v["packet"].as_str(), v["status"].as_str()), (Some("response"), Some("00")));
    assert_eq!(v["status_name"], "por_ok");
    assert_eq!(v["security"]["checksum"], "cryptographic");
    // A ciphered 3DES response: the flags say what the packet cannot.
    let hex = fixture("response-counter-low-3des-ciphered.hex");
    let args = ["ota", "decode", &hex, "--response", "--por-ciphered", "--kic-alg", "3des-2key"];
    let run =
        simgate(&[&args[..], &["--kid-alg", "3des-2key-mac", "--kic", T2_KIC, "--kid", T2_KID]].concat(), "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((v["status_name"].as_str(), v["data"].as_str()), (Some("counter_low"), Some("9000")));
    // Without --por-ciphered the same octets do not verify.
    let run = simgate(
        &[&args[..4], &["--kic-alg", "3des-2key", "--kid-alg", "3des-2key-mac", "--kid", T2_KID]].concat(),
        "",
    );
    failed(&run, 1, "checksum does not verify");
}

#[test]
fn encode_of_decode_round_trips_byte_exact() {
    for (name, keys) in [
        ("command-aes-cbc-cmac", vec!["--kic", AES_KIC, "--kid", AES_KID]),
        ("command-3des2-cbc-mac", vec!["--kic", T2_KIC, "--kid", T2_KID]),
        ("command-des-cbc", vec!["--kic", "0123456789abcdef", "--kid", "fedcba9876543210"]),
        ("command-cc-only", vec!["--kid", AES_KID]),
    ] {
        let hex = fixture(&format!("{name}.hex"));
        let decoded = simgate(&[&["ota", "decode", &hex][..], &keys].concat(), "");
        assert_eq!(decoded.code, Some(0), "{name}: {}", decoded.stderr);
        // JSON on standard input, decode's output as it is.
        let encoded = simgate(&[&["ota", "encode"][..], &keys].concat(), &decoded.stdout);
        assert_eq!(encoded.code, Some(0), "{name}: {}", encoded.stderr);
        assert_eq!(encoded.stdout.trim(), hex, "{name}");
        // And as SMS user data: UDH 02 70 00, then the same packet.
        let sms = simgate(&[&["ota", "encode", "--sms", decoded.stdout.trim()][..], &keys].concat(), "");
        assert_eq!(sms.stdout.trim(), format!("027000{hex}"), "{name}: {}", sms.stderr);
    }
    // A long command is cut into concatenated parts.
    let json = fixture("command-3des3-sms-concat.json");
    let kic = "0123456789abcdef23456789abcdef01456789abcdef0123";
    let kid = "456789abcdef01230123456789abcdef23456789abcdef01";
    let run =
        simgate(&["ota", "encode", &json, "--sms", "--reference", "42", "--kic", kic, "--kid", kid], "");
    assert_eq!(run.stdout.trim(), fixture("command-3des3-sms-concat.hex"), "{}", run.stderr);
}

#[test]
fn forced_algorithms_read_an_implicit_coding() {
    // KIc/KID 00 ("known implicitly"): the operator names the algorithms.
    let json = r#"{"packet":"command","spi":"1601","kic":"00","kid":"00","tar":"b00010","counter":"0000000009","data":"0102"}"#;
    let keys = ["--kic", T2_KIC, "--kid", T2_KID, "--kic-alg", "3des-2key", "--kid-alg", "3des-2key-mac"];
    let run = simgate(&[&["ota", "encode", json][..], &keys].concat(), "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let hex = run.stdout.trim().to_owned();
    let back = simgate(&[&["ota", "decode", &hex][..], &keys].concat(), "");
    assert_eq!(back.code, Some(0), "{}", back.stderr);
    let v: Value = serde_json::from_str(&back.stdout).unwrap();
    assert_eq!(
        (v["data"].as_str(), v["kic_fields"]["algorithm"].as_str()),
        (Some("0102"), Some("implicit-0"))
    );
    let unforced = simgate(&["ota", "decode", &hex, "--kic", T2_KIC, "--kid", T2_KID], "");
    failed(&unforced, 64, "--kic-alg");
}

#[test]
fn every_bad_input_is_one_line_and_a_non_zero_exit() {
    let hex = fixture("command-3des2-cbc-mac.hex");
    let keys = ["--kic", T2_KIC, "--kid", T2_KID];
    let with = |args: &[&str]| simgate(&[&["ota", "decode"][..], args, &keys].concat(), "");
    // A failed checksum: the right structure, another KID key.
    let other =
        simgate(&["ota", "decode", &hex, "--kic", T2_KIC, "--kid", "00112233445566778899aabbccddeeff"], "");
    failed(&other, 1, "checksum does not verify");
    // A flipped octet.
    let mut flipped = hex.clone().into_bytes();
    flipped[30] = if flipped[30] == b'0' { b'1' } else { b'0' };
    failed(&with(&[std::str::from_utf8(&flipped).unwrap()]), 1, "checksum does not verify");
    // Truncated, bad hex, odd hex.
    failed(&with(&[&hex[..20]]), 1, "shorter than");
    failed(&with(&[&hex[..hex.len() - 2]]), 1, "length field");
    failed(&with(&["00zz"]), 1, "bad hex");
    failed(&with(&["001"]), 1, "bad hex");
    // Keys: wrong length for the algorithm, not hex, missing, unknown algorithm.
    failed(
        &simgate(&["ota", "decode", &hex, "--kic", "0011223344556677", "--kid", T2_KID], ""),
        64,
        "3des-2key needs a key of 16",
    );
    failed(&simgate(&["ota", "decode", &hex, "--kic", "xyz", "--kid", T2_KID], ""), 64, "not hex");
    failed(&simgate(&["ota", "decode", &hex, "--kid", T2_KID], ""), 64, "give --kic");
    failed(&simgate(&["ota", "decode", &hex, "--kic", T2_KIC], ""), 64, "give --kid");
    failed(&with(&[&hex, "--kic-alg", "rot13"]), 64, "unknown algorithm");
    // Nothing given, and a clap usage error.
    failed(&simgate(&["ota", "decode"], ""), 64, "no packet given");
    assert_eq!(simgate(&["ota", "decode", "--bogus"], "").code, Some(64));
    // --iccid needs its settings: no MongoDB configured here.
    let body = "898820000000000001";
    let iccid = format!("{body}{}", luhn(body));
    // A DES packet is looked up like an AES one (registry key sets may be DES).
    failed(&simgate(&["ota", "decode", &hex, "--iccid", &iccid], ""), 64, "sim.master_key");
    let aes = fixture("command-aes-cbc-cmac.hex");
    failed(&simgate(&["ota", "decode", &aes, "--iccid", "123"], ""), 64, "--iccid");
    // encode: bad JSON, a bad field, an unknown field, a missing key.
    let enc = |json: &str| simgate(&[&["ota", "encode", json][..], &keys].concat(), "");
    failed(&enc("{"), 1, "JSON");
    failed(
        &enc(
            r#"{"packet":"command","spi":"1621","kic":"15","kid":"15","tar":"b0","counter":"0000000002","data":""}"#,
        ),
        1,
        "tar",
    );
    failed(
        &enc(
            r#"{"packet":"command","spi":"1621","kic":"15","kid":"15","tar":"b00010","counter":"0000000002","data":"","extra":1}"#,
        ),
        1,
        "unknown field",
    );
    let json = fixture("command-3des2-cbc-mac.json");
    failed(&simgate(&["ota", "encode", &json, "--kid", T2_KID], ""), 64, "give --kic");
    // A response too long for one SMS.
    let long = format!(
        r#"{{"packet":"response","tar":"b00010","counter":"0000000002","status":"00","data":"{}"}}"#,
        "00".repeat(140)
    );
    failed(&simgate(&["ota", "encode", "--sms", &long, "--kid", AES_KID], ""), 1, "does not fit one SMS");
}

/// The Luhn check digit of an ICCID body.
fn luhn(body: &str) -> u32 {
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}
