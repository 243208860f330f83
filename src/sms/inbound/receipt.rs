//! Delivery receipts: parse (SMPP v3.4 Appendix B, TLVs first), find the
//! MT part through the Redis map keyed by the normalised SMSC id, apply
//! the final state to the stored message and publish its outcome. A
//! receipt that arrives before its submit_sm_resp was recorded (another
//! bind, another instance, a fast SMSC) is parked in Redis and matched when
//! the response is recorded, or retried by [`sweep_parked`] until
//! `receipt_hold` ends; then it is published as `sms.dr.unmatched`.

use super::Inbound;
use super::view::Message;
use crate::events::payload::{DrUnmatched, MtOutcome};
use crate::events::{EventData, EventKey};
use crate::smpp::pdu::{CommandStatus, Pdu};
use crate::smpp::receipt::{CarriedReceipt, MessageState};
use crate::sms::bind::BindId;
use crate::state::{Parked, PartRef};
use crate::store::{PartOutcome, PartState};
use serde::{Deserialize, Serialize};

/// A parked receipt: what is needed to settle it later, as JSON in Redis.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ParkedReceipt {
    pub(crate) smsc_message_id: String,
    pub(crate) state: String,
    pub(crate) error_code: Option<String>,
    pub(crate) source: String,
    pub(crate) destination: String,
    pub(crate) bind_id: String,
}

pub(super) async fn handle(
    inbound: &Inbound,
    bind: &BindId,
    pdu: &Pdu<'_>,
    carried: &CarriedReceipt<'_>,
) -> CommandStatus {
    let Some(message) = Message::of(pdu) else { return CommandStatus::ESME_RINVCMDID };
    let receipt = match carried.parse() {
        Ok(r) => r,
        Err(err) => {
            // Refusing it would only make the SMSC send it again forever.
            tracing::warn!(bind = %bind, %err, "delivery receipt not readable; acknowledged and counted");
            inbound.metrics.receipt("unreadable");
            return CommandStatus::ESME_ROK;
        }
    };
    let parked = ParkedReceipt {
        smsc_message_id: receipt.message_id.as_str().to_owned(),
        state: stat_name(receipt.state).to_owned(),
        error_code: receipt.error_code.map(|e| format!("{e:03}")),
        source: message.source(),
        destination: message.destination(),
        bind_id: bind.to_string(),
    };
    let key = receipt.message_id.correlation_key().as_str().to_owned();
    let account = &bind.account;
    let probes = inbound.probe_keys(account, &receipt.message_id);
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    let targets = match inbound.correlation.lookup(account, &probes).await {
        Ok(t) => t,
        Err(err) => {
            tracing::warn!(bind = %bind, %err, "receipt correlation unavailable; the SMSC will resend");
            return CommandStatus::ESME_RX_T_APPN;
        }
    };
    if !targets.is_empty() {
        return settle(inbound, &targets, &parked).await;
    }
    let Ok(json) = serde_json::to_string(&parked) else { return CommandStatus::ESME_RSYSERR };
    match inbound.correlation.park(account, &key, &probes, &json, inbound.receipt_hold).await {
        Ok(Parked::Held) => {
            inbound.metrics.receipt("parked");
            CommandStatus::ESME_ROK
        }
        Ok(Parked::Matched(targets)) => settle(inbound, &targets, &parked).await,
        Err(err) => {
            tracing::warn!(bind = %bind, %err, "cannot park a receipt; the SMSC will resend");
            CommandStatus::ESME_RX_T_APPN
        }
    }
}

/// Applies a receipt to the part it names and publishes the outcome. The
/// hits come in probe order, the same spelling first; more than one means
/// another message's id reads the same in the other base (message_id.rs,
/// "When two different messages collide"), and the first is the one.
async fn settle(inbound: &Inbound, targets: &[PartRef], parked: &ParkedReceipt) -> CommandStatus {
    let Some(target) = targets.first() else { return CommandStatus::ESME_ROK };
    if targets.len() > 1 {
        inbound.metrics.receipt("ambiguous");
    }
    if let Err(status) = apply(inbound, target, parked).await {
        return status;
    }
    inbound.metrics.receipt("matched");
    CommandStatus::ESME_ROK
}

/// A receipt parked before its submit_sm_resp was recorded, now that the
/// part is known (the MT worker calls it with what `record` returned).
pub async fn apply_parked(inbound: &Inbound, target: &PartRef, json: &str) {
    match serde_json::from_str::<ParkedReceipt>(json) {
        Ok(parked) => {
            if apply(inbound, target, &parked).await.is_ok() {
                inbound.metrics.receipt("matched");
            }
        }
        Err(err) => tracing::warn!(%err, "parked receipt unreadable; dropped"),
    }
}

/// The part state a final receipt state gives (SMPP v3.4 5.2.28); `None`
/// for states that are not final.
pub(crate) fn part_state(state: MessageState) -> Option<PartState> {
    match state {
        MessageState::Delivered => Some(PartState::Delivered),
        MessageState::Expired => Some(PartState::Expired),
        MessageState::Undeliverable
        | MessageState::Rejected
        | MessageState::Deleted
        | MessageState::Skipped => Some(PartState::Failed),
        _ => None,
    }
}

/// Applies one parked or fresh receipt to one part.
pub(crate) async fn apply(
    inbound: &Inbound,
    target: &PartRef,
    r: &ParkedReceipt,
) -> Result<(), CommandStatus> {
    let Some(state) = MessageState::from_stat(&r.state) else { return Ok(()) };
    // Not final (ENROUTE, ACCEPTED, UNKNOWN): nothing to record yet.
    let Some(part) = part_state(state) else { return Ok(()) };
    let Ok(id) = crate::store::MessageId::parse(&target.message_id) else { return Ok(()) };
    let error_code = r.error_code.as_deref().and_then(|e| e.parse::<u16>().ok());
    let applied = inbound
        .store
        .apply_receipt(&id, target.part, part, error_code, mongodb::bson::DateTime::now())
        .await
        .map_err(|err| {
            tracing::warn!(%err, "cannot store a receipt; the SMSC will resend");
            CommandStatus::ESME_RX_T_APPN
        })?;
    if !matches!(applied, PartOutcome::Applied { .. }) {
        // A late or repeated receipt: recorded in history, no new event.
        return Ok(());
    }
    let outcome = MtOutcome {
        message_id: target.message_id.clone(),
        smsc_message_id: r.smsc_message_id.clone(),
        destination: r.source.clone(),
        stat: r.state.clone(),
        error_code: r.error_code.clone(),
        done_at: None,
        reason: None,
    };
    let data = match state {
        MessageState::Delivered => EventData::SmsMtDelivered(outcome),
        MessageState::Expired => EventData::SmsMtExpired(outcome),
        _ => EventData::SmsMtFailed(outcome),
    };
    publish(inbound, &r.source, data).await
}

async fn publish(inbound: &Inbound, key: &str, data: EventData) -> Result<(), CommandStatus> {
    let key = EventKey::new(key).map_err(|_| CommandStatus::ESME_RINVSRCADR)?;
    let event = inbound.origin.event(key, data);
    inbound.events.publish(&event).await.map(|_| ()).map_err(|err| {
        tracing::warn!(%err, "event not durable; the SMSC will resend");
        CommandStatus::ESME_RX_T_APPN
    })
}

/// Settles parked receipts whose hold ended: matched now, or published as
/// `sms.dr.unmatched`. Run it every few seconds on every instance; each
/// parked receipt is claimed by one.
pub async fn sweep_parked(inbound: &Inbound, account: &str, limit: usize) -> usize {
    let due = match inbound.correlation.due_parked(account, limit).await {
        Ok(due) => due,
        Err(err) => {
            tracing::warn!(%err, "cannot sweep parked receipts");
            return 0;
        }
    };
    let mut settled = 0;
    for entry in due {
        let targets = inbound.correlation.lookup(account, &[entry.key.as_str()]).await.unwrap_or_default();
        for json in entry.receipts {
            let Ok(parked) = serde_json::from_str::<ParkedReceipt>(&json) else { continue };
            let done = if let Some(target) = targets.first() {
                apply(inbound, target, &parked).await
            } else {
                inbound.metrics.receipt("unmatched");
                let data = EventData::SmsDrUnmatched(DrUnmatched {
                    smsc_message_id: parked.smsc_message_id.clone(),
                    source: parked.source.clone(),
                    destination: parked.destination.clone(),
                    stat: parked.state.clone(),
                    bind_id: parked.bind_id.clone(),
                });
                publish(inbound, &parked.source, data).await
            };
            if done.is_ok() {
                settled += 1;
            }
        }
    }
    settled
}

/// The Appendix B `stat:` word of a state.
fn stat_name(state: MessageState) -> &'static str {
    state.stat_text()
}
