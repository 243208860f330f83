//! The sim's own requests on one bind: deliver_sm queued and unanswered.
//! At most `window` are unanswered at once; a temporary error in
//! deliver_sm_resp (v3.4 5.1.3: ESME_RTHROTTLED, ESME_RMSGQFUL,
//! ESME_RX_T_APPN, ESME_RSYSERR), a generic_nack or no answer within
//! `deliver_timeout` sends the job back for a later try, as SMSCs retry
//! receipts. A permanent error ends the job.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::smpp::pdu::{CommandId, CommandStatus};
use crate::smpp::session::MAX_SEQUENCE;

use super::deliver::{DeliveryJob, JobKind};
use super::stats::SimMetrics;

/// Jobs queued on one bind behind its window; more go back to the
/// scheduler.
pub const MAX_QUEUED: usize = 4096;

/// Queued and unanswered deliver_sm of one bind.
#[derive(Debug)]
pub struct Outbound {
    window: usize,
    queue: VecDeque<DeliveryJob>,
    /// By sequence number: the job and when it was written.
    unanswered: HashMap<u32, (DeliveryJob, Instant)>,
    last_sequence: u32,
}

/// Whether a deliver_sm_resp status asks for a later retry (v3.4 5.1.3).
pub const fn is_temporary(status: CommandStatus) -> bool {
    matches!(
        status,
        CommandStatus::ESME_RTHROTTLED
            | CommandStatus::ESME_RMSGQFUL
            | CommandStatus::ESME_RX_T_APPN
            | CommandStatus::ESME_RSYSERR
    )
}

impl Outbound {
    /// Empty, with room for `window` unanswered.
    pub fn new(window: usize) -> Self {
        Outbound {
            window: window.max(1),
            queue: VecDeque::new(),
            unanswered: HashMap::new(),
            last_sequence: 0,
        }
    }

    /// Queues a job; gives it back when the queue is full.
    pub fn push(&mut self, job: DeliveryJob) -> Result<(), DeliveryJob> {
        if self.queue.len() >= MAX_QUEUED {
            return Err(job);
        }
        self.queue.push_back(job);
        Ok(())
    }

    /// The next sequence number: 1..=0x7FFFFFFF, wrapping to 1, skipping
    /// numbers still unanswered (v3.4 5.1.4).
    pub fn next_sequence(&mut self) -> u32 {
        loop {
            self.last_sequence = if self.last_sequence >= MAX_SEQUENCE { 1 } else { self.last_sequence + 1 };
            if !self.unanswered.contains_key(&self.last_sequence) {
                return self.last_sequence;
            }
        }
    }

    /// Writes queued jobs while the window has room.
    pub fn send_ready(&mut self, now: Instant, out: &mut BytesMut, metrics: &SimMetrics) {
        while self.unanswered.len() < self.window {
            let Some(job) = self.queue.pop_front() else { break };
            let seq = self.next_sequence();
            job.encode_with_sequence(seq, out);
            match job.kind {
                JobKind::Receipt => metrics.receipts_sent.inc(),
                JobKind::Mo => metrics.mo_sent.inc(),
                // Counted by the replay itself, by response status.
                JobKind::Replay => 0,
            };
            self.unanswered.insert(seq, (job, now));
        }
    }

    /// The kind of the job unanswered under sequence `seq`.
    pub fn kind_of(&self, seq: u32) -> Option<JobKind> {
        self.unanswered.get(&seq).map(|(job, _)| job.kind)
    }

    /// A response to sequence `seq`: the job to retry, if any.
    pub fn answered(&mut self, seq: u32, status: CommandStatus, id: CommandId) -> Option<DeliveryJob> {
        let (job, _) = self.unanswered.remove(&seq)?;
        (id == CommandId::GenericNack || is_temporary(status)).then_some(job)
    }

    /// Jobs unanswered for `timeout`, taken out for a retry.
    pub fn expired(&mut self, now: Instant, timeout: Duration) -> Vec<DeliveryJob> {
        let late: Vec<u32> =
            self.unanswered.iter().filter(|(_, (_, sent))| *sent + timeout <= now).map(|(s, _)| *s).collect();
        late.into_iter().filter_map(|s| self.unanswered.remove(&s).map(|(job, _)| job)).collect()
    }

    /// When the oldest unanswered job times out.
    pub fn next_expiry(&self, timeout: Duration) -> Option<Instant> {
        self.unanswered.values().map(|(_, sent)| *sent + timeout).min()
    }

    /// Everything queued or unanswered, for another bind.
    pub fn drain(&mut self) -> Vec<DeliveryJob> {
        let mut jobs: Vec<DeliveryJob> = self.unanswered.drain().map(|(_, (job, _))| job).collect();
        jobs.extend(self.queue.drain(..));
        jobs
    }
}
