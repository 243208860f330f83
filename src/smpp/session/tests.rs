//! A deterministic harness: the ESME session against a small test SMSC,
//! both pure state machines, exchanging bytes on a simulated clock. No
//! sockets, no sleeping: time moves only when a test says so.

use super::*;
use crate::smpp::pdu::{Address, BindResp, DeliverSm, ShortMessage, SmFields, SubmitSmResp};

const SECOND: Duration = Duration::from_secs(1);

/// The SMSC side: answers binds, submits, enquire_links and unbinds, and
/// can stay silent or send its own requests.
#[derive(Default)]
struct TestSmsc {
    inbox: Vec<u8>,
    outbox: Vec<u8>,
    /// Answer nothing at all (a hung SMSC or a dead link).
    silent: bool,
    /// Answer submits with this status instead of ESME_ROK.
    submit_status: Option<CommandStatus>,
    submits: u32,
    received: Vec<CommandId>,
    answers: Vec<(CommandId, CommandStatus, u32)>,
    seq: u32,
}

impl TestSmsc {
    fn receive(&mut self, bytes: &[u8]) {
        self.inbox.extend_from_slice(bytes);
        while self.inbox.len() >= 4 {
            let len =
                u32::from_be_bytes([self.inbox[0], self.inbox[1], self.inbox[2], self.inbox[3]]) as usize;
            if self.inbox.len() < len {
                break;
            }
            let frame: Vec<u8> = self.inbox.drain(..len).collect();
            let pdu = decode(&frame).expect("the ESME sends valid PDUs");
            self.received.push(pdu.command_id());
            if pdu.command_id().is_response() {
                self.answers.push((pdu.command_id(), pdu.command_status, pdu.sequence_number));
                continue;
            }
            if self.silent {
                continue;
            }
            let seq = pdu.sequence_number;
            let reply = match pdu.body {
                Body::BindTransceiver(_) => Body::BindTransceiverResp(bind_resp()),
                Body::BindTransmitter(_) => Body::BindTransmitterResp(bind_resp()),
                Body::BindReceiver(_) => Body::BindReceiverResp(bind_resp()),
                Body::EnquireLink => Body::EnquireLinkResp,
                Body::Unbind => Body::UnbindResp,
                Body::SubmitSm(_) => {
                    self.submits += 1;
                    if let Some(status) = self.submit_status {
                        self.send(Pdu::new(status, seq, Body::EmptyResponse(CommandId::SubmitSmResp)));
                        continue;
                    }
                    let id = format!("m{}", self.submits);
                    let resp =
                        SubmitSmResp { message_id: crate::smpp::pdu::MessageId::new(id.as_bytes()).unwrap() };
                    self.send(Pdu::new(CommandStatus::ESME_ROK, seq, Body::SubmitSmResp(resp)));
                    continue;
                }
                _ => Body::GenericNack,
            };
            self.send(Pdu::new(CommandStatus::ESME_ROK, seq, reply));
        }
    }

    fn send(&mut self, pdu: Pdu<'_>) {
        pdu.encode(&mut self.outbox).unwrap();
    }

    fn request(&mut self, body: Body<'_>) -> u32 {
        self.seq += 1;
        let seq = 1000 + self.seq;
        self.send(Pdu::new(CommandStatus::ESME_ROK, seq, body));
        seq
    }
}

fn bind_resp() -> BindResp<'static> {
    BindResp { system_id: crate::smpp::pdu::SystemId::new(b"TESTSMSC").unwrap() }
}

fn submit_sm() -> Body<'static> {
    Body::SubmitSm(SmFields {
        source_addr: Address::new(b"SIMGATE").unwrap(),
        destination_addr: Address::new(b"447700900123").unwrap(),
        short_message: ShortMessage::new(b"hello").unwrap(),
        ..SmFields::default()
    })
}

fn deliver_sm() -> Body<'static> {
    Body::DeliverSm(DeliverSm {
        source_addr: Address::new(b"447700900123").unwrap(),
        destination_addr: Address::new(b"SIMGATE").unwrap(),
        short_message: ShortMessage::new(b"STOP").unwrap(),
        ..DeliverSm::default()
    })
}

/// A response as the tests keep it (the PDU borrows a frame that is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Response {
        tag: RequestTag,
        status: CommandStatus,
        message_id: Option<String>,
    },
    /// A response handed out after its request timed out.
    Late {
        tag: RequestTag,
        status: CommandStatus,
        message_id: Option<String>,
    },
    Request {
        command: CommandId,
        sequence: u32,
    },
}

struct Pair {
    esme: EsmeSession,
    smsc: TestSmsc,
    now: Instant,
    got: Vec<Got>,
    events: Vec<SessionEvent>,
}

impl Pair {
    fn new(config: SessionConfig) -> Self {
        let now = Instant::now();
        Pair {
            esme: EsmeSession::new(config, now),
            smsc: TestSmsc::default(),
            now,
            got: vec![],
            events: vec![],
        }
    }

    fn bound(config: SessionConfig) -> Self {
        let mut pair = Pair::new(config);
        pair.esme.bind(pair.now).unwrap();
        pair.pump();
        assert!(pair.esme.state().is_bound(), "{:?}", pair.events);
        pair
    }

    /// Moves bytes both ways until neither side has anything to say.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            if let Some(bytes) = self.esme.take_outgoing() {
                self.smsc.receive(&bytes);
                moved = true;
            }
            if !self.smsc.outbox.is_empty() {
                let bytes = std::mem::take(&mut self.smsc.outbox);
                let mut at = 0;
                while at < bytes.len() {
                    let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
                    let frame = &bytes[at..at + len];
                    self.feed(frame);
                    at += len;
                }
                moved = true;
            }
            while let Some(e) = self.esme.poll_event() {
                self.events.push(e);
            }
            if !moved {
                break;
            }
        }
    }

    fn feed(&mut self, frame: &[u8]) {
        match self.esme.handle_frame(frame, self.now) {
            Some(Inbound::Response { tag, pdu, late }) => {
                let message_id = match pdu.body {
                    Body::SubmitSmResp(r) => {
                        Some(String::from_utf8_lossy(r.message_id.as_bytes()).into_owned())
                    }
                    _ => None,
                };
                let status = pdu.command_status;
                self.got.push(if late {
                    Got::Late { tag, status, message_id }
                } else {
                    Got::Response { tag, status, message_id }
                });
            }
            Some(Inbound::Request(pdu)) => {
                self.got.push(Got::Request { command: pdu.command_id(), sequence: pdu.sequence_number })
            }
            None => {}
        }
    }

    /// Moves the clock forward, waking the session at each deadline on
    /// the way, as a driver would.
    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        while let Some(deadline) = self.esme.poll_timeout().filter(|d| *d <= until) {
            self.now = deadline.max(self.now);
            self.esme.handle_timeout(self.now);
            self.pump();
        }
        self.now = until;
        self.pump();
    }
}

fn config() -> SessionConfig {
    SessionConfig {
        system_id: "simgate".into(),
        password: "secret".into(),
        window: 4,
        response_timeout: 5 * SECOND,
        enquire_link_interval: 30 * SECOND,
        ..SessionConfig::default()
    }
}

#[test]
fn binds_and_reports_the_smsc_id() {
    let pair = Pair::bound(config());
    assert_eq!(pair.esme.state(), SessionState::Bound(BindKind::Transceiver));
    assert_eq!(
        pair.events,
        vec![SessionEvent::Bound { kind: BindKind::Transceiver, smsc_system_id: "TESTSMSC".into() }]
    );
    assert_eq!(pair.smsc.received, vec![CommandId::BindTransceiver]);
}

#[test]
fn bind_refused_closes_and_submit_before_bind_is_refused() {
    let mut pair = Pair::new(config());
    let err = pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(1), pair.now).unwrap_err();
    assert!(matches!(err, SessionError::NotAllowed { command: CommandId::SubmitSm, state: "open" }), "{err}");
    pair.esme.bind(pair.now).unwrap();
    let seq = 1;
    pair.esme.take_outgoing();
    let refusal =
        Pdu::new(CommandStatus::ESME_RALYBND, seq, Body::EmptyResponse(CommandId::BindTransceiverResp));
    pair.feed(&refusal.to_vec().unwrap());
    pair.pump();
    assert_eq!(pair.esme.state(), SessionState::Closed);
    assert_eq!(
        pair.events,
        vec![
            SessionEvent::BindRefused { status: CommandStatus::ESME_RALYBND },
            SessionEvent::Closed { by_peer: false }
        ]
    );
}

#[test]
fn an_unanswered_bind_times_out_and_closes() {
    let mut pair = Pair::new(config());
    pair.smsc.silent = true;
    pair.esme.bind(pair.now).unwrap();
    pair.advance(4 * SECOND);
    assert!(matches!(pair.esme.state(), SessionState::Binding(BindKind::Transceiver)));
    pair.advance(2 * SECOND);
    assert_eq!(pair.events, vec![SessionEvent::BindTimedOut, SessionEvent::Closed { by_peer: false }]);
}

#[test]
fn submit_takes_only_message_requests() {
    let mut pair = Pair::new(config());
    let bind = Body::BindTransceiver(crate::smpp::pdu::Bind::default());
    for body in [
        bind,
        Body::EnquireLink,
        Body::Unbind,
        Body::GenericNack,
        Body::SubmitSmResp(SubmitSmResp::default()),
    ] {
        let command = body.command_id();
        let err = pair.esme.submit(body, Tlvs::new(), RequestTag(1), pair.now).unwrap_err();
        assert_eq!(err, SessionError::NotARequest(command));
    }
    assert_eq!(pair.esme.state(), SessionState::Open);
    assert!(pair.esme.take_outgoing().is_none(), "nothing was sent");
}

#[test]
fn bind_settings_over_their_limits_are_refused() {
    let mut pair = Pair::new(SessionConfig { password: "ninechars".into(), ..config() });
    let err = pair.esme.bind(pair.now).unwrap_err();
    assert!(matches!(err, SessionError::InvalidSetting { field: "password", .. }), "{err}");
    assert_eq!(pair.esme.state(), SessionState::Open);
}

#[test]
fn window_bounds_submits_and_responses_match_their_tags() {
    let mut pair = Pair::bound(config());
    for tag in 1..=4 {
        pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(tag), pair.now).unwrap();
    }
    let full = pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(5), pair.now).unwrap_err();
    assert_eq!(full, SessionError::WindowFull(4));
    assert!(!pair.esme.can_submit());
    pair.pump();
    assert_eq!(pair.esme.in_flight(), 0);
    let tags: Vec<_> = pair
        .got
        .iter()
        .map(|g| match g {
            Got::Response { tag, status, message_id } => {
                assert!(status.is_ok());
                (tag.0, message_id.clone().unwrap())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(tags, vec![(1, "m1".into()), (2, "m2".into()), (3, "m3".into()), (4, "m4".into())]);
    assert!(pair.esme.can_submit());
}

#[test]
fn an_error_response_without_body_reaches_the_application() {
    let mut pair = Pair::bound(config());
    pair.smsc.submit_status = Some(CommandStatus::ESME_RTHROTTLED);
    pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(9), pair.now).unwrap();
    pair.pump();
    assert_eq!(
        pair.got,
        vec![Got::Response { tag: RequestTag(9), status: CommandStatus::ESME_RTHROTTLED, message_id: None }]
    );
}

#[test]
fn unanswered_request_times_out_once_and_is_not_resent() {
    let mut pair = Pair::bound(SessionConfig { late_window: Duration::ZERO, ..config() });
    pair.smsc.silent = true;
    pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(7), pair.now).unwrap();
    pair.advance(4 * SECOND);
    assert!(pair.events.iter().all(|e| !matches!(e, SessionEvent::TimedOut { .. })));
    pair.advance(2 * SECOND);
    let timeouts: Vec<_> =
        pair.events.iter().filter(|e| matches!(e, SessionEvent::TimedOut { .. })).collect();
    assert_eq!(
        timeouts,
        vec![&SessionEvent::TimedOut {
            tag: RequestTag(7),
            command: CommandId::SubmitSm,
            awaiting_late: false
        }]
    );
    assert_eq!(pair.smsc.received.iter().filter(|c| **c == CommandId::SubmitSm).count(), 1, "never resent");
    assert_eq!(pair.esme.in_flight(), 0, "the slot is free again");
    // A late answer to it matches nothing and is reported, not delivered.
    let late = Pdu::new(CommandStatus::ESME_ROK, 2, Body::SubmitSmResp(SubmitSmResp::default()));
    pair.feed(&late.to_vec().unwrap());
    pair.pump();
    assert!(pair.got.is_empty());
    assert!(
        pair.events
            .contains(&SessionEvent::UnmatchedResponse { command: CommandId::SubmitSmResp, sequence: 2 })
    );
}

#[test]
fn keepalive_after_silence_and_dead_link_when_unanswered() {
    let mut pair = Pair::bound(config());
    pair.advance(29 * SECOND);
    assert!(!pair.smsc.received.contains(&CommandId::EnquireLink));
    pair.advance(2 * SECOND);
    assert_eq!(pair.smsc.received.iter().filter(|c| **c == CommandId::EnquireLink).count(), 1);
    assert!(pair.esme.state().is_bound(), "answered keepalive keeps the link");

    pair.smsc.silent = true;
    pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(3), pair.now).unwrap();
    pair.advance(40 * SECOND);
    assert_eq!(pair.esme.state(), SessionState::Closed);
    assert!(pair.events.contains(&SessionEvent::LinkDead));
    assert!(pair.events.iter().any(|e| matches!(
        e,
        SessionEvent::TimedOut { tag: RequestTag(3), command: CommandId::SubmitSm, .. }
    )));
    assert_eq!(pair.esme.poll_timeout(), None, "a closed session needs no wake-up");
}

#[test]
fn answers_the_smscs_enquire_link() {
    let mut pair = Pair::bound(config());
    let seq = pair.smsc.request(Body::EnquireLink);
    pair.pump();
    assert_eq!(pair.smsc.answers, vec![(CommandId::EnquireLinkResp, CommandStatus::ESME_ROK, seq)]);
}

#[test]
fn deliver_sm_waits_for_the_application_then_is_answered_once() {
    let mut pair = Pair::bound(config());
    let seq = pair.smsc.request(deliver_sm());
    pair.pump();
    assert_eq!(pair.got, vec![Got::Request { command: CommandId::DeliverSm, sequence: seq }]);
    assert!(pair.smsc.answers.is_empty(), "no deliver_sm_resp before the application says so");
    pair.esme.respond(seq, CommandStatus::ESME_ROK).unwrap();
    pair.pump();
    assert_eq!(pair.smsc.answers, vec![(CommandId::DeliverSmResp, CommandStatus::ESME_ROK, seq)]);
    assert_eq!(pair.esme.respond(seq, CommandStatus::ESME_ROK), Err(SessionError::NotAwaitingAnswer(seq)));
}

#[test]
fn too_many_unanswered_deliveries_are_turned_back_for_a_retry() {
    let mut pair = Pair::bound(SessionConfig { max_unanswered: 2, ..config() });
    let seqs: Vec<u32> = (0..3).map(|_| pair.smsc.request(deliver_sm())).collect();
    pair.pump();
    assert_eq!(pair.got.len(), 2);
    assert_eq!(pair.smsc.answers, vec![(CommandId::DeliverSmResp, CommandStatus::ESME_RX_T_APPN, seqs[2])]);
}

#[test]
fn a_transmitter_refuses_deliveries_with_invalid_bind_status() {
    let mut pair = Pair::bound(SessionConfig { bind_kind: BindKind::Transmitter, ..config() });
    let seq = pair.smsc.request(deliver_sm());
    pair.pump();
    assert!(pair.got.is_empty());
    assert_eq!(pair.smsc.answers, vec![(CommandId::DeliverSmResp, CommandStatus::ESME_RINVBNDSTS, seq)]);
    assert!(pair.events.contains(&SessionEvent::Rejected {
        status: CommandStatus::ESME_RINVBNDSTS,
        command: Some(CommandId::DeliverSm)
    }));
}

#[test]
fn undecodable_input_gets_generic_nack_echoing_the_sequence() {
    let mut pair = Pair::bound(config());
    // An unknown command_id with sequence 77.
    let mut frame = Pdu::new(CommandStatus::ESME_ROK, 77, Body::EnquireLink).to_vec().unwrap();
    frame[4..8].copy_from_slice(&0x0000_0999u32.to_be_bytes());
    pair.feed(&frame);
    pair.pump();
    assert_eq!(pair.smsc.answers, vec![(CommandId::GenericNack, CommandStatus::ESME_RINVCMDID, 77)]);
    // A deliver_sm whose C-octet string has no NUL: its own response, with
    // the decoder's status.
    let mut bad = Pdu::new(CommandStatus::ESME_ROK, 78, deliver_sm()).to_vec().unwrap();
    let len = bad.len();
    bad.truncate(20);
    bad.extend(std::iter::repeat_n(b'9', len - 20));
    pair.feed(&bad);
    pair.pump();
    let (command, status, seq) = pair.smsc.answers[1];
    assert_eq!((command, seq), (CommandId::DeliverSmResp, 78));
    assert!(!status.is_ok());
    assert!(pair.esme.state().is_bound(), "a bad PDU does not end the session");
}

#[test]
fn unbind_from_the_smsc_is_answered_and_abandons_outstanding_requests() {
    let mut pair = Pair::bound(config());
    pair.smsc.silent = true;
    pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(11), pair.now).unwrap();
    pair.pump();
    pair.smsc.silent = false;
    let seq = pair.smsc.request(Body::Unbind);
    pair.pump();
    assert_eq!(pair.smsc.answers, vec![(CommandId::UnbindResp, CommandStatus::ESME_ROK, seq)]);
    assert_eq!(pair.esme.state(), SessionState::Closed);
    assert!(pair.events.ends_with(&[
        SessionEvent::Abandoned { tag: RequestTag(11), command: CommandId::SubmitSm },
        SessionEvent::Closed { by_peer: true }
    ]));
}

#[test]
fn unbind_from_the_esme_closes_on_the_response_and_refuses_new_work() {
    let mut pair = Pair::bound(config());
    pair.esme.unbind(pair.now).unwrap();
    assert!(pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(1), pair.now).is_err());
    pair.pump();
    assert_eq!(pair.smsc.received, vec![CommandId::BindTransceiver, CommandId::Unbind]);
    assert_eq!(pair.esme.state(), SessionState::Closed);
    assert_eq!(pair.events.last(), Some(&SessionEvent::Closed { by_peer: false }));

    // Without an answer, the unbind gives up after the response timeout.
    let mut silent = Pair::bound(config());
    silent.smsc.silent = true;
    silent.esme.unbind(silent.now).unwrap();
    silent.advance(6 * SECOND);
    assert_eq!(silent.esme.state(), SessionState::Closed);
}

#[test]
fn sequence_numbers_wrap_to_one_and_skip_numbers_still_in_use() {
    let now = Instant::now();
    let mut esme = EsmeSession::with_sequences(config(), now, SequenceNumbers::starting_at(MAX_SEQUENCE - 1));
    let mut smsc = TestSmsc::default();
    esme.bind(now).unwrap();
    smsc.receive(&esme.take_outgoing().unwrap());
    let bind_resp = std::mem::take(&mut smsc.outbox);
    assert!(esme.handle_frame(&bind_resp, now).is_none());
    assert!(esme.state().is_bound());
    smsc.silent = true;
    let seqs: Vec<u32> =
        (0..3).map(|t| esme.submit(submit_sm(), Tlvs::new(), RequestTag(t), now).unwrap()).collect();
    assert_eq!(seqs, vec![MAX_SEQUENCE, 1, 2]);
    // 1 and 2 are still outstanding: after the counter comes round to them
    // again they are skipped.
    esme.sequences = SequenceNumbers::starting_at(1);
    let next = esme.submit(submit_sm(), Tlvs::new(), RequestTag(9), now).unwrap();
    assert_eq!(next, 3);
}

/// A submit_sm_resp for `sequence` with message id `id`, as the SMSC
/// would send it late.
fn late_resp(sequence: u32, id: &str) -> Vec<u8> {
    let resp = SubmitSmResp { message_id: crate::smpp::pdu::MessageId::new(id.as_bytes()).unwrap() };
    Pdu::new(CommandStatus::ESME_ROK, sequence, Body::SubmitSmResp(resp)).to_vec().unwrap()
}

fn late_config(capacity: usize, window: Duration) -> SessionConfig {
    // No keepalive in these tests: the silent SMSC would make the link dead.
    SessionConfig {
        late_window: window,
        late_capacity: capacity,
        enquire_link_interval: 3600 * SECOND,
        ..config()
    }
}

#[test]
fn a_late_response_within_the_window_reaches_its_request_once() {
    let mut pair = Pair::bound(late_config(16, 60 * SECOND));
    pair.smsc.silent = true;
    let seq = pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(7), pair.now).unwrap();
    pair.advance(6 * SECOND);
    assert!(pair.events.contains(&SessionEvent::TimedOut {
        tag: RequestTag(7),
        command: CommandId::SubmitSm,
        awaiting_late: true
    }));
    assert!(pair.got.is_empty());
    pair.advance(30 * SECOND);
    pair.feed(&late_resp(seq, "m9"));
    pair.feed(&late_resp(seq, "m9"));
    pair.pump();
    assert_eq!(
        pair.got,
        vec![Got::Late {
            tag: RequestTag(7),
            status: CommandStatus::ESME_ROK,
            message_id: Some("m9".into())
        }],
        "handed out once; the repeat is unmatched"
    );
    assert!(
        pair.events
            .contains(&SessionEvent::UnmatchedResponse { command: CommandId::SubmitSmResp, sequence: seq })
    );
    // Answered: its window closing later reports nothing.
    pair.advance(60 * SECOND);
    assert!(!pair.events.iter().any(|e| matches!(e, SessionEvent::LateForgotten { .. })));
}

#[test]
fn a_late_response_after_the_window_is_unmatched() {
    let mut pair = Pair::bound(late_config(16, 10 * SECOND));
    pair.smsc.silent = true;
    let seq = pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(7), pair.now).unwrap();
    pair.advance(5 * SECOND);
    assert_eq!(pair.esme.poll_timeout(), Some(pair.now + 10 * SECOND), "woken when the window closes");
    pair.advance(10 * SECOND);
    assert!(pair.events.contains(&SessionEvent::LateForgotten { tag: RequestTag(7) }));
    pair.feed(&late_resp(seq, "m1"));
    pair.pump();
    assert!(pair.got.is_empty());
    assert!(
        pair.events
            .contains(&SessionEvent::UnmatchedResponse { command: CommandId::SubmitSmResp, sequence: seq })
    );
}

#[test]
fn the_late_window_keeps_only_the_newest_timeouts() {
    let mut pair = Pair::bound(late_config(2, 60 * SECOND));
    pair.smsc.silent = true;
    let seqs: Vec<u32> = (1..=3)
        .map(|n| pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(n), pair.now).unwrap())
        .collect();
    pair.advance(6 * SECOND);
    assert!(pair.events.contains(&SessionEvent::LateForgotten { tag: RequestTag(1) }), "{:?}", pair.events);
    for (seq, id) in seqs.iter().zip(["a", "b", "c"]) {
        pair.feed(&late_resp(*seq, id));
    }
    pair.pump();
    let late: Vec<RequestTag> = pair
        .got
        .iter()
        .filter_map(|g| match g {
            Got::Late { tag, .. } => Some(*tag),
            _ => None,
        })
        .collect();
    assert_eq!(late, vec![RequestTag(2), RequestTag(3)]);
    assert!(
        pair.events.contains(&SessionEvent::UnmatchedResponse {
            command: CommandId::SubmitSmResp,
            sequence: seqs[0]
        })
    );
}

#[test]
fn a_late_response_for_an_unknown_sequence_number_is_still_ignored() {
    let mut pair = Pair::bound(late_config(16, 60 * SECOND));
    pair.smsc.silent = true;
    let seq = pair.esme.submit(submit_sm(), Tlvs::new(), RequestTag(7), pair.now).unwrap();
    pair.advance(6 * SECOND);
    pair.feed(&late_resp(seq + 100, "zz"));
    // The right number with the wrong command is not its answer either.
    let wrong = Pdu::new(CommandStatus::ESME_ROK, seq, Body::EnquireLinkResp).to_vec().unwrap();
    pair.feed(&wrong);
    pair.pump();
    assert!(pair.got.is_empty());
    assert!(pair.events.contains(&SessionEvent::UnmatchedResponse {
        command: CommandId::SubmitSmResp,
        sequence: seq + 100
    }));
    assert!(
        pair.events.contains(&SessionEvent::UnmatchedResponse {
            command: CommandId::EnquireLinkResp,
            sequence: seq
        })
    );
    // Still kept for its real answer.
    pair.feed(&late_resp(seq, "m7"));
    assert_eq!(pair.got.len(), 1);
}
