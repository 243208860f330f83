//! The gateway's side of one applet session, without I/O (shared/STYLE.md
//! rule 1): bytes and `now` in; frames, events and the next deadline out.
//!
//! Order of the opening, so nothing is revealed before the checksum
//! verifies: (1) the opening frame's structure and the security its clear
//! header shows (the same for every SIM); (2) [`SessionEvent::NeedKeys`];
//! (3) with the keys from [`AppletSession::provide_keys`], or the decoy key
//! when the ICCID or the key version is unknown, the checksum; (4) only
//! then TAR, counter (TS 102 225 5.1.1 counter management) and the hello.
//! Every failure at (3), whatever its cause, closes with "bad checksum" on
//! the wire; failures at (1) depend on nothing but the octets sent.

mod messages;
mod opening;

use super::config::ServerConfig;
use super::event::{SendError, SessionEvent, SimCredentials};
use super::liveness::{Due, Liveness};
use super::outbox::{Outbox, OutboxError};
use crate::sim::applet::binding::{self, Direction, ICCID_LEN};
use crate::sim::applet::channel::{message_spi, seal_message};
use crate::sim::applet::{AppletMessage, CloseReason, CommandId, CommandType};
use crate::sim::frame::{FrameError, FrameReader};
use crate::sim::ids::{Iccid, Kvn, Tar};
use crate::sim::keys::KeySet;
use crate::sim::secured::{Counter, CounterDecision, CounterMode};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// The gateway's release, in its hello (informative).
const SERVER_VERSION: u16 = 1;

/// One session, from accept to close.
#[derive(Debug)]
pub struct AppletSession {
    config: Arc<ServerConfig>,
    state: State,
    reader: FrameReader,
    outbox: Outbox,
    /// Events not yet polled; a handful per frame, and frames per call are
    /// bounded by the input the driver passes. Unallocated when empty.
    events: VecDeque<SessionEvent>,
    /// When the session must be open by.
    handshake_deadline: Instant,
    liveness: Liveness,
    /// Commands sent and not yet answered: (counter of their packet, id),
    /// at most `max_pending_commands`. Kept after the close, for the driver.
    in_flight: VecDeque<(Counter, CommandId)>,
}

#[derive(Debug)]
enum State {
    /// Waiting for the opening frame.
    Opening,
    /// The opening frame is in; waiting for the registry.
    AwaitingKeys { iccid: Iccid, kvn: Kvn, packet: Vec<u8> },
    /// Authenticated.
    Open(Box<Open>),
    /// Ended; only queued frames are left.
    Closed,
}

/// What an open session knows.
#[derive(Debug)]
struct Open {
    iccid_octets: [u8; ICCID_LEN],
    keys: KeySet,
    tar: Tar,
    /// Whether both directions cipher (as the applet's opening did).
    ciphered: bool,
    /// The opening's counter, bound into every checksum of the session.
    session: Counter,
    /// The SIM's last accepted counter.
    last_in: Counter,
    /// The gateway's last used counter in this session.
    last_out: Counter,
}

impl AppletSession {
    /// A session for a connection accepted at `now`.
    pub fn new(config: Arc<ServerConfig>, now: Instant) -> Self {
        let outbox = Outbox::new(config.max_pending_frames, config.max_frame);
        Self {
            reader: FrameReader::new(config.max_frame),
            outbox,
            events: VecDeque::new(),
            handshake_deadline: now + config.handshake_timeout,
            liveness: Liveness::new(now, config.heartbeat_interval, config.idle_timeout),
            state: State::Opening,
            in_flight: VecDeque::new(),
            config,
        }
    }

    /// Whether the session is open.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Octets read from the socket.
    pub fn handle_bytes(&mut self, now: Instant, mut input: &[u8]) {
        if input.is_empty() || self.is_closed() {
            return;
        }
        self.liveness.received(now);
        while !input.is_empty() && !self.is_closed() {
            if matches!(self.state, State::AwaitingKeys { .. }) {
                // The applet must wait for the gateway's hello.
                return self.close(CloseReason::ProtocolError, false);
            }
            match self.reader.push(input) {
                Ok((n, frame)) => {
                    input = &input[n..];
                    if let Some(payload) = frame {
                        self.on_frame(now, &payload);
                    }
                }
                Err(FrameError::TooLarge { .. }) => return self.close(CloseReason::FrameTooLarge, false),
                Err(_) => return self.close(CloseReason::ProtocolError, false),
            }
        }
    }

    /// Room held by the event and frame queues, and octets by the frame
    /// reader (for the tests: all zero in an idle session).
    #[cfg(test)]
    pub(crate) fn held(&self) -> (usize, usize, usize) {
        (self.events.capacity(), self.outbox.capacity(), self.reader.buffered())
    }

    /// The next frame to write.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop()
    }

    /// The next event. A drained queue gives its memory back: an idle
    /// session holds no event room (docs/benchmarks.md, "Applet endpoint").
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        let event = self.events.pop_front();
        if self.events.is_empty() && self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        event
    }

    /// When `handle_timeout` must be called next; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Open(_) => Some(self.liveness.next_deadline()),
            _ => Some(self.handshake_deadline),
        }
    }

    /// The clock reached `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::Open(_) => match self.liveness.due(now) {
                Due::Idle => self.close(CloseReason::IdleTimeout, false),
                Due::Heartbeat => {
                    if self.outbox.is_empty() {
                        self.send_auto(now, &AppletMessage::Heartbeat, false);
                    } else {
                        self.liveness.sent(now);
                    }
                }
                Due::Nothing => {}
            },
            _ if now >= self.handshake_deadline => self.close(CloseReason::HandshakeTimeout, false),
            _ => {}
        }
    }

    /// Ends the session with `reason` (for example server draining): a
    /// close frame is queued and [`SessionEvent::Closed`] follows.
    pub fn begin_close(&mut self, reason: CloseReason) {
        self.close(reason, false);
    }

    /// The registry's answer to [`SessionEvent::NeedKeys`]: `None` when the
    /// ICCID is unknown. Ignored in any other state.
    pub fn provide_keys(&mut self, now: Instant, credentials: Option<SimCredentials>) {
        let State::AwaitingKeys { .. } = self.state else {
            return;
        };
        let State::AwaitingKeys { iccid, kvn, packet } = std::mem::replace(&mut self.state, State::Opening)
        else {
            return;
        };
        match self.verify_opening(&iccid, kvn, &packet, credentials.as_ref()) {
            Ok((opened, hello)) => self.open(now, iccid, opened, hello),
            Err(reason) => self.close(reason, false),
        }
    }

    /// Sends a command; its PoR and result come back as events.
    pub fn send_command(
        &mut self,
        now: Instant,
        id: CommandId,
        kind: CommandType,
        payload: Vec<u8>,
    ) -> Result<(), SendError> {
        let max = self.config.max_pending_commands;
        if !self.is_open() {
            return Err(SendError::NotOpen);
        }
        if self.in_flight.len() >= max || !self.outbox.has_room() {
            return Err(SendError::Full);
        }
        let counter = self.send(now, &AppletMessage::Command { id, kind, payload }, true)?;
        self.in_flight.push_back((counter, id));
        Ok(())
    }

    /// Commands sent in this session and not answered yet, oldest first:
    /// what the driver queues again once the session has ended.
    pub fn unanswered_commands(&self) -> Vec<CommandId> {
        self.in_flight.iter().map(|(_, id)| *id).collect()
    }

    fn on_frame(&mut self, now: Instant, payload: &[u8]) {
        match self.state {
            State::Opening => self.on_opening(payload),
            State::Open(_) => self.on_message(now, payload),
            _ => {}
        }
    }

    /// Seals and queues a message with the next counter.
    fn send(&mut self, now: Instant, message: &AppletMessage, por: bool) -> Result<Counter, SendError> {
        let State::Open(open) = &mut self.state else {
            return Err(SendError::NotOpen);
        };
        let counter = open.last_out.next().map_err(|_| SendError::CounterExhausted)?;
        let spi = message_spi(open.ciphered, CounterMode::ProcessIfOneHigher, por);
        let aad = binding::aad(Direction::GatewayToApplet, &open.iccid_octets, open.session);
        let sealed = seal_message(&open.keys, open.tar, spi, counter, &aad, message)?;
        match self.outbox.push(&sealed) {
            Ok(()) => {}
            Err(OutboxError::Full) => return Err(SendError::Full),
            Err(OutboxError::Frame(_)) => return Err(SendError::TooLarge),
        }
        open.last_out = counter;
        self.liveness.sent(now);
        Ok(counter)
    }

    /// Sends what the protocol itself asks for (PoR, heartbeat); a peer that
    /// lets the queue fill is closed as overloaded.
    fn send_auto(&mut self, now: Instant, message: &AppletMessage, por: bool) {
        if self.send(now, message, por).is_err() {
            self.outbox.clear();
            self.close(CloseReason::Overloaded, false);
        }
    }

    fn close(&mut self, reason: CloseReason, by_peer: bool) {
        if self.is_closed() {
            return;
        }
        let state = std::mem::replace(&mut self.state, State::Closed);
        if !by_peer {
            match state {
                State::Open(mut open) => {
                    let spi = message_spi(open.ciphered, CounterMode::ProcessIfOneHigher, false);
                    let aad = binding::aad(Direction::GatewayToApplet, &open.iccid_octets, open.session);
                    if let Ok(counter) = open.last_out.next() {
                        open.last_out = counter;
                        let msg = AppletMessage::Close(reason);
                        if let Ok(sealed) = seal_message(&open.keys, open.tar, spi, counter, &aad, &msg) {
                            self.outbox.push_last(&sealed);
                        }
                    }
                }
                _ => self.outbox.push_last(&binding::plain_close(reason.on_wire_before_open())),
            }
        }
        self.events.push_back(SessionEvent::Closed { reason, by_peer });
    }
}

/// The close reason of a refused counter.
const fn counter_reason(decision: CounterDecision) -> Result<(), CloseReason> {
    match decision {
        CounterDecision::Accept | CounterDecision::AcceptUnchecked => Ok(()),
        CounterDecision::Low => Err(CloseReason::ReplayedCounter),
        CounterDecision::High => Err(CloseReason::CounterOutOfSequence),
    }
}
