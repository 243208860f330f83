//! Bounded reassembly of concatenated short messages received as parts,
//! tied together by a UDH concatenation IE (TS 23.040 9.2.3.24.1 8-bit,
//! 9.2.3.24.8 16-bit) or by SAR TLVs (SMPP v3.4 5.3.2.22-24).
//!
//! Pure and bounded: `now` is passed in as a [`Duration`] since any epoch
//! the caller likes; the reassembler never reads a clock. `now` should not
//! go backwards; if it does, nothing panics and ages saturate at zero. It holds at most `max_messages` incomplete messages and
//! `max_total_octets` of payload. When a new part would exceed either, the
//! oldest incomplete message (by its first part's arrival) is evicted and
//! reported; incomplete messages whose first part is `timeout` old are
//! dropped by [`Reassembler::expire`]. Nothing grows without bound.
//!
//! Parts are matched by the caller's key (usually the [`AddressPair`]) and
//! the reference with its width ([`ConcatRef`]), so 8-bit, 16-bit and SAR
//! references never mix. A duplicate part is ignored; a part whose total
//! differs from the stored message is rejected and the stored parts kept.
//! A duplicate that arrives after its message completed starts a new
//! incomplete message, which times out and is reported like any other.
//!
//! Payloads are joined as octets in sequence order, so they must be in a
//! form whose concatenation means something: unpacked septets (the SMPP
//! norm for data_coding 0), UCS-2 or 8-bit octets. Packed GSM 7-bit parts
//! must be unpacked first (their fill bits differ per part).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::Duration;

use super::error::{ReassemblyError, UdhError};
use super::udh::{ConcatInfo, ConcatRef, parse_udh};

/// The sender and recipient a concatenated message travels between: the
/// usual reassembly key (TS 23.040 9.2.3.24.1 scopes the reference to the
/// originator and recipient).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressPair {
    /// source_addr of the part.
    pub source: String,
    /// destination_addr of the part.
    pub destination: String,
}

/// Bounds of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Incomplete messages held at once; at least 1 is used.
    pub max_messages: usize,
    /// Parts a message may declare; 255 is the protocol ceiling.
    pub max_parts: u8,
    /// Payload octets held across all incomplete messages.
    pub max_total_octets: usize,
    /// Age of its first part after which an incomplete message is dropped.
    pub timeout: Duration,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        Self {
            max_messages: 4096,
            max_parts: u8::MAX,
            max_total_octets: 8 * 1024 * 1024,
            timeout: Duration::from_secs(300),
        }
    }
}

/// One received part, its UDH or SAR TLVs already read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingPart {
    /// Reference and its width.
    pub reference: ConcatRef,
    /// Declared number of parts.
    pub total: u8,
    /// This part's position, 1-based.
    pub seq: u8,
    /// The user data after the UDH (or the whole short_message for SAR).
    pub payload: Vec<u8>,
}

impl IncomingPart {
    /// A part from SAR TLVs (SMPP v3.4 5.3.2.22-24).
    pub fn from_sar(msg_ref_num: u16, total_segments: u8, segment_seqnum: u8, payload: Vec<u8>) -> Self {
        Self { reference: ConcatRef::Sar(msg_ref_num), total: total_segments, seq: segment_seqnum, payload }
    }

    /// A part from a parsed concatenation IE and the payload after the UDH.
    pub fn from_concat(info: ConcatInfo, payload: Vec<u8>) -> Self {
        Self { reference: info.reference, total: info.total, seq: info.seq, payload }
    }

    /// Reads user data whose UDHI is set: `Ok(None)` when the UDH has no
    /// valid concatenation IE (the message is not a part).
    pub fn from_user_data(user_data: &[u8]) -> Result<Option<Self>, UdhError> {
        let (udh, rest) = parse_udh(user_data)?;
        Ok(udh.concat().map(|info| Self::from_concat(info, rest.to_vec())))
    }
}

/// A message whose every part has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteMessage<K> {
    /// The caller's key.
    pub key: K,
    /// The reference the parts carried.
    pub reference: ConcatRef,
    /// Number of parts joined.
    pub total: u8,
    /// The payloads joined in sequence order.
    pub payload: Vec<u8>,
}

/// Why an incomplete message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryReason {
    /// Its first part is older than the timeout.
    Timeout,
    /// A new message needed a slot and `max_messages` were held.
    MessageLimit,
    /// A new part needed room and `max_total_octets` were held.
    OctetLimit,
}

/// An incomplete message that was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<K> {
    /// The caller's key.
    pub key: K,
    /// The message's reference.
    pub reference: ConcatRef,
    /// Parts declared.
    pub total: u8,
    /// Parts that had arrived.
    pub received: u8,
    /// Payload octets that were held.
    pub octets: usize,
    /// Why it was dropped.
    pub reason: ExpiryReason,
}

/// What [`Reassembler::offer`] did with a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered<K> {
    /// The whole message, when this part completed it.
    pub complete: Option<CompleteMessage<K>>,
    /// The part had already been received and was ignored.
    pub duplicate: bool,
    /// Older incomplete messages evicted to make room for this part.
    pub evicted: Vec<Expired<K>>,
}

impl<K> Offered<K> {
    fn nothing() -> Self {
        Self { complete: None, duplicate: false, evicted: Vec::new() }
    }
}

/// An incomplete message.
#[derive(Debug)]
struct Pending {
    /// Declared total; every slot of `parts` is one sequence number.
    total: u8,
    /// `total` slots, `Some` once that part arrived.
    parts: Vec<Option<Vec<u8>>>,
    /// Count of `Some` slots.
    received: u8,
    /// Sum of the held payload lengths.
    octets: usize,
    /// Arrival of the first part; with `order`, the key in `by_age`.
    first_seen: Duration,
    /// Tie-breaker among messages first seen at the same `now`.
    order: u64,
}

/// Reassembles concatenated messages within fixed bounds; see the module
/// doc.
#[derive(Debug)]
pub struct Reassembler<K> {
    limits: ReassemblyLimits,
    pending: HashMap<(K, ConcatRef), Pending>,
    /// Incomplete messages by age, oldest first, for eviction and expiry.
    by_age: BTreeMap<(Duration, u64), (K, ConcatRef)>,
    /// Sum of `Pending::octets`; never above `limits.max_total_octets`.
    octets: usize,
    next_order: u64,
}

impl<K: Eq + Hash + Clone> Reassembler<K> {
    /// An empty reassembler with these bounds.
    pub fn new(limits: ReassemblyLimits) -> Self {
        let limits = ReassemblyLimits { max_messages: limits.max_messages.max(1), ..limits };
        Self { limits, pending: HashMap::new(), by_age: BTreeMap::new(), octets: 0, next_order: 0 }
    }

    /// Incomplete messages held.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// True when no incomplete message is held.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Payload octets held.
    pub fn buffered_octets(&self) -> usize {
        self.octets
    }

    /// When the oldest incomplete message times out, for the driver's timer.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.by_age.keys().next().map(|(first_seen, _)| first_seen.saturating_add(self.limits.timeout))
    }

    /// Takes one part received at `now`. Returns the whole message when this
    /// part completes it, and any messages evicted to make room.
    ///
    /// Errors (the part is dropped, nothing else changes): invalid sequence
    /// or total, a total above `max_parts`, a payload above the whole octet
    /// budget, or a total that differs from the stored message's.
    pub fn offer(
        &mut self,
        key: K,
        part: IncomingPart,
        now: Duration,
    ) -> Result<Offered<K>, ReassemblyError> {
        let IncomingPart { reference, total, seq, payload } = part;
        if total == 0 || seq == 0 || seq > total {
            return Err(ReassemblyError::InvalidSequence { total, seq });
        }
        if total > self.limits.max_parts {
            return Err(ReassemblyError::TooManyParts { total, max: self.limits.max_parts });
        }
        if payload.len() > self.limits.max_total_octets {
            return Err(ReassemblyError::PartTooLarge {
                len: payload.len(),
                max: self.limits.max_total_octets,
            });
        }
        let id = (key, reference);
        let slot = usize::from(seq - 1);
        if let Some(entry) = self.pending.get(&id) {
            if entry.total != total {
                return Err(ReassemblyError::InconsistentTotal { expected: entry.total, got: total });
            }
            if entry.parts.get(slot).is_some_and(Option::is_some) {
                return Ok(Offered { duplicate: true, ..Offered::nothing() });
            }
        }
        let mut offered = Offered::nothing();
        if total == 1 {
            let (key, reference) = id;
            offered.complete = Some(CompleteMessage { key, reference, total, payload });
            return Ok(offered);
        }
        while self.octets.saturating_add(payload.len()) > self.limits.max_total_octets {
            match self.evict_oldest(ExpiryReason::OctetLimit) {
                Some(e) => offered.evicted.push(e),
                None => break,
            }
        }
        if !self.pending.contains_key(&id) {
            while self.pending.len() >= self.limits.max_messages {
                match self.evict_oldest(ExpiryReason::MessageLimit) {
                    Some(e) => offered.evicted.push(e),
                    None => break,
                }
            }
            let order = self.next_order;
            self.next_order = self.next_order.wrapping_add(1);
            self.by_age.insert((now, order), id.clone());
            let pending = Pending {
                total,
                parts: vec![None; usize::from(total)],
                received: 0,
                octets: 0,
                first_seen: now,
                order,
            };
            self.pending.insert(id.clone(), pending);
        }
        let Some(entry) = self.pending.get_mut(&id) else {
            return Ok(offered);
        };
        let len = payload.len();
        if let Some(cell) = entry.parts.get_mut(slot) {
            *cell = Some(payload);
            entry.received = entry.received.saturating_add(1);
            entry.octets = entry.octets.saturating_add(len);
            self.octets = self.octets.saturating_add(len);
        }
        if entry.received == entry.total
            && let Some(done) = self.pending.remove(&id)
        {
            self.by_age.remove(&(done.first_seen, done.order));
            self.octets = self.octets.saturating_sub(done.octets);
            let mut joined = Vec::with_capacity(done.octets);
            for p in done.parts.into_iter().flatten() {
                joined.extend_from_slice(&p);
            }
            let (key, reference) = id;
            offered.complete = Some(CompleteMessage { key, reference, total, payload: joined });
        }
        Ok(offered)
    }

    /// Drops every incomplete message whose first part arrived `timeout`
    /// or more before `now`, oldest first.
    pub fn expire(&mut self, now: Duration) -> Vec<Expired<K>> {
        let mut expired = Vec::new();
        while let Some((&(first_seen, _), _)) = self.by_age.first_key_value() {
            if now.saturating_sub(first_seen) < self.limits.timeout {
                break;
            }
            match self.evict_oldest(ExpiryReason::Timeout) {
                Some(e) => expired.push(e),
                None => break,
            }
        }
        expired
    }

    fn evict_oldest(&mut self, reason: ExpiryReason) -> Option<Expired<K>> {
        let (_, id) = self.by_age.pop_first()?;
        let entry = self.pending.remove(&id)?;
        self.octets = self.octets.saturating_sub(entry.octets);
        let (key, reference) = id;
        Some(Expired {
            key,
            reference,
            total: entry.total,
            received: entry.received,
            octets: entry.octets,
            reason,
        })
    }
}

#[cfg(test)]
#[path = "reassembly_tests.rs"]
mod tests;
