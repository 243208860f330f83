//! Requests whose response timed out, remembered for a while so that a
//! response arriving after the timeout is still matched to its request.
//!
//! SMPP matches a response to its request by sequence_number alone (v3.4
//! 2.6 and 3.2: the response carries the request's sequence_number). A
//! timed-out submit_sm may still have been taken by the SMSC; when its
//! submit_sm_resp turns up late it carries the SMSC's message id, the only
//! handle a receipt or query_sm has on the message. So the session keeps
//! the last [`LateAnswers::capacity`] timed-out sequence numbers for a
//! window after their timeout; the oldest is forgotten first when more
//! time out, and each is forgotten when its window closes.

use super::window::RequestTag;
use crate::smpp::pdu::CommandId;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// One timed-out request still matched by sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kept {
    command: CommandId,
    tag: RequestTag,
    /// After this a response for it is unmatched again.
    until: Instant,
}

/// What [`LateAnswers::keep`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// Not kept: the window is off (zero length or capacity).
    Off,
    /// Kept; `forgotten` was pushed out to make room.
    Kept {
        /// The oldest request no longer kept.
        forgotten: Option<RequestTag>,
    },
}

/// The timed-out requests of one session, bounded in count and in time.
#[derive(Debug, Clone)]
pub struct LateAnswers {
    capacity: usize,
    window: Duration,
    /// Sequence numbers in the order they timed out (also the order their
    /// windows close, as every window is as long). May hold numbers whose
    /// answer was already taken; their `until` tells them apart from a
    /// reuse of the number after a wrap. Never longer than `capacity`.
    order: VecDeque<(u32, Instant)>,
    kept: HashMap<u32, Kept>,
}

impl LateAnswers {
    /// Keeps at most `capacity` requests, each for `window` after its
    /// timeout. Either zero turns late matching off.
    pub fn new(capacity: usize, window: Duration) -> Self {
        let capacity = if window.is_zero() { 0 } else { capacity };
        Self { capacity, window, order: VecDeque::with_capacity(capacity.min(1024)), kept: HashMap::new() }
    }

    /// Requests kept at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Requests kept now.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Whether `sequence` is kept (a wrapped counter must skip it).
    pub fn contains(&self, sequence: u32) -> bool {
        self.kept.contains_key(&sequence)
    }

    /// Remembers a request that timed out at `now`.
    pub(super) fn keep(&mut self, sequence: u32, command: CommandId, tag: RequestTag, now: Instant) -> Keep {
        if self.capacity == 0 {
            return Keep::Off;
        }
        let mut forgotten = None;
        while self.order.len() >= self.capacity {
            let Some((seq, until)) = self.order.pop_front() else { break };
            if let Some(tag) = self.forget(seq, until) {
                forgotten = Some(tag);
            }
        }
        let until = now + self.window;
        self.order.push_back((sequence, until));
        self.kept.insert(sequence, Kept { command, tag, until });
        Keep::Kept { forgotten }
    }

    /// The kept request a response with `sequence` and `command` answers,
    /// removed; `None` when none is kept under that number, its window
    /// closed, or the command is not its response or generic_nack.
    pub(super) fn take(&mut self, sequence: u32, command: CommandId, now: Instant) -> Option<RequestTag> {
        let kept = self.kept.get(&sequence)?;
        let answers = command == CommandId::GenericNack || kept.command.response() == Some(command);
        if kept.until <= now || !answers {
            return None;
        }
        self.kept.remove(&sequence).map(|k| k.tag)
    }

    /// Forgets every request whose window closed at or before `now`.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<RequestTag> {
        let mut closed = Vec::new();
        while let Some(&(seq, until)) = self.order.front() {
            if until > now {
                break;
            }
            self.order.pop_front();
            if let Some(tag) = self.forget(seq, until) {
                closed.push(tag);
            }
        }
        closed
    }

    /// When the next window closes.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.order
            .iter()
            .find(|(seq, until)| self.kept.get(seq).is_some_and(|k| k.until == *until))
            .map(|e| e.1)
    }

    /// Forgets everything (the session ended).
    pub(super) fn clear(&mut self) {
        self.order.clear();
        self.kept.clear();
    }

    fn forget(&mut self, sequence: u32, until: Instant) -> Option<RequestTag> {
        match self.kept.get(&sequence) {
            Some(k) if k.until == until => self.kept.remove(&sequence).map(|k| k.tag),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_kept_request_is_answered_once_within_its_window() {
        let t0 = Instant::now();
        let mut late = LateAnswers::new(4, 10 * SECOND);
        assert_eq!(late.keep(7, CommandId::SubmitSm, RequestTag(70), t0), Keep::Kept { forgotten: None });
        assert_eq!(late.take(7, CommandId::DeliverSmResp, t0), None, "not its response");
        assert_eq!(late.take(7, CommandId::SubmitSmResp, t0 + 9 * SECOND), Some(RequestTag(70)));
        assert_eq!(late.take(7, CommandId::SubmitSmResp, t0 + 9 * SECOND), None, "matched once");
        assert!(late.expire(t0 + 20 * SECOND).is_empty(), "an answered request is not reported forgotten");
    }

    #[test]
    fn the_window_closes_and_the_oldest_is_pushed_out() {
        let t0 = Instant::now();
        let mut late = LateAnswers::new(2, 10 * SECOND);
        late.keep(1, CommandId::SubmitSm, RequestTag(1), t0);
        late.keep(2, CommandId::SubmitSm, RequestTag(2), t0 + SECOND);
        assert_eq!(
            late.keep(3, CommandId::SubmitSm, RequestTag(3), t0 + 2 * SECOND),
            Keep::Kept { forgotten: Some(RequestTag(1)) }
        );
        assert_eq!(late.len(), 2);
        assert!(!late.contains(1));
        assert_eq!(late.next_deadline(), Some(t0 + 11 * SECOND));
        assert_eq!(late.take(2, CommandId::SubmitSmResp, t0 + 11 * SECOND), None, "window closed");
        assert_eq!(late.expire(t0 + 11 * SECOND), vec![RequestTag(2)]);
        assert_eq!(late.next_deadline(), Some(t0 + 12 * SECOND));
        assert_eq!(late.expire(t0 + 30 * SECOND), vec![RequestTag(3)]);
        assert!(late.is_empty());
        assert_eq!(late.next_deadline(), None);
    }

    #[test]
    fn a_zero_window_keeps_nothing() {
        let mut late = LateAnswers::new(4096, Duration::ZERO);
        assert_eq!(late.keep(1, CommandId::SubmitSm, RequestTag(1), Instant::now()), Keep::Off);
        assert_eq!(late.capacity(), 0);
    }
}
