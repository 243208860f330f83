//! The ESME side of one SMPP session, without I/O (shared/STYLE.md rule 1).
//!
//! The driver that owns the socket feeds it whole frames
//! ([`EsmeSession::handle_frame`]) and the current time
//! ([`EsmeSession::handle_timeout`]), and takes from it the bytes to write
//! ([`EsmeSession::take_outgoing`]), the events to act on
//! ([`EsmeSession::poll_event`]) and the next moment it must be woken
//! ([`EsmeSession::poll_timeout`]). The session never reads a clock.
//!
//! What it takes care of:
//! - the bind, and the unbind handshake in both directions (v3.4 4.1, 4.2);
//! - which PDUs each bind state allows ([`SessionState`]), answering a
//!   request the state does not allow with ESME_RINVBNDSTS;
//! - sequence numbers, and a window of outstanding requests each with a
//!   response deadline; a request that times out is reported, never resent,
//!   so a message the SMSC did take is not submitted twice;
//! - a response that arrives after its request timed out, within the
//!   late-response window, still handed out for that request
//!   ([`LateAnswers`]; responses match requests by sequence_number alone,
//!   v3.4 2.6 and 3.2), so the application learns the SMSC's message id;
//! - enquire_link when the SMSC has been silent for the keepalive interval,
//!   answering the SMSC's enquire_link, and declaring the link dead when an
//!   enquire_link goes unanswered;
//! - generic_nack (or the PDU's own response with the error status) for
//!   input that does not decode (v3.4 4.3);
//! - a bounded number of the SMSC's requests (deliver_sm, data_sm) awaiting
//!   the application's answer, which it gives with [`EsmeSession::respond`]
//!   once the message is safe.

mod late;
mod state;
mod window;

#[cfg(test)]
mod tests;

pub use late::LateAnswers;
pub use state::{BindKind, SessionState};
pub use window::{MAX_SEQUENCE, Pending, RequestTag, SequenceNumbers, Window};

use crate::smpp::pdu::{
    Bind, Body, CommandId, CommandStatus, DataSmResp, DeliverSmResp, Pdu, PduError, Reply, Tlvs, decode,
};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How one session behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Which bind to make.
    pub bind_kind: BindKind,
    /// The account, at most 15 characters.
    pub system_id: String,
    /// The password, at most 8 characters.
    pub password: String,
    /// system_type, often empty.
    pub system_type: String,
    /// address_range for receivers, often empty.
    pub address_range: String,
    /// Outstanding application requests at most (the v3.4 specification
    /// recommends no more than 10; SMSCs grant 10-64).
    pub window: usize,
    /// How long a request may wait for its response.
    pub response_timeout: Duration,
    /// Send enquire_link when nothing was received for this long.
    pub enquire_link_interval: Duration,
    /// The SMSC's requests awaiting the application's answer, at most;
    /// beyond it they are answered ESME_RX_T_APPN at once so the SMSC
    /// retries later.
    pub max_unanswered: usize,
    /// How long after its timeout a request's response is still matched
    /// to it (zero: never).
    pub late_window: Duration,
    /// Timed-out requests kept for late responses at most; the oldest is
    /// forgotten first.
    pub late_capacity: usize,
}

/// Default of [`SessionConfig::late_capacity`].
pub const LATE_CAPACITY: usize = 4096;

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            bind_kind: BindKind::Transceiver,
            system_id: String::new(),
            password: String::new(),
            system_type: String::new(),
            address_range: String::new(),
            window: 10,
            response_timeout: Duration::from_secs(10),
            enquire_link_interval: Duration::from_secs(30),
            max_unanswered: 64,
            late_window: Duration::from_secs(600),
            late_capacity: LATE_CAPACITY,
        }
    }
}

/// What happened that the application must know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The bind succeeded.
    Bound {
        /// The kind of bind.
        kind: BindKind,
        /// The SMSC's system_id from the bind response.
        smsc_system_id: String,
    },
    /// The SMSC refused the bind; the session is closed. ESME_RALYBND means
    /// the SMSC still holds an earlier session: wait before binding again.
    BindRefused {
        /// The SMSC's answer.
        status: CommandStatus,
    },
    /// The bind got no answer within the response timeout; the session is
    /// closed.
    BindTimedOut,
    /// No response within the response timeout. The request may or may not
    /// have been carried out: the application must not resend blindly.
    TimedOut {
        /// The application's tag.
        tag: RequestTag,
        /// What was sent.
        command: CommandId,
        /// Whether a late response to it will still be handed out (as
        /// [`Inbound::Response`] with `late`) until its late-response
        /// window closes ([`SessionEvent::LateForgotten`]).
        awaiting_late: bool,
    },
    /// A timed-out request's late-response window closed (its time ran
    /// out, or newer timeouts pushed it out): a response to it is now
    /// unmatched.
    LateForgotten {
        /// The application's tag.
        tag: RequestTag,
    },
    /// The session ended with this request still unanswered (unbind, dead
    /// link); the same caution as for [`SessionEvent::TimedOut`] applies.
    Abandoned {
        /// The application's tag.
        tag: RequestTag,
        /// What was sent.
        command: CommandId,
    },
    /// The SMSC sent outbind: bind as a receiver (v3.4 4.1.7).
    OutbindReceived,
    /// A response matched no outstanding or late-kept request (after its
    /// late-response window, or a broken peer); it was dropped.
    UnmatchedResponse {
        /// Its command.
        command: CommandId,
        /// Its sequence number.
        sequence: u32,
    },
    /// A PDU from the SMSC did not decode or was not allowed; it was
    /// answered with `status`.
    Rejected {
        /// The status sent back.
        status: CommandStatus,
        /// The command, when its id was known.
        command: Option<CommandId>,
    },
    /// An enquire_link went unanswered: the connection is dead and the
    /// session closed.
    LinkDead,
    /// The session is over; close the connection.
    Closed {
        /// True when the SMSC asked for the unbind.
        by_peer: bool,
    },
}

/// What a frame from the SMSC meant for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound<'f> {
    /// The response to an application request (or a generic_nack for it):
    /// `pdu.command_status` says how it went.
    Response {
        /// The tag given with the request.
        tag: RequestTag,
        /// The response, borrowing from the frame.
        pdu: Pdu<'f>,
        /// True when the request had timed out already
        /// ([`SessionEvent::TimedOut`]) and this came within its
        /// late-response window.
        late: bool,
    },
    /// A deliver_sm or data_sm to answer with [`EsmeSession::respond`], or
    /// an alert_notification, which has no answer.
    Request(Pdu<'f>),
}

/// Why the session refused an application call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The current state does not allow sending this command (not bound,
    /// bound as a receiver, unbinding, closed).
    #[error("{command} not allowed in state {state}")]
    NotAllowed {
        /// The command refused.
        command: CommandId,
        /// The state's name.
        state: &'static str,
    },
    /// Every window slot is taken; wait for a response or a timeout.
    #[error("window full ({0} requests outstanding)")]
    WindowFull(usize),
    /// The PDU breaks a limit of the specification.
    #[error("cannot encode: {0}")]
    Encode(#[from] PduError),
    /// `respond` named a request that is not awaiting an answer.
    #[error("no unanswered request with sequence number {0}")]
    NotAwaitingAnswer(u32),
    /// A bind setting breaks the field's limit (system_id over 15
    /// characters, password over 8, ...).
    #[error("{field}: {error}")]
    InvalidSetting {
        /// The setting's field name.
        field: &'static str,
        /// What is wrong with it.
        error: crate::smpp::pdu::ValueError,
    },
    /// `submit` was given a response or a session-level command.
    #[error("{0} is not an application request")]
    NotARequest(CommandId),
}

/// A session-internal request in flight (bind, enquire_link, unbind).
#[derive(Debug, Clone, Copy)]
struct Control {
    sequence: u32,
    command: CommandId,
    deadline: Instant,
}

/// One ESME session; see the module doc.
#[derive(Debug)]
pub struct EsmeSession {
    config: SessionConfig,
    state: SessionState,
    sequences: SequenceNumbers,
    window: Window,
    /// Timed-out requests whose response may still come.
    late: LateAnswers,
    /// bind, enquire_link or unbind awaiting its response.
    control: Option<Control>,
    /// The SMSC's requests awaiting the application's answer.
    unanswered: Vec<(u32, CommandId)>,
    /// When the SMSC was last heard from.
    last_received: Instant,
    outgoing: BytesMut,
    events: VecDeque<SessionEvent>,
}

impl EsmeSession {
    /// A session on a freshly opened connection, at `now`.
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        Self::with_sequences(config, now, SequenceNumbers::default())
    }

    /// As [`EsmeSession::new`], with the sequence counter given (tests).
    pub fn with_sequences(config: SessionConfig, now: Instant, sequences: SequenceNumbers) -> Self {
        let window = Window::new(config.window);
        let late = LateAnswers::new(config.late_capacity, config.late_window);
        Self {
            config,
            state: SessionState::Open,
            sequences,
            window,
            late,
            control: None,
            unanswered: Vec::new(),
            last_received: now,
            outgoing: BytesMut::with_capacity(4096),
            events: VecDeque::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Application requests outstanding.
    pub fn in_flight(&self) -> usize {
        self.window.len()
    }

    /// Whether another application request fits in the window now.
    pub fn can_submit(&self) -> bool {
        self.state.is_bound() && self.window.has_room()
    }

    /// Sends the bind request of the configured kind.
    pub fn bind(&mut self, now: Instant) -> Result<(), SessionError> {
        let kind = self.config.bind_kind;
        self.check_send(kind.bind_command())?;
        let sequence = self.next_sequence();
        let config = &self.config;
        let bind = Bind {
            system_id: cstr("system_id", &config.system_id)?,
            password: cstr("password", &config.password)?,
            system_type: cstr("system_type", &config.system_type)?,
            interface_version: 0x34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: cstr("address_range", &config.address_range)?,
        };
        let body = match kind {
            BindKind::Transmitter => Body::BindTransmitter(bind),
            BindKind::Receiver => Body::BindReceiver(bind),
            BindKind::Transceiver => Body::BindTransceiver(bind),
        };
        // Encoded here rather than through send_control: the body borrows
        // the configuration.
        Pdu::new(CommandStatus::ESME_ROK, sequence, body).encode(&mut self.outgoing)?;
        self.control = Some(Control {
            sequence,
            command: kind.bind_command(),
            deadline: now + self.config.response_timeout,
        });
        self.state = SessionState::Binding(kind);
        Ok(())
    }

    /// Sends an application request (submit_sm, data_sm, query_sm, ...),
    /// returning its sequence number. `tag` comes back with its response or
    /// timeout.
    pub fn submit(
        &mut self,
        body: Body<'_>,
        tlvs: Tlvs<'_>,
        tag: RequestTag,
        now: Instant,
    ) -> Result<u32, SessionError> {
        let command = body.command_id();
        // The session sends its own binds, keepalives and unbinds; the
        // application sends requests that carry messages, and no responses.
        let session_level = matches!(
            command,
            CommandId::BindTransmitter
                | CommandId::BindReceiver
                | CommandId::BindTransceiver
                | CommandId::Outbind
                | CommandId::EnquireLink
                | CommandId::Unbind
        );
        if command.is_response() || session_level {
            return Err(SessionError::NotARequest(command));
        }
        self.check_send(command)?;
        if !self.window.has_room() {
            return Err(SessionError::WindowFull(self.window.len()));
        }
        let sequence = self.next_sequence();
        let pdu = Pdu { command_status: CommandStatus::ESME_ROK, sequence_number: sequence, body, tlvs };
        pdu.encode(&mut self.outgoing)?;
        let deadline = now + self.config.response_timeout;
        self.window.insert(Pending { sequence, command, tag, deadline });
        Ok(sequence)
    }

    /// Answers the SMSC's request `sequence` (a deliver_sm or data_sm handed
    /// out by [`EsmeSession::handle_frame`]) with `status`.
    pub fn respond(&mut self, sequence: u32, status: CommandStatus) -> Result<(), SessionError> {
        let at = self
            .unanswered
            .iter()
            .position(|(s, _)| *s == sequence)
            .ok_or(SessionError::NotAwaitingAnswer(sequence))?;
        let (_, command) = self.unanswered.swap_remove(at);
        self.send_response(command, status, sequence)?;
        Ok(())
    }

    /// Starts the unbind handshake (v3.4 4.2): no new requests; the session
    /// closes on unbind_resp or after the response timeout.
    pub fn unbind(&mut self, now: Instant) -> Result<(), SessionError> {
        self.check_send(CommandId::Unbind)?;
        self.send_control(Body::Unbind, now)?;
        self.state = SessionState::Unbinding;
        Ok(())
    }

    /// Handles one whole frame from the SMSC (cut by the framing layer).
    pub fn handle_frame<'f>(&mut self, frame: &'f [u8], now: Instant) -> Option<Inbound<'f>> {
        if self.state == SessionState::Closed {
            return None;
        }
        self.last_received = now;
        let pdu = match decode(frame) {
            Ok(pdu) => pdu,
            Err(err) => {
                self.reject_undecodable(
                    err.command(),
                    err.sequence_number,
                    err.command_status(),
                    err.reply(),
                );
                return None;
            }
        };
        let command = pdu.command_id();
        if command.is_response() { self.handle_response(pdu, now) } else { self.handle_request(pdu) }
    }

    /// Acts on every deadline at or before `now`: response timeouts, a
    /// dead link, a keepalive that is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == SessionState::Closed {
            return;
        }
        for tag in self.late.expire(now) {
            self.events.push_back(SessionEvent::LateForgotten { tag });
        }
        for expired in self.window.expire(now) {
            let kept = self.late.keep(expired.sequence, expired.command, expired.tag, now);
            if let late::Keep::Kept { forgotten: Some(tag) } = kept {
                self.events.push_back(SessionEvent::LateForgotten { tag });
            }
            self.events.push_back(SessionEvent::TimedOut {
                tag: expired.tag,
                command: expired.command,
                awaiting_late: kept != late::Keep::Off,
            });
        }
        if let Some(control) = self.control
            && control.deadline <= now
        {
            self.control = None;
            match control.command {
                CommandId::EnquireLink => {
                    self.events.push_back(SessionEvent::LinkDead);
                    self.close(false);
                }
                CommandId::Unbind => self.close(false),
                _ => {
                    self.events.push_back(SessionEvent::BindTimedOut);
                    self.close(false);
                }
            }
            return;
        }
        if self.state.is_bound()
            && self.control.is_none()
            && now >= self.last_received + self.config.enquire_link_interval
        {
            // Encoding an enquire_link cannot fail: it has no fields.
            let _ = self.send_control(Body::EnquireLink, now);
        }
    }

    /// The next moment [`EsmeSession::handle_timeout`] must be called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == SessionState::Closed {
            return None;
        }
        let keepalive = (self.state.is_bound() && self.control.is_none())
            .then(|| self.last_received + self.config.enquire_link_interval);
        [self.window.next_deadline(), self.late.next_deadline(), self.control.map(|c| c.deadline), keepalive]
            .into_iter()
            .flatten()
            .min()
    }

    /// The bytes to write to the socket, if any (whole PDUs, in order).
    pub fn take_outgoing(&mut self) -> Option<Bytes> {
        (!self.outgoing.is_empty()).then(|| self.outgoing.split().freeze())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// Matches a response to its request by sequence_number (v3.4 2.6,
    /// 3.2): an outstanding one, else one that timed out within its
    /// late-response window.
    fn handle_response<'f>(&mut self, pdu: Pdu<'f>, now: Instant) -> Option<Inbound<'f>> {
        let command = pdu.command_id();
        let sequence = pdu.sequence_number;
        if let Some(control) = self.control.filter(|c| c.sequence == sequence) {
            self.control = None;
            self.handle_control_response(control.command, &pdu);
            return None;
        }
        match self.window.take(sequence) {
            Some(pending)
                if command == CommandId::GenericNack || pending.command.response() == Some(command) =>
            {
                Some(Inbound::Response { tag: pending.tag, pdu, late: false })
            }
            Some(pending) => {
                // The right sequence with the wrong command: keep waiting
                // for the real answer, report the stray one.
                self.window.insert(pending);
                self.events.push_back(SessionEvent::UnmatchedResponse { command, sequence });
                None
            }
            None => match self.late.take(sequence, command, now) {
                Some(tag) => Some(Inbound::Response { tag, pdu, late: true }),
                None => {
                    self.events.push_back(SessionEvent::UnmatchedResponse { command, sequence });
                    None
                }
            },
        }
    }

    fn handle_control_response(&mut self, sent: CommandId, pdu: &Pdu<'_>) {
        match (sent, &pdu.body) {
            (CommandId::EnquireLink, _) => {}
            (CommandId::Unbind, _) => self.close(false),
            (_, body) => {
                let SessionState::Binding(kind) = self.state else { return };
                if pdu.command_status.is_ok() {
                    let smsc_system_id = match body {
                        Body::BindTransmitterResp(r)
                        | Body::BindReceiverResp(r)
                        | Body::BindTransceiverResp(r) => {
                            String::from_utf8_lossy(r.system_id.as_bytes()).into_owned()
                        }
                        _ => String::new(),
                    };
                    self.state = SessionState::Bound(kind);
                    self.events.push_back(SessionEvent::Bound { kind, smsc_system_id });
                } else {
                    self.events.push_back(SessionEvent::BindRefused { status: pdu.command_status });
                    self.close(false);
                }
            }
        }
    }

    fn handle_request<'f>(&mut self, pdu: Pdu<'f>) -> Option<Inbound<'f>> {
        let command = pdu.command_id();
        let sequence = pdu.sequence_number;
        if !self.state.can_receive(command) {
            self.reject(command, sequence, CommandStatus::ESME_RINVBNDSTS);
            return None;
        }
        match command {
            CommandId::EnquireLink => {
                let _ = self.send_response(CommandId::EnquireLink, CommandStatus::ESME_ROK, sequence);
                None
            }
            CommandId::Unbind => {
                let _ = self.send_response(CommandId::Unbind, CommandStatus::ESME_ROK, sequence);
                self.close(true);
                None
            }
            CommandId::Outbind => {
                self.events.push_back(SessionEvent::OutbindReceived);
                None
            }
            CommandId::AlertNotification => Some(Inbound::Request(pdu)),
            _ => {
                if self.unanswered.len() >= self.config.max_unanswered {
                    // v3.4 5.1.3: a temporary receiver error; the SMSC retries.
                    self.reject(command, sequence, CommandStatus::ESME_RX_T_APPN);
                    return None;
                }
                self.unanswered.push((sequence, command));
                Some(Inbound::Request(pdu))
            }
        }
    }

    /// Answers a PDU that did not decode: generic_nack when its header is
    /// unusable, else its own response carrying the error (v3.4 4.3).
    fn reject_undecodable(
        &mut self,
        command: Option<CommandId>,
        sequence: Option<u32>,
        status: CommandStatus,
        reply: Reply,
    ) {
        let sequence = sequence.unwrap_or(0);
        match (reply, command) {
            (Reply::Response, Some(command)) if command.is_response() => {
                // A broken response: nothing to answer; the request it
                // belonged to times out.
                self.events.push_back(SessionEvent::Rejected { status, command: Some(command) });
            }
            (Reply::Response, Some(command)) => self.reject(command, sequence, status),
            _ => {
                let _ = self.send(Pdu::generic_nack(status, sequence));
                self.events.push_back(SessionEvent::Rejected { status, command });
            }
        }
    }

    /// Answers a request with an error status: its own response, or
    /// generic_nack for a PDU that has none.
    fn reject(&mut self, command: CommandId, sequence: u32, status: CommandStatus) {
        if command.response().is_some() {
            let _ = self.send_response(command, status, sequence);
        } else if command != CommandId::Outbind && command != CommandId::AlertNotification {
            let _ = self.send(Pdu::generic_nack(status, sequence));
        }
        self.events.push_back(SessionEvent::Rejected { status, command: Some(command) });
    }

    fn send_response(
        &mut self,
        request: CommandId,
        status: CommandStatus,
        sequence: u32,
    ) -> Result<(), PduError> {
        let body = match (request, status.is_ok()) {
            (CommandId::DeliverSm, true) => Body::DeliverSmResp(DeliverSmResp::default()),
            (CommandId::DataSm, true) => Body::DataSmResp(DataSmResp::default()),
            (CommandId::EnquireLink, _) => Body::EnquireLinkResp,
            (CommandId::Unbind, _) => Body::UnbindResp,
            (other, _) => match other.response() {
                // v3.4 4.4.2 and peers: an error response may leave out its body.
                Some(resp) if Body::has_fields(resp) => Body::EmptyResponse(resp),
                Some(CommandId::CancelSmResp) => Body::CancelSmResp,
                Some(CommandId::ReplaceSmResp) => Body::ReplaceSmResp,
                Some(CommandId::CancelBroadcastSmResp) => Body::CancelBroadcastSmResp,
                _ => Body::GenericNack,
            },
        };
        let status = if matches!(body, Body::EmptyResponse(_)) && status.is_ok() {
            CommandStatus::ESME_RSYSERR
        } else {
            status
        };
        self.send(Pdu::new(status, sequence, body))
    }

    fn send_control(&mut self, body: Body<'_>, now: Instant) -> Result<(), SessionError> {
        let command = body.command_id();
        let sequence = self.next_sequence();
        self.send(Pdu::new(CommandStatus::ESME_ROK, sequence, body))?;
        self.control = Some(Control { sequence, command, deadline: now + self.config.response_timeout });
        Ok(())
    }

    fn send(&mut self, pdu: Pdu<'_>) -> Result<(), PduError> {
        pdu.encode(&mut self.outgoing)
    }

    fn check_send(&self, command: CommandId) -> Result<(), SessionError> {
        if self.state.can_send(command) {
            Ok(())
        } else {
            Err(SessionError::NotAllowed { command, state: self.state.as_str() })
        }
    }

    /// The next sequence number not still in use (after a wrap, a number
    /// can still be outstanding).
    fn next_sequence(&mut self) -> u32 {
        loop {
            let n = self.sequences.next();
            let in_control = self.control.is_some_and(|c| c.sequence == n);
            if !self.window.contains(n) && !self.late.contains(n) && !in_control {
                return n;
            }
        }
    }

    fn close(&mut self, by_peer: bool) {
        for pending in self.window.drain() {
            self.events.push_back(SessionEvent::Abandoned { tag: pending.tag, command: pending.command });
        }
        self.unanswered.clear();
        self.late.clear();
        self.control = None;
        self.state = SessionState::Closed;
        self.events.push_back(SessionEvent::Closed { by_peer });
    }
}

/// A bind field from a setting, checked against its limit.
fn cstr<'v, const MAX: usize>(
    field: &'static str,
    value: &'v str,
) -> Result<crate::smpp::pdu::COctetString<'v, MAX>, SessionError> {
    crate::smpp::pdu::COctetString::new(value.as_bytes())
        .map_err(|error| SessionError::InvalidSetting { field, error })
}
