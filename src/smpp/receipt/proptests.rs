//! Property tests: `parse_receipt` never panics, formatting and parsing a
//! receipt gives it back, and message-id matching is symmetric and matches
//! across bases.

use proptest::prelude::*;

use super::*;

/// Ids of every form, with short ones over-represented so that cross-base
/// collisions (`"10"` and `"16"`) come up.
const ID_PATTERN: &str = "[0-9a-fA-F]{1,3}|[0-9]{1,3}|[0-9a-fA-F]{1,40}|[0-9]{1,40}|[0-9a-z-]{1,10}";

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, ..ProptestConfig::default() }
}

fn any_tlvs() -> impl Strategy<Value = (Option<Vec<u8>>, Option<u8>, Option<[u8; 3]>)> {
    (
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
        proptest::option::of(any::<u8>()),
        proptest::option::of(any::<[u8; 3]>()),
    )
}

/// Text made of receipt-like pieces, so the fuzzing reaches the field
/// logic rather than stopping at "no field".
fn receipt_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("id:".to_owned()),
        Just("stat:".to_owned()),
        Just("Text:".to_owned()),
        Just("submit".to_owned()),
        Just("done".to_owned()),
        Just("date:".to_owned()),
        Just("submit_date:".to_owned()),
        Just("err:".to_owned()),
        Just("DELIVRD".to_owned()),
        Just(" ".to_owned()),
        Just("\0".to_owned()),
        "[0-9]{0,14}",
        "[a-zA-Z:]{0,6}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn any_date() -> impl Strategy<Value = ReceiptDate> {
    (1970u16..=2099, 1u8..=12, 1u8..=31, 0u8..=23, 0u8..=59, 0u8..=59)
        .prop_filter_map("day within the month", |(y, mo, d, h, mi, s)| {
            ReceiptDate::new(y, mo, d, h, mi, s).ok()
        })
}

/// An extra field whose name is not a receipt field and whose value is one
/// word, so that it reads back as itself.
fn any_extra() -> impl Strategy<Value = ExtraField> {
    const KNOWN: [&str; 10] =
        ["id", "sub", "dlvrd", "submit_date", "submitdate", "done_date", "donedate", "stat", "err", "text"];
    ("[a-zA-Z][a-zA-Z0-9_-]{0,8}", "[!-~]{0,12}")
        .prop_filter("not a receipt field", |(name, _)| !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(name)))
        .prop_map(|(name, value)| ExtraField { name, value })
}

fn any_state() -> impl Strategy<Value = MessageState> {
    proptest::sample::select(MessageState::ALL.to_vec())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048), tlvs in any_tlvs()) {
        let (id, state, net) = tlvs;
        let tlvs = ReceiptTlvs { receipted_message_id: id.as_deref(), message_state: state, network_error_code: net };
        let _ = parse_receipt(&body, tlvs);
        let _ = parse_receipt(&body, ReceiptTlvs::default());
    }

    #[test]
    fn receipt_like_text_never_panics(body in receipt_like(), state in proptest::option::of(any::<u8>())) {
        let tlvs = ReceiptTlvs { message_state: state, ..ReceiptTlvs::default() };
        if let Ok(receipt) = parse_receipt(body.as_bytes(), tlvs) {
            prop_assert!(receipt.extra.len() <= MAX_EXTRA_FIELDS);
            prop_assert!(receipt.message_id.as_str().len() <= MAX_MESSAGE_ID_LEN);
        }
    }

    #[test]
    fn format_then_parse_round_trips(
        id in "[0-9A-Za-z_-]{1,64}",
        state in any_state(),
        submitted in proptest::option::of(0u32..1000),
        delivered in proptest::option::of(0u32..1000),
        submit_date in proptest::option::of(any_date()),
        done_date in proptest::option::of(any_date()),
        error_code in proptest::option::of(0u16..1000),
        text in proptest::option::of("[ -~]{0,40}"),
        extra in proptest::collection::vec(any_extra(), 0..4),
    ) {
        let text = text.map(|t| t.trim_end().to_owned());
        let receipt = DeliveryReceipt {
            message_id: MessageId::new(&id).unwrap(),
            message_id_source: Source::Text,
            state,
            state_source: Source::Text,
            error_code,
            network_error_code: None,
            submitted,
            delivered,
            submit_date,
            done_date,
            text,
            extra,
            extra_dropped: 0,
            overridden: TextDisagreement::default(),
        };
        let formatted = receipt.to_text();
        let parsed = parse_receipt(formatted.as_bytes(), ReceiptTlvs::default());
        prop_assert_eq!(parsed.as_ref(), Ok(&receipt), "{}", formatted);
        if let Ok(parsed) = parsed {
            prop_assert_eq!(parsed.message_id.as_str(), id.as_str());
        }
    }

    #[test]
    fn hex_and_decimal_of_one_number_match(value in any::<u128>(), zeros in 0usize..4, upper in any::<bool>()) {
        let pad = "0".repeat(zeros);
        let hex = if upper { format!("{pad}{value:X}") } else { format!("{pad}{value:x}") };
        let hex = MessageId::new(&hex).unwrap();
        let dec = MessageId::new(&format!("{pad}{value}")).unwrap();
        prop_assert!(hex.may_match(&dec));
        prop_assert!(dec.may_match(&hex));
        prop_assert!(dec.lookup_keys().contains(hex.correlation_key()));
        prop_assert!(hex.lookup_keys().contains(dec.correlation_key()));
    }

    #[test]
    fn matching_is_symmetric(a in ID_PATTERN, b in ID_PATTERN) {
        let (a, b) = (MessageId::new(&a).unwrap(), MessageId::new(&b).unwrap());
        prop_assert_eq!(a.may_match(&b), b.may_match(&a));
        let keys = a.lookup_keys();
        prop_assert!(keys.len() <= 3);
        prop_assert_eq!(keys.first(), Some(a.correlation_key()));
        if a == b {
            prop_assert!(a.may_match(&b));
        }
    }

    #[test]
    fn nearby_numbers_stay_apart(value in 0u64..u64::MAX) {
        // Consecutive ids of a counter never match, in either base.
        let a = MessageId::new(&value.to_string()).unwrap();
        let b = MessageId::new(&(value + 1).to_string()).unwrap();
        prop_assert!(!a.may_match(&b));
        let a = MessageId::new(&format!("{value:x}")).unwrap();
        let b = MessageId::new(&format!("{:x}", value + 1)).unwrap();
        prop_assert!(!a.may_match(&b));
    }
}
