//! Submits and queries on [`SmscSession`]: window, rate limit, error
//! injection, message ids, receipts, and query_sm answered from the
//! message book.

use std::cmp::Reverse;
use std::time::Duration;

use crate::smpp::pdu::{
    Body, CommandStatus, DataSmResp, MessageId, Pdu, QuerySmResp, SmppTime, SubmitMultiResp, SubmitSmResp,
    Tlv,
};
use crate::smpp::receipt::MessageState;

use super::book::{MessageRecord, format_id, parse_id, receipt_text_id, submit_digest};
use super::deliver::{DeliveryJob, JobKind, ReceiptFacts, receipt_pdu, smpp_time};
use super::rules::SmscBindState;
use super::session::{Delayed, Effect, SmscSession};
use super::state::{Now, SimState, lock};

/// When a receipt that must precede its response goes on another bind,
/// the response waits at least this long so the receipt is out first.
const BEFORE_RESP_HOLD: Duration = Duration::from_millis(50);

/// What registered_delivery bits 1-0 ask for (v3.4 5.2.17; 3 is "success
/// only" in v5.0 4.7.21).
fn wants_receipt(registered_delivery: u8, state: MessageState) -> bool {
    match registered_delivery & 0x03 {
        1 => true,
        2 => state != MessageState::Delivered,
        3 => state == MessageState::Delivered,
        _ => false,
    }
}

impl SmscSession {
    pub(super) fn handle_submit(&mut self, now: Now, pdu: &Pdu<'_>, st: &SimState) {
        let c = &st.config;
        let seq = pdu.sequence_number;
        let resp_id = pdu.command_id().response().unwrap_or(crate::smpp::pdu::CommandId::GenericNack);
        let refuse =
            |this: &mut Self, status| this.write(&Pdu::new(status, seq, Body::EmptyResponse(resp_id)));
        // Window first, then rate: a request over either is ESME_RTHROTTLED
        // (v3.4 5.1.3 "throttling error"). ESME_RMSGQFUL would say the
        // SMSC's queue for the destination is full, which is not the case.
        if self.delayed.len() >= c.window || self.bucket.as_mut().is_some_and(|b| !b.try_take(now.at)) {
            st.metrics.throttled.inc();
            refuse(self, CommandStatus::ESME_RTHROTTLED);
            return;
        }
        if self.dice.chance(c.error_rate) {
            st.metrics.injected_errors.inc();
            refuse(self, c.error_status);
            return;
        }

        let final_state = self.dice.final_state(c.receipts.mix);
        let delay = self.dice.delay(c.receipts.delay);
        let done_unix = now.unix + delay.as_secs();
        let record = MessageRecord { final_state, done_at: now.at + delay, done_unix };
        let n = lock(&st.book).accept(record);
        st.metrics.submits_accepted.inc();
        lock(&st.recent_submits).record(pdu);
        if lock(&st.duplicates).check(submit_digest(pdu)) {
            st.metrics.duplicate_submits.inc();
        }
        let id = format_id(c.message_ids, n);
        let message_id = MessageId::new(id.as_bytes()).unwrap_or_default();
        let mut resp = match &pdu.body {
            Body::SubmitMulti(_) => {
                Body::SubmitMultiResp(SubmitMultiResp { message_id, ..Default::default() })
            }
            Body::DataSm(_) => Body::DataSmResp(DataSmResp { message_id }),
            _ => Body::SubmitSmResp(SubmitSmResp { message_id }),
        };
        let mut latency = self.dice.latency(&c.latency);

        if let (true, Some(facts)) = (c.receipts.enabled, SubmitView::of(pdu)) {
            if wants_receipt(facts.registered_delivery, final_state) {
                let text_id = receipt_text_id(c.receipts.id_variant, &id, n);
                let receipt = ReceiptFacts {
                    resp_id: &id,
                    text_id: &text_id,
                    state: final_state,
                    submit_unix: now.unix,
                    done_unix,
                    source_addr: facts.destination,
                    destination_addr: facts.source,
                    original: (facts.data_coding, facts.text),
                    tlvs: c.receipts.tlvs,
                };
                match receipt_pdu(&receipt) {
                    Ok(bytes) => {
                        let other_bind = self.dice.chance(c.receipts.other_bind_ratio);
                        let account = match self.state {
                            SmscBindState::Bound { account, .. } => Some(account),
                            _ => None,
                        };
                        let job = DeliveryJob {
                            kind: JobKind::Receipt,
                            account,
                            origin: Some(self.id),
                            other_bind,
                            attempts: 0,
                            pdu: bytes,
                        };
                        if self.dice.chance(c.receipts.before_resp_ratio) {
                            if !other_bind && self.state.receives() && self.outbound.push(job.clone()).is_ok()
                            {
                                self.pump(now, st);
                            } else {
                                self.effects.push(Effect::Schedule { due: now.at, job });
                                latency = latency.max(BEFORE_RESP_HOLD);
                            }
                        } else {
                            self.effects.push(Effect::Schedule { due: now.at + delay, job });
                        }
                    }
                    Err(err) => tracing::warn!(%err, "smsc-sim: cannot build a receipt"),
                }
            }
        }

        if latency.is_zero() {
            self.write(&Pdu::new(
                CommandStatus::ESME_ROK,
                seq,
                std::mem::replace(&mut resp, Body::GenericNack),
            ));
        } else {
            let mut bytes = Vec::with_capacity(32);
            if Pdu::new(CommandStatus::ESME_ROK, seq, resp).encode(&mut bytes).is_ok() {
                self.order += 1;
                self.delayed.push(Reverse(Delayed { due: now.at + latency, order: self.order, pdu: bytes }));
            }
        }
    }

    pub(super) fn handle_query(&mut self, now: Now, message_id: &[u8], seq: u32, st: &SimState) {
        let record = std::str::from_utf8(message_id)
            .ok()
            .and_then(|id| parse_id(st.config.message_ids, id))
            .and_then(|n| lock(&st.book).get(n));
        let Some(record) = record else {
            // v3.4 4.8.2: an unknown message is ESME_RQUERYFAIL.
            let resp = Body::EmptyResponse(crate::smpp::pdu::CommandId::QuerySmResp);
            self.write(&Pdu::new(CommandStatus::ESME_RQUERYFAIL, seq, resp));
            return;
        };
        let done = now.at >= record.done_at;
        let date = smpp_time(record.done_unix);
        let body = QuerySmResp {
            message_id: MessageId::new(message_id).unwrap_or_default(),
            final_date: if done {
                SmppTime::try_from(date.as_str()).unwrap_or_default()
            } else {
                SmppTime::default()
            },
            message_state: if done { record.final_state.as_u8() } else { MessageState::Enroute.as_u8() },
            error_code: 0,
        };
        self.write(&Pdu::new(CommandStatus::ESME_ROK, seq, Body::QuerySmResp(body)));
    }
}

/// The fields of a submit a receipt needs.
struct SubmitView<'a> {
    source: (u8, u8, &'a [u8]),
    destination: (u8, u8, &'a [u8]),
    registered_delivery: u8,
    data_coding: u8,
    text: &'a [u8],
}

impl<'a> SubmitView<'a> {
    fn of(pdu: &Pdu<'a>) -> Option<Self> {
        let payload = || match pdu.tlvs.get(crate::smpp::pdu::TlvTag::MESSAGE_PAYLOAD) {
            Some(Tlv::MessagePayload(p)) => p.as_bytes(),
            _ => &[],
        };
        match &pdu.body {
            Body::SubmitSm(b) => Some(SubmitView {
                source: (b.source_addr_ton, b.source_addr_npi, b.source_addr.as_bytes()),
                destination: (b.dest_addr_ton, b.dest_addr_npi, b.destination_addr.as_bytes()),
                registered_delivery: b.registered_delivery,
                data_coding: b.data_coding,
                text: if b.short_message.is_empty() { payload() } else { b.short_message.as_bytes() },
            }),
            Body::DataSm(b) => Some(SubmitView {
                source: (b.source_addr_ton, b.source_addr_npi, b.source_addr.as_bytes()),
                destination: (b.dest_addr_ton, b.dest_addr_npi, b.destination_addr.as_bytes()),
                registered_delivery: b.registered_delivery,
                data_coding: b.data_coding,
                text: payload(),
            }),
            // A receipt per submit_multi, addressed to its first
            // destination when that is an SME address.
            Body::SubmitMulti(b) => {
                let first = b.dest_addresses.iter().find_map(|d| match d {
                    crate::smpp::pdu::DestAddress::Sme { dest_addr_ton, dest_addr_npi, destination_addr } => {
                        Some((dest_addr_ton, dest_addr_npi, destination_addr.as_bytes()))
                    }
                    _ => None,
                })?;
                Some(SubmitView {
                    source: (b.source_addr_ton, b.source_addr_npi, b.source_addr.as_bytes()),
                    destination: first,
                    registered_delivery: b.registered_delivery,
                    data_coding: b.data_coding,
                    text: b.short_message.as_bytes(),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_delivery_bits() {
        assert!(wants_receipt(0x01, MessageState::Delivered));
        assert!(!wants_receipt(0x00, MessageState::Undeliverable));
        assert!(!wants_receipt(0x02, MessageState::Delivered) && wants_receipt(0x02, MessageState::Expired));
        assert!(wants_receipt(0x11, MessageState::Rejected), "bits above 1-0 do not matter");
    }
}
