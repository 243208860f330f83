//! Sequence numbers and the window of outstanding requests.
//!
//! sequence_number runs from 1 to 0x7FFFFFFF and wraps back to 1 (v3.4
//! 5.1.4: 0 and values above 0x7FFFFFFF are not used). The window holds at
//! most a configured number of the application's requests awaiting their
//! responses, each with its deadline; session-internal requests (bind,
//! enquire_link, unbind) are tracked apart so they never take the
//! application's slots.

use crate::smpp::pdu::CommandId;
use std::time::Instant;

/// Highest sequence number (v3.4 5.1.4).
pub const MAX_SEQUENCE: u32 = 0x7FFF_FFFF;

/// The application's handle for one request, returned with its response or
/// its timeout. The session never interprets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestTag(pub u64);

/// Hands out sequence numbers 1..=0x7FFFFFFF, wrapping to 1.
#[derive(Debug, Clone)]
pub struct SequenceNumbers {
    next: u32,
}

impl Default for SequenceNumbers {
    fn default() -> Self {
        Self { next: 1 }
    }
}

impl SequenceNumbers {
    /// Starts at `first` (clamped into 1..=0x7FFFFFFF); tests use it to
    /// reach the wrap.
    pub fn starting_at(first: u32) -> Self {
        Self { next: first.clamp(1, MAX_SEQUENCE) }
    }

    /// The next number.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u32 {
        let n = self.next;
        self.next = if n >= MAX_SEQUENCE { 1 } else { n + 1 };
        n
    }
}

/// One request awaiting its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Its sequence number.
    pub sequence: u32,
    /// What was sent; the response must be its `_resp` or generic_nack.
    pub command: CommandId,
    /// The application's tag.
    pub tag: RequestTag,
    /// When it times out.
    pub deadline: Instant,
}

/// The outstanding application requests, in the order they were sent.
#[derive(Debug, Clone)]
pub struct Window {
    capacity: usize,
    /// Sent order equals deadline order (one timeout for all), so the
    /// first entry always expires first.
    pending: Vec<Pending>,
}

impl Window {
    /// A window of `capacity` slots (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { capacity, pending: Vec::with_capacity(capacity) }
    }

    /// Requests outstanding.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is outstanding.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Whether another request fits.
    pub fn has_room(&self) -> bool {
        self.pending.len() < self.capacity
    }

    /// Slots in all.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether `sequence` is outstanding (a wrapped counter must skip it).
    pub fn contains(&self, sequence: u32) -> bool {
        self.pending.iter().any(|p| p.sequence == sequence)
    }

    /// Records a sent request. The caller checked [`Window::has_room`].
    pub fn insert(&mut self, pending: Pending) {
        self.pending.push(pending);
    }

    /// Removes and returns the request with `sequence`.
    pub fn take(&mut self, sequence: u32) -> Option<Pending> {
        let at = self.pending.iter().position(|p| p.sequence == sequence)?;
        Some(self.pending.remove(at))
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.deadline).min()
    }

    /// Removes every request whose deadline is at or before `now`.
    pub fn expire(&mut self, now: Instant) -> Vec<Pending> {
        let (expired, kept): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.deadline <= now);
        self.pending = kept;
        expired
    }

    /// Removes everything (the session ended).
    pub fn drain(&mut self) -> Vec<Pending> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sequence_wraps_to_one_never_zero() {
        let mut seq = SequenceNumbers::starting_at(MAX_SEQUENCE - 1);
        assert_eq!([seq.next(), seq.next(), seq.next(), seq.next()], [MAX_SEQUENCE - 1, MAX_SEQUENCE, 1, 2]);
        assert_eq!(SequenceNumbers::starting_at(0).next(), 1);
        assert_eq!(SequenceNumbers::starting_at(u32::MAX).next(), MAX_SEQUENCE);
    }

    #[test]
    fn window_bounds_and_expiry() {
        let t0 = Instant::now();
        let mut w = Window::new(2);
        let p = |s, at| Pending {
            sequence: s,
            command: CommandId::SubmitSm,
            tag: RequestTag(u64::from(s)),
            deadline: t0 + Duration::from_secs(at),
        };
        w.insert(p(1, 5));
        w.insert(p(2, 6));
        assert!(!w.has_room());
        assert_eq!(w.next_deadline(), Some(t0 + Duration::from_secs(5)));
        assert_eq!(w.take(1).map(|p| p.tag), Some(RequestTag(1)));
        assert!(w.take(1).is_none(), "a response is matched once");
        assert_eq!(w.expire(t0 + Duration::from_secs(6)).len(), 1);
        assert!(w.is_empty());
    }
}
