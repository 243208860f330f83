//! The applet listener in-process on 127.0.0.1:0, with SIMs in
//! `MemoryCredentials` and simgate's own applet client (`AppletClient`)
//! over real TcpStreams: openings, commands and results, every refusal
//! with its close reason, timers, the connection limit and the drain.
//! Every wait is bounded.
#![allow(clippy::unwrap_used)]

use prometheus_client::registry::Registry;
use simgate::sim::applet::binding::plain_close;
use simgate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use simgate::sim::ids::{Iccid, Kvn, Tar};
use simgate::sim::keys::{AesKey, KeySet};
use simgate::sim::listener::{
    AppletEvent, AppletListener, AppletMetrics, CredentialFuture, CredentialSource, ListenerConfig,
    MemoryCredentials,
};
use simgate::sim::secured::Counter;
use simgate::sim::session::{AppletClient, ClientConfig, ClientEvent, SimCredentials};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(5);
const TAR: Tar = Tar([0xB0, 0x00, 0x10]);

fn iccid(n: u32) -> Iccid {
    let body = format!("89440000000{n:07}");
    Iccid::new(&format!("{body}{}", Iccid::check_digit(&body).unwrap())).unwrap()
}

fn keys(kvn: u8, fill: u8) -> KeySet {
    KeySet {
        kvn: Kvn::new(kvn).unwrap(),
        kic: Some(AesKey::new(&[fill; 16]).unwrap()),
        kid: AesKey::new(&[fill ^ 0x3C; 16]).unwrap(),
    }
}

/// SIM `n` holds key set 1 filled with `n`.
fn sim_keys(n: u32) -> KeySet {
    keys(1, u8::try_from(n).unwrap())
}

fn client(n: u32) -> ClientConfig {
    ClientConfig::new(iccid(n), TAR, sim_keys(n), Counter::ZERO)
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(payload.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

struct Gateway {
    listener: Option<AppletListener>,
    addr: SocketAddr,
    events: mpsc::Receiver<AppletEvent>,
    registry: Registry,
    shutdown: CancellationToken,
    credentials: Arc<MemoryCredentials>,
}

/// A gateway that knows SIMs 1 to 5.
async fn gateway(config: ListenerConfig) -> Gateway {
    let credentials = Arc::new(MemoryCredentials::new());
    for n in 1..=5 {
        let sim = SimCredentials { tar: TAR, key_sets: vec![sim_keys(n)], last_counter: Counter::ZERO };
        credentials.insert(iccid(n), sim);
    }
    gateway_with(config, credentials.clone(), credentials).await
}

async fn gateway_with(
    config: ListenerConfig,
    source: Arc<dyn CredentialSource>,
    credentials: Arc<MemoryCredentials>,
) -> Gateway {
    let mut registry = Registry::default();
    let metrics = AppletMetrics::register(&mut registry);
    let (tx, events) = mpsc::channel(64);
    let shutdown = CancellationToken::new();
    let config = ListenerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..config };
    let listener = AppletListener::start(config, source, tx, metrics, shutdown.clone()).await.unwrap();
    let addr = listener.local_addr();
    Gateway { listener: Some(listener), addr, events, registry, shutdown, credentials }
}

impl Gateway {
    /// The value of one metric line, `name{labels}` exactly as exposed.
    fn metric(&self, series: &str) -> f64 {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
        let line = text.lines().find(|l| l.strip_prefix(series).is_some_and(|r| r.starts_with(' ')));
        let line = line.unwrap_or_else(|| panic!("no series {series} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    async fn event(&mut self) -> AppletEvent {
        timeout(WAIT, self.events.recv()).await.expect("an applet event in time").unwrap()
    }

    /// The next event other than a proof of receipt.
    async fn event_skipping_por(&mut self) -> AppletEvent {
        loop {
            match self.event().await {
                AppletEvent::ProofOfReceipt { .. } => continue,
                other => return other,
            }
        }
    }
}

/// An applet on a real socket.
struct Applet {
    stream: TcpStream,
    client: AppletClient,
    events: Vec<ClientEvent>,
    /// Octets per write (1: every octet its own write).
    chunk: usize,
}

impl Applet {
    async fn connect(addr: SocketAddr, config: ClientConfig) -> Self {
        let stream = timeout(WAIT, TcpStream::connect(addr)).await.unwrap().unwrap();
        stream.set_nodelay(true).unwrap();
        let client = AppletClient::new(config, Instant::now()).unwrap();
        Self { stream, client, events: Vec::new(), chunk: usize::MAX }
    }

    async fn flush(&mut self) {
        while let Some(frame) = self.client.poll_transmit() {
            for piece in frame.chunks(self.chunk) {
                self.stream.write_all(piece).await.unwrap();
                self.stream.flush().await.unwrap();
                if self.chunk == 1 {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            }
        }
    }

    /// Writes what the client queued and reads until an event matches.
    async fn wait_for(&mut self, wanted: impl Fn(&ClientEvent) -> bool) -> ClientEvent {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut buf = [0u8; 256];
        loop {
            self.flush().await;
            while let Some(event) = self.client.poll_event() {
                self.events.push(event);
            }
            if let Some(at) = self.events.iter().position(&wanted) {
                return self.events.remove(at);
            }
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no such event in time; saw {:?}", self.events))
                .unwrap_or(0);
            assert!(n > 0, "the gateway closed the socket first; saw {:?}", self.events);
            self.client.handle_bytes(Instant::now(), &buf[..n]);
        }
    }

    async fn opened(&mut self) {
        self.wait_for(|e| matches!(e, ClientEvent::Opened { .. })).await;
    }

    async fn closed(&mut self) -> (CloseReason, bool) {
        match self.wait_for(|e| matches!(e, ClientEvent::Closed { .. })).await {
            ClientEvent::Closed { reason, by_peer } => (reason, by_peer),
            _ => unreachable!(),
        }
    }

    /// Sends the opening, then everything the gateway writes until it closes.
    async fn refused_bytes(mut self) -> Vec<u8> {
        self.flush().await;
        read_to_end(&mut self.stream).await
    }
}

/// Reads until the gateway closes the socket (bounded).
async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    timeout(WAIT, async {
        let mut buf = [0u8; 256];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the gateway closes in time");
    out
}

/// Opens, sends a command through the SessionHandle, answers it, and
/// checks the result comes back as an event.
async fn round_trip(gw: &mut Gateway, applet: &mut Applet, n: u32) {
    applet.opened().await;
    let AppletEvent::Opened { session, applet_version } = gw.event().await else { panic!("not opened") };
    assert_eq!(session.iccid(), &iccid(n));
    assert_eq!(applet_version, 1);
    assert!(gw.listener.as_ref().unwrap().sessions().get(&iccid(n)).is_some());
    let id = CommandId([n as u8; 16]);
    session.send_command(id, CommandType::new("read.imei").unwrap(), vec![1, 2, 3]).await.unwrap();
    let ClientEvent::Command { id: got, kind, payload } =
        applet.wait_for(|e| matches!(e, ClientEvent::Command { .. })).await
    else {
        unreachable!()
    };
    assert_eq!((got, kind.as_str(), payload.as_slice()), (id, "read.imei", &[1u8, 2, 3][..]));
    applet.client.send_result(Instant::now(), id, ResultStatus::Ok, b"3520000".to_vec()).unwrap();
    applet.flush().await;
    match gw.event_skipping_por().await {
        AppletEvent::Result { iccid: who, command_id, status, payload } => {
            assert_eq!((who, command_id, status), (iccid(n), id, ResultStatus::Ok));
            assert_eq!(payload, b"3520000");
        }
        other => panic!("expected the result, got {other:?}"),
    }
}

#[tokio::test]
async fn handshake_then_command_and_result_through_the_handle() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let mut applet = Applet::connect(gw.addr, client(1)).await;
    round_trip(&mut gw, &mut applet, 1).await;
    assert_eq!(gw.metric("applet_sessions_open"), 1.0);
    assert_eq!(gw.metric("applet_handshakes_total{outcome=\"opened\"}"), 1.0);
    assert_eq!(gw.metric("applet_commands_sent_total"), 1.0);
    assert_eq!(gw.metric("applet_results_total{status=\"ok\"}"), 1.0);
    assert_eq!(gw.metric("applet_results_total{status=\"failed\"}"), 0.0, "pre-created at 0");
    assert!(
        gw.credentials.last_counter(&iccid(1)).unwrap() >= Counter::new(2).unwrap(),
        "counters persisted"
    );

    applet.client.begin_close(CloseReason::Normal);
    applet.flush().await;
    match gw.event_skipping_por().await {
        AppletEvent::Closed { iccid: who, reason, by_peer, unanswered } => {
            assert_eq!((who, reason, by_peer), (iccid(1), CloseReason::Normal, true));
            assert!(unanswered.is_empty());
        }
        other => panic!("expected the close, got {other:?}"),
    }
    assert_eq!(gw.metric("applet_sessions_open"), 0.0);
    assert_eq!(gw.metric("applet_sessions_closed_total{reason=\"normal\"}"), 1.0);
    assert!(gw.listener.as_ref().unwrap().sessions().get(&iccid(1)).is_none());
}

#[tokio::test]
async fn wrong_key_unknown_iccid_and_unknown_kvn_look_the_same_to_the_peer() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let wrong_key = ClientConfig::new(iccid(1), TAR, keys(1, 0x99), Counter::ZERO);
    let unknown_sim = ClientConfig::new(iccid(77), TAR, sim_keys(1), Counter::ZERO);
    let unknown_kvn = ClientConfig::new(iccid(1), TAR, keys(2, 1), Counter::ZERO);
    let a = Applet::connect(gw.addr, wrong_key).await.refused_bytes().await;
    let b = Applet::connect(gw.addr, unknown_sim).await.refused_bytes().await;
    let c = Applet::connect(gw.addr, unknown_kvn).await.refused_bytes().await;
    assert_eq!(a, frame(&plain_close(CloseReason::BadChecksum)));
    assert_eq!(a, b, "an unknown ICCID answers like a wrong key");
    assert_eq!(a, c, "an unknown key version answers like a wrong key");
    assert_eq!(gw.metric("applet_sessions_closed_total{reason=\"bad_checksum\"}"), 2.0);
    assert_eq!(gw.metric("applet_sessions_closed_total{reason=\"unknown_key_version\"}"), 1.0);
    assert_eq!(gw.metric("applet_frames_rejected_total{reason=\"bad_checksum\"}"), 2.0);
    assert_eq!(gw.metric("applet_handshakes_total{outcome=\"opened\"}"), 0.0);
    assert!(gw.events.try_recv().is_err(), "no session, no event");
    assert!(gw.listener.as_ref().unwrap().sessions().is_empty());
}

#[tokio::test]
async fn a_replayed_counter_is_refused() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let mut first = Applet::connect(gw.addr, client(2)).await;
    first.opened().await;
    assert!(matches!(gw.event().await, AppletEvent::Opened { .. }));
    first.client.begin_close(CloseReason::Normal);
    first.flush().await;
    assert!(matches!(gw.event().await, AppletEvent::Closed { .. }));

    // The same card state again: its opening counter was already accepted.
    let mut replay = Applet::connect(gw.addr, client(2)).await;
    assert_eq!(replay.closed().await, (CloseReason::ReplayedCounter, true));
    assert_eq!(gw.metric("applet_sessions_closed_total{reason=\"replayed_counter\"}"), 1.0);
    assert_eq!(gw.metric("applet_frames_rejected_total{reason=\"replayed_counter\"}"), 1.0);
}

/// A registry whose lookups lag its counter store: what another instance
/// accepting the same counter at the same time looks like.
struct Lagging(Arc<MemoryCredentials>);

impl CredentialSource for Lagging {
    fn credentials<'a>(&'a self, iccid: &'a Iccid, kvn: Kvn) -> CredentialFuture<'a, Option<SimCredentials>> {
        Box::pin(async move {
            let found = self.0.credentials(iccid, kvn).await?;
            Ok(found.map(|c| SimCredentials { last_counter: Counter::ZERO, ..c }))
        })
    }

    fn accept_counter<'a>(
        &'a self,
        iccid: &'a Iccid,
        kvn: Kvn,
        counter: Counter,
    ) -> CredentialFuture<'a, bool> {
        self.0.accept_counter(iccid, kvn, counter)
    }
}

#[tokio::test]
async fn a_counter_race_lost_in_the_registry_closes_as_replayed() {
    let store = Arc::new(MemoryCredentials::new());
    let last = Counter::new(9).unwrap();
    store.insert(iccid(3), SimCredentials { tar: TAR, key_sets: vec![sim_keys(3)], last_counter: last });
    let mut gw = gateway_with(ListenerConfig::default(), Arc::new(Lagging(store.clone())), store).await;
    let mut applet = Applet::connect(gw.addr, client(3)).await;
    assert_eq!(applet.closed().await, (CloseReason::ReplayedCounter, true));
    assert_eq!(gw.metric("applet_handshakes_total{outcome=\"replayed_counter\"}"), 1.0);
    assert_eq!(gw.metric("applet_sessions_open"), 0.0);
    assert!(gw.events.try_recv().is_err(), "the session never counted as open");
    assert_eq!(gw.credentials.last_counter(&iccid(3)), Some(last));
}

#[tokio::test]
async fn a_frame_above_the_maximum_is_refused_from_its_length() {
    let gw = gateway(ListenerConfig { max_frame: 256, ..ListenerConfig::default() }).await;
    let mut raw = TcpStream::connect(gw.addr).await.unwrap();
    // Only the length prefix (257): the body is never sent, and not awaited.
    raw.write_all(&[0x01, 0x01]).await.unwrap();
    let answer = read_to_end(&mut raw).await;
    assert_eq!(answer, frame(&plain_close(CloseReason::FrameTooLarge)));
    assert_eq!(gw.metric("applet_sessions_closed_total{reason=\"frame_too_large\"}"), 1.0);
    assert_eq!(gw.metric("applet_frames_rejected_total{reason=\"frame_too_large\"}"), 1.0);
}

#[tokio::test]
async fn single_octet_fragments_are_reassembled() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let mut applet = Applet::connect(gw.addr, client(4)).await;
    applet.chunk = 1;
    round_trip(&mut gw, &mut applet, 4).await;
}

#[tokio::test]
async fn a_silent_connection_hits_the_handshake_timeout() {
    let config =
        ListenerConfig { handshake_timeout: Duration::from_millis(300), ..ListenerConfig::default() };
    let gw = gateway(config).await;
    let started = Instant::now();
    let mut raw = TcpStream::connect(gw.addr).await.unwrap();
    let answer = read_to_end(&mut raw).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer, frame(&plain_close(CloseReason::HandshakeTimeout)));
    assert_eq!(gw.metric("applet_handshakes_total{outcome=\"handshake_timeout\"}"), 1.0);
}

#[tokio::test]
async fn an_open_session_without_heartbeats_hits_the_idle_timeout() {
    let config = ListenerConfig {
        heartbeat_interval: Duration::from_millis(100),
        idle_timeout: Duration::from_millis(400),
        ..ListenerConfig::default()
    };
    let mut gw = gateway(config).await;
    let mut applet = Applet::connect(gw.addr, client(5)).await;
    applet.opened().await;
    let opened_at = Instant::now();
    // The applet's own timers are never run, so it sends nothing more.
    assert_eq!(applet.closed().await, (CloseReason::IdleTimeout, true));
    assert!(opened_at.elapsed() >= Duration::from_millis(300));
    assert!(matches!(gw.event().await, AppletEvent::Opened { .. }));
    match gw.event().await {
        AppletEvent::Closed { reason, by_peer, .. } => {
            assert_eq!((reason, by_peer), (CloseReason::IdleTimeout, false))
        }
        other => panic!("expected the close, got {other:?}"),
    }
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_and_counted() {
    let gw = gateway(ListenerConfig { max_sessions: 2, ..ListenerConfig::default() }).await;
    let held_a = TcpStream::connect(gw.addr).await.unwrap();
    let _held_b = TcpStream::connect(gw.addr).await.unwrap();
    let mut over = TcpStream::connect(gw.addr).await.unwrap();
    assert!(read_to_end(&mut over).await.is_empty(), "closed at once, nothing said");
    assert_eq!(gw.metric("applet_connections_refused_total"), 1.0);

    // A freed permit lets the next applet in.
    drop(held_a);
    let deadline = Instant::now() + WAIT;
    loop {
        let mut applet = Applet::connect(gw.addr, client(1)).await;
        applet.flush().await;
        let mut buf = [0u8; 256];
        let n = timeout(WAIT, applet.stream.read(&mut buf)).await.unwrap().unwrap_or(0);
        if n > 0 {
            applet.client.handle_bytes(Instant::now(), &buf[..n]);
            applet.opened().await;
            break;
        }
        assert!(Instant::now() < deadline, "the permit was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn drain_closes_the_port_first_then_the_sessions() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let mut applet = Applet::connect(gw.addr, client(1)).await;
    applet.opened().await;
    assert!(matches!(gw.event().await, AppletEvent::Opened { .. }));
    gw.shutdown.cancel();
    assert_eq!(applet.closed().await, (CloseReason::ServerDraining, true));
    // By the time a session hears of the drain, the port is already shut.
    assert!(TcpStream::connect(gw.addr).await.is_err(), "listener closed before the sessions");
    match gw.event().await {
        AppletEvent::Closed { reason, .. } => assert_eq!(reason, CloseReason::ServerDraining),
        other => panic!("expected the close, got {other:?}"),
    }
    timeout(WAIT, gw.listener.take().unwrap().join()).await.expect("drained in time");
    assert_eq!(gw.metric("applet_sessions_closed_total{reason=\"server_draining\"}"), 1.0);
}

#[tokio::test]
async fn a_newer_session_of_the_same_sim_supersedes_the_older() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let mut old = Applet::connect(gw.addr, client(2)).await;
    old.opened().await;
    let AppletEvent::Opened { session: first, .. } = gw.event().await else { panic!("not opened") };
    let config = ClientConfig { counter: old.client.counter(), ..client(2) };
    let mut new = Applet::connect(gw.addr, config).await;
    new.opened().await;
    assert_eq!(old.closed().await, (CloseReason::Superseded, true));
    let mut saw_close = false;
    for _ in 0..2 {
        match gw.event().await {
            AppletEvent::Opened { session, .. } => {
                let held = gw.listener.as_ref().unwrap().sessions().get(&iccid(2)).unwrap();
                assert_eq!(held.iccid(), session.iccid());
            }
            AppletEvent::Closed { reason, .. } => {
                saw_close = true;
                assert_eq!(reason, CloseReason::Superseded);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_close);
    assert!(first.is_closed(), "the old handle sees its session gone");
    assert!(
        !gw.listener.as_ref().unwrap().sessions().get(&iccid(2)).unwrap().is_closed(),
        "the new one stays"
    );
}

#[tokio::test]
async fn garbage_gets_a_clean_close_and_the_listener_keeps_serving() {
    let mut gw = gateway(ListenerConfig::default()).await;
    let mut raw = TcpStream::connect(gw.addr).await.unwrap();
    raw.write_all(&[0x00, 0x06, b'g', b'a', b'r', b'b', b'a', b'g']).await.unwrap();
    assert_eq!(read_to_end(&mut raw).await, frame(&plain_close(CloseReason::ProtocolError)));
    let mut http = TcpStream::connect(gw.addr).await.unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_to_end(&mut http).await, frame(&plain_close(CloseReason::FrameTooLarge)));
    let mut applet = Applet::connect(gw.addr, client(3)).await;
    round_trip(&mut gw, &mut applet, 3).await;
    assert_eq!(gw.metric("applet_frames_rejected_total{reason=\"protocol_error\"}"), 1.0);
}
