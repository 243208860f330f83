//! A deterministic harness: a gateway session and an applet client wired to
//! each other on a fake clock (shared/STYLE.md rule 15), the registry
//! played by a fixed answer to `NeedKeys`.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use crate::sim::ids::{Iccid, Kvn, Tar};
use crate::sim::keys::{AesKey, KeySet};
use crate::sim::secured::{Counter, CounterMode, ResponseStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TAR: Tar = Tar([0xC0, 0x00, 0x01]);

fn iccid() -> Iccid {
    let body = "894400000000001234";
    Iccid::new(&format!("{body}{}", Iccid::check_digit(body).unwrap())).unwrap()
}

fn keys(kvn: u8, fill: u8) -> KeySet {
    KeySet {
        kvn: Kvn::new(kvn).unwrap(),
        kic: Some(AesKey::new(&[fill; 16]).unwrap()),
        kid: AesKey::new(&[fill ^ 0x5A; 16]).unwrap(),
    }
}

fn credentials(last: u64) -> SimCredentials {
    SimCredentials { tar: TAR, key_sets: vec![keys(1, 0x11)], last_counter: Counter::new(last).unwrap() }
}

fn client_config() -> ClientConfig {
    ClientConfig::new(iccid(), TAR, keys(1, 0x11), Counter::ZERO)
}

/// Both sides, the clock, what each side reported, and every octet the
/// server wrote.
struct Pair {
    now: Instant,
    server: AppletSession,
    client: AppletClient,
    registry: Option<SimCredentials>,
    server_events: Vec<SessionEvent>,
    client_events: Vec<ClientEvent>,
    server_wire: Vec<u8>,
    /// Octets per delivery, to fragment the stream.
    chunk: usize,
    /// When false, the client's octets never reach the server (silence).
    client_link_up: bool,
}

impl Pair {
    fn new(client: ClientConfig, registry: Option<SimCredentials>) -> Self {
        Self::with_server(ServerConfig::new(AesKey::new(&[0xD0; 16]).unwrap()), client, registry)
    }

    fn with_server(server: ServerConfig, client: ClientConfig, registry: Option<SimCredentials>) -> Self {
        let now = Instant::now();
        Self {
            now,
            server: AppletSession::new(Arc::new(server), now),
            client: AppletClient::new(client, now).unwrap(),
            registry,
            server_events: Vec::new(),
            client_events: Vec::new(),
            server_wire: Vec::new(),
            chunk: usize::MAX,
            client_link_up: true,
        }
    }

    /// Moves octets both ways and answers NeedKeys until nothing moves.
    fn drive(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(frame) = self.client.poll_transmit() {
                moved = true;
                if self.client_link_up {
                    for piece in frame.chunks(self.chunk.max(1)) {
                        self.server.handle_bytes(self.now, piece);
                    }
                }
            }
            while let Some(event) = self.server.poll_event() {
                moved = true;
                if let SessionEvent::NeedKeys { .. } = event {
                    self.server.provide_keys(self.now, self.registry.clone());
                }
                self.server_events.push(event);
            }
            while let Some(frame) = self.server.poll_transmit() {
                moved = true;
                self.server_wire.extend_from_slice(&frame);
                for piece in frame.chunks(self.chunk.max(1)) {
                    self.client.handle_bytes(self.now, piece);
                }
            }
            while let Some(event) = self.client.poll_event() {
                moved = true;
                self.client_events.push(event);
            }
            if !moved {
                return;
            }
        }
        panic!("the pair never went quiet");
    }

    /// Steps the clock by `step` up to `total`, firing due timers.
    fn run_for(&mut self, total: Duration, step: Duration) {
        let end = self.now + total;
        while self.now < end {
            self.now += step;
            if self.server.poll_timeout().is_some_and(|t| t <= self.now) {
                self.server.handle_timeout(self.now);
            }
            if self.client.poll_timeout().is_some_and(|t| t <= self.now) {
                self.client.handle_timeout(self.now);
            }
            self.drive();
        }
    }

    fn server_closed(&self) -> Option<(CloseReason, bool)> {
        self.server_events.iter().find_map(|e| match e {
            SessionEvent::Closed { reason, by_peer } => Some((*reason, *by_peer)),
            _ => None,
        })
    }

    fn client_closed(&self) -> Option<(CloseReason, bool)> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::Closed { reason, by_peer } => Some((*reason, *by_peer)),
            _ => None,
        })
    }

    fn opened(mut self) -> Self {
        self.drive();
        assert!(
            self.server.is_open() && self.client.is_open(),
            "{:?} {:?}",
            self.server_events,
            self.client_events
        );
        self
    }
}

fn command_id(n: u8) -> CommandId {
    CommandId([n; 16])
}

#[test]
fn handshake_opens_both_sides_and_reports_the_counter() {
    let p = Pair::new(client_config(), Some(credentials(0))).opened();
    assert_eq!(
        p.server_events,
        vec![
            SessionEvent::NeedKeys { iccid: iccid(), kvn: Kvn::new(1).unwrap() },
            SessionEvent::CounterAccepted(Counter::new(1).unwrap()),
            SessionEvent::Opened {
                iccid: iccid(),
                applet_version: 1,
                capabilities: crate::sim::applet::Capabilities::PROOF_OF_RECEIPT,
                max_frame: 1024,
            },
        ]
    );
    assert!(matches!(p.client_events[..], [ClientEvent::Opened { .. }]));
    assert_eq!(p.client.counter(), Counter::new(1).unwrap());
}

#[test]
fn a_ciphered_session_opens_and_carries_a_command() {
    let mut config = client_config();
    config.ciphered = true;
    let mut p = Pair::new(config, Some(credentials(0))).opened();
    p.server.send_command(p.now, command_id(1), CommandType::new("ping").unwrap(), b"abc".to_vec()).unwrap();
    p.drive();
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Command { payload, .. } if payload == b"abc"))
    );
}

#[test]
fn command_result_round_trip_with_proofs_of_receipt() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    let kind = CommandType::new("read.imei").unwrap();
    p.server.send_command(p.now, command_id(7), kind.clone(), vec![1, 2]).unwrap();
    assert_eq!(p.server.unanswered_commands(), vec![command_id(7)]);
    p.drive();
    assert!(p.client_events.contains(&ClientEvent::Command { id: command_id(7), kind, payload: vec![1, 2] }));
    assert!(p.server_events.contains(&SessionEvent::ProofOfReceipt {
        command_id: command_id(7),
        status: ResponseStatus::PorOk
    }));
    let counter =
        p.client.send_result(p.now, command_id(7), ResultStatus::Ok, b"3520990000000".to_vec()).unwrap();
    p.drive();
    assert!(p.server_events.contains(&SessionEvent::Result {
        command_id: command_id(7),
        status: ResultStatus::Ok,
        payload: b"3520990000000".to_vec(),
    }));
    assert!(p.server_events.contains(&SessionEvent::CounterAccepted(counter)));
    assert!(
        p.client_events.contains(&ClientEvent::ProofOfReceipt { counter, status: ResponseStatus::PorOk })
    );
    assert!(p.server.unanswered_commands().is_empty());
}

#[test]
fn single_octet_fragmentation_changes_nothing() {
    let mut p = Pair::new(client_config(), Some(credentials(0)));
    p.chunk = 1;
    let mut p = p.opened();
    p.server.send_command(p.now, command_id(2), CommandType::new("x").unwrap(), vec![9; 300]).unwrap();
    p.drive();
    p.client.send_result(p.now, command_id(2), ResultStatus::Failed, vec![8; 200]).unwrap();
    p.drive();
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, SessionEvent::Result { payload, .. } if payload == &vec![8; 200]))
    );
}

#[test]
fn wrong_key_closes_with_bad_checksum_and_no_open() {
    let mut config = client_config();
    config.keys = keys(1, 0x99);
    let mut p = Pair::new(config, Some(credentials(0)));
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::BadChecksum, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::BadChecksum, true)));
    assert!(
        !p.server_events
            .iter()
            .any(|e| matches!(e, SessionEvent::Opened { .. } | SessionEvent::CounterAccepted(_)))
    );
}

#[test]
fn unknown_iccid_looks_exactly_like_a_wrong_key() {
    let mut wrong = client_config();
    wrong.keys = keys(1, 0x99);
    let mut bad_key = Pair::new(wrong.clone(), Some(credentials(0)));
    bad_key.drive();
    let mut unknown = Pair::new(wrong, None);
    unknown.drive();
    // The same ICCID and KVN in NeedKeys, then the same close, the same octets.
    assert_eq!(unknown.server_events, bad_key.server_events);
    assert_eq!(unknown.server_wire, bad_key.server_wire);
    assert_eq!(unknown.server_wire, [0, 3, 0, 0, 0x01]);
    // Even the SIM's true keys open nothing when the registry does not know it.
    let mut genuine_unknown = Pair::new(client_config(), None);
    genuine_unknown.drive();
    assert_eq!(genuine_unknown.server_wire, bad_key.server_wire);
    assert_eq!(genuine_unknown.server_closed(), Some((CloseReason::BadChecksum, false)));
}

#[test]
fn unknown_key_version_is_reported_but_not_revealed() {
    let mut config = client_config();
    config.keys = keys(5, 0x11);
    let mut p = Pair::new(config, Some(credentials(0)));
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::UnknownKeyVersion, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::BadChecksum, true)));
    assert_eq!(p.server_wire, [0, 3, 0, 0, 0x01]);
}

#[test]
fn a_replayed_opening_counter_is_refused_after_the_checksum() {
    let mut p = Pair::new(client_config(), Some(credentials(1)));
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::ReplayedCounter, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::ReplayedCounter, true)));
}

#[test]
fn a_replayed_counter_inside_the_session_closes_it_with_a_secured_close() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.client.misbehave(Misbehaviour::ReplayCounter);
    p.client.send_heartbeat(p.now).unwrap();
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::ReplayedCounter, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::ReplayedCounter, true)));
}

#[test]
fn one_higher_mode_accepts_the_next_and_refuses_a_gap() {
    let mut config = client_config();
    config.counter_mode = CounterMode::ProcessIfOneHigher;
    let mut p = Pair::new(config.clone(), Some(credentials(0))).opened();
    p.client.send_heartbeat(p.now).unwrap();
    p.drive();
    assert!(p.server.is_open());
    p.client.misbehave(Misbehaviour::SkipCounter);
    p.client.send_heartbeat(p.now).unwrap();
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::CounterOutOfSequence, false)));
    // An opening that skips ahead is refused the same way.
    config.counter = Counter::new(4).unwrap();
    let mut ahead = Pair::new(config, Some(credentials(0)));
    ahead.drive();
    assert_eq!(ahead.server_closed(), Some((CloseReason::CounterOutOfSequence, false)));
}

#[test]
fn a_corrupted_checksum_inside_the_session_is_a_bad_checksum() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.client.misbehave(Misbehaviour::CorruptChecksum);
    p.client.send_heartbeat(p.now).unwrap();
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::BadChecksum, false)));
}

#[test]
fn weak_security_is_refused_before_any_lookup() {
    let mut config = client_config();
    config.counter_mode = CounterMode::Available;
    let mut p = Pair::new(config, Some(credentials(0)));
    p.drive();
    assert_eq!(
        p.server_events,
        vec![SessionEvent::Closed { reason: CloseReason::InsufficientSecurity, by_peer: false }]
    );
}

#[test]
fn a_frame_too_large_is_refused_from_its_length_alone() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.client.send_raw(&[0x04, 0x01]).unwrap();
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::FrameTooLarge, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::FrameTooLarge, true)));
    // Before the opening too, with nothing but the two length octets.
    let now = Instant::now();
    let mut server = AppletSession::new(Arc::new(ServerConfig::new(AesKey::new(&[1; 16]).unwrap())), now);
    server.handle_bytes(now, &[0xFF, 0xFF]);
    assert_eq!(
        server.poll_event(),
        Some(SessionEvent::Closed { reason: CloseReason::FrameTooLarge, by_peer: false })
    );
    assert_eq!(server.poll_transmit().as_deref(), Some(&[0, 3, 0, 0, 0x05][..]));
}

#[test]
fn garbage_is_a_protocol_error() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.client.send_raw(b"\x00\x05hello").unwrap();
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::ProtocolError, false)));
    let now = Instant::now();
    let mut server = AppletSession::new(Arc::new(ServerConfig::new(AesKey::new(&[1; 16]).unwrap())), now);
    server.handle_bytes(now, b"\x00\x0cGET / HTTP/1");
    assert_eq!(
        server.poll_event(),
        Some(SessionEvent::Closed { reason: CloseReason::ProtocolError, by_peer: false })
    );
}

#[test]
fn handshake_deadline_closes_a_silent_or_slow_peer() {
    let mut config = client_config();
    // The applet waits longer than the gateway, so it hears the gateway's close.
    config.handshake_timeout = Duration::from_secs(30);
    let mut p = Pair::new(config, Some(credentials(0)));
    p.client_link_up = false;
    assert_eq!(p.server.poll_timeout(), Some(p.now + Duration::from_secs(10)));
    p.run_for(Duration::from_secs(9), Duration::from_secs(1));
    assert!(p.server_closed().is_none());
    p.run_for(Duration::from_secs(1), Duration::from_secs(1));
    assert_eq!(p.server_closed(), Some((CloseReason::HandshakeTimeout, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::HandshakeTimeout, true)));
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn heartbeats_keep_a_quiet_session_open_and_silence_ends_it() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.run_for(Duration::from_secs(600), Duration::from_secs(5));
    assert!(p.server.is_open() && p.client.is_open(), "{:?}", p.server_events);
    // Heartbeats carry counters the server accepts and reports.
    let accepted = p.server_events.iter().filter(|e| matches!(e, SessionEvent::CounterAccepted(_))).count();
    assert!(accepted >= 10, "{accepted}");
    // The applet's coverage is gone: nothing reaches the gateway any more.
    p.client_link_up = false;
    let lost_at = p.now;
    p.run_for(Duration::from_secs(200), Duration::from_secs(1));
    assert_eq!(p.server_closed(), Some((CloseReason::IdleTimeout, false)));
    // The idle timeout, 150 s, is far below the 340 s flow timeout.
    assert!(p.now - lost_at <= Duration::from_secs(200));
}

#[test]
fn close_reasons_travel_both_ways() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.server.begin_close(CloseReason::ServerDraining);
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::ServerDraining, false)));
    assert_eq!(p.client_closed(), Some((CloseReason::ServerDraining, true)));
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    p.client.begin_close(CloseReason::Normal);
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::Normal, true)));
}

#[test]
fn undelivered_commands_are_bounded() {
    let mut p = Pair::new(client_config(), Some(credentials(0))).opened();
    let kind = CommandType::new("k").unwrap();
    for n in 0..DEFAULT_MAX_PENDING_COMMANDS as u8 {
        p.server.send_command(p.now, command_id(n), kind.clone(), vec![]).unwrap();
    }
    assert_eq!(p.server.send_command(p.now, command_id(99), kind.clone(), vec![]), Err(SendError::Full));
    let too_big = vec![0; 2000];
    p.drive();
    p.client.send_result(p.now, command_id(0), ResultStatus::Ok, vec![]).unwrap();
    p.drive();
    assert_eq!(p.server.send_command(p.now, command_id(98), kind.clone(), too_big), Err(SendError::TooLarge));
    assert_eq!(p.server.send_command(p.now, command_id(98), kind, vec![]), Ok(()));
    // What was not answered is still known once the session has ended.
    p.server.begin_close(CloseReason::ServerDraining);
    let unanswered = p.server.unanswered_commands();
    assert_eq!(unanswered.len(), DEFAULT_MAX_PENDING_COMMANDS);
    assert_eq!((unanswered[0], unanswered[unanswered.len() - 1]), (command_id(1), command_id(98)));
}

#[test]
fn a_second_frame_before_the_keys_is_a_protocol_error() {
    let now = Instant::now();
    let mut client = AppletClient::new(client_config(), now).unwrap();
    let opening = client.poll_transmit().unwrap();
    let mut server = AppletSession::new(Arc::new(ServerConfig::new(AesKey::new(&[1; 16]).unwrap())), now);
    let twice = [&opening[..], &opening[..]].concat();
    server.handle_bytes(now, &twice);
    assert!(matches!(server.poll_event(), Some(SessionEvent::NeedKeys { .. })));
    assert_eq!(
        server.poll_event(),
        Some(SessionEvent::Closed { reason: CloseReason::ProtocolError, by_peer: false })
    );
    server.provide_keys(now, Some(credentials(0)));
    assert_eq!(server.poll_event(), None, "late keys change nothing");
}

#[test]
fn sending_before_open_is_refused() {
    let p = Pair::new(client_config(), Some(credentials(0)));
    let mut server = p.server;
    assert_eq!(
        server.send_command(p.now, command_id(1), CommandType::new("k").unwrap(), vec![]),
        Err(SendError::NotOpen)
    );
}

#[test]
fn an_exhausted_counter_sends_nothing() {
    let mut config = client_config();
    config.counter = Counter::MAX;
    assert_eq!(AppletClient::new(config, Instant::now()).err(), Some(SendError::CounterExhausted));
}

#[test]
fn a_verified_packet_for_another_tar_is_a_protocol_error() {
    let mut registry = credentials(0);
    registry.tar = Tar([0xC0, 0x00, 0x02]);
    let mut p = Pair::new(client_config(), Some(registry));
    p.drive();
    assert_eq!(p.server_closed(), Some((CloseReason::ProtocolError, false)));
    assert!(!p.server_events.iter().any(|e| matches!(e, SessionEvent::CounterAccepted(_))));
}

#[test]
fn an_idle_open_session_holds_no_queue_room() {
    let mut pair = Pair::new(client_config(), Some(credentials(0))).opened();
    assert_eq!(pair.server.held(), (0, 0, 0), "after the handshake");
    pair.client.send_result(pair.now, command_id(1), ResultStatus::Ok, vec![1; 300]).unwrap();
    pair.chunk = 7;
    pair.drive();
    assert!(pair.server_events.iter().any(|e| matches!(e, SessionEvent::Result { .. })));
    assert_eq!(pair.server.held(), (0, 0, 0), "after a message, fragmented");
    let written = pair.server_wire.len();
    pair.run_for(Duration::from_secs(61), Duration::from_secs(1));
    assert!(pair.server.is_open(), "heartbeats kept it open");
    assert!(pair.server_wire.len() > written, "the server sent its heartbeat");
    assert_eq!(pair.server.held(), (0, 0, 0), "after a heartbeat");
}
