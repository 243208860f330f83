//! Changes of one part: submit responses, timeouts, receipts.
//!
//! Every change reads the message, checks the transition against
//! [`PartState::can_go_to`], and writes the part, the derived message state
//! and the next version in one update whose filter names the version read.
//! When another writer got there first (a receipt for part 1 on one
//! instance while another records part 2's `submit_sm_resp`), nothing is
//! written and the change is tried again on the fresh document, so both
//! survive.

use super::MessageStore;
use super::error::StoreError;
use super::model::{MessageId, PartSeq, part_key};
use super::state::{MessageState, PartState};
use crate::smpp::receipt::MessageId as SmscMessageId;
use mongodb::bson::{Bson, DateTime, doc, to_bson};

/// Most attempts of one part change before [`StoreError::Contended`]. A
/// message has at most a few writers at once (one per part in flight).
const MAX_ATTEMPTS: u32 = 16;

/// What a part change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOutcome {
    /// Written.
    Applied {
        /// The part's new state.
        part: PartState,
        /// The message's state derived after the change.
        message: MessageState,
    },
    /// The part was already final; the change was recorded in the history
    /// only (a late or repeated receipt).
    AlreadyFinal {
        /// The part's final state, unchanged.
        current: PartState,
    },
    /// The transition is not allowed from the part's state (a repeated
    /// `submit_sm_resp`, a receipt for a part never sent); recorded in the
    /// history only.
    Refused {
        /// The part's state, unchanged.
        current: PartState,
    },
    /// No such message (never stored, or expired by retention).
    NotFound,
}

/// The new values of a part, applied by [`MessageStore::change_part`].
#[derive(Debug, Clone)]
pub(crate) struct PartChange {
    to: PartState,
    smsc_id: Option<(String, String)>,
    command_status: Option<u32>,
    error_code: Option<u16>,
    /// When it happened; now unless a receipt says otherwise.
    at: DateTime,
    count_attempt: bool,
    detail: Option<String>,
    /// Leave the part `unknown` for good ([`PartState::can_give_up`]).
    give_up: bool,
}

impl PartChange {
    pub(crate) fn to(to: PartState) -> Self {
        Self {
            to,
            smsc_id: None,
            command_status: None,
            error_code: None,
            at: DateTime::now(),
            count_attempt: false,
            detail: None,
            give_up: false,
        }
    }

    pub(crate) fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_owned());
        self
    }
}

impl MessageStore {
    /// A `submit_sm` for part `seq` is about to be written. Counts an
    /// attempt. Should the instance die before the response is recorded,
    /// the next claimer marks the part `unknown` instead of resending it.
    pub async fn record_part_sending(&self, id: &MessageId, seq: PartSeq) -> Result<PartOutcome, StoreError> {
        let mut change = PartChange::to(PartState::Sending);
        change.count_attempt = true;
        self.change_part(id, seq, "part", change).await
    }

    /// The part marked `sending` was never written (no bind could take
    /// it): it is pending again, for a later claim.
    pub async fn record_part_unsent(&self, id: &MessageId, seq: PartSeq) -> Result<PartOutcome, StoreError> {
        self.change_part(id, seq, "part", PartChange::to(PartState::Pending).detail("no bind took it")).await
    }

    /// The SMSC accepted part `seq` (`submit_sm_resp`, v3.4 4.4.2) under
    /// `smsc_id`; also settles an `unknown` part (a late response, or a
    /// `query_sm` answer).
    pub async fn record_part_submitted(
        &self,
        id: &MessageId,
        seq: PartSeq,
        smsc_id: &SmscMessageId,
        command_status: u32,
    ) -> Result<PartOutcome, StoreError> {
        let mut change = PartChange::to(PartState::Submitted);
        change.smsc_id = Some((smsc_id.as_str().to_owned(), smsc_id.correlation_key().as_str().to_owned()));
        change.command_status = Some(command_status);
        self.change_part(id, seq, "part", change).await
    }

    /// No usable answer for part `seq`: the response timed out, or the bind
    /// went down with the request outstanding. The part is not resent; a
    /// receipt or `query_sm` resolves it.
    pub async fn record_part_unknown(
        &self,
        id: &MessageId,
        seq: PartSeq,
        reason: &str,
    ) -> Result<PartOutcome, StoreError> {
        self.change_part(id, seq, "part", PartChange::to(PartState::Unknown).detail(reason)).await
    }

    /// The SMSC refused part `seq` with `command_status` (v3.4 5.1.3), or
    /// it could not be sent at all.
    pub async fn record_part_failed(
        &self,
        id: &MessageId,
        seq: PartSeq,
        command_status: Option<u32>,
        reason: &str,
    ) -> Result<PartOutcome, StoreError> {
        let mut change = PartChange::to(PartState::Failed).detail(reason);
        change.command_status = command_status;
        self.change_part(id, seq, "part", change).await
    }

    /// A delivery receipt (v3.4 appendix B) says part `seq` reached `state`
    /// at `at`. `state` must be final. A receipt for a part already final
    /// is kept in the history and changes nothing.
    pub async fn apply_receipt(
        &self,
        id: &MessageId,
        seq: PartSeq,
        state: PartState,
        error_code: Option<u16>,
        at: DateTime,
    ) -> Result<PartOutcome, StoreError> {
        if !state.is_final() {
            return Err(StoreError::NotFinal(state.as_str()));
        }
        let mut change = PartChange::to(state);
        change.error_code = error_code;
        change.at = at;
        change.detail = error_code.map(|e| format!("receipt err:{e:03}"));
        self.change_part(id, seq, "receipt", change).await
    }

    /// Part `seq` was not sent before its validity period passed (v3.4
    /// 5.2.15): it is `expired`, final, and never goes out.
    pub async fn record_part_expired(
        &self,
        id: &MessageId,
        seq: PartSeq,
        reason: &str,
    ) -> Result<PartOutcome, StoreError> {
        self.change_part(id, seq, "expire", PartChange::to(PartState::Expired).detail(reason)).await
    }

    /// Nothing settled part `seq` (no late response within the window, or
    /// query_sm failed `sms.query_attempts` times): it stays `unknown` for
    /// good, final, and an operator must look at it (docs/runbook.md).
    pub async fn give_up_part(
        &self,
        id: &MessageId,
        seq: PartSeq,
        reason: &str,
    ) -> Result<PartOutcome, StoreError> {
        let mut change = PartChange::to(PartState::Unknown).detail(reason);
        change.give_up = true;
        self.change_part(id, seq, "give_up", change).await
    }

    /// One query_sm round about part `seq` ended without settling it;
    /// `failed` when it got no usable answer. Counts it and stamps
    /// `queried_at`; the state does not change.
    pub async fn record_query(&self, id: &MessageId, seq: PartSeq, failed: bool) -> Result<(), StoreError> {
        let key = part_key(seq);
        let now = DateTime::now();
        // The counters stay 32-bit (as serialized); version is 64-bit.
        let mut inc = doc! { format!("parts.{key}.queries"): 1_i32, "version": 1_i64 };
        if failed {
            inc.insert(format!("parts.{key}.query_failures"), 1_i32);
        }
        let update =
            doc! { "$inc": inc, "$set": { format!("parts.{key}.queried_at"): now, "updated_at": now } };
        let result = self.messages().update_one(doc! { "_id": id.as_str() }, update).await?;
        self.metrics().op("query", if result.matched_count == 1 { "applied" } else { "not_found" });
        Ok(())
    }

    /// The history entry of a part change from `from`, applied or not.
    async fn part_history(
        &self,
        id: &MessageId,
        seq: PartSeq,
        from: PartState,
        change: &PartChange,
        applied: bool,
    ) {
        let detail = change.detail.as_deref();
        self.write_history(
            id,
            Some(seq),
            change.at,
            Some(from.as_str()),
            change.to.as_str(),
            applied,
            detail,
        )
        .await;
    }

    /// Applies `change` to part `seq` of `id` with optimistic concurrency.
    pub(crate) async fn change_part(
        &self,
        id: &MessageId,
        seq: PartSeq,
        op: &'static str,
        change: PartChange,
    ) -> Result<PartOutcome, StoreError> {
        let key = part_key(seq);
        for attempt in 1..=MAX_ATTEMPTS {
            let Some(mut record) = self.messages().find_one(doc! { "_id": id.as_str() }).await? else {
                self.metrics().op(op, "not_found");
                return Ok(PartOutcome::NotFound);
            };
            let Some(part) = record.parts.get_mut(&key) else {
                self.metrics().op(op, "error");
                return Err(StoreError::NoSuchPart { message_id: id.to_string(), seq });
            };
            let from = part.state;
            let allowed = if change.give_up { from.can_give_up() } else { from.can_go_to(change.to) };
            if part.is_final() || !allowed {
                let outcome = if part.is_final() {
                    PartOutcome::AlreadyFinal { current: from }
                } else {
                    PartOutcome::Refused { current: from }
                };
                self.metrics().op(op, if part.is_final() { "already_final" } else { "refused" });
                tracing::debug!(message_id = %id, seq, from = from.as_str(), to = change.to.as_str(), "part change not applied");
                self.part_history(id, seq, from, &change, false).await;
                return Ok(outcome);
            }

            let now = DateTime::now();
            part.state = change.to;
            part.updated_at = now;
            if let Some((raw, smsc_key)) = &change.smsc_id {
                part.smsc_message_id = Some(raw.clone());
                part.smsc_key = Some(smsc_key.clone());
                part.submitted_at = Some(change.at);
            }
            if let Some(status) = change.command_status {
                part.command_status = Some(status);
            }
            if let Some(code) = change.error_code {
                part.error_code = Some(code);
            }
            if change.count_attempt {
                part.attempts = part.attempts.saturating_add(1);
            }
            if change.to.is_final() || change.give_up {
                part.final_at = Some(change.at);
            }
            part.given_up = change.give_up;
            let part_doc = to_bson(&*part)?;
            let derived = record.derived_state();
            let mut smsc_keys: Vec<String> =
                record.parts.values().filter_map(|p| p.smsc_key.clone()).collect();
            smsc_keys.sort();
            smsc_keys.dedup();

            let mut update = doc! {
                "$set": {
                    format!("parts.{key}"): part_doc,
                    "state": derived.as_str(),
                    "smsc_keys": smsc_keys.into_iter().map(Bson::from).collect::<Vec<_>>(),
                    "updated_at": now,
                },
                "$inc": { "version": 1_i64 },
            };
            // Nothing left to send: the claim has served its purpose.
            if !MessageState::CLAIMABLE.contains(&derived) {
                update.insert("$unset", doc! { "claim": "" });
            }
            let result = self
                .messages()
                .update_one(doc! { "_id": id.as_str(), "version": record.version }, update)
                .await?;
            if result.matched_count == 1 {
                self.metrics().op(op, "applied");
                tracing::debug!(message_id = %id, seq, from = from.as_str(), to = change.to.as_str(), message_state = derived.as_str(), "part changed");
                self.part_history(id, seq, from, &change, true).await;
                return Ok(PartOutcome::Applied { part: change.to, message: derived });
            }
            self.metrics().conflict();
            tracing::debug!(message_id = %id, seq, attempt, "message changed concurrently, retrying");
            tokio::task::yield_now().await;
        }
        self.metrics().op(op, "error");
        Err(StoreError::Contended { message_id: id.to_string(), attempts: MAX_ATTEMPTS })
    }
}
