//! What the sim remembers about accepted messages, bounded: their ids and
//! final states (for query_sm, v3.4 4.8) and a 64-bit digest of each
//! submit to count duplicates.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use crate::smpp::pdu::{Pdu, Tlv};
use crate::smpp::receipt::MessageState;

use super::config::{IdVariant, MessageIdStyle};

/// Writes message number `n` as a submit_sm_resp message_id.
pub fn format_id(style: MessageIdStyle, n: u64) -> String {
    match style {
        MessageIdStyle::Decimal => n.to_string(),
        MessageIdStyle::Hex => format!("{n:x}"),
        MessageIdStyle::HexUpper => format!("{n:X}"),
    }
}

/// Reads a message_id the sim handed out back into its number.
pub fn parse_id(style: MessageIdStyle, id: &str) -> Option<u64> {
    match style {
        MessageIdStyle::Decimal => id.parse().ok(),
        MessageIdStyle::Hex | MessageIdStyle::HexUpper => u64::from_str_radix(id, 16).ok(),
    }
}

/// The id as the receipt text writes it.
pub fn receipt_text_id(variant: IdVariant, resp_id: &str, n: u64) -> String {
    match variant {
        IdVariant::Same => resp_id.to_owned(),
        IdVariant::Decimal { width } => format!("{n:0width$}"),
        IdVariant::Upper => resp_id.to_ascii_uppercase(),
        IdVariant::Lower => resp_id.to_ascii_lowercase(),
    }
}

/// The fate of one accepted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRecord {
    /// The state it reaches at `done_at`.
    pub final_state: MessageState,
    /// When it gets there.
    pub done_at: Instant,
    /// The same moment as seconds since the Unix epoch (for final_date).
    pub done_unix: u64,
}

/// One remembered message, compact (16 octets, so a million of them take
/// 16 MiB): `done_at` as nanoseconds from the book's first record.
#[derive(Debug, Clone, Copy)]
struct Slot {
    done_nanos: i64,
    done_unix: u32,
    final_state: MessageState,
}

/// Accepted messages by number, at most `capacity`; numbers are handed out
/// in order, so the book is a ring: inserting `n` forgets `n - capacity`.
#[derive(Debug)]
pub struct MessageBook {
    next: u64,
    capacity: usize,
    /// The number of `slots[0]`.
    first: u64,
    /// Where `done_nanos` counts from: the first record's `done_at`.
    epoch: Option<Instant>,
    slots: VecDeque<Slot>,
}

impl MessageBook {
    /// A book starting at number `first`.
    pub fn new(first: u64, capacity: usize) -> Self {
        MessageBook { next: first, capacity: capacity.max(1), first, epoch: None, slots: VecDeque::new() }
    }

    /// Hands out the next number and remembers the message's fate.
    pub fn accept(&mut self, record: MessageRecord) -> u64 {
        let n = self.next;
        self.next = self.next.wrapping_add(1);
        if self.slots.len() >= self.capacity {
            self.slots.pop_front();
            self.first = self.first.wrapping_add(1);
        }
        let epoch = *self.epoch.get_or_insert(record.done_at);
        let done_nanos = match record.done_at.checked_duration_since(epoch) {
            Some(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            None => i64::try_from(epoch.duration_since(record.done_at).as_nanos()).map_or(i64::MIN, |v| -v),
        };
        self.slots.push_back(Slot {
            done_nanos,
            done_unix: u32::try_from(record.done_unix).unwrap_or(u32::MAX),
            final_state: record.final_state,
        });
        n
    }

    /// The message's record, if it is still remembered.
    pub fn get(&self, n: u64) -> Option<MessageRecord> {
        let index = usize::try_from(n.wrapping_sub(self.first)).ok()?;
        let slot = self.slots.get(index)?;
        let epoch = self.epoch?;
        let offset = Duration::from_nanos(slot.done_nanos.unsigned_abs());
        let done_at =
            if slot.done_nanos >= 0 { epoch.checked_add(offset) } else { epoch.checked_sub(offset) }?;
        Some(MessageRecord { final_state: slot.final_state, done_at, done_unix: u64::from(slot.done_unix) })
    }
}

/// The digests are already 64-bit hashes: the filter's set uses them as
/// they are instead of hashing them again.
#[derive(Debug, Default, Clone, Copy)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys go in; fold anything else in rather than drop it.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Digests of accepted submits, at most `capacity`, oldest forgotten first.
#[derive(Debug)]
pub struct DuplicateFilter {
    capacity: usize,
    seen: HashSet<u64, BuildHasherDefault<DigestHasher>>,
    order: VecDeque<u64>,
}

impl DuplicateFilter {
    /// An empty filter.
    pub fn new(capacity: usize) -> Self {
        DuplicateFilter { capacity: capacity.max(1), seen: HashSet::default(), order: VecDeque::new() }
    }

    /// Records `digest`; true when it was already there (a duplicate).
    pub fn check(&mut self, digest: u64) -> bool {
        if !self.seen.insert(digest) {
            return true;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.order.push_back(digest);
        false
    }
}

/// The digest of a message submit: destination, short_message,
/// message_payload and the sar_* TLVs (v3.4 5.3.2.22-24), so the segments
/// of one long message differ while a resubmission of the same one
/// matches. UDH concatenation sits inside short_message and counts too.
pub fn submit_digest(pdu: &Pdu<'_>) -> u64 {
    use crate::smpp::pdu::Body;
    let mut h = DefaultHasher::new();
    match &pdu.body {
        Body::SubmitSm(b) => {
            b.destination_addr.as_bytes().hash(&mut h);
            b.short_message.as_bytes().hash(&mut h);
        }
        Body::DataSm(b) => b.destination_addr.as_bytes().hash(&mut h),
        Body::SubmitMulti(b) => {
            for dest in b.dest_addresses.iter() {
                dest.hash(&mut h);
            }
            b.short_message.as_bytes().hash(&mut h);
        }
        _ => {}
    }
    for tlv in pdu.tlvs.iter() {
        match tlv {
            Tlv::MessagePayload(p) => (0x0424u16, p.as_bytes()).hash(&mut h),
            Tlv::SarMsgRefNum(v) => (0x020Cu16, v).hash(&mut h),
            Tlv::SarTotalSegments(v) => (0x020Eu16, v).hash(&mut h),
            Tlv::SarSegmentSeqnum(v) => (0x020Fu16, v).hash(&mut h),
            _ => {}
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_receipt_variants() {
        for style in [MessageIdStyle::Decimal, MessageIdStyle::Hex, MessageIdStyle::HexUpper] {
            assert_eq!(parse_id(style, &format_id(style, 48879)), Some(48879));
        }
        assert_eq!(format_id(MessageIdStyle::Hex, 48879), "beef");
        assert_eq!(receipt_text_id(IdVariant::Decimal { width: 10 }, "beef", 48879), "0000048879");
        assert_eq!(receipt_text_id(IdVariant::Upper, "beef", 48879), "BEEF");
    }

    #[test]
    fn book_and_filter_forget_the_oldest() {
        let t = Instant::now();
        let rec = MessageRecord { final_state: MessageState::Delivered, done_at: t, done_unix: 0 };
        let mut book = MessageBook::new(10, 2);
        let a = book.accept(rec);
        book.accept(rec);
        book.accept(rec);
        assert_eq!((a, book.get(a), book.get(a + 2)), (10, None, Some(rec)));
        let mut f = DuplicateFilter::new(2);
        assert!(!f.check(1) && f.check(1) && !f.check(2) && !f.check(3));
        assert!(!f.check(1), "1 was forgotten");
    }

    #[test]
    fn the_book_gives_back_each_fate_exactly() {
        let t = Instant::now() + Duration::from_secs(10);
        let mut book = MessageBook::new(u64::MAX - 1, 3);
        let fates = [
            (t, MessageState::Delivered),
            (t - Duration::from_millis(1500), MessageState::Expired),
            (t + Duration::from_nanos(7), MessageState::Rejected),
        ];
        let ids: Vec<u64> = fates
            .iter()
            .map(|&(done_at, final_state)| book.accept(MessageRecord { final_state, done_at, done_unix: 42 }))
            .collect();
        assert_eq!(ids, [u64::MAX - 1, u64::MAX, 0], "numbers wrap");
        for (id, (done_at, final_state)) in ids.iter().zip(fates) {
            assert_eq!(book.get(*id), Some(MessageRecord { final_state, done_at, done_unix: 42 }));
        }
        assert_eq!(book.get(1), None, "not handed out yet");
    }
}
