//! Every PDU in proto-fixtures/smpp/ (most of them encoded by other SMPP
//! implementations) decodes, has the fields its file name and README
//! promise, and re-encodes byte-exact.
#![allow(clippy::unwrap_used)]

use simgate::smpp::pdu::{Body, CommandId, CommandStatus, Pdu, decode};
use simgate::smpp::receipt::{MessageState, ReceiptTlvs, parse_receipt};

use std::path::PathBuf;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/smpp");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let bytes = hex(text.trim());
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The command a fixture's name promises: `node-smpp-submit_sm_payload.hex`
/// holds a submit_sm.
fn promised_command(name: &str) -> CommandId {
    let stem = name.trim_end_matches(".hex");
    let stem = ["node-smpp-", "smpplib-", "simgate-"].iter().find_map(|p| stem.strip_prefix(p)).unwrap();
    CommandId::ALL
        .iter()
        .copied()
        .filter(|c| stem == c.name() || stem.starts_with(&format!("{}_", c.name())))
        .max_by_key(|c| c.name().len())
        .unwrap_or_else(|| panic!("{name} names no command"))
}

#[test]
fn every_fixture_decodes_to_its_command_and_reencodes_byte_exact() {
    let all = fixtures();
    assert!(all.len() >= 40, "only {} fixtures", all.len());
    let foreign = all.iter().filter(|(n, _)| !n.starts_with("simgate-")).count();
    assert!(foreign * 3 >= all.len(), "at least a third must come from other implementations");
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/smpp/README.md"),
    )
    .unwrap();
    for (name, bytes) in &all {
        assert!(readme.contains(&format!("`{name}`")), "{name} is not listed in the README");
        let pdu = decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pdu.command_id(), promised_command(name), "{name}");
        assert_eq!(pdu.to_vec().unwrap(), *bytes, "{name} does not re-encode byte-exact");
    }
}

fn fixture(name: &str) -> Vec<u8> {
    fixtures().into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no fixture {name}")).1
}

#[test]
fn submit_sm_fields_from_node_smpp() {
    let bytes = fixture("node-smpp-submit_sm.hex");
    let pdu = decode(&bytes).unwrap();
    assert_eq!(pdu.sequence_number, 7);
    let Body::SubmitSm(sm) = pdu.body else { panic!("{:?}", pdu.body) };
    assert_eq!(sm.source_addr.as_bytes(), b"SIMGATE");
    assert_eq!(sm.source_addr_ton, 5);
    assert_eq!(sm.destination_addr.as_bytes(), b"447700900123");
    assert_eq!((sm.dest_addr_ton, sm.dest_addr_npi), (1, 1));
    assert_eq!(sm.registered_delivery, 1);
    assert_eq!(sm.data_coding, 1, "node-smpp sends ASCII as IA5");
    assert_eq!(sm.short_message.as_bytes(), b"Your code is 4711");
}

#[test]
fn bodyless_error_response_and_throttled_response() {
    let bytes = fixture("simgate-bind_transceiver_resp_invpaswd.hex");
    let pdu = decode(&bytes).unwrap();
    assert_eq!(pdu.command_status, CommandStatus::ESME_RINVPASWD);
    assert_eq!(pdu.body, Body::EmptyResponse(CommandId::BindTransceiverResp));
    let bytes = fixture("node-smpp-submit_sm_resp_throttled.hex");
    let pdu = decode(&bytes).unwrap();
    assert_eq!(pdu.command_status, CommandStatus::ESME_RTHROTTLED);
    assert!(pdu.command_status.is_temporary());
}

fn receipt_of(pdu: &Pdu<'_>) -> simgate::smpp::receipt::DeliveryReceipt {
    let Body::DeliverSm(sm) = &pdu.body else { panic!("{:?}", pdu.body) };
    parse_receipt(sm.short_message.as_bytes(), ReceiptTlvs::from_tlvs(&pdu.tlvs)).unwrap()
}

#[test]
fn receipts_in_fixtures_parse_and_ids_correlate_with_the_submit_responses() {
    use simgate::smpp::receipt::MessageId;
    // smpplib: submit_sm_resp id "123456"; the receipt text says 0000123456.
    let bytes = fixture("smpplib-deliver_sm_receipt.hex");
    let receipt = receipt_of(&decode(&bytes).unwrap());
    assert_eq!(receipt.state, MessageState::Delivered);
    let bytes = fixture("smpplib-submit_sm_resp.hex");
    let Body::SubmitSmResp(resp) = decode(&bytes).unwrap().body else { panic!() };
    let submitted = MessageId::from_c_octets(resp.message_id.as_bytes()).unwrap();
    assert_eq!(receipt.message_id.correlation_key(), submitted.correlation_key());

    // A text-only receipt with 14-digit dates and no Text field.
    let bytes = fixture("simgate-deliver_sm_receipt_14digit.hex");
    let receipt = receipt_of(&decode(&bytes).unwrap());
    assert_eq!(receipt.state, MessageState::Undeliverable);
    assert_eq!(receipt.error_code, Some(21));
    assert!(receipt.text.is_none());
}
