//! What the sim remembers about accepted messages, bounded: their ids and
//! final states (for query_sm, v3.4 4.8) and a 64-bit digest of each
//! submit to count duplicates.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

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

/// Accepted messages by number, at most `capacity`; numbers are handed out
/// in order, so inserting `n` forgets `n - capacity`.
#[derive(Debug)]
pub struct MessageBook {
    next: u64,
    capacity: u64,
    records: HashMap<u64, MessageRecord>,
}

impl MessageBook {
    /// A book starting at number `first`.
    pub fn new(first: u64, capacity: usize) -> Self {
        MessageBook { next: first, capacity: capacity.max(1) as u64, records: HashMap::new() }
    }

    /// Hands out the next number and remembers the message's fate.
    pub fn accept(&mut self, record: MessageRecord) -> u64 {
        let n = self.next;
        self.next = self.next.wrapping_add(1);
        if let Some(old) = n.checked_sub(self.capacity) {
            self.records.remove(&old);
        }
        self.records.insert(n, record);
        n
    }

    /// The message's record, if it is still remembered.
    pub fn get(&self, n: u64) -> Option<MessageRecord> {
        self.records.get(&n).copied()
    }
}

/// Digests of accepted submits, at most `capacity`, oldest forgotten first.
#[derive(Debug)]
pub struct DuplicateFilter {
    capacity: usize,
    seen: HashSet<u64>,
    order: VecDeque<u64>,
}

impl DuplicateFilter {
    /// An empty filter.
    pub fn new(capacity: usize) -> Self {
        DuplicateFilter { capacity: capacity.max(1), seen: HashSet::new(), order: VecDeque::new() }
    }

    /// Records `digest`; true when it was already there (a duplicate).
    pub fn check(&mut self, digest: u64) -> bool {
        if self.seen.contains(&digest) {
            return true;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(digest);
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
}
