//! `smpp::receipt::MessageId` on arbitrary ids: `new` and `from_c_octets`
//! never panic, a valid id is 1..=64 trimmed octets, its lookup keys start
//! with its correlation key and hold no repeats (one for a Text id, at most
//! two for Hex, three for Decimal), and matching is reflexive, implied by
//! equality and symmetric, as the module doc promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::receipt::{IdForm, MAX_MESSAGE_ID_LEN, MessageId};

fn check(id: &MessageId) {
    let raw = id.as_str();
    assert!(!raw.is_empty() && raw.len() <= MAX_MESSAGE_ID_LEN, "{raw:?}");
    let trimmed = raw.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    assert_eq!(trimmed, raw, "untrimmed id");
    assert!(id.correlation_key().as_str().len() <= MAX_MESSAGE_ID_LEN + 2);
    let keys = id.lookup_keys();
    assert_eq!(keys.first(), Some(id.correlation_key()));
    let most = match id.form() {
        IdForm::Text => 1,
        IdForm::Hex => 2,
        IdForm::Decimal => 3,
    };
    assert!(keys.len() <= most, "{raw:?}: {keys:?}");
    for (i, key) in keys.iter().enumerate() {
        assert!(!keys[..i].contains(key), "{raw:?}: repeated key {key}");
    }
    assert!(id.may_match(id), "{raw:?} does not match itself");
    let _ = id.to_string();
}

fuzz_target!(|data: &[u8]| {
    // Two ids, split at the first 0xFF (never part of UTF-8).
    let (a, b) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let from_c = MessageId::from_c_octets(a);
    let parse = |raw: &[u8]| std::str::from_utf8(raw).ok().and_then(|s| MessageId::new(s).ok());
    // Without a NUL, the C-octet reading of valid UTF-8 is the text reading.
    if !a.contains(&0) && a.len() <= 256 && std::str::from_utf8(a).is_ok() {
        assert_eq!(from_c.as_ref().ok(), parse(a).as_ref());
    }
    let (a, b) = (parse(a), parse(b));
    if let Some(a) = &a {
        check(a);
    }
    if let Some(b) = &b {
        check(b);
    }
    if let (Some(a), Some(b)) = (&a, &b) {
        assert_eq!(a.may_match(b), b.may_match(a), "may_match not symmetric: {a} / {b}");
        if a == b {
            assert!(a.may_match(b), "{a} == {b} but they do not match");
            assert_eq!(a.form(), b.form());
        }
    }
});
