//! [`SmscSession`]: the SMSC side of one connection, sans I/O (shared/
//! STYLE.md rule 1). Bytes, deliveries and `now` go in; bytes to write,
//! deliveries to schedule and the next deadline come out. The connection
//! task in `connection.rs` is a thin driver around it.
//!
//! Responses to submits may wait for their drawn latency in a timer heap,
//! so they can leave out of order, as from real SMSCs. The heap holds at
//! most `window` entries: a request beyond the window is answered
//! ESME_RTHROTTLED at once. Submit handling lives in `submit.rs`, the
//! deliver_sm window in `outbound.rs`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::smpp::frame::{FrameError, next_frame};
use crate::smpp::pdu::{BindResp, Body, CommandId, CommandStatus, Pdu, Reply, SystemId, Tlv, Tlvs, decode};
use crate::smpp::session::BindKind;

use super::deliver::{BindId, DeliveryJob, JobKind};
use super::outbound::Outbound;
use super::random::Dice;
use super::rules::{Admission, SmscBindState};
use super::state::{Now, SimState, lock};
use super::stats::AccountLabel;
use super::throttle::TokenBucket;

/// sc_interface_version the sim announces in bind responses: v3.4
/// (v3.4 5.3.2.25).
const INTERFACE_VERSION: u8 = 0x34;

/// Something the driver must do for the session.
#[derive(Debug)]
pub enum Effect {
    /// Hand `job` to the delivery scheduler, due at `due` (now for an
    /// immediate routing to another bind).
    Schedule {
        /// When to route it.
        due: Instant,
        /// What.
        job: DeliveryJob,
    },
}

/// A response held back for its latency.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Delayed {
    pub(super) due: Instant,
    /// Insertion order: equal deadlines leave in arrival order.
    pub(super) order: u64,
    pub(super) pdu: Vec<u8>,
}

impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.order).cmp(&(other.due, other.order))
    }
}

impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The SMSC side of one connection.
#[derive(Debug)]
pub struct SmscSession {
    pub(super) id: BindId,
    pub(super) state: SmscBindState,
    pub(super) dice: Dice,
    /// The bind's rate limit, when one is configured.
    pub(super) bucket: Option<TokenBucket>,
    /// Responses waiting for their latency; at most `window`.
    pub(super) delayed: BinaryHeap<Reverse<Delayed>>,
    pub(super) order: u64,
    /// Bytes to write, in order.
    pub(super) out: BytesMut,
    pub(super) effects: Vec<Effect>,
    /// deliver_sm queued and unanswered.
    pub(super) outbound: Outbound,
    opened: Instant,
    last_rx: Instant,
    /// Set while the sim's own unbind waits for unbind_resp.
    unbind_deadline: Option<Instant>,
    /// The account whose bind this connection holds, until released.
    bound_account: Option<usize>,
}

impl SmscSession {
    /// A new connection with id `id`, not yet bound.
    pub fn new(id: BindId, now: Now, st: &SimState) -> Self {
        SmscSession {
            id,
            state: SmscBindState::Open,
            dice: Dice::new(st.config.seed, id),
            bucket: None,
            delayed: BinaryHeap::new(),
            order: 0,
            out: BytesMut::with_capacity(16 * 1024),
            effects: Vec::new(),
            outbound: Outbound::new(st.config.deliver_window),
            opened: now.at,
            last_rx: now.at,
            unbind_deadline: None,
            bound_account: None,
        }
    }

    /// The bind state.
    pub fn state(&self) -> SmscBindState {
        self.state
    }

    /// Whether the connection is over (write what is left, then close).
    pub fn is_closed(&self) -> bool {
        self.state == SmscBindState::Closed
    }

    /// Bytes waiting to be written; the driver writes and advances them.
    pub fn output(&mut self) -> &mut BytesMut {
        &mut self.out
    }

    /// Effects produced since the last call.
    pub fn take_effects(&mut self) -> std::vec::Drain<'_, Effect> {
        self.effects.drain(..)
    }

    /// Handles every whole PDU at the front of `input`, consuming them.
    pub fn handle_input(&mut self, now: Now, input: &mut BytesMut, st: &SimState) {
        while !self.is_closed() {
            match next_frame(input, st.config.max_frame) {
                Ok(None) => break,
                Ok(Some(len)) => {
                    let frame = input.split_to(len);
                    self.last_rx = now.at;
                    self.handle_frame(now, &frame, st);
                }
                Err(FrameError::InvalidLength { sequence, .. }) => {
                    // No reliable next boundary: answer and close (v3.4 4.3).
                    st.metrics.protocol_errors.inc();
                    self.write(&Pdu::generic_nack(CommandStatus::ESME_RINVCMDLEN, sequence.unwrap_or(0)));
                    input.clear();
                    self.close(st);
                }
            }
        }
        self.pump(now, st);
    }

    fn handle_frame(&mut self, now: Now, frame: &[u8], st: &SimState) {
        let pdu = match decode(frame) {
            Ok(pdu) => pdu,
            Err(err) => {
                st.metrics.protocol_errors.inc();
                let seq = err.sequence_number.unwrap_or(0);
                let status = err.command_status();
                match (err.reply(), err.command().and_then(CommandId::response)) {
                    (Reply::Response, Some(resp)) => {
                        self.write(&Pdu::new(status, seq, Body::EmptyResponse(resp)))
                    }
                    (Reply::Response, None) => {}
                    (Reply::GenericNack, _) => self.write(&Pdu::generic_nack(status, seq)),
                }
                return;
            }
        };
        let id = pdu.command_id();
        if id.is_response() {
            self.handle_response(now, &pdu, st);
            return;
        }
        let Some(resp_id) = id.response() else {
            return; // outbind, alert_notification: never answered (v3.4 4.1.7, 4.12).
        };
        if let Admission::Refuse(status) = self.state.admit(id) {
            st.metrics.protocol_errors.inc();
            self.write(&Pdu::new(status, pdu.sequence_number, Body::EmptyResponse(resp_id)));
            return;
        }
        let seq = pdu.sequence_number;
        match &pdu.body {
            Body::BindTransmitter(b) | Body::BindReceiver(b) | Body::BindTransceiver(b) => {
                let kind = SmscBindState::bind_kind(id).unwrap_or(BindKind::Transceiver);
                self.handle_bind(now, kind, b.system_id.as_bytes(), b.password.as_bytes(), seq, resp_id, st);
            }
            Body::EnquireLink => self.write(&Pdu::new(CommandStatus::ESME_ROK, seq, Body::EnquireLinkResp)),
            Body::Unbind => {
                // v3.4 4.2: answer, then the ESME closes; so does the sim.
                if self.bound_account.is_some() {
                    st.metrics.unbinds_received.inc();
                }
                self.write(&Pdu::new(CommandStatus::ESME_ROK, seq, Body::UnbindResp));
                self.close(st);
            }
            Body::SubmitSm(_) | Body::SubmitMulti(_) | Body::DataSm(_) => self.handle_submit(now, &pdu, st),
            Body::QuerySm(q) => self.handle_query(now, q.message_id.as_bytes(), seq, st),
            // The sim keeps no queue to cancel or replace in (v3.4 4.9, 4.10).
            Body::CancelSm(_) => {
                self.write(&Pdu::new(CommandStatus::ESME_RCANCELFAIL, seq, Body::EmptyResponse(resp_id)))
            }
            Body::ReplaceSm(_) => {
                self.write(&Pdu::new(CommandStatus::ESME_RREPLACEFAIL, seq, Body::EmptyResponse(resp_id)));
            }
            _ => {
                st.metrics.protocol_errors.inc();
                self.write(&Pdu::new(CommandStatus::ESME_RINVCMDID, seq, Body::EmptyResponse(resp_id)));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_bind(
        &mut self,
        now: Now,
        kind: BindKind,
        system_id: &[u8],
        password: &[u8],
        seq: u32,
        resp_id: CommandId,
        st: &SimState,
    ) {
        let result = lock(&st.registry).try_bind(&st.config.accounts, self.id, kind, system_id, password);
        match result {
            Ok(account) => {
                self.state = SmscBindState::Bound { kind, account };
                self.bound_account = Some(account);
                self.bucket = st.config.tps_per_bind.map(|rate| TokenBucket::new(rate, now.at));
                if let Some(a) = st.config.accounts.get(account) {
                    st.metrics.binds.get_or_create(&AccountLabel { account: a.system_id.clone() }).inc();
                }
                let system_id = SystemId::new(st.config.system_id.as_bytes()).unwrap_or_default();
                let body = BindResp { system_id };
                let body = match kind {
                    BindKind::Transmitter => Body::BindTransmitterResp(body),
                    BindKind::Receiver => Body::BindReceiverResp(body),
                    BindKind::Transceiver => Body::BindTransceiverResp(body),
                };
                let mut pdu = Pdu::new(CommandStatus::ESME_ROK, seq, body);
                pdu.tlvs = Tlvs::from_items(vec![Tlv::ScInterfaceVersion(INTERFACE_VERSION)]);
                self.write(&pdu);
            }
            Err(status) => {
                st.note_refusal(status);
                self.write(&Pdu::new(status, seq, Body::EmptyResponse(resp_id)));
            }
        }
    }

    fn handle_response(&mut self, now: Now, pdu: &Pdu<'_>, st: &SimState) {
        match pdu.body {
            Body::DeliverSmResp(_)
            | Body::DataSmResp(_)
            | Body::EmptyResponse(CommandId::DeliverSmResp | CommandId::DataSmResp)
            | Body::GenericNack => {
                if self.outbound.kind_of(pdu.sequence_number) == Some(JobKind::Replay) {
                    st.note_replay_response(pdu.command_status);
                }
                let outcome =
                    self.outbound.answered(pdu.sequence_number, pdu.command_status, pdu.command_id());
                if let Some(job) = outcome {
                    self.retry(now, job, st);
                }
            }
            Body::UnbindResp if self.state == SmscBindState::Unbinding => self.close(st),
            _ => {}
        }
    }

    /// A delivery routed to this bind.
    pub fn handle_delivery(&mut self, now: Now, job: DeliveryJob, st: &SimState) {
        if !self.state.receives() {
            // Routed here just as the bind stopped receiving (unbinding):
            // a later try, so the job cannot bounce straight back.
            self.retry(now, job, st);
            return;
        }
        if let Err(job) = self.outbound.push(job) {
            self.effects.push(Effect::Schedule { due: now.at + st.config.receipts.retry_delay, job });
        }
        self.pump(now, st);
    }

    /// Sends a job again later, or gives it up after `max_attempts`.
    pub(super) fn retry(&mut self, now: Now, mut job: DeliveryJob, st: &SimState) {
        job.attempts = job.attempts.saturating_add(1);
        if job.attempts >= st.config.receipts.max_attempts {
            st.metrics.deliveries_dropped.inc();
            return;
        }
        st.metrics.deliveries_retried.inc();
        self.effects.push(Effect::Schedule { due: now.at + st.config.receipts.retry_delay, job });
    }

    /// Writes queued deliveries the window allows.
    pub(super) fn pump(&mut self, now: Now, st: &SimState) {
        if self.state.receives() {
            self.outbound.send_ready(now.at, &mut self.out, &st.metrics);
        }
    }

    /// Does whatever is due: held responses, unanswered deliver_sm, the
    /// bind and inactivity timeouts, the unbind grace.
    pub fn handle_timeout(&mut self, now: Now, st: &SimState) {
        while let Some(Reverse(top)) = self.delayed.peek() {
            if top.due > now.at {
                break;
            }
            if let Some(Reverse(d)) = self.delayed.pop() {
                self.out.extend_from_slice(&d.pdu);
            }
        }
        for job in self.outbound.expired(now.at, st.config.deliver_timeout) {
            self.retry(now, job, st);
        }
        let idle_limit = match self.state {
            SmscBindState::Open => Some(self.opened + st.config.bind_timeout),
            SmscBindState::Bound { .. } => Some(self.last_rx + st.config.inactivity_timeout),
            _ => None,
        };
        if idle_limit.is_some_and(|t| now.at >= t) || self.unbind_deadline.is_some_and(|t| now.at >= t) {
            self.close(st);
        }
        self.pump(now, st);
    }

    /// The next moment [`SmscSession::handle_timeout`] has work.
    pub fn poll_timeout(&self, st: &SimState) -> Option<Instant> {
        let idle = match self.state {
            SmscBindState::Open => Some(self.opened + st.config.bind_timeout),
            SmscBindState::Bound { .. } => Some(self.last_rx + st.config.inactivity_timeout),
            _ => None,
        };
        [
            self.delayed.peek().map(|Reverse(d)| d.due),
            self.outbound.next_expiry(st.config.deliver_timeout),
            idle,
            self.unbind_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The sim ends the session: unbind (v3.4 4.2) and wait up to `grace`
    /// for unbind_resp; an unbound connection just closes.
    pub fn start_unbind(&mut self, now: Now, grace: Duration, st: &SimState) {
        match self.state {
            SmscBindState::Bound { .. } => {
                // Responses still held go out first: the ESME gets an
                // answer to everything it sent.
                while let Some(Reverse(d)) = self.delayed.pop() {
                    self.out.extend_from_slice(&d.pdu);
                }
                let seq = self.outbound.next_sequence();
                self.write(&Pdu::new(CommandStatus::ESME_ROK, seq, Body::Unbind));
                self.state = SmscBindState::Unbinding;
                self.unbind_deadline = Some(now.at + grace);
            }
            SmscBindState::Unbinding | SmscBindState::Closed => {}
            SmscBindState::Open => self.close(st),
        }
    }

    /// Ends a session whose connection is gone: a bind still held had no
    /// unbind exchange and counts as lost. Idempotent.
    pub fn close_connection(&mut self, st: &SimState) {
        if self.bound_account.is_some() && self.state != SmscBindState::Unbinding {
            st.metrics.binds_lost.inc();
        }
        self.close(st);
    }

    /// Marks the session closed and frees its bind. Idempotent.
    pub fn close(&mut self, st: &SimState) {
        if let Some(account) = self.bound_account.take() {
            self.release(account, st);
        }
        self.state = SmscBindState::Closed;
    }

    fn release(&mut self, account: usize, st: &SimState) {
        lock(&st.registry).release(account, self.id);
        if let Some(a) = st.config.accounts.get(account) {
            st.metrics.binds.get_or_create(&AccountLabel { account: a.system_id.clone() }).dec();
        }
    }

    /// Deliveries not yet answered, to be routed elsewhere once the
    /// connection is gone.
    pub fn take_undelivered(&mut self) -> Vec<DeliveryJob> {
        self.outbound.drain()
    }

    /// Encodes `pdu` at the end of the output. Every PDU the sim builds is
    /// within the codec's limits, so a failure here is a sim bug: it is
    /// logged and the PDU skipped rather than taking the connection down.
    pub(super) fn write(&mut self, pdu: &Pdu<'_>) {
        if let Err(err) = pdu.encode(&mut self.out) {
            tracing::warn!(%err, command = %pdu.command_id(), "smsc-sim: cannot encode its own PDU");
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
