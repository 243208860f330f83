//! Where the requests of a `load smpp` session come from ([`Feed`]): the
//! open-loop scheduler's jobs, or, closed loop, a [`Claim`] on the run's
//! shared supply of request indices, which each session draws from itself
//! as its window frees, so no task sits between a response and the next
//! request.

use super::driver::Job;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc};

/// Where a session's requests come from.
#[derive(Debug)]
pub enum Feed {
    /// Open loop: the scheduler hands out jobs on the run's timeline;
    /// `slots` is closed when the session ends so it is not chosen again.
    Jobs {
        /// Jobs, at most one window's worth queued.
        jobs: mpsc::Receiver<Job>,
        /// The session's slots in the scheduler.
        slots: Arc<Semaphore>,
    },
    /// Closed loop: the session claims run-wide indices itself while its
    /// window has room, and drops `done` once the claim is exhausted and
    /// everything it sent is answered (or the session ended).
    Claim {
        /// The run's shared counter and bounds.
        claim: Arc<Claim>,
        /// Dropped when this session has nothing left in flight.
        done: mpsc::Sender<()>,
    },
    /// A receiver: sends nothing.
    Listen,
}

/// The closed loop's shared supply of request indices: one counter for
/// every session, bounded by the run's count and deadline.
#[derive(Debug)]
pub struct Claim {
    next: AtomicU64,
    count: Option<u64>,
    deadline: Option<Instant>,
    over: AtomicBool,
    /// When the supply ran out (the end of the sending phase).
    ended: Mutex<Option<Instant>>,
}

impl Claim {
    /// At most `count` indices, none claimed at or after `deadline`.
    pub fn new(count: Option<u64>, deadline: Option<Instant>) -> Self {
        Self {
            next: AtomicU64::new(0),
            count,
            deadline,
            over: AtomicBool::new(false),
            ended: Mutex::new(None),
        }
    }

    /// The next index, or `None` once the count is reached or the
    /// deadline passed.
    pub fn next(&self, now: Instant) -> Option<u64> {
        if self.over.load(Ordering::Relaxed) {
            return None;
        }
        if self.deadline.is_some_and(|d| now >= d) {
            self.end(now);
            return None;
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        if self.count.is_some_and(|c| index >= c) {
            self.end(now);
            return None;
        }
        Some(index)
    }

    fn end(&self, now: Instant) {
        self.over.store(true, Ordering::Relaxed);
        let mut ended = self.ended.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        ended.get_or_insert(now);
    }

    /// Whether no index is left to claim.
    pub fn exhausted(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }

    /// When the supply ran out, if it has.
    pub fn ended(&self) -> Option<Instant> {
        *self.ended.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(super) async fn next_job(jobs: &mut Option<mpsc::Receiver<Job>>) -> Option<Job> {
    match jobs {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_claim_stops_at_the_count() {
        let now = Instant::now();
        let c = Claim::new(Some(3), None);
        let got: Vec<Option<u64>> = (0..5).map(|_| c.next(now)).collect();
        assert_eq!(got, [Some(0), Some(1), Some(2), None, None]);
        assert!(c.exhausted());
        assert_eq!(c.ended(), Some(now));
    }

    #[test]
    fn a_claim_stops_at_the_deadline() {
        let start = Instant::now();
        let c = Claim::new(None, Some(start + Duration::from_secs(1)));
        assert_eq!(c.next(start), Some(0));
        assert!(!c.exhausted() && c.ended().is_none());
        let late = start + Duration::from_secs(2);
        assert_eq!(c.next(late), None);
        assert_eq!(c.next(start), None, "once over, over for every session");
        assert_eq!(c.ended(), Some(late));
    }
}
