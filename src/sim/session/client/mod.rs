//! The applet's side of the channel, without I/O: what a SIM Toolkit applet
//! does, for `simgate applet-sim` and the tests. It opens with its ICCID and
//! a hello, waits for the gateway's hello, answers commands with a proof
//! of receipt and a result, sends heartbeats, and verifies every gateway
//! message's checksum and counter as the gateway verifies its own.
//!
//! Misbehaviour hooks ([`Misbehaviour`], [`AppletClient::send_raw`]) make it
//! replay its counter, corrupt a checksum or send garbage, so the gateway's
//! refusals can be tested.

mod config;

pub use config::{ClientConfig, ClientEvent, Misbehaviour};

use super::event::SendError;
use super::liveness::{Due, Liveness};
use super::outbox::{Outbox, OutboxError};
use crate::sim::applet::binding::{self, Direction, ICCID_LEN};
use crate::sim::applet::channel::{InboundPolicy, message_spi, seal_message};
use crate::sim::applet::{AppletMessage, CloseReason, CommandId, ResultStatus};
use crate::sim::frame::{FrameError, FrameReader};
use crate::sim::secured::{
    CommandPacket, CommandPacketView, Counter, CounterDecision, CounterMode, PorRequest, ResponseStatus,
    SecuredError, check_counter,
};
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Instant;

#[derive(Debug, PartialEq, Eq)]
enum State {
    AwaitingHello,
    Open,
    Closed,
}

/// One applet session.
#[derive(Debug)]
pub struct AppletClient {
    config: ClientConfig,
    iccid_octets: [u8; ICCID_LEN],
    state: State,
    reader: FrameReader,
    outbox: Outbox,
    events: VecDeque<ClientEvent>,
    /// The opening's counter, bound into every checksum.
    session: Counter,
    /// The client's last used counter.
    last_out: Counter,
    /// The gateway's last accepted counter in this session.
    last_in: Counter,
    handshake_deadline: Instant,
    liveness: Liveness,
    misbehaviour: Option<Misbehaviour>,
}

impl AppletClient {
    /// Connected at `now`: queues the opening frame at once.
    pub fn new(config: ClientConfig, now: Instant) -> Result<Self, SendError> {
        let iccid_octets = binding::iccid_octets(&config.iccid);
        let session = config.counter.next().map_err(|_| SendError::CounterExhausted)?;
        let mut client = Self {
            iccid_octets,
            state: State::AwaitingHello,
            reader: FrameReader::new(config.max_frame),
            outbox: Outbox::new(config.max_pending_frames, config.max_frame),
            events: VecDeque::new(),
            session,
            last_out: session,
            last_in: Counter::ZERO,
            handshake_deadline: now + config.handshake_timeout,
            liveness: Liveness::new(now, config.heartbeat_interval, config.idle_timeout),
            misbehaviour: None,
            config,
        };
        let spi = message_spi(client.config.ciphered, client.config.counter_mode, false);
        let aad = binding::aad(Direction::AppletToGateway, &iccid_octets, Counter::ZERO);
        let hello = AppletMessage::Hello(client.config.hello);
        let sealed = seal_message(&client.config.keys, client.config.tar, spi, session, &aad, &hello)?;
        let mut opening = iccid_octets.to_vec();
        opening.extend_from_slice(&sealed);
        client.outbox.push(&opening).map_err(|_| SendError::TooLarge)?;
        Ok(client)
    }

    /// The last counter used: what the card keeps for the next session.
    pub fn counter(&self) -> Counter {
        self.last_out
    }

    /// Whether the session is open.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Makes the next sealed message go wrong.
    pub fn misbehave(&mut self, how: Misbehaviour) {
        self.misbehaviour = Some(how);
    }

    /// Queues `octets` as they are, framed or not (garbage).
    pub fn send_raw(&mut self, octets: &[u8]) -> Result<(), SendError> {
        self.outbox.push_raw(octets).map_err(|_| SendError::Full)
    }

    /// Octets read from the socket.
    pub fn handle_bytes(&mut self, now: Instant, mut input: &[u8]) {
        if input.is_empty() || self.is_closed() {
            return;
        }
        self.liveness.received(now);
        while !input.is_empty() && !self.is_closed() {
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

    /// The next frame to write.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Open => Some(self.liveness.next_deadline()),
            State::AwaitingHello => Some(self.handshake_deadline),
        }
    }

    /// The clock reached `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::Open => match self.liveness.due(now) {
                Due::Idle => self.close(CloseReason::IdleTimeout, false),
                Due::Heartbeat => {
                    if self.send(now, &AppletMessage::Heartbeat, false).is_err() {
                        self.close(CloseReason::Overloaded, false);
                    }
                }
                Due::Nothing => {}
            },
            State::AwaitingHello if now >= self.handshake_deadline => {
                self.close(CloseReason::HandshakeTimeout, false)
            }
            State::AwaitingHello => {}
        }
    }

    /// Ends the session with `reason`.
    pub fn begin_close(&mut self, reason: CloseReason) {
        self.close(reason, false);
    }

    /// Answers a command; asks the gateway for a proof of receipt.
    pub fn send_result(
        &mut self,
        now: Instant,
        id: CommandId,
        status: ResultStatus,
        payload: Vec<u8>,
    ) -> Result<Counter, SendError> {
        if !self.is_open() {
            return Err(SendError::NotOpen);
        }
        self.send(now, &AppletMessage::Result { id, status, payload }, true)
    }

    /// Sends a heartbeat now.
    pub fn send_heartbeat(&mut self, now: Instant) -> Result<Counter, SendError> {
        if !self.is_open() {
            return Err(SendError::NotOpen);
        }
        self.send(now, &AppletMessage::Heartbeat, false)
    }

    fn on_frame(&mut self, now: Instant, payload: &[u8]) {
        if self.state == State::AwaitingHello {
            if let Some(reason) = binding::parse_plain_close(payload) {
                return self.close(reason, true);
            }
        }
        let (packet, message) = match self.accept(payload) {
            Ok(pm) => pm,
            Err(reason) => return self.close(reason, false),
        };
        match (&self.state, message) {
            (State::AwaitingHello, AppletMessage::Hello(hello)) => {
                self.state = State::Open;
                self.outbox.set_max_payload(hello.max_frame.min(self.config.max_frame));
                self.liveness = Liveness::new(now, self.config.heartbeat_interval, self.config.idle_timeout);
                self.events.push_back(ClientEvent::Opened { hello });
            }
            (State::Open, AppletMessage::Command { id, kind, payload }) => {
                if packet.spi.por == PorRequest::Always {
                    let por = AppletMessage::ProofOfReceipt {
                        counter: packet.counter,
                        status: ResponseStatus::PorOk,
                    };
                    if self.send(now, &por, false).is_err() {
                        return self.close(CloseReason::Overloaded, false);
                    }
                }
                self.events.push_back(ClientEvent::Command { id, kind, payload });
            }
            (State::Open, AppletMessage::ProofOfReceipt { counter, status }) => {
                self.events.push_back(ClientEvent::ProofOfReceipt { counter, status });
            }
            (State::Open, AppletMessage::Heartbeat) => {}
            (_, AppletMessage::Close(reason)) => self.close(reason, true),
            _ => self.close(CloseReason::ProtocolError, false),
        }
    }

    /// Verifies a gateway message: checksum under the session binding and
    /// a counter higher than the last (the gateway asks for one higher).
    fn accept(&mut self, payload: &[u8]) -> Result<(CommandPacket, AppletMessage), CloseReason> {
        let view = CommandPacketView::parse(payload).map_err(|_| CloseReason::ProtocolError)?;
        let policy = InboundPolicy {
            min_counter_mode: CounterMode::ProcessIfHigher,
            require_ciphering: self.config.ciphered,
        };
        policy.check(&view)?;
        let aad = binding::aad(Direction::GatewayToApplet, &self.iccid_octets, self.session);
        let packet = view.open(&self.config.keys, &aad).map_err(|e| match e {
            SecuredError::Checksum | SecuredError::KeyVersion { .. } => CloseReason::BadChecksum,
            _ => CloseReason::ProtocolError,
        })?;
        if packet.tar != self.config.tar {
            return Err(CloseReason::ProtocolError);
        }
        match check_counter(packet.spi.counter, packet.counter, self.last_in) {
            CounterDecision::Accept => self.last_in = packet.counter,
            CounterDecision::AcceptUnchecked => {}
            CounterDecision::Low => return Err(CloseReason::ReplayedCounter),
            CounterDecision::High => return Err(CloseReason::CounterOutOfSequence),
        }
        let message = AppletMessage::decode(&packet.data).map_err(|_| CloseReason::ProtocolError)?;
        Ok((packet, message))
    }

    fn send(&mut self, now: Instant, message: &AppletMessage, por: bool) -> Result<Counter, SendError> {
        let misbehaviour = self.misbehaviour.take();
        let counter = match misbehaviour {
            Some(Misbehaviour::ReplayCounter) => Ok(self.last_out),
            Some(Misbehaviour::SkipCounter) => self.last_out.next().and_then(Counter::next),
            _ => self.last_out.next(),
        }
        .map_err(|_| SendError::CounterExhausted)?;
        let spi = message_spi(self.config.ciphered, self.config.counter_mode, por);
        let aad = binding::aad(Direction::AppletToGateway, &self.iccid_octets, self.session);
        let mut sealed = seal_message(&self.config.keys, self.config.tar, spi, counter, &aad, message)?;
        if misbehaviour == Some(Misbehaviour::CorruptChecksum) {
            // The CC's first octet (clear or ciphered, it breaks either way).
            if let Some(octet) = sealed.get_mut(16) {
                *octet ^= 0x01;
            }
        }
        match self.outbox.push(&sealed) {
            Ok(()) => {}
            Err(OutboxError::Full) => return Err(SendError::Full),
            Err(OutboxError::Frame(_)) => return Err(SendError::TooLarge),
        }
        self.last_out = self.last_out.max(counter);
        self.liveness.sent(now);
        Ok(counter)
    }

    fn close(&mut self, reason: CloseReason, by_peer: bool) {
        if self.is_closed() {
            return;
        }
        let was_open = self.is_open();
        self.state = State::Closed;
        if !by_peer {
            if was_open {
                let spi = message_spi(self.config.ciphered, self.config.counter_mode, false);
                let aad = binding::aad(Direction::AppletToGateway, &self.iccid_octets, self.session);
                if let Ok(counter) = self.last_out.next() {
                    let msg = AppletMessage::Close(reason);
                    if let Ok(sealed) =
                        seal_message(&self.config.keys, self.config.tar, spi, counter, &aad, &msg)
                    {
                        self.last_out = counter;
                        self.outbox.push_last(&sealed);
                    }
                }
            } else {
                self.outbox.push_last(&binding::plain_close(reason));
            }
        }
        self.events.push_back(ClientEvent::Closed { reason, by_peer });
    }
}
