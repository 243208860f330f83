//! Unit tests of the reassembler: order, duplicates, widths, limits, expiry.

use super::*;
use crate::smpp::text::encoding::Encoding;
use crate::smpp::text::error::ReassemblyError;
use crate::smpp::text::gsm7::decode_unpacked;
use crate::smpp::text::split::{Concatenation, SplitConfig, split_text};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn key(n: u8) -> AddressPair {
    AddressPair { source: format!("4479000000{n:02}"), destination: "12345".to_owned() }
}

fn part(reference: ConcatRef, total: u8, seq: u8, payload: &[u8]) -> IncomingPart {
    IncomingPart { reference, total, seq, payload: payload.to_vec() }
}

fn limits() -> ReassemblyLimits {
    ReassemblyLimits { max_messages: 8, max_parts: 16, max_total_octets: 1024, timeout: secs(60) }
}

#[test]
fn out_of_order_parts_complete_in_sequence_order() {
    let mut r = Reassembler::new(limits());
    let rf = ConcatRef::Udh8(7);
    assert_eq!(r.offer(key(1), part(rf, 3, 3, b"C"), secs(0)).unwrap().complete, None);
    assert_eq!(r.offer(key(1), part(rf, 3, 1, b"A"), secs(1)).unwrap().complete, None);
    assert_eq!(r.len(), 1);
    assert_eq!(r.buffered_octets(), 2);
    let done = r.offer(key(1), part(rf, 3, 2, b"B"), secs(2)).unwrap().complete.unwrap();
    assert_eq!(done, CompleteMessage { key: key(1), reference: rf, total: 3, payload: b"ABC".to_vec() });
    assert!(r.is_empty());
    assert_eq!(r.buffered_octets(), 0);
    assert_eq!(r.next_deadline(), None);
}

#[test]
fn duplicates_are_ignored() {
    let mut r = Reassembler::new(limits());
    let rf = ConcatRef::Sar(300);
    assert!(!r.offer(key(1), part(rf, 2, 1, b"A"), secs(0)).unwrap().duplicate);
    let again = r.offer(key(1), part(rf, 2, 1, b"X"), secs(0)).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.complete, None);
    assert_eq!(r.buffered_octets(), 1);
    let done = r.offer(key(1), part(rf, 2, 2, b"B"), secs(0)).unwrap().complete.unwrap();
    assert_eq!(done.payload, b"AB");
}

#[test]
fn widths_and_keys_keep_messages_apart() {
    let mut r = Reassembler::new(limits());
    r.offer(key(1), part(ConcatRef::Udh8(7), 2, 1, b"a8"), secs(0)).unwrap();
    r.offer(key(1), part(ConcatRef::Udh16(7), 2, 1, b"a16"), secs(0)).unwrap();
    r.offer(key(1), part(ConcatRef::Sar(7), 2, 1, b"aS"), secs(0)).unwrap();
    r.offer(key(2), part(ConcatRef::Udh8(7), 2, 1, b"b8"), secs(0)).unwrap();
    assert_eq!(r.len(), 4);
    let done = r.offer(key(1), part(ConcatRef::Udh16(7), 2, 2, b"-16"), secs(1)).unwrap().complete.unwrap();
    assert_eq!(done.payload, b"a16-16");
    assert_eq!(done.reference, ConcatRef::Udh16(7));
    let done = r.offer(key(1), part(ConcatRef::Udh8(7), 2, 2, b"-8"), secs(1)).unwrap().complete.unwrap();
    assert_eq!(done.payload, b"a8-8");
    assert_eq!(r.len(), 2);
}

#[test]
fn inconsistent_totals_are_rejected_and_stored_parts_kept() {
    let mut r = Reassembler::new(limits());
    let rf = ConcatRef::Udh8(1);
    r.offer(key(1), part(rf, 3, 1, b"A"), secs(0)).unwrap();
    assert_eq!(
        r.offer(key(1), part(rf, 2, 2, b"B"), secs(0)).unwrap_err(),
        ReassemblyError::InconsistentTotal { expected: 3, got: 2 }
    );
    assert_eq!(r.buffered_octets(), 1);
    r.offer(key(1), part(rf, 3, 2, b"B"), secs(0)).unwrap();
    let done = r.offer(key(1), part(rf, 3, 3, b"C"), secs(0)).unwrap().complete.unwrap();
    assert_eq!(done.payload, b"ABC");
}

#[test]
fn invalid_parts_are_errors() {
    let mut r = Reassembler::new(limits());
    let rf = ConcatRef::Udh8(1);
    assert_eq!(
        r.offer(key(1), part(rf, 0, 0, b""), secs(0)).unwrap_err(),
        ReassemblyError::InvalidSequence { total: 0, seq: 0 }
    );
    assert_eq!(
        r.offer(key(1), part(rf, 2, 3, b""), secs(0)).unwrap_err(),
        ReassemblyError::InvalidSequence { total: 2, seq: 3 }
    );
    assert_eq!(
        r.offer(key(1), part(rf, 17, 1, b""), secs(0)).unwrap_err(),
        ReassemblyError::TooManyParts { total: 17, max: 16 }
    );
    assert_eq!(
        r.offer(key(1), part(rf, 2, 1, &[0; 1025]), secs(0)).unwrap_err(),
        ReassemblyError::PartTooLarge { len: 1025, max: 1024 }
    );
    assert!(r.is_empty());
    // A one-part "concatenated" message completes at once.
    let done = r.offer(key(1), part(rf, 1, 1, b"solo"), secs(0)).unwrap().complete.unwrap();
    assert_eq!(done.payload, b"solo");
    assert!(r.is_empty());
}

#[test]
fn incomplete_messages_expire_after_the_timeout() {
    let mut r = Reassembler::new(limits());
    r.offer(key(1), part(ConcatRef::Udh8(1), 2, 1, b"old"), secs(10)).unwrap();
    r.offer(key(2), part(ConcatRef::Udh8(1), 2, 1, b"new"), secs(40)).unwrap();
    assert_eq!(r.next_deadline(), Some(secs(70)));
    assert!(r.expire(secs(69)).is_empty());
    let gone = r.expire(secs(70));
    assert_eq!(
        gone,
        vec![Expired {
            key: key(1),
            reference: ConcatRef::Udh8(1),
            total: 2,
            received: 1,
            octets: 3,
            reason: ExpiryReason::Timeout,
        }]
    );
    assert_eq!(r.next_deadline(), Some(secs(100)));
    // A late part of the expired message starts a new one.
    let late = r.offer(key(1), part(ConcatRef::Udh8(1), 2, 2, b"x"), secs(71)).unwrap();
    assert_eq!(late.complete, None);
    assert_eq!(r.expire(secs(1000)).len(), 2);
    assert!(r.is_empty());
    assert_eq!(r.buffered_octets(), 0);
}

#[test]
fn message_limit_evicts_the_oldest() {
    let mut r = Reassembler::new(ReassemblyLimits { max_messages: 2, ..limits() });
    r.offer(key(1), part(ConcatRef::Udh8(1), 2, 1, b"a"), secs(1)).unwrap();
    r.offer(key(2), part(ConcatRef::Udh8(1), 2, 1, b"b"), secs(2)).unwrap();
    // A duplicate of a held message takes no slot and evicts nothing.
    assert!(r.offer(key(2), part(ConcatRef::Udh8(1), 2, 1, b"b"), secs(3)).unwrap().duplicate);
    let out = r.offer(key(3), part(ConcatRef::Udh8(1), 2, 1, b"c"), secs(3)).unwrap();
    assert_eq!(out.evicted.len(), 1);
    assert_eq!(out.evicted[0].key, key(1));
    assert_eq!(out.evicted[0].reason, ExpiryReason::MessageLimit);
    assert_eq!(r.len(), 2);
    assert_eq!(r.buffered_octets(), 2);
}

#[test]
fn octet_limit_evicts_the_oldest_until_the_part_fits() {
    let mut r = Reassembler::new(ReassemblyLimits { max_total_octets: 10, ..limits() });
    r.offer(key(1), part(ConcatRef::Udh8(1), 2, 1, &[1; 4]), secs(1)).unwrap();
    r.offer(key(2), part(ConcatRef::Udh8(1), 2, 1, &[2; 4]), secs(2)).unwrap();
    let out = r.offer(key(3), part(ConcatRef::Udh8(1), 2, 1, &[3; 9]), secs(3)).unwrap();
    let who: Vec<_> = out.evicted.iter().map(|e| (e.key.clone(), e.reason)).collect();
    assert_eq!(who, [(key(1), ExpiryReason::OctetLimit), (key(2), ExpiryReason::OctetLimit)]);
    assert_eq!(r.len(), 1);
    assert_eq!(r.buffered_octets(), 9);
    // The target itself may be the oldest: it is evicted and restarted.
    let out = r.offer(key(3), part(ConcatRef::Udh8(1), 2, 2, &[3; 5]), secs(4)).unwrap();
    assert_eq!(out.evicted.len(), 1);
    assert_eq!(out.complete, None);
    assert_eq!(r.buffered_octets(), 5);
}

#[test]
fn split_then_reassemble_through_the_udh_parser() {
    let text = "Long message with {braces} and € signs. ".repeat(9);
    let parts =
        split_text(&text, Encoding::Gsm7, Concatenation::Udh8 { reference: 9 }, &SplitConfig::default())
            .unwrap();
    assert!(parts.len() > 2);
    let mut r = Reassembler::new(limits());
    let mut done = None;
    for p in parts.iter().rev() {
        let incoming = IncomingPart::from_user_data(&p.user_data).unwrap().unwrap();
        done = r.offer(key(1), incoming, secs(0)).unwrap().complete;
    }
    let done = done.unwrap();
    assert_eq!(decode_unpacked(&done.payload).unwrap(), text);
    assert_eq!(IncomingPart::from_user_data(&[0x00, 0x41]).unwrap(), None);
}
