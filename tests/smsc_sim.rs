//! `simgate smsc-sim` end to end: the simulator in-process on 127.0.0.1:0,
//! driven by a minimal ESME written here over a TcpStream with simgate's
//! codec, and the CLI as a process.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use simgate::smpp::frame::next_frame;
use simgate::smpp::pdu::{
    Address, Bind, Body, CommandId, CommandStatus, DeliverSmResp, MessageId, Password, Pdu, QuerySm,
    ShortMessage, SmFields, SystemId, decode,
};
use simgate::smpp::receipt::{self, MessageState, ReceiptTlvs, looks_like_receipt, parse_receipt};
use simgate::smsc_sim::{DelayRange, IdVariant, Latency, MoPlan, SimAccount, SimConfig, SmscSim, StatusMix};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

/// One whole PDU as received.
struct Frame(Bytes);

impl Frame {
    fn pdu(&self) -> Pdu<'_> {
        decode(&self.0).unwrap()
    }
    fn id(&self) -> CommandId {
        self.pdu().command_id()
    }
    fn status(&self) -> CommandStatus {
        self.pdu().command_status
    }
    fn seq(&self) -> u32 {
        self.pdu().sequence_number
    }
}

/// A minimal ESME: writes PDUs, reads whole frames.
struct Esme {
    stream: TcpStream,
    buf: BytesMut,
    seq: u32,
}

#[derive(Clone, Copy)]
enum Kind {
    Tx,
    Rx,
    Trx,
}

impl Esme {
    async fn connect(addr: SocketAddr) -> Esme {
        Esme { stream: TcpStream::connect(addr).await.unwrap(), buf: BytesMut::new(), seq: 0 }
    }

    async fn bind(addr: SocketAddr, kind: Kind, id: &str, pw: &str) -> (Esme, CommandStatus) {
        let mut esme = Esme::connect(addr).await;
        let bind = Bind {
            system_id: SystemId::new(id.as_bytes()).unwrap(),
            password: Password::new(pw.as_bytes()).unwrap(),
            interface_version: 0x34,
            ..Bind::default()
        };
        let body = match kind {
            Kind::Tx => Body::BindTransmitter(bind),
            Kind::Rx => Body::BindReceiver(bind),
            Kind::Trx => Body::BindTransceiver(bind),
        };
        let seq = esme.request(body).await;
        let resp = esme.recv().await.unwrap();
        assert_eq!(resp.seq(), seq);
        let status = resp.status();
        (esme, status)
    }

    async fn bound(addr: SocketAddr, kind: Kind) -> Esme {
        let (esme, status) = Esme::bind(addr, kind, "acct", "pw").await;
        assert_eq!(status, CommandStatus::ESME_ROK);
        esme
    }

    async fn send(&mut self, pdu: &Pdu<'_>) {
        self.stream.write_all(&pdu.to_vec().unwrap()).await.unwrap();
    }

    async fn request(&mut self, body: Body<'_>) -> u32 {
        self.seq += 1;
        let seq = self.seq;
        self.send(&Pdu::new(CommandStatus::ESME_ROK, seq, body)).await;
        seq
    }

    async fn submit(&mut self, text: &str, registered_delivery: u8) -> u32 {
        self.request(submit_sm(text, registered_delivery)).await
    }

    /// The next frame, or `None` on end of stream or after `WAIT`.
    async fn recv(&mut self) -> Option<Frame> {
        self.recv_within(WAIT).await
    }

    async fn recv_within(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(len) = next_frame(&self.buf, 1 << 16).unwrap() {
                return Some(Frame(self.buf.split_to(len).freeze()));
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(_)) => {}
            }
        }
    }

    async fn answer(&mut self, frame: &Frame, status: CommandStatus) {
        let body = match status.is_ok() {
            true => Body::DeliverSmResp(DeliverSmResp::default()),
            false => Body::EmptyResponse(CommandId::DeliverSmResp),
        };
        self.send(&Pdu::new(status, frame.seq(), body)).await;
    }

    /// Reads until end of stream; true when it came within `wait`.
    async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut sink = [0u8; 4096];
        timeout(wait, async {
            loop {
                match self.stream.read(&mut sink).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}

fn submit_sm(text: &str, registered_delivery: u8) -> Body<'_> {
    Body::SubmitSm(SmFields {
        source_addr_ton: 5,
        source_addr: Address::new(b"SIMGATE").unwrap(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: Address::new(b"447700900123").unwrap(),
        registered_delivery,
        short_message: ShortMessage::new(text.as_bytes()).unwrap(),
        ..SmFields::default()
    })
}

fn resp_id(frame: &Frame) -> String {
    match frame.pdu().body {
        Body::SubmitSmResp(r) => r.message_id.to_str().unwrap().to_owned(),
        other => panic!("not a submit_sm_resp: {other:?}"),
    }
}

fn receipt_of(frame: &Frame) -> receipt::DeliveryReceipt {
    let pdu = frame.pdu();
    let Body::DeliverSm(b) = &pdu.body else { panic!("not a deliver_sm: {pdu:?}") };
    assert!(looks_like_receipt(b.esm_class), "esm_class {:#x}", b.esm_class);
    parse_receipt(b.short_message.as_bytes(), ReceiptTlvs::from_tlvs(&pdu.tlvs)).unwrap()
}

fn config() -> SimConfig {
    SimConfig {
        accounts: vec![SimAccount { system_id: "acct".into(), password: "pw".into(), max_binds: 4 }],
        // The test ESMEs mostly do not answer unbind: do not wait long.
        shutdown_grace: Duration::from_millis(200),
        ..SimConfig::default()
    }
}

fn quick_receipts(c: &mut SimConfig) {
    c.receipts.delay = DelayRange { min: Duration::from_millis(20), max: Duration::from_millis(40) };
}

#[tokio::test]
async fn binds_check_password_system_id_and_the_account_limit() {
    let mut c = config();
    c.accounts[0].max_binds = 2;
    let sim = SmscSim::start(c).await.unwrap();
    let addr = sim.local_addr();
    let (_a, s1) = Esme::bind(addr, Kind::Tx, "acct", "pw").await;
    let (_b, s2) = Esme::bind(addr, Kind::Rx, "acct", "pw").await;
    let (_c, s3) = Esme::bind(addr, Kind::Trx, "acct", "pw").await;
    let (_d, s4) = Esme::bind(addr, Kind::Trx, "acct", "nope").await;
    let (_e, s5) = Esme::bind(addr, Kind::Trx, "who", "pw").await;
    assert_eq!((s1, s2), (CommandStatus::ESME_ROK, CommandStatus::ESME_ROK));
    assert_eq!(s3, CommandStatus::ESME_RBINDFAIL);
    assert_eq!(s4, CommandStatus::ESME_RINVPASWD);
    assert_eq!(s5, CommandStatus::ESME_RINVSYSID);
    let stats = sim.stats();
    assert_eq!((stats.binds["acct"].now, stats.binds["acct"].peak), (2, 2));
    assert_eq!(stats.bind_refusals[&CommandStatus::ESME_RBINDFAIL], 1);
    assert_eq!(stats.bind_refusals[&CommandStatus::ESME_RINVPASWD], 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn requests_outside_the_bind_state_are_refused() {
    let sim = SmscSim::start(config()).await.unwrap();
    let mut open = Esme::connect(sim.local_addr()).await;
    open.submit("early", 0).await;
    assert_eq!(open.recv().await.unwrap().status(), CommandStatus::ESME_RINVBNDSTS);
    let mut rx = Esme::bound(sim.local_addr(), Kind::Rx).await;
    rx.submit("receiver", 0).await;
    let resp = rx.recv().await.unwrap();
    assert_eq!((resp.id(), resp.status()), (CommandId::SubmitSmResp, CommandStatus::ESME_RINVBNDSTS));
    rx.request(Body::EnquireLink).await;
    assert_eq!(rx.recv().await.unwrap().id(), CommandId::EnquireLinkResp);
    sim.shutdown().await;
}

#[tokio::test]
async fn receipt_correlates_with_the_response_id_across_bases() {
    let mut c = config();
    quick_receipts(&mut c);
    c.first_message_id = 0xBEEF;
    c.receipts.id_variant = IdVariant::Decimal { width: 12 };
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Trx).await;
    let seq = esme.submit("hello receipt", 1).await;
    let resp = esme.recv().await.unwrap();
    assert_eq!((resp.seq(), resp.status()), (seq, CommandStatus::ESME_ROK));
    let id = resp_id(&resp);
    assert_eq!(id, "beef");
    let dlr = esme.recv().await.unwrap();
    let parsed = receipt_of(&dlr);
    esme.answer(&dlr, CommandStatus::ESME_ROK).await;
    assert_eq!(parsed.state, MessageState::Delivered);
    assert_eq!(parsed.text.as_deref(), Some("hello receipt"));
    // The TLV carries the id as in the response; the text in decimal.
    let resp_key = receipt::MessageId::new(&id).unwrap();
    assert_eq!(parsed.message_id.correlation_key(), resp_key.correlation_key());
    let Body::DeliverSm(b) = dlr.pdu().body else { unreachable!() };
    let text = std::str::from_utf8(b.short_message.as_bytes()).unwrap().to_owned();
    assert!(text.starts_with("id:000000048879 sub:001 dlvrd:001 submit date:"), "{text}");
    let text_id = receipt::MessageId::new("000000048879").unwrap();
    assert!(text_id.lookup_keys().contains(resp_key.correlation_key()));

    // query_sm answers from the sim's memory: delivered by now.
    esme.request(Body::QuerySm(QuerySm {
        message_id: MessageId::new(id.as_bytes()).unwrap(),
        source_addr: Address::new(b"SIMGATE").unwrap(),
        ..QuerySm::default()
    }))
    .await;
    match esme.recv().await.unwrap().pdu().body {
        Body::QuerySmResp(q) => {
            assert_eq!(q.message_state, MessageState::Delivered.as_u8());
            assert!(!q.final_date.as_bytes().is_empty());
        }
        other => panic!("{other:?}"),
    }
    let stats = sim.stats();
    assert_eq!((stats.submits_accepted, stats.receipts_sent, stats.duplicate_submits), (1, 1, 0));
    sim.shutdown().await;
}

#[tokio::test]
async fn no_receipt_unless_registered_delivery_asks() {
    let mut c = config();
    quick_receipts(&mut c);
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Trx).await;
    esme.submit("no receipt", 0).await;
    assert_eq!(esme.recv().await.unwrap().id(), CommandId::SubmitSmResp);
    assert!(esme.recv_within(Duration::from_millis(300)).await.is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn before_resp_sends_the_receipt_ahead_of_the_response() {
    let mut c = config();
    c.latency = Latency::Fixed { delay: Duration::from_millis(100) };
    c.receipts.before_resp_ratio = 1.0;
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Trx).await;
    esme.submit("early receipt", 1).await;
    let first = esme.recv().await.unwrap();
    assert_eq!(first.id(), CommandId::DeliverSm);
    esme.answer(&first, CommandStatus::ESME_ROK).await;
    let second = esme.recv().await.unwrap();
    assert_eq!(second.id(), CommandId::SubmitSmResp);
    let receipt_id = receipt_of(&first).message_id;
    assert!(receipt_id.may_match(&receipt::MessageId::new(&resp_id(&second)).unwrap()));
    sim.shutdown().await;
}

#[tokio::test]
async fn other_bind_ratio_sends_the_receipt_on_another_bind() {
    let mut c = config();
    quick_receipts(&mut c);
    c.receipts.other_bind_ratio = 1.0;
    c.receipts.mix = StatusMix { delivered: 0, undeliverable: 1, expired: 0, rejected: 0 };
    let sim = SmscSim::start(c).await.unwrap();
    let mut trx = Esme::bound(sim.local_addr(), Kind::Trx).await;
    let mut rx = Esme::bound(sim.local_addr(), Kind::Rx).await;
    for i in 0..5 {
        trx.submit(&format!("m{i}"), 1).await;
    }
    let mut ids = Vec::new();
    for _ in 0..5 {
        let f = trx.recv().await.unwrap();
        assert_eq!(f.id(), CommandId::SubmitSmResp, "nothing but responses on the submitting bind");
        ids.push(receipt::MessageId::new(&resp_id(&f)).unwrap());
    }
    for _ in 0..5 {
        let dlr = rx.recv().await.unwrap();
        let parsed = receipt_of(&dlr);
        rx.answer(&dlr, CommandStatus::ESME_ROK).await;
        assert_eq!(parsed.state, MessageState::Undeliverable);
        assert!(ids.iter().any(|id| id == &parsed.message_id));
    }
    assert!(trx.recv_within(Duration::from_millis(200)).await.is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_receipt_answered_with_a_temporary_error_comes_again() {
    let mut c = config();
    quick_receipts(&mut c);
    c.receipts.retry_delay = Duration::from_millis(100);
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Trx).await;
    esme.submit("retry me", 1).await;
    assert_eq!(esme.recv().await.unwrap().id(), CommandId::SubmitSmResp);
    let first = esme.recv().await.unwrap();
    esme.answer(&first, CommandStatus::ESME_RX_T_APPN).await;
    let again = esme.recv().await.unwrap();
    assert_eq!(receipt_of(&again).message_id, receipt_of(&first).message_id);
    esme.answer(&again, CommandStatus::ESME_ROK).await;
    assert!(esme.recv_within(Duration::from_millis(300)).await.is_none(), "answered: not sent a third time");
    let stats = sim.stats();
    assert_eq!((stats.receipts_sent, stats.deliveries_retried), (2, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn more_than_the_window_is_throttled() {
    let mut c = config();
    c.window = 2;
    c.latency = Latency::Fixed { delay: Duration::from_millis(300) };
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Tx).await;
    for i in 0..5 {
        esme.submit(&format!("w{i}"), 0).await;
    }
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(esme.recv().await.unwrap().status());
    }
    // The three beyond the window are answered at once, before the two
    // held for their latency.
    assert_eq!(&statuses[..3], &[CommandStatus::ESME_RTHROTTLED; 3]);
    assert_eq!(&statuses[3..], &[CommandStatus::ESME_ROK; 2]);
    assert_eq!(sim.stats().throttled, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn over_the_rate_is_throttled() {
    let mut c = config();
    c.tps_per_bind = Some(5);
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Tx).await;
    for i in 0..20 {
        esme.submit(&format!("r{i}"), 0).await;
    }
    let mut ok = 0;
    for _ in 0..20 {
        match esme.recv().await.unwrap().status() {
            CommandStatus::ESME_ROK => ok += 1,
            CommandStatus::ESME_RTHROTTLED => {}
            other => panic!("{other:?}"),
        }
    }
    assert!((5..=7).contains(&ok), "a burst of one second's worth, little refill: {ok}");
    sim.shutdown().await;
}

#[tokio::test]
async fn error_rate_one_answers_every_submit_with_the_status() {
    let mut c = config();
    c.error_rate = 1.0;
    c.error_status = CommandStatus::ESME_RSUBMITFAIL;
    let sim = SmscSim::start(c).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Trx).await;
    for i in 0..10 {
        esme.submit(&format!("e{i}"), 1).await;
    }
    for _ in 0..10 {
        assert_eq!(esme.recv().await.unwrap().status(), CommandStatus::ESME_RSUBMITFAIL);
    }
    let stats = sim.stats();
    assert_eq!((stats.injected_errors, stats.submits_accepted), (10, 0));
    sim.shutdown().await;
}

#[tokio::test]
async fn duplicates_are_counted() {
    let sim = SmscSim::start(config()).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Tx).await;
    for text in ["same", "other", "same"] {
        esme.submit(text, 0).await;
        assert_eq!(esme.recv().await.unwrap().status(), CommandStatus::ESME_ROK);
    }
    let stats = sim.stats();
    assert_eq!((stats.submits_accepted, stats.duplicate_submits), (3, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn mo_messages_arrive_at_the_configured_rate() {
    let mut c = config();
    c.mo = Some(MoPlan { rate: 50.0, ..MoPlan::default() });
    let sim = SmscSim::start(c).await.unwrap();
    let mut rx = Esme::bound(sim.local_addr(), Kind::Rx).await;
    let start = tokio::time::Instant::now();
    let mut texts = Vec::new();
    while start.elapsed() < Duration::from_secs(1) {
        let Some(f) = rx.recv_within(Duration::from_millis(200)).await else { continue };
        if let Body::DeliverSm(b) = f.pdu().body {
            assert_eq!(b.esm_class, 0, "MO, not a receipt");
            texts.push(simgate::smpp::text::gsm7::decode_unpacked(b.short_message.as_bytes()).unwrap());
        }
        rx.answer(&f, CommandStatus::ESME_ROK).await;
    }
    assert!((30..=70).contains(&texts.len()), "{} in one second at 50/s", texts.len());
    assert!(texts.iter().all(|t| t.starts_with("MO ")), "{texts:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn drop_binds_closes_the_socket_without_unbind() {
    let sim = SmscSim::start(config()).await.unwrap();
    let mut esme = Esme::bound(sim.local_addr(), Kind::Trx).await;
    let mut unbound = Esme::connect(sim.local_addr()).await;
    assert_eq!(sim.drop_binds("acct"), 1);
    assert!(esme.recv().await.is_none(), "no unbind, just the end of the stream");
    assert!(!unbound.closed_within(Duration::from_millis(200)).await, "other connections stay");
    assert_eq!(sim.drop_binds("nobody"), 0);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.stats().binds["acct"].now, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_unbinds_every_session() {
    let sim = SmscSim::start(config()).await.unwrap();
    let addr = sim.local_addr();
    let mut esme = Esme::bound(addr, Kind::Trx).await;
    let stopping = tokio::spawn(sim.shutdown());
    let unbind = esme.recv().await.unwrap();
    assert_eq!(unbind.id(), CommandId::Unbind);
    esme.send(&Pdu::new(CommandStatus::ESME_ROK, unbind.seq(), Body::UnbindResp)).await;
    assert!(esme.closed_within(WAIT).await);
    timeout(WAIT, stopping).await.unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
}

#[tokio::test]
async fn garbage_gets_generic_nack_and_a_bad_length_closes_cleanly() {
    let sim = SmscSim::start(config()).await.unwrap();
    let mut esme = Esme::connect(sim.local_addr()).await;
    // A well-framed PDU with an unknown command_id.
    let mut unknown = Vec::new();
    for word in [16u32, 0x0000_0777, 0, 42] {
        unknown.extend_from_slice(&word.to_be_bytes());
    }
    esme.stream.write_all(&unknown).await.unwrap();
    let nack = esme.recv().await.unwrap();
    assert_eq!(
        (nack.id(), nack.status(), nack.seq()),
        (CommandId::GenericNack, CommandStatus::ESME_RINVCMDID, 42)
    );
    // A command_length below the header: no next boundary, so closed.
    esme.stream.write_all(&[0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef]).await.unwrap();
    let nack = esme.recv().await.unwrap();
    assert_eq!((nack.id(), nack.status()), (CommandId::GenericNack, CommandStatus::ESME_RINVCMDLEN));
    assert!(esme.closed_within(WAIT).await);
    // The sim carries on.
    let _fine = Esme::bound(sim.local_addr(), Kind::Tx).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_submits_are_all_accepted_once() {
    let mut c = config();
    c.window = 200;
    c.receipts.enabled = false;
    let sim = SmscSim::start(c).await.unwrap();
    let esme = Esme::bound(sim.local_addr(), Kind::Tx).await;
    let (mut rd, mut wr) = esme.stream.into_split();
    const N: u32 = 20_000;
    let started = std::time::Instant::now();
    let writer = tokio::spawn(async move {
        let mut batch = Vec::new();
        for seq in 1..=N {
            let text = format!("load {seq}");
            Pdu::new(CommandStatus::ESME_ROK, seq + 1, submit_sm(&text, 0)).encode(&mut batch).unwrap();
            if batch.len() > 16 * 1024 {
                wr.write_all(&batch).await.unwrap();
                batch.clear();
            }
        }
        wr.write_all(&batch).await.unwrap();
        wr
    });
    let mut buf = BytesMut::new();
    let mut ok = 0u32;
    timeout(Duration::from_secs(60), async {
        while ok < N {
            while let Some(len) = next_frame(&buf, 1 << 16).unwrap() {
                let frame = buf.split_to(len);
                let pdu = decode(&frame).unwrap();
                assert_eq!(pdu.command_status, CommandStatus::ESME_ROK);
                ok += 1;
            }
            if ok < N {
                assert!(rd.read_buf(&mut buf).await.unwrap() > 0);
            }
        }
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let _wr = writer.await.unwrap();
    eprintln!("{N} submits in {elapsed:?}: {:.0}/s", f64::from(N) / elapsed.as_secs_f64());
    let stats = sim.stats();
    assert_eq!((stats.submits_accepted, stats.duplicate_submits), (u64::from(N), 0));
    sim.shutdown().await;
}

#[test]
fn cli_prints_the_listening_line_and_stops_after_its_duration() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = support::simgate()
        .args(["smsc-sim", "--listen", "127.0.0.1:0", "--account", "cli:pw:2", "--duration", "1s"])
        .args(["--stats-interval", "300ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr: SocketAddr = line.trim().strip_prefix("listening on ").unwrap().parse().unwrap();
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("smsc-sim: binds=0"), "{stderr}");
    assert!(!stderr.contains(":pw:"), "no password in the output");
}

#[test]
fn cli_bad_flags_and_settings_exit_64() {
    for args in [
        vec!["smsc-sim", "--no-such-flag"],
        vec!["smsc-sim", "--account", "broken"],
        vec!["smsc-sim", "--mo-rate", "-3"],
        vec!["smsc-sim", "--config", "/nonexistent/smsc-sim.toml"],
    ] {
        let out = support::simgate().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.trim().is_empty(), "{args:?} says why");
    }
}

#[test]
fn cli_serves_metrics_and_sigterm_unbinds_then_exits_0() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let mut child = support::simgate()
        .args(["smsc-sim", "--listen", "127.0.0.1:0", "--account", "cli:pw:2", "--stats-interval", "0s"])
        .args(["--metrics-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let mut printed = |prefix: &str| -> SocketAddr {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(addr) = line.trim().strip_prefix(prefix) else {
            let mut said = String::new();
            let _ = stderr.read_to_string(&mut said);
            panic!("expected `{prefix}ADDR`, got {line:?}; stderr: {said}");
        };
        addr.parse().unwrap()
    };
    let addr = printed("listening on ");
    let metrics = printed("metrics on ");
    assert_ne!(metrics.port(), 0, "the bound port is printed, not the asked one");

    let mut esme = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    esme.set_read_timeout(Some(WAIT)).unwrap();
    let bind = Bind {
        system_id: SystemId::new(b"cli").unwrap(),
        password: Password::new(b"pw").unwrap(),
        ..Bind::default()
    };
    esme.write_all(&Pdu::new(CommandStatus::ESME_ROK, 1, Body::BindTransceiver(bind)).to_vec().unwrap())
        .unwrap();
    let mut read_pdu = || {
        let mut header = [0u8; 16];
        esme.read_exact(&mut header).unwrap();
        let len = u32::from_be_bytes(header[..4].try_into().unwrap()) as usize;
        let mut frame = header.to_vec();
        frame.resize(len, 0);
        esme.read_exact(&mut frame[16..]).unwrap();
        frame
    };
    let resp = read_pdu();
    assert_eq!(decode(&resp).unwrap().command_status, CommandStatus::ESME_ROK);

    let page = support::http_get(metrics, "/metrics").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("simgate_smsc_sim_binds{account=\"cli\"} 1"), "{}", page.body);

    let kill = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(kill.success());
    let unbind = read_pdu();
    assert_eq!(decode(&unbind).unwrap().command_id(), CommandId::Unbind);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
