//! The driver and the pool against a scripted SMSC over an in-memory
//! duplex pipe: no sockets, the real codec on both sides.

#![allow(clippy::unwrap_used)]

use super::driver::{BindEnd, DriverParts, drive};
use super::handle::{BindHandle, BindId, Shared, SubmitError, SubmitOutcome};
use super::metrics::BindMetrics;
use super::pool::{AccountPool, PoolPolicy, RouteError};
use super::request::MtPart;
use crate::smpp::frame::next_frame;
use crate::smpp::pdu::{BindResp, Body, COctetString, CommandId, CommandStatus, Pdu, SubmitSmResp, decode};
use crate::smpp::session::{BindKind, EsmeSession, SessionConfig};
use bytes::BytesMut;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The SMSC's end of the pipe: reads whole PDUs, writes PDUs.
struct Smsc {
    io: DuplexStream,
    buf: BytesMut,
}

impl Smsc {
    async fn next(&mut self) -> Option<(CommandId, u32, Vec<u8>)> {
        loop {
            if let Some(len) = next_frame(&self.buf, 65536).unwrap() {
                let frame = self.buf.split_to(len).to_vec();
                let pdu = decode(&frame).unwrap();
                return Some((pdu.command_id(), pdu.sequence_number, frame));
            }
            if self.io.read_buf(&mut self.buf).await.unwrap() == 0 {
                return None;
            }
        }
    }

    async fn send(&mut self, status: CommandStatus, seq: u32, body: Body<'_>) {
        let bytes = Pdu::new(status, seq, body).to_vec().unwrap();
        self.io.write_all(&bytes).await.unwrap();
    }

    async fn accept_bind(&mut self) {
        let (id, seq, _) = self.next().await.unwrap();
        assert_eq!(id, CommandId::BindTransceiver);
        let resp = BindResp { system_id: COctetString::new(b"SIM").unwrap() };
        self.send(CommandStatus::ESME_ROK, seq, Body::BindTransceiverResp(resp)).await;
    }
}

struct Bind {
    handle: BindHandle,
    smsc: Smsc,
    stop: CancellationToken,
    inbound: mpsc::Receiver<super::handle::InboundRequest>,
    task: JoinHandle<BindEnd>,
    bound: oneshot::Receiver<()>,
}

fn start(window: usize, response_timeout: Duration) -> Bind {
    start_slot(0, window, response_timeout)
}

fn start_slot(slot: u32, window: usize, response_timeout: Duration) -> Bind {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let id = BindId { account: "acc".into(), slot };
    let shared = Arc::new(Shared {
        id,
        bound: AtomicBool::new(false),
        window: Arc::new(Semaphore::new(window)),
        window_size: window,
        can_transmit: true,
    });
    let config = SessionConfig {
        bind_kind: BindKind::Transceiver,
        system_id: "simgate".into(),
        password: "pw".into(),
        window,
        response_timeout,
        ..SessionConfig::default()
    };
    let (tx, rx) = mpsc::channel(16);
    let (in_tx, in_rx) = mpsc::channel(4);
    let (bound_tx, bound_rx) = oneshot::channel();
    let stop = CancellationToken::new();
    let mut registry = prometheus_client::registry::Registry::default();
    let parts = DriverParts {
        session: EsmeSession::new(config, tokio::time::Instant::now().into_std()),
        commands: rx,
        inbound: in_tx,
        commands_tx: tx.clone(),
        shared: shared.clone(),
        metrics: BindMetrics::register(&mut registry),
        max_frame: 65536,
        stop: stop.clone(),
        on_bound: Some(bound_tx),
    };
    let task = tokio::spawn(drive(ours, parts));
    Bind {
        handle: BindHandle { shared, commands: tx },
        smsc: Smsc { io: theirs, buf: BytesMut::new() },
        stop,
        inbound: in_rx,
        task,
        bound: bound_rx,
    }
}

fn part(text: &str) -> MtPart {
    MtPart {
        source_addr: "simgate".into(),
        destination_addr: "15550001".into(),
        short_message: text.as_bytes().to_vec(),
        ..MtPart::default()
    }
}

#[tokio::test]
async fn a_submit_gets_the_smscs_message_id() {
    let mut b = start(4, Duration::from_secs(5));
    b.smsc.accept_bind().await;
    (&mut b.bound).await.unwrap();
    assert!(b.handle.is_bound());
    let handle = b.handle.clone();
    let submit = tokio::spawn(async move { handle.submit(part("hi")).await });
    let (id, seq, frame) = b.smsc.next().await.unwrap();
    assert_eq!(id, CommandId::SubmitSm);
    let pdu = decode(&frame).unwrap();
    assert_eq!(pdu.body.short_message().unwrap().as_bytes(), b"hi");
    let resp = SubmitSmResp { message_id: COctetString::new(b"AB12").unwrap() };
    b.smsc.send(CommandStatus::ESME_ROK, seq, Body::SubmitSmResp(resp)).await;
    let outcome = submit.await.unwrap().unwrap();
    assert_eq!(
        outcome,
        SubmitOutcome::Answered { status: CommandStatus::ESME_ROK, message_id: Some("AB12".into()) }
    );
    assert_eq!(b.handle.in_flight(), 0, "the window slot is back");
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_submit_times_out_and_is_not_resent() {
    let mut b = start(4, Duration::from_secs(2));
    b.smsc.accept_bind().await;
    (&mut b.bound).await.unwrap();
    let handle = b.handle.clone();
    let submit = tokio::spawn(async move { handle.submit(part("x")).await });
    let (id, _, _) = b.smsc.next().await.unwrap();
    assert_eq!(id, CommandId::SubmitSm);
    assert_eq!(submit.await.unwrap().unwrap(), SubmitOutcome::TimedOut);
    // Nothing else was written for that part: the next PDU the SMSC sees is
    // the unbind it is asked for.
    b.stop.cancel();
    let (id, seq, _) = b.smsc.next().await.unwrap();
    assert_eq!(id, CommandId::Unbind);
    b.smsc.send(CommandStatus::ESME_ROK, seq, Body::UnbindResp).await;
    assert_eq!(b.task.await.unwrap(), BindEnd::Unbound { by_peer: false });
}

#[tokio::test]
async fn a_dropped_connection_abandons_what_is_outstanding() {
    let mut b = start(4, Duration::from_secs(30));
    b.smsc.accept_bind().await;
    (&mut b.bound).await.unwrap();
    let handle = b.handle.clone();
    let submit = tokio::spawn(async move { handle.submit(part("x")).await });
    b.smsc.next().await.unwrap();
    drop(b.smsc);
    assert_eq!(submit.await.unwrap().unwrap(), SubmitOutcome::Abandoned);
    assert!(matches!(b.task.await.unwrap(), BindEnd::Dropped(_)));
    assert!(matches!(b.handle.submit(part("y")).await, Err(SubmitError::NotBound(_))));
}

#[tokio::test]
async fn deliver_sm_is_answered_only_when_the_application_says_so() {
    let mut b = start(4, Duration::from_secs(30));
    b.smsc.accept_bind().await;
    (&mut b.bound).await.unwrap();
    let deliver = Pdu::new(CommandStatus::ESME_ROK, 77, Body::DeliverSm(Default::default()));
    b.smsc.io.write_all(&deliver.to_vec().unwrap()).await.unwrap();
    let request = b.inbound.recv().await.unwrap();
    assert_eq!(decode(&request.frame).unwrap().command_id(), CommandId::DeliverSm);
    // Not answered yet: an enquire_link from the SMSC is answered first.
    b.smsc.send(CommandStatus::ESME_ROK, 78, Body::EnquireLink).await;
    let (id, seq, _) = b.smsc.next().await.unwrap();
    assert_eq!((id, seq), (CommandId::EnquireLinkResp, 78));
    assert!(request.responder.respond(CommandStatus::ESME_ROK).await);
    let (id, seq, _) = b.smsc.next().await.unwrap();
    assert_eq!((id, seq), (CommandId::DeliverSmResp, 77));
}

#[tokio::test]
async fn a_refused_bind_ends_with_its_status() {
    let mut b = start(4, Duration::from_secs(5));
    let (_, seq, _) = b.smsc.next().await.unwrap();
    b.smsc.send(CommandStatus::ESME_RALYBND, seq, Body::EmptyResponse(CommandId::BindTransceiverResp)).await;
    assert_eq!(b.task.await.unwrap(), BindEnd::Refused(CommandStatus::ESME_RALYBND));
}

#[tokio::test]
async fn a_bad_command_length_ends_the_connection_cleanly() {
    let mut b = start(4, Duration::from_secs(5));
    b.smsc.accept_bind().await;
    (&mut b.bound).await.unwrap();
    b.smsc.io.write_all(&[0, 0, 0, 3, 0, 0, 0, 4]).await.unwrap();
    assert!(matches!(b.task.await.unwrap(), BindEnd::BadFrame(_)));
}

fn policy() -> PoolPolicy {
    PoolPolicy {
        tps_per_bind: 0.0,
        tps_per_account: 0.0,
        throttle_retry: Duration::from_millis(10),
        give_up_after: Duration::from_secs(5),
        resubmit_after_drop: true,
        takes_traffic: true,
    }
}

fn metrics() -> BindMetrics {
    BindMetrics::register(&mut prometheus_client::registry::Registry::default())
}

#[tokio::test]
async fn the_pool_retries_a_throttled_part_and_returns_the_answer() {
    let mut b = start(4, Duration::from_secs(5));
    b.smsc.accept_bind().await;
    (&mut b.bound).await.unwrap();
    let pool = AccountPool::new("acc", policy(), metrics());
    pool.add(b.handle.clone());
    let p = pool.clone();
    let submit = tokio::spawn(async move { p.submit(part("t")).await });
    let (_, seq, _) = b.smsc.next().await.unwrap();
    b.smsc.send(CommandStatus::ESME_RTHROTTLED, seq, Body::EmptyResponse(CommandId::SubmitSmResp)).await;
    let (id, seq2, _) = b.smsc.next().await.unwrap();
    assert_eq!(id, CommandId::SubmitSm, "sent again after the throttle");
    assert_ne!(seq, seq2);
    let resp = SubmitSmResp { message_id: COctetString::new(b"9").unwrap() };
    b.smsc.send(CommandStatus::ESME_ROK, seq2, Body::SubmitSmResp(resp)).await;
    assert_eq!(
        submit.await.unwrap().unwrap(),
        SubmitOutcome::Answered { status: CommandStatus::ESME_ROK, message_id: Some("9".into()) }
    );
}

#[tokio::test]
async fn the_pool_prefers_the_bind_with_fewer_outstanding_and_a_passive_pool_refuses() {
    let mut a = start_slot(0, 4, Duration::from_secs(5));
    let mut b = start_slot(1, 4, Duration::from_secs(5));
    for x in [&mut a, &mut b] {
        x.smsc.accept_bind().await;
        (&mut x.bound).await.unwrap();
    }
    let pool = AccountPool::new("acc", policy(), metrics());
    pool.add(a.handle.clone());
    pool.add(b.handle.clone());
    // Occupy one window slot of bind a.
    let _held = a.handle.shared.window.clone().try_acquire_owned().unwrap();
    let p = pool.clone();
    tokio::spawn(async move { p.submit(part("r")).await });
    let (id, _, _) = b.smsc.next().await.unwrap();
    assert_eq!(id, CommandId::SubmitSm, "routed to the idle bind");

    let passive = AccountPool::new("acc", PoolPolicy { takes_traffic: false, ..policy() }, metrics());
    passive.add(a.handle.clone());
    assert!(matches!(passive.submit(part("p")).await, Err(RouteError::Passive(_))));
}

#[tokio::test]
async fn the_pool_gives_up_when_no_bind_comes() {
    let pool = AccountPool::new(
        "acc",
        PoolPolicy { give_up_after: Duration::from_millis(50), ..policy() },
        metrics(),
    );
    assert!(matches!(pool.submit(part("n")).await, Err(RouteError::NoBind { .. })));
}
