//! `smpp::text::Reassembler` fed arbitrary parts, times and expiries under
//! small limits, checked against a plain model of what it should hold: it
//! never panics, never holds more than `max_messages` messages or
//! `max_total_octets` octets, reports exactly the parts it held when it
//! evicts or expires a message, joins a completed message's parts in
//! sequence order, and leaves no deadline at or before `now` after
//! `expire(now)`.
#![no_main]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use simgate::smpp::text::{
    ConcatRef, Expired, ExpiryReason, IncomingPart, Reassembler, ReassemblyError, ReassemblyLimits,
};

/// Reads the fuzz input front to back; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken.to_vec()
    }
}

/// What the reassembler should hold for one (key, reference).
struct Message {
    total: u8,
    parts: BTreeMap<u8, Vec<u8>>,
}

type Model = HashMap<(u8, ConcatRef), Message>;

/// An eviction or expiry must report a message the model holds, with its
/// parts and octets, and the model forgets it.
fn forget(model: &mut Model, gone: &Expired<u8>) {
    let held = model.remove(&(gone.key, gone.reference)).expect("reported a message it did not hold");
    assert_eq!(gone.total, held.total);
    assert_eq!(usize::from(gone.received), held.parts.len());
    assert_eq!(gone.octets, held.parts.values().map(Vec::len).sum::<usize>());
    assert!(gone.received < gone.total, "a complete message was reported as dropped");
}

fn check_bounds(r: &Reassembler<u8>, limits: &ReassemblyLimits, model: &Model) {
    assert!(r.len() <= limits.max_messages.max(1), "{} messages held", r.len());
    assert!(r.buffered_octets() <= limits.max_total_octets, "{} octets held", r.buffered_octets());
    assert_eq!(r.len(), model.len());
    assert_eq!(r.is_empty(), model.is_empty());
    assert_eq!(r.next_deadline().is_some(), !model.is_empty());
    let octets: usize = model.values().flat_map(|m| m.parts.values()).map(Vec::len).sum();
    assert_eq!(r.buffered_octets(), octets);
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let limits = ReassemblyLimits {
        max_messages: usize::from(input.byte() % 6),
        max_parts: input.byte() % 10,
        max_total_octets: usize::from(input.byte()),
        timeout: Duration::from_secs(u64::from(input.byte() % 30)),
    };
    let mut r = Reassembler::<u8>::new(limits);
    let mut model = Model::new();
    let mut now = Duration::ZERO;

    while !input.0.is_empty() {
        match input.byte() % 5 {
            0 | 1 => {
                let key = input.byte() % 3;
                let reference = match input.byte() % 3 {
                    0 => ConcatRef::Udh8(input.byte() % 2),
                    1 => ConcatRef::Udh16(u16::from(input.byte() % 2)),
                    _ => ConcatRef::Sar(u16::from(input.byte() % 2)),
                };
                let total = input.byte() % 8;
                let seq = input.byte() % 9;
                let len = usize::from(input.byte() % 64);
                let payload = input.bytes(len);
                offer(&mut r, &mut model, &limits, key, IncomingPart { reference, total, seq, payload }, now);
            }
            2 => {
                // A part as it arrives: user data with a UDH.
                let key = input.byte() % 3;
                let len = usize::from(input.byte() % 64);
                let user_data = input.bytes(len);
                if let Ok(Some(part)) = IncomingPart::from_user_data(&user_data) {
                    offer(&mut r, &mut model, &limits, key, part, now);
                }
            }
            3 => now += Duration::from_secs(u64::from(input.byte() % 16)),
            _ => {
                for gone in r.expire(now) {
                    assert_eq!(gone.reason, ExpiryReason::Timeout);
                    forget(&mut model, &gone);
                }
                if let Some(deadline) = r.next_deadline() {
                    assert!(deadline > now, "deadline {deadline:?} left at {now:?}");
                }
            }
        }
        check_bounds(&r, &limits, &model);
    }
});

fn offer(
    r: &mut Reassembler<u8>,
    model: &mut Model,
    limits: &ReassemblyLimits,
    key: u8,
    part: IncomingPart,
    now: Duration,
) {
    let (reference, total, seq, payload) = (part.reference, part.total, part.seq, part.payload.clone());
    let offered = match r.offer(key, part, now) {
        Ok(offered) => offered,
        Err(err) => {
            let _ = err.to_string();
            match err {
                ReassemblyError::InvalidSequence { .. } => assert!(total == 0 || seq == 0 || seq > total),
                ReassemblyError::TooManyParts { .. } => assert!(total > limits.max_parts),
                ReassemblyError::PartTooLarge { .. } => assert!(payload.len() > limits.max_total_octets),
                ReassemblyError::InconsistentTotal { expected, got } => {
                    assert_eq!(model.get(&(key, reference)).map(|m| m.total), Some(expected));
                    assert_eq!(got, total);
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
            return;
        }
    };
    if offered.duplicate {
        let held = model.get(&(key, reference)).expect("duplicate of a message not held");
        assert!(held.parts.contains_key(&seq));
        assert!(offered.complete.is_none() && offered.evicted.is_empty());
        return;
    }
    for gone in &offered.evicted {
        assert_ne!(gone.reason, ExpiryReason::Timeout);
        forget(model, gone);
    }
    let entry = model.entry((key, reference)).or_insert_with(|| Message { total, parts: BTreeMap::new() });
    assert_eq!(entry.total, total);
    assert!(entry.parts.insert(seq, payload).is_none(), "a held part was not reported as duplicate");
    match offered.complete {
        Some(done) => {
            let held = model.remove(&(key, reference)).expect("just inserted");
            assert_eq!(held.parts.len(), usize::from(total), "completed with parts missing");
            assert_eq!((done.key, done.reference, done.total), (key, reference, total));
            assert_eq!(done.payload, held.parts.into_values().flatten().collect::<Vec<u8>>());
        }
        None => assert!(entry.parts.len() < usize::from(total), "all parts held but not completed"),
    }
}
