//! `smpp::session::EsmeSession` driven by arbitrary frames, application
//! calls and clock steps in every state: binding, bound, unbinding, closed.
//! Never panics; everything it writes splits into whole frames that decode
//! (a PDU simgate sends is one it would accept); the window never holds
//! more than its capacity; a closed session asks for no timer.
//!
//! The input is a script: a few octets of configuration, then operations.
//! Frames can be raw octets, or built from a command id out of
//! `CommandId::ALL` with a sequence number the session really used, so the
//! responses that move it from state to state are easy to reach.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simgate::smpp::frame::{DEFAULT_MAX_PDU_LEN, next_frame};
use simgate::smpp::pdu::{self, CommandId, CommandStatus, HEADER_LEN};
use simgate::smpp::session::{
    BindKind, EsmeSession, Inbound, RequestTag, SessionConfig, SessionEvent, SessionState,
};

/// A submit_sm the application may send (proto-fixtures node-smpp-submit_sm).
const SUBMIT_SM: &[u8] = &[
    0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00,
    0x05, 0x00, 0x53, 0x49, 0x4d, 0x47, 0x41, 0x54, 0x45, 0x00, 0x01, 0x01, 0x34, 0x34, 0x37, 0x37, 0x30,
    0x30, 0x39, 0x30, 0x30, 0x31, 0x32, 0x33, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x11, 0x59, 0x6f, 0x75, 0x72, 0x20, 0x63, 0x6f, 0x64, 0x65, 0x20, 0x69, 0x73, 0x20, 0x34, 0x37, 0x31,
    0x31,
];

/// Reads the fuzz input front to back; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }
}

/// Sequence numbers seen so far, to aim built frames at.
#[derive(Default)]
struct Seen {
    /// Of the requests the session sent (bind, submits, enquire_link, unbind).
    sent: Vec<u32>,
    /// Of the SMSC requests handed to the application.
    received: Vec<u32>,
}

impl Seen {
    fn pick(list: &[u32], at: u8) -> Option<u32> {
        list.get(usize::from(at) % list.len().max(1)).copied()
    }
}

/// Takes and checks what the session wrote, and empties its event queue.
fn drain(session: &mut EsmeSession, seen: &mut Seen, window: usize) {
    while let Some(out) = session.take_outgoing() {
        let mut rest = &out[..];
        while !rest.is_empty() {
            let n = next_frame(rest, DEFAULT_MAX_PDU_LEN)
                .unwrap_or_else(|e| panic!("session wrote a bad length: {e}"))
                .unwrap_or_else(|| panic!("session wrote a partial PDU: {rest:02x?}"));
            let frame = &rest[..n];
            let sent = pdu::decode(frame).unwrap_or_else(|e| panic!("session wrote {frame:02x?}: {e}"));
            if !sent.command_id().is_response() && seen.sent.len() < 64 {
                seen.sent.push(sent.sequence_number);
            }
            rest = &rest[n..];
        }
    }
    while let Some(event) = session.poll_event() {
        if let SessionEvent::Bound { kind, .. } = event {
            assert_eq!(session.state(), SessionState::Bound(kind));
        }
    }
    assert!(session.in_flight() <= window, "{} in flight, window {window}", session.in_flight());
    if session.state() == SessionState::Closed {
        assert_eq!(session.poll_timeout(), None);
    }
}

/// A frame with a valid header: command id, status and sequence number
/// from the input, aimed at a sequence number the session used.
fn built_frame(input: &mut Input<'_>, seen: &Seen) -> Vec<u8> {
    let id = CommandId::ALL[usize::from(input.byte()) % CommandId::ALL.len()];
    let status = match input.byte() {
        0..=199 => CommandStatus::ESME_ROK,
        s => CommandStatus(u32::from(s - 199)),
    };
    let pick = input.byte();
    let sequence = match pick % 4 {
        0 | 1 => Seen::pick(&seen.sent, pick / 4).unwrap_or(1),
        2 => Seen::pick(&seen.received, pick / 4).unwrap_or(1),
        _ => input.u32(),
    };
    let len = usize::from(input.byte());
    let body = input.bytes(len);
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    frame.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_be_bytes());
    frame.extend_from_slice(&id.as_u32().to_be_bytes());
    frame.extend_from_slice(&status.0.to_be_bytes());
    frame.extend_from_slice(&sequence.to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

fn feed(session: &mut EsmeSession, seen: &mut Seen, frame: &[u8], now: Instant) {
    match session.handle_frame(frame, now) {
        Some(Inbound::Request(pdu)) => {
            assert!(!pdu.command_id().is_response());
            if seen.received.len() < 64 {
                seen.received.push(pdu.sequence_number);
            }
        }
        Some(Inbound::Response { pdu, .. }) => assert!(pdu.command_id().is_response()),
        None => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let config = SessionConfig {
        bind_kind: [BindKind::Transmitter, BindKind::Receiver, BindKind::Transceiver]
            [usize::from(input.byte() % 3)],
        system_id: "simgate".to_owned(),
        password: "secret".to_owned(),
        window: usize::from(input.byte() % 4) + 1,
        response_timeout: Duration::from_secs(u64::from(input.byte() % 20)),
        enquire_link_interval: Duration::from_secs(u64::from(input.byte() % 60)),
        max_unanswered: usize::from(input.byte() % 4),
        ..SessionConfig::default()
    };
    let window = config.window;
    let start = Instant::now();
    let mut now = start;
    let mut session = EsmeSession::new(config, now);
    let mut seen = Seen::default();
    if input.byte() % 8 != 0 {
        session.bind(now).expect("a fresh session binds");
    }
    drain(&mut session, &mut seen, window);

    let mut tag = 0;
    while !input.0.is_empty() {
        match input.byte() % 9 {
            0 => {
                let len = usize::from(input.byte());
                let frame = input.bytes(len).to_vec();
                feed(&mut session, &mut seen, &frame, now);
            }
            1..=3 => {
                let frame = built_frame(&mut input, &seen);
                feed(&mut session, &mut seen, &frame, now);
            }
            4 => {
                now += Duration::from_millis(u64::from(input.byte()) * 250);
                session.handle_timeout(now);
                if let Some(next) = session.poll_timeout() {
                    // The driver sleeps until then; a deadline in the past
                    // is acted on at once by the next handle_timeout.
                    let _ = next.saturating_duration_since(now);
                }
            }
            5 => {
                // The application submits the canned submit_sm, or whatever
                // request a built frame decodes to.
                tag += 1;
                let built =
                    if input.byte() % 2 == 0 { SUBMIT_SM.to_vec() } else { built_frame(&mut input, &seen) };
                if let Ok(pdu) = pdu::decode(&built) {
                    let can = session.can_submit();
                    let command = pdu.command_id();
                    let result = session.submit(pdu.body, pdu.tlvs, RequestTag(tag), now);
                    if result.is_ok() {
                        assert!(can, "submit accepted {command} while can_submit was false");
                    }
                }
            }
            6 => {
                let status = CommandStatus(u32::from(input.byte() % 4));
                let pick = input.byte();
                let sequence = Seen::pick(&seen.received, pick).unwrap_or(u32::from(pick));
                let _ = session.respond(sequence, status);
            }
            7 => {
                let _ = session.unbind(now);
            }
            _ => {
                let _ = session.bind(now);
            }
        }
        drain(&mut session, &mut seen, window);
    }
});
