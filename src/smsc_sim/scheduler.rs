//! The delivery scheduler: one task per sim holding every receipt and MO
//! message until it is due, then handing it to a receiving bind chosen by
//! the registry. [`PendingDeliveries`] is its pure, bounded heap.
//!
//! Bounded: at most `max_pending_deliveries` jobs wait; when full, the job
//! due soonest (the oldest waiting) is dropped and counted in
//! `deliveries_dropped`. A job with no receiving bind to go to, or whose
//! bind's queue is full, is tried again after `receipts.retry_delay`, up
//! to `receipts.max_attempts` tries in all.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::deliver::DeliveryJob;
use super::hub::Hub;
use super::random::Dice;
use super::state::lock;

#[derive(Debug)]
struct Entry {
    due: Instant,
    order: u64,
    job: DeliveryJob,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl Eq for Entry {}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.order).cmp(&(other.due, other.order))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Jobs by due time, at most `capacity`.
#[derive(Debug)]
pub struct PendingDeliveries {
    capacity: usize,
    order: u64,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl PendingDeliveries {
    /// Empty.
    pub fn new(capacity: usize) -> Self {
        PendingDeliveries { capacity: capacity.max(1), order: 0, heap: BinaryHeap::new() }
    }

    /// Adds a job; returns the job dropped to make room, if any.
    pub fn push(&mut self, due: Instant, job: DeliveryJob) -> Option<DeliveryJob> {
        let dropped =
            if self.heap.len() >= self.capacity { self.heap.pop().map(|Reverse(e)| e.job) } else { None };
        self.order += 1;
        self.heap.push(Reverse(Entry { due, order: self.order, job }));
        dropped
    }

    /// The next job due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<DeliveryJob> {
        if self.heap.peek().is_some_and(|Reverse(e)| e.due <= now) {
            return self.heap.pop().map(|Reverse(e)| e.job);
        }
        None
    }

    /// When the next job is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.due)
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether none wait.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// Runs the scheduler until the sim shuts down.
pub(super) async fn run(hub: Arc<Hub>, mut rx: mpsc::Receiver<(Instant, DeliveryJob)>) {
    let st = &hub.state;
    let mut pending = PendingDeliveries::new(st.config.max_pending_deliveries);
    let mut dice = Dice::new(st.config.seed, u64::MAX);
    let mut batch = Vec::with_capacity(256);
    loop {
        let next = pending.next_due().map(tokio::time::Instant::from_std);
        tokio::select! {
            _ = hub.cancel.cancelled() => break,
            n = rx.recv_many(&mut batch, 256) => {
                if n == 0 {
                    break;
                }
                for (due, job) in batch.drain(..) {
                    if pending.push(due, job).is_some() {
                        st.metrics.deliveries_dropped.inc();
                    }
                }
            }
            () = sleep_until_opt(next) => {}
        }
        let now = tokio::time::Instant::now().into_std();
        let retry_at = now + st.config.receipts.retry_delay;
        while let Some(mut job) = pending.pop_due(now) {
            let target = lock(&st.registry).pick_receiver(job.account, job.origin, job.other_bind, &mut dice);
            let sender = target.and_then(|id| lock(&hub.conns).get(&id).map(|c| c.deliveries.clone()));
            let unsent = match sender {
                Some(tx) => match tx.try_send(job) {
                    Ok(()) => continue,
                    Err(mpsc::error::TrySendError::Full(j) | mpsc::error::TrySendError::Closed(j)) => j,
                },
                None => job,
            };
            job = unsent;
            job.attempts = job.attempts.saturating_add(1);
            // Out of tries, or a full heap making room: either way one
            // job is given up.
            if job.attempts >= st.config.receipts.max_attempts || pending.push(retry_at, job).is_some() {
                st.metrics.deliveries_dropped.inc();
            }
        }
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::super::deliver::JobKind;
    use super::*;
    use std::time::Duration;

    fn smsc_sim_test_job(attempts: u32) -> DeliveryJob {
        DeliveryJob {
            kind: JobKind::Mo,
            account: None,
            origin: None,
            other_bind: false,
            attempts,
            pdu: bytes::Bytes::new(),
        }
    }

    #[test]
    fn due_order_and_bound() {
        let t = Instant::now();
        let mut p = PendingDeliveries::new(2);
        assert!(p.push(t + Duration::from_secs(2), smsc_sim_test_job(2)).is_none());
        assert!(p.push(t + Duration::from_secs(1), smsc_sim_test_job(1)).is_none());
        assert!(p.pop_due(t).is_none());
        let dropped = p.push(t + Duration::from_secs(3), smsc_sim_test_job(3)).unwrap();
        assert_eq!(dropped.attempts, 1, "the one due soonest makes room");
        assert_eq!(p.next_due(), Some(t + Duration::from_secs(2)));
        assert_eq!(p.pop_due(t + Duration::from_secs(5)).unwrap().attempts, 2);
        assert_eq!(p.len(), 1);
    }
}
