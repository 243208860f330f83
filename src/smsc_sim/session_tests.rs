//! [`SmscSession`] on a simulated clock: bytes in, bytes and effects out,
//! no socket and no runtime.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::*;
use crate::smpp::pdu::{Address, Bind, DeliverSmResp, Password, ShortMessage, SmFields};
use crate::smsc_sim::config::{Latency, SimAccount, SimConfig};
use crate::smsc_sim::stats::SimMetrics;

fn state(edit: impl FnOnce(&mut SimConfig)) -> SimState {
    let mut c = SimConfig {
        accounts: vec![SimAccount { system_id: "a".into(), password: "p".into(), max_binds: 2 }],
        ..SimConfig::default()
    };
    edit(&mut c);
    c.validate().unwrap();
    SimState::new(c, SimMetrics::default())
}

fn at(t0: Instant, ms: u64) -> Now {
    Now { at: t0 + Duration::from_millis(ms), unix: 1_700_000_000 + ms / 1000 }
}

fn feed(s: &mut SmscSession, now: Now, st: &SimState, pdu: Pdu<'_>) {
    let mut input = BytesMut::from(&pdu.to_vec().unwrap()[..]);
    s.handle_input(now, &mut input, st);
    assert!(input.is_empty());
}

/// The PDUs written so far, as (command_id, status, sequence).
fn written(s: &mut SmscSession) -> Vec<(CommandId, CommandStatus, u32)> {
    let mut out = Vec::new();
    let buf = s.output();
    while let Ok(Some(len)) = next_frame(buf, 1 << 16) {
        let frame = buf.split_to(len);
        let pdu = decode(&frame).unwrap();
        out.push((pdu.command_id(), pdu.command_status, pdu.sequence_number));
    }
    out
}

fn bind(s: &mut SmscSession, now: Now, st: &SimState) {
    let b = Bind {
        system_id: SystemId::new(b"a").unwrap(),
        password: Password::new(b"p").unwrap(),
        ..Bind::default()
    };
    feed(s, now, st, Pdu::new(CommandStatus::ESME_ROK, 1, Body::BindTransceiver(b)));
    assert_eq!(written(s), vec![(CommandId::BindTransceiverResp, CommandStatus::ESME_ROK, 1)]);
}

fn submit(seq: u32) -> Pdu<'static> {
    Pdu::new(
        CommandStatus::ESME_ROK,
        seq,
        Body::SubmitSm(SmFields {
            destination_addr: Address::new(b"447700900123").unwrap(),
            registered_delivery: 1,
            short_message: ShortMessage::new(b"hi").unwrap(),
            ..SmFields::default()
        }),
    )
}

#[test]
fn a_delayed_response_leaves_at_its_deadline_and_the_receipt_is_scheduled() {
    let st = state(|c| c.latency = Latency::Fixed { delay: Duration::from_millis(30) });
    let t0 = Instant::now();
    let mut s = SmscSession::new(1, at(t0, 0), &st);
    bind(&mut s, at(t0, 0), &st);
    feed(&mut s, at(t0, 1), &st, submit(2));
    assert!(written(&mut s).is_empty(), "held for its latency");
    assert_eq!(s.poll_timeout(&st), Some(t0 + Duration::from_millis(31)));
    let effects: Vec<Effect> = s.take_effects().collect();
    let [Effect::Schedule { due, job }] = &effects[..] else { panic!("{effects:?}") };
    assert!(
        *due >= t0 + Duration::from_millis(51) && *due <= t0 + Duration::from_millis(201),
        "receipt delay"
    );
    assert_eq!(job.origin, Some(1));
    s.handle_timeout(at(t0, 30), &st);
    assert!(written(&mut s).is_empty(), "not yet");
    s.handle_timeout(at(t0, 31), &st);
    assert_eq!(written(&mut s), vec![(CommandId::SubmitSmResp, CommandStatus::ESME_ROK, 2)]);
}

#[test]
fn an_unanswered_deliver_sm_is_handed_back_after_the_timeout() {
    let st = state(|c| c.deliver_timeout = Duration::from_secs(1));
    let t0 = Instant::now();
    let mut s = SmscSession::new(1, at(t0, 0), &st);
    bind(&mut s, at(t0, 0), &st);
    feed(&mut s, at(t0, 1), &st, submit(2));
    assert_eq!(written(&mut s).len(), 1);
    let Some(Effect::Schedule { job, .. }) = s.take_effects().next() else { panic!("no receipt") };
    s.handle_delivery(at(t0, 100), job.clone(), &st);
    s.handle_delivery(at(t0, 100), job, &st);
    let sent = written(&mut s);
    assert_eq!(sent.iter().map(|p| p.0).collect::<Vec<_>>(), vec![CommandId::DeliverSm; 2]);
    // The first is answered; the second never is.
    let resp = Pdu::new(CommandStatus::ESME_ROK, sent[0].2, Body::DeliverSmResp(DeliverSmResp::default()));
    feed(&mut s, at(t0, 200), &st, resp);
    assert_eq!(s.poll_timeout(&st), Some(t0 + Duration::from_millis(1100)));
    s.handle_timeout(at(t0, 1100), &st);
    let effects: Vec<Effect> = s.take_effects().collect();
    let [Effect::Schedule { due, job }] = &effects[..] else { panic!("{effects:?}") };
    assert_eq!((*due, job.attempts), (t0 + Duration::from_millis(2100), 1));
    assert_eq!(st.metrics.deliveries_retried.get(), 1);
}

#[test]
fn unbind_from_the_sim_waits_for_the_response_or_the_grace() {
    let st = state(|_| {});
    let t0 = Instant::now();
    let mut s = SmscSession::new(1, at(t0, 0), &st);
    bind(&mut s, at(t0, 0), &st);
    s.start_unbind(at(t0, 10), Duration::from_millis(500), &st);
    let sent = written(&mut s);
    assert_eq!(sent[0].0, CommandId::Unbind);
    assert!(!s.is_closed());
    feed(&mut s, at(t0, 20), &st, Pdu::new(CommandStatus::ESME_ROK, 9, Body::EnquireLink));
    assert_eq!(written(&mut s), vec![(CommandId::EnquireLinkResp, CommandStatus::ESME_ROK, 9)]);
    s.handle_timeout(at(t0, 510), &st);
    assert!(s.is_closed(), "no unbind_resp within the grace");
    assert_eq!(lock(&st.registry).counts(0).now, 0, "bind released");
}

#[test]
fn an_idle_unbound_connection_is_closed_after_the_bind_timeout() {
    let st = state(|c| c.bind_timeout = Duration::from_secs(2));
    let t0 = Instant::now();
    let mut s = SmscSession::new(1, at(t0, 0), &st);
    assert_eq!(s.poll_timeout(&st), Some(t0 + Duration::from_secs(2)));
    s.handle_timeout(at(t0, 1999), &st);
    assert!(!s.is_closed());
    s.handle_timeout(at(t0, 2000), &st);
    assert!(s.is_closed());
}

#[test]
fn an_esme_unbind_counts_as_unbind_and_a_vanished_bind_as_lost() {
    let st = state(|_| {});
    let t0 = Instant::now();
    let mut a = SmscSession::new(1, at(t0, 0), &st);
    bind(&mut a, at(t0, 0), &st);
    feed(&mut a, at(t0, 5), &st, Pdu::new(CommandStatus::ESME_ROK, 2, Body::Unbind));
    assert_eq!(written(&mut a), vec![(CommandId::UnbindResp, CommandStatus::ESME_ROK, 2)]);
    a.close_connection(&st);
    let mut b = SmscSession::new(2, at(t0, 0), &st);
    bind(&mut b, at(t0, 0), &st);
    b.close_connection(&st);
    b.close_connection(&st);
    let mut c = SmscSession::new(3, at(t0, 0), &st);
    c.close_connection(&st);
    assert_eq!((st.metrics.unbinds_received.get(), st.metrics.binds_lost.get()), (1, 1));
    assert_eq!(lock(&st.registry).counts(0).now, 0, "both binds released");
}
