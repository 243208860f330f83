//! `simgate pdu decode` and `simgate pdu encode` run as an operator runs
//! them: the built binary, arguments and standard input, exit statuses.
#![allow(clippy::unwrap_used)]

mod support;

use support::tool::ToolRun as Run;

use std::path::PathBuf;

use serde_json::Value;

/// Runs `simgate args...` with `stdin`, killed after 30 s.
fn simgate(args: &[&str], stdin: &str) -> Run {
    support::tool::run(args, stdin, &[])
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/smpp").join(name);
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn decode_shows_a_receipt_with_its_normalised_message_id() {
    let run = simgate(&["pdu", "decode", &fixture("node-smpp-deliver_sm_receipt.hex")], "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let pdus = json_lines(&run.stdout);
    assert_eq!(pdus.len(), 1);
    let pdu = &pdus[0];
    assert_eq!(pdu["command_id"], "deliver_sm");
    assert_eq!(pdu["body"]["esm_class"], 4);
    assert!(pdu["body"]["short_message"]["text"].as_str().unwrap().starts_with("id:7F3A2B10 sub:001"));
    assert_eq!(pdu["tlvs"][0]["name"], "receipted_message_id");
    assert_eq!(pdu["receipt"]["message_id"], "7F3A2B10");
    assert_eq!(pdu["receipt"]["correlation_key"], "x:7f3a2b10");
    assert_eq!(pdu["receipt"]["state"], "DELIVERED");
    assert_eq!(pdu["receipt"]["final"], true);
}

#[test]
fn decode_reads_lines_reports_bad_ones_and_goes_on() {
    let submit = fixture("smpplib-submit_sm.hex");
    let enquire = fixture("smpplib-enquire_link.hex");
    // A submit_sm cut short: command_length says more than there is.
    let cut = &submit[..submit.len() - 4];
    let spaced: String =
        enquire.as_bytes().chunks(2).map(|p| std::str::from_utf8(p).unwrap()).collect::<Vec<_>>().join(":");
    let input = format!("# captured on bind A\n{submit}\n\n0x{spaced}\nzz00\n{cut}\n  {enquire}  \n");
    let run = simgate(&["pdu", "decode"], &input);
    assert_eq!(run.code, Some(1), "bad lines make the exit status 1");
    let pdus = json_lines(&run.stdout);
    let ids: Vec<_> = pdus.iter().map(|p| p["command_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["submit_sm", "enquire_link", "enquire_link"]);
    let errors: Vec<_> = run.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{}", run.stderr);
    assert!(errors[0].starts_with("simgate: line 5: bad hex:"), "{}", errors[0]);
    assert!(errors[1].starts_with("simgate: line 6: "), "{}", errors[1]);
    assert!(errors[1].contains("command_length"), "{}", errors[1]);
    assert!(errors[1].contains("ESME_RINVCMDLEN in generic_nack"), "{}", errors[1]);
}

#[test]
fn decode_pretty_prints_indented_json() {
    let run = simgate(&["pdu", "decode", "--pretty"], &fixture("smpplib-submit_sm_ucs2.hex"));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.lines().count() > 20, "{}", run.stdout);
    let pdu: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(pdu["body"]["data_coding"], 8);
    assert!(pdu["body"]["short_message"]["text"].is_string());
}

#[test]
fn encode_gives_back_the_decoded_octets() {
    let names =
        ["node-smpp-submit_multi.hex", "smpplib-deliver_sm_receipt.hex", "node-smpp-broadcast_sm.hex"];
    let hex: Vec<String> = names.iter().map(|n| fixture(n)).collect();
    let decoded = simgate(&["pdu", "decode"], &hex.join("\n"));
    assert_eq!(decoded.code, Some(0), "{}", decoded.stderr);

    let encoded = simgate(&["pdu", "encode"], &decoded.stdout);
    assert_eq!(encoded.code, Some(0), "{}", encoded.stderr);
    assert_eq!(encoded.stdout.lines().collect::<Vec<_>>(), hex);

    // Indented JSON on standard input, and one object as the argument.
    let pretty = simgate(&["pdu", "decode", "--pretty", &hex[0]], "");
    let encoded = simgate(&["pdu", "encode"], &pretty.stdout);
    assert_eq!(encoded.stdout.trim(), hex[0], "{}", encoded.stderr);
    let first = decoded.stdout.lines().next().unwrap();
    let encoded = simgate(&["pdu", "encode", first], "");
    assert_eq!(encoded.code, Some(0), "{}", encoded.stderr);
    assert_eq!(encoded.stdout.trim(), hex[0]);
}

#[test]
fn encode_writes_text_in_the_data_coding_alphabet() {
    let json = r#"{"command_id":"submit_sm","sequence_number":2,"body":{"destination_addr":"447700900123","data_coding":8,"short_message":{"text":"Hé"}}}"#;
    let run = simgate(&["pdu", "encode", json], "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let back = simgate(&["pdu", "decode", run.stdout.trim()], "");
    let pdu = &json_lines(&back.stdout)[0];
    assert_eq!(pdu["body"]["short_message"]["hex"], "004800e9");
    assert_eq!(pdu["sequence_number"], 2);
}

#[test]
fn bad_input_is_a_clear_message_and_a_failure_status() {
    let typo = r#"{"command_id":"submit_sm","sequence_number":1,"body":{"source_adr":"1"}}"#;
    let too_long =
        r#"{"command_id":"submit_sm","sequence_number":1,"body":{"source_addr":"123456789012345678901"}}"#;
    let good = r#"{"command_id":"enquire_link","sequence_number":7}"#;
    let run = simgate(&["pdu", "encode"], &format!("{typo}\n{good}\n{too_long}\n"));
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "00000010000000150000000000000007\n");
    let errors: Vec<_> = run.stderr.lines().collect();
    assert_eq!(
        errors,
        [
            "simgate: object 1 (line 1): body.source_adr: unknown field",
            "simgate: object 3 (line 3): body.source_addr: length 21 outside 0..=20",
        ]
    );

    let run = simgate(&["pdu", "encode", "{not json"], "");
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.starts_with("simgate: not JSON:"), "{}", run.stderr);

    let run = simgate(&["pdu", "decode", "00000010 0000001"], "");
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr.trim(), "simgate: bad hex: odd number of hex digits");
    assert!(run.stdout.is_empty());

    let run = simgate(&["pdu", "decode", "00000010000009990000000000000001"], "");
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("unknown command_id 0x00000999"), "{}", run.stderr);
    assert!(run.stderr.contains("ESME_RINVCMDID"), "{}", run.stderr);

    let run = simgate(&["pdu", "decode"], "# nothing here\n\n");
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr.trim(), "simgate: no PDU on standard input");

    let run = simgate(&["pdu", "frobnicate"], "");
    assert_eq!(run.code, Some(64), "usage errors are EX_USAGE");
}
