//! The MT worker: claims accepted messages from the store (on any
//! instance; a claim that runs out is taken over, which is how a message
//! accepted by an instance that stopped still goes out), plans their
//! parts, sends each pending part through the account's pool, and records
//! and publishes what the SMSC answered.
//!
//! A part is marked `sending` before it is written and `unknown` when its
//! answer never came (response timeout, or a bind dropped with resubmission
//! off): it is never sent blindly again. A submit_sm_resp that comes late,
//! within the bind's `late_response_window`, settles it exactly as a
//! response in time would have (SMSC id, receipt correlation, parked
//! receipts, `sms.mt.submitted`); otherwise a receipt or the resolver
//! ([`super::resolver`]) does.
//!
//! A part whose message's validity period passed before it was sent is
//! recorded `expired` and never goes out (`sms.mt.expired`).

use super::metrics::SettleMetrics;
use super::plan::{ConcatMode, plan_parts};
use super::request::{Content as ReqContent, TextEncoding, ValidMt};
use crate::events::payload::{MtOutcome, MtSubmitted};
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::smpp::receipt::MessageId as SmscMessageId;
use crate::sms::bind::handle::LateWait;
use crate::sms::bind::{AccountPool, RouteError, SubmitOutcome};
use crate::sms::inbound::{Inbound, apply_parked};
use crate::state::{PartRef, ReceiptCorrelation};
use crate::store::{Content, MessageRecord, MessageStore, PartOutcome, PartSeq};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claim lasts; renewed while the message is worked on.
    pub claim_lease: Duration,
    /// Messages claimed per round.
    pub batch: usize,
    /// Messages worked on at once.
    pub concurrency: usize,
    /// Look for work at least this often (new messages also wake it).
    pub poll_interval: Duration,
    /// How parts are tied together.
    pub concat: ConcatMode,
}

/// What the worker uses.
#[derive(Debug, Clone)]
pub struct MtWorker {
    /// Messages.
    pub store: MessageStore,
    /// The account MT goes out on.
    pub pool: AccountPool,
    /// Receipt map.
    pub correlation: ReceiptCorrelation,
    /// Events.
    pub events: EventSink,
    /// Event origin.
    pub origin: EventOrigin,
    /// Receipts parked before their response settle through this.
    pub inbound: Arc<Inbound>,
    /// Settings.
    pub config: WorkerConfig,
    /// Wakes the worker when a message was accepted.
    pub wake: Arc<Notify>,
    /// Late answers, queries, give-ups and expiries.
    pub settle: SettleMetrics,
}

/// Timed-out parts waiting for a late submit_sm_resp at once, at most;
/// beyond it a timed-out part is left to the resolver. Each bind keeps at
/// most 4096 late sequence numbers (`smpp::session::LATE_CAPACITY`).
const MAX_LATE_WAITS: usize = 16 * 1024;

/// A part's place: what a late answer needs to settle it.
struct Pending {
    record: Arc<MessageRecord>,
    seq: PartSeq,
}

impl MtWorker {
    /// Claims and sends until `stop`; messages in progress finish their
    /// current part, and what is left keeps its claim until it runs out.
    pub async fn run(self, stop: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let late_waits = Arc::new(Semaphore::new(MAX_LATE_WAITS));
        let this = Arc::new(self);
        while !stop.is_cancelled() {
            if !this.pool.takes_traffic() || this.pool.bound() == 0 {
                // Nothing could be sent: leave the messages to instances
                // that can, and look again later.
                tokio::select! {
                    () = tokio::time::sleep(this.config.poll_interval) => {}
                    () = stop.cancelled() => {}
                }
                continue;
            }
            let claimed = match this.store.claim_for_submit(this.config.claim_lease, this.config.batch).await
            {
                Ok(c) => c,
                Err(err) => {
                    tracing::warn!(%err, "cannot claim MT messages");
                    Vec::new()
                }
            };
            let idle = claimed.is_empty();
            for record in claimed {
                let Ok(permit) = slots.clone().acquire_owned().await else { return };
                let worker = this.clone();
                let stop = stop.clone();
                let late_waits = late_waits.clone();
                tokio::spawn(async move {
                    worker.process(record, &stop, &late_waits).await;
                    drop(permit);
                });
            }
            if idle {
                tokio::select! {
                    () = this.wake.notified() => {}
                    () = tokio::time::sleep(this.config.poll_interval) => {}
                    () = stop.cancelled() => {}
                }
            }
        }
        // Wait for the messages in progress (their current part).
        let _ = slots.acquire_many(u32::try_from(this.config.concurrency.max(1)).unwrap_or(1)).await;
    }

    async fn process(
        self: &Arc<Self>,
        record: MessageRecord,
        stop: &CancellationToken,
        late_waits: &Arc<Semaphore>,
    ) {
        if validity_passed(&record) {
            self.expire(&record).await;
            let _ = self.store.release_claim(&record.id).await;
            return;
        }
        let record = Arc::new(record);
        let reference = reference_of(record.id.as_str());
        let planned = to_valid(&record)
            .ok_or_else(|| "unknown data_coding".to_owned())
            .and_then(|valid| plan_parts(&valid, self.config.concat, reference).map_err(|e| e.to_string()));
        let parts = match planned {
            Ok(p) => p,
            Err(reason) => {
                // Claimed again it would fail again: fail it for good.
                tracing::error!(message_id = %record.id, %reason, "stored message cannot be split; failing it");
                for seq in record.pending_parts() {
                    let _ = self.store.record_part_failed(&record.id, seq, None, &reason).await;
                }
                return;
            }
        };
        for seq in record.pending_parts() {
            if stop.is_cancelled() {
                break;
            }
            let Some(part) = parts.get(usize::from(seq).saturating_sub(1)).cloned() else { continue };
            if validity_passed(&record) {
                self.expire(&record).await;
                break;
            }
            match self.store.record_part_sending(&record.id, seq).await {
                Ok(PartOutcome::Applied { .. }) => {}
                // Not pending any more: this claim ran out and another round
                // (of this or another instance) took the part, or it is
                // settled. Sending it would submit it twice.
                Ok(_) => continue,
                Err(err) => {
                    tracing::warn!(message_id = %record.id, %err, "cannot mark a part sending; will retry");
                    let _ = self.store.release_claim(&record.id).await;
                    return;
                }
            }
            match self.pool.submit_watching(part).await {
                Ok((outcome, late)) => {
                    self.settle(&record, seq, outcome).await;
                    if let Some(late) = late {
                        let record = Arc::new(slim(&record));
                        self.await_late(Pending { record, seq }, late, stop, late_waits);
                    }
                }
                Err(RouteError::NoBind { .. } | RouteError::Passive(_)) => {
                    // Nothing was written: back to pending for a later round.
                    let _ = self.store.record_part_unsent(&record.id, seq).await;
                    let _ = self.store.release_claim(&record.id).await;
                    return;
                }
                Err(RouteError::Invalid(err)) => {
                    let _ = self.store.record_part_failed(&record.id, seq, None, &err.to_string()).await;
                }
            }
            let _ = self.store.renew_claim(&record.id, self.config.claim_lease).await;
        }
        let _ = self.store.release_claim(&record.id).await;
    }

    /// Every part of `record` still pending is past the validity period:
    /// recorded `expired` (v3.4 5.2.15), one `sms.mt.expired` for the
    /// message.
    pub(crate) async fn expire(&self, record: &MessageRecord) {
        let reason = "validity period passed before sending";
        let mut expired = false;
        for seq in record.pending_parts() {
            match self.store.record_part_expired(&record.id, seq, reason).await {
                Ok(crate::store::PartOutcome::Applied { .. }) => expired = true,
                Ok(_) => {}
                Err(err) => tracing::warn!(message_id = %record.id, %err, "expiry not stored; retried later"),
            }
        }
        if expired {
            self.settle.expired();
            tracing::debug!(message_id = %record.id, "message expired before sending");
            let mut outcome = outcome_of(record, "EXPIRED");
            outcome.reason = Some(reason.to_owned());
            self.publish(&record.destination, EventData::SmsMtExpired(outcome)).await;
        }
    }

    /// Waits, in its own task, for the late answer of a timed-out part and
    /// settles the part with it as with a response in time. Without a
    /// free wait slot the part is left to the resolver.
    fn await_late(
        self: &Arc<Self>,
        at: Pending,
        late: LateWait,
        stop: &CancellationToken,
        waits: &Arc<Semaphore>,
    ) {
        let Ok(permit): Result<OwnedSemaphorePermit, _> = waits.clone().try_acquire_owned() else {
            self.settle.late_answer("no_wait_slot");
            return;
        };
        let this = self.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let answer = tokio::select! {
                answer = late.answer() => answer,
                () = stop.cancelled() => None,
            };
            match answer {
                Some(answer) => {
                    this.settle.late_answer(if answer.status.is_ok() { "accepted" } else { "refused" });
                    tracing::debug!(message_id = %at.record.id, seq = at.seq, status = %answer.status, "late submit_sm_resp");
                    let outcome =
                        SubmitOutcome::Answered { status: answer.status, message_id: answer.message_id };
                    this.settle(&at.record, at.seq, outcome).await;
                }
                None => this.settle.late_answer("none"),
            }
            drop(permit);
        });
    }

    async fn settle(&self, record: &MessageRecord, seq: PartSeq, outcome: SubmitOutcome) {
        let id = &record.id;
        match outcome {
            SubmitOutcome::Answered { status, message_id: Some(smsc_id) } if status.is_ok() => {
                let Ok(smsc) = SmscMessageId::new(&smsc_id) else {
                    let _ = self.store.record_part_unknown(id, seq, "unusable SMSC message id").await;
                    return;
                };
                if let Err(err) = self.store.record_part_submitted(id, seq, &smsc, status.0).await {
                    tracing::warn!(message_id = %id, %err, "submit_sm_resp not stored");
                }
                let target = PartRef { message_id: id.as_str().to_owned(), part: seq };
                let key = smsc.correlation_key().as_str().to_owned();
                let probes = self.inbound.probe_keys(self.pool.account(), &smsc);
                let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
                match self.correlation.record(self.pool.account(), &key, &probes, &target).await {
                    Ok(parked) => {
                        for json in parked {
                            apply_parked(&self.inbound, &target, &json).await;
                        }
                    }
                    Err(err) => tracing::warn!(message_id = %id, %err, "receipt correlation not recorded"),
                }
                self.publish(
                    &record.destination,
                    EventData::SmsMtSubmitted(MtSubmitted {
                        message_id: id.as_str().to_owned(),
                        smsc_message_id: smsc_id,
                        destination: record.destination.clone(),
                        bind_id: self.pool.account().to_owned(),
                        part: seq,
                        parts: record.parts_total,
                    }),
                )
                .await;
            }
            SubmitOutcome::Answered { status, .. } => {
                let _ = self.store.record_part_failed(id, seq, Some(status.0), &status.to_string()).await;
                let mut outcome = outcome_of(record, "REJECTD");
                outcome.error_code = Some(format!("0x{:08X}", status.0));
                self.publish(&record.destination, EventData::SmsMtFailed(outcome)).await;
            }
            SubmitOutcome::TimedOut | SubmitOutcome::Abandoned => {
                // Not an outcome yet: a late answer, a receipt or the
                // resolver settles it, and publishes what it finds.
                let reason =
                    if outcome == SubmitOutcome::TimedOut { "response timeout" } else { "bind lost" };
                let _ = self.store.record_part_unknown(id, seq, reason).await;
            }
        }
    }

    pub(crate) async fn publish(&self, key: &str, data: EventData) {
        let Ok(key) = EventKey::new(key) else { return };
        if let Err(err) = self.events.publish(&self.origin.event(key, data)).await {
            tracing::error!(%err, "MT event lost: neither the broker nor the outbox took it");
        }
    }
}

/// What settling a part needs of its message, without the content and
/// the parts (a late answer may be waited for minutes).
fn slim(record: &MessageRecord) -> MessageRecord {
    MessageRecord {
        content: Content::Text { text: String::new() },
        parts: std::collections::BTreeMap::new(),
        smsc_keys: Vec::new(),
        ..record.clone()
    }
}

/// Whether the message's validity period has ended by now.
fn validity_passed(record: &MessageRecord) -> bool {
    record.validity.is_some_and(|until| until <= mongodb::bson::DateTime::now())
}

pub(crate) fn outcome_of(record: &MessageRecord, stat: &str) -> MtOutcome {
    MtOutcome {
        message_id: record.id.as_str().to_owned(),
        smsc_message_id: String::new(),
        destination: record.destination.clone(),
        stat: stat.to_owned(),
        error_code: None,
        done_at: None,
        reason: None,
    }
}

/// The concatenation reference of a message: stable across instances, so
/// a part sent again after a takeover carries the same one.
fn reference_of(id: &str) -> u16 {
    id.bytes().fold(0u16, |h, b| h.wrapping_mul(31).wrapping_add(u16::from(b)))
}

/// The stored message as the request it came from.
fn to_valid(record: &MessageRecord) -> Option<ValidMt> {
    let content = match &record.content {
        Content::Text { text } => ReqContent::Text {
            text: text.clone(),
            encoding: Some(match record.data_coding {
                0x00 => TextEncoding::Gsm7,
                0x01 => TextEncoding::Ia5,
                0x03 => TextEncoding::Latin1,
                0x08 => TextEncoding::Ucs2,
                _ => return None,
            }),
        },
        Content::Binary { hex } => {
            ReqContent::Binary { octets: super::request::hex_octets::decode(hex).ok()? }
        }
        Content::SimData { parts } => ReqContent::SimDataDownload {
            parts: parts.iter().map(|p| super::request::hex_octets::decode(p).ok()).collect::<Option<_>>()?,
        },
    };
    // What is left of the validity; a message with none left is expired
    // before it gets here. SMPP relative time counts whole seconds (v3.4
    // 7.1.2), so less than one second left is sent as one.
    let validity = record.validity.map(|until| {
        let left = until.timestamp_millis().saturating_sub(mongodb::bson::DateTime::now().timestamp_millis());
        Duration::from_millis(u64::try_from(left.max(1000)).unwrap_or(1000))
    });
    Some(ValidMt {
        destination: record.destination.clone(),
        source: record.source.clone(),
        content,
        registered_delivery: record.registered_delivery,
        validity,
        priority: record.priority,
        idempotency_key: record.idempotency_key.clone(),
    })
}
