//! The resolver: settles MT parts that went out without a final state, and
//! expires messages whose validity ended before they were sent. One task
//! per instance; each round claims a bounded batch from the store
//! (`claim_for_settle`, `claim_expired`), so two instances never work on
//! the same message.
//!
//! Per part without a final state:
//! - `submitted` (it has an SMSC id) and no receipt after `sms.receipt_wait`
//!   (`sms.no_receipt_wait` when registered_delivery is 0: no receipt will
//!   come): query_sm with the SMSC id and the source address (SMPP v3.4
//!   4.8.1). A final message_state in query_sm_resp (v3.4 5.2.28:
//!   DELIVERED, EXPIRED, DELETED, UNDELIVERABLE, REJECTED, SKIPPED) settles
//!   the part through the receipt path, same store change and event. A
//!   state that is not final (ENROUTE, ACCEPTED, UNKNOWN) is asked again
//!   later, the wait doubling from `sms.query_interval`. ESME_RQUERYFAIL,
//!   another error or no answer `sms.query_attempts` times: the part stays
//!   `unknown` for good (`sms.mt.unknown` with the reason).
//! - `unknown` with no SMSC id (its response never came, not even within
//!   the late-response window): nothing can ask about it; it stays
//!   `unknown` for good once the window has passed. These are the parts an
//!   operator must look at (docs/runbook.md, `simgate_settle_given_up`).

use super::worker::{MtWorker, outcome_of};
use crate::events::EventData;
use crate::sms::bind::handle::QueryOutcome;
use crate::sms::bind::request::QuerySmRequest;
use crate::sms::inbound::{ParkedReceipt, apply_receipt, receipt_part_state};
use crate::state::PartRef;
use crate::store::{MessageRecord, PartOutcome, PartRecord, PartSeq, PartState};
use mongodb::bson::DateTime;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Margin past the late-response window before a part without an SMSC id
/// is given up, so a late answer that just made it is recorded first.
const LATE_MARGIN: Duration = Duration::from_secs(5);

/// Longest back-off between query rounds, in multiples of `query_interval`.
const MAX_BACKOFF_FACTOR: u32 = 64;

/// How the resolver runs.
#[derive(Debug, Clone)]
pub struct ResolverConfig {
    /// `sms.receipt_wait`.
    pub receipt_wait: Duration,
    /// `sms.no_receipt_wait`.
    pub no_receipt_wait: Duration,
    /// The MT account's `late_response_window`.
    pub late_window: Duration,
    /// `sms.query_attempts`.
    pub query_attempts: u32,
    /// `sms.query_interval`.
    pub query_interval: Duration,
    /// `sms.resolver_interval`.
    pub interval: Duration,
    /// Messages claimed per round.
    pub batch: usize,
    /// How long a claim of the resolver lasts (`store.claim_lease`).
    pub lease: Duration,
}

/// The resolver of one instance.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// The MT worker's store, pool, receipt path, events and metrics.
    pub mt: MtWorker,
    /// Settings.
    pub config: ResolverConfig,
}

impl Resolver {
    /// Runs rounds every `interval` until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let this = Arc::new(self);
        let mut tick = tokio::time::interval(this.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = stop.cancelled() => return,
            }
            this.expire_round().await;
            tokio::select! {
                _ = this.clone().settle_round() => {}
                () = stop.cancelled() => return,
            }
        }
    }

    /// Records expired the messages past their validity that still have
    /// parts to send (no bind came in time, or they waited too long).
    pub async fn expire_round(&self) -> usize {
        let claimed = match self.mt.store.claim_expired(self.config.lease, self.config.batch).await {
            Ok(c) => c,
            Err(err) => {
                tracing::warn!(%err, "cannot look for expired MT messages");
                return 0;
            }
        };
        for record in &claimed {
            self.mt.expire(record).await;
            let _ = self.mt.store.release_claim(&record.id).await;
        }
        claimed.len()
    }

    /// Claims a batch of messages due for a look and settles what it can,
    /// the messages in parallel. Returns how many were looked at.
    pub async fn settle_round(self: Arc<Self>) -> usize {
        let quiet = self.config.no_receipt_wait.min(self.config.receipt_wait).min(self.config.late_window);
        let claimed = match self.mt.store.claim_for_settle(quiet, self.config.lease, self.config.batch).await
        {
            Ok(c) => c,
            Err(err) => {
                tracing::warn!(%err, "cannot claim MT messages to settle");
                return 0;
            }
        };
        let count = claimed.len();
        let mut tasks = JoinSet::new();
        for record in claimed {
            let this = self.clone();
            tasks.spawn(async move { this.settle_message(record).await });
        }
        while tasks.join_next().await.is_some() {}
        count
    }

    async fn settle_message(&self, record: MessageRecord) {
        let now = DateTime::now();
        let can_query = self.mt.pool.takes_traffic() && self.mt.pool.bound() > 0;
        let mut next: Option<DateTime> = None;
        let mut later = |at: DateTime| next = Some(next.map_or(at, |n: DateTime| n.min(at)));
        for (seq, part) in record.parts() {
            if part.is_final() {
                continue;
            }
            match (part.state, part.smsc_message_id.as_deref()) {
                (PartState::Submitted | PartState::Unknown, Some(smsc_id)) => {
                    let due = self.query_due(&record, part);
                    if due > now {
                        later(due);
                    } else if !can_query {
                        later(after(now, self.config.interval));
                    } else if let Some(at) = self.query(&record, seq, part, smsc_id).await {
                        later(at);
                    }
                }
                (PartState::Unknown, None) => {
                    let due = after(part.updated_at, self.config.late_window + LATE_MARGIN);
                    if due > now {
                        later(due);
                    } else {
                        let reason = "no submit_sm_resp, not even within the late-response window";
                        self.give_up(&record, seq, None, "no_late_answer", reason).await;
                    }
                }
                // Still to send or being sent: the MT worker's, not ours.
                _ => later(after(now, self.config.interval)),
            }
        }
        if let Err(err) = self.mt.store.settle_next(&record.id, next).await {
            tracing::warn!(message_id = %record.id, %err, "next settle time not stored; the claim runs out instead");
        }
    }

    /// When part `part` should next be asked about.
    fn query_due(&self, record: &MessageRecord, part: &PartRecord) -> DateTime {
        match part.queried_at {
            Some(last) if part.queries > 0 => after(last, self.backoff(part.queries)),
            _ => {
                let wait = if record.registered_delivery {
                    self.config.receipt_wait
                } else {
                    self.config.no_receipt_wait
                };
                after(part.submitted_at.unwrap_or(part.updated_at), wait)
            }
        }
    }

    /// The wait after `rounds` query rounds: `query_interval`, doubling.
    fn backoff(&self, rounds: u32) -> Duration {
        let factor = 1u32 << rounds.saturating_sub(1).min(6);
        self.config.query_interval * factor.min(MAX_BACKOFF_FACTOR)
    }

    /// One query_sm round for part `seq`; when the part is left unsettled,
    /// the time of the next round.
    async fn query(
        &self,
        record: &MessageRecord,
        seq: PartSeq,
        part: &PartRecord,
        smsc_id: &str,
    ) -> Option<DateTime> {
        let query = QuerySmRequest {
            message_id: smsc_id.to_owned(),
            source_addr: record.source.clone(),
            ..QuerySmRequest::default()
        };
        let failure = match self.mt.pool.query(query).await {
            Ok(QueryOutcome::Answered { status, state, error_code }) if status.is_ok() => {
                match state.filter(|s| receipt_part_state(*s).is_some()) {
                    Some(state) => {
                        self.mt.settle.query("final");
                        let parked = ParkedReceipt {
                            smsc_message_id: smsc_id.to_owned(),
                            state: state.stat_text().to_owned(),
                            error_code: Some(format!("{error_code:03}")),
                            source: record.destination.clone(),
                            destination: record.source.clone(),
                            bind_id: self.mt.pool.account().to_owned(),
                        };
                        let target = PartRef { message_id: record.id.as_str().to_owned(), part: seq };
                        return match apply_receipt(&self.mt.inbound, &target, &parked).await {
                            Ok(()) => None,
                            Err(_) => Some(after(DateTime::now(), self.config.interval)),
                        };
                    }
                    None => {
                        self.mt.settle.query("not_final");
                        let _ = self.mt.store.record_query(&record.id, seq, false).await;
                        return Some(after(DateTime::now(), self.backoff(part.queries + 1)));
                    }
                }
            }
            Ok(QueryOutcome::Answered { status, .. }) => {
                self.mt.settle.query("query_failed");
                format!("query_sm answered {status}")
            }
            Ok(QueryOutcome::TimedOut | QueryOutcome::Abandoned) => {
                self.mt.settle.query("no_answer");
                "query_sm not answered".to_owned()
            }
            Err(err) => {
                self.mt.settle.query("no_answer");
                format!("query_sm not sent: {err}")
            }
        };
        if part.query_failures + 1 >= self.config.query_attempts {
            let reason = format!("{failure}, {} times", part.query_failures + 1);
            self.give_up(record, seq, Some(smsc_id), "query_failed", &reason).await;
            return None;
        }
        let _ = self.mt.store.record_query(&record.id, seq, true).await;
        Some(after(DateTime::now(), self.backoff(part.queries + 1)))
    }

    /// Leaves part `seq` `unknown` for good and publishes `sms.mt.unknown`.
    async fn give_up(
        &self,
        record: &MessageRecord,
        seq: PartSeq,
        smsc_id: Option<&str>,
        label: &'static str,
        reason: &str,
    ) {
        match self.mt.store.give_up_part(&record.id, seq, reason).await {
            Ok(PartOutcome::Applied { .. }) => {}
            Ok(_) => return,
            Err(err) => {
                tracing::warn!(message_id = %record.id, seq, %err, "give-up not stored; retried later");
                return;
            }
        }
        self.mt.settle.given_up(label);
        tracing::debug!(message_id = %record.id, seq, reason, "MT part left unknown for good");
        let mut outcome = outcome_of(record, "UNKNOWN");
        outcome.smsc_message_id = smsc_id.unwrap_or_default().to_owned();
        outcome.reason = Some(reason.to_owned());
        self.mt.publish(&record.destination, EventData::SmsMtUnknown(outcome)).await;
    }
}

/// `at` plus `d`.
fn after(at: DateTime, d: Duration) -> DateTime {
    at.saturating_add_duration(d)
}
