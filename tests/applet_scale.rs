//! The applet listener under load and misuse, in-process on 127.0.0.1:0
//! with `MemoryCredentials` loaded from a generated SIM set: 1,000
//! sessions each get a command through their `SessionHandle` and answer it
//! while 100 other connections send garbage or go silent; and the close
//! reasons the listener tests (tests/applet_listener.rs) do not reach end
//! to end: unknown key version, counter out of sequence, insufficient
//! security, unsupported version, and a bad checksum inside an open
//! session. Every wait is bounded.
#![allow(clippy::unwrap_used)]

use prometheus_client::registry::Registry;
use simgate::applet_sim::simset::{self, GenerateConfig, SimRecord};
use simgate::applet_sim::{AppletSwarm, MisbehaviourShare, SwarmConfig};
use simgate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use simgate::sim::ids::{Iccid, Kvn};
use simgate::sim::listener::{AppletEvent, AppletListener, AppletMetrics, ListenerConfig, MemoryCredentials};
use simgate::sim::secured::{Counter, CounterMode};
use simgate::sim::session::{AppletClient, ClientConfig, ClientEvent, Misbehaviour};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(20);
const GOOD: usize = 1_000;
/// Bad connections of each kind (four kinds: 100 in all).
const BAD_EACH: usize = 25;

/// Panics anywhere in the process (tokio tasks included) since install.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));
}

fn sims(count: usize, seed: u64) -> Vec<SimRecord> {
    simset::generate(&GenerateConfig { seed: Some(seed), ..GenerateConfig::new(count) }).unwrap()
}

/// What the gateway side saw.
#[derive(Debug, Default)]
struct Seen {
    opened: usize,
    /// By ICCID: (command id, payload) of each result.
    results: HashMap<Iccid, Vec<(CommandId, Vec<u8>)>>,
    closed: HashMap<&'static str, usize>,
}

struct Gateway {
    listener: AppletListener,
    addr: SocketAddr,
    registry: Registry,
    seen: Arc<Mutex<Seen>>,
    shutdown: CancellationToken,
}

impl Gateway {
    async fn start(known: &[SimRecord], config: ListenerConfig) -> Self {
        let credentials = Arc::new(MemoryCredentials::new());
        for sim in known {
            credentials.insert(sim.iccid.clone(), sim.credentials());
        }
        let mut registry = Registry::default();
        let metrics = AppletMetrics::register(&mut registry);
        let (tx, mut events) = mpsc::channel(1024);
        let shutdown = CancellationToken::new();
        let config = ListenerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..config };
        let listener =
            AppletListener::start(config, credentials, tx, metrics, shutdown.clone()).await.unwrap();
        let addr = listener.local_addr();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let mut s = log.lock().unwrap();
                match event {
                    AppletEvent::Opened { .. } => s.opened += 1,
                    AppletEvent::Result { iccid, command_id, status, payload } => {
                        assert_eq!(status, ResultStatus::Ok);
                        s.results.entry(iccid).or_default().push((command_id, payload));
                    }
                    AppletEvent::Closed { reason, .. } => *s.closed.entry(reason.as_str()).or_default() += 1,
                    AppletEvent::ProofOfReceipt { .. } => {}
                }
            }
        });
        Self { listener, addr, registry, seen, shutdown }
    }

    /// The value of one metric line, `name{labels}` exactly as exposed.
    fn metric(&self, series: &str) -> f64 {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
        let line = text.lines().find(|l| l.strip_prefix(series).is_some_and(|r| r.starts_with(' ')));
        let line = line.unwrap_or_else(|| panic!("no series {series} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    fn closed(&self, reason: &str) -> f64 {
        self.metric(&format!("applet_sessions_closed_total{{reason=\"{reason}\"}}"))
    }

    /// Sessions ended, over every reason.
    fn closed_total(&self) -> f64 {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
        text.lines()
            .filter(|l| l.starts_with("applet_sessions_closed_total{"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    }

    async fn wait_until(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.seen.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.listener.join()).await.expect("the listener drains in time");
    }
}

/// Short timers so the silent connections end within seconds.
fn short_timers() -> ListenerConfig {
    ListenerConfig {
        handshake_timeout: Duration::from_secs(2),
        heartbeat_interval: Duration::from_millis(800),
        idle_timeout: Duration::from_secs(3),
        ..ListenerConfig::default()
    }
}

fn swarm(addr: SocketAddr, sims: Vec<SimRecord>, misbehaviour: &[&str]) -> SwarmConfig {
    let mut c = SwarmConfig::new(addr, sims);
    c.rate = 1_000.0;
    c.reconnect = false;
    c.echo_commands = true;
    c.heartbeat_interval = Duration::from_millis(800);
    c.idle_timeout = Duration::from_secs(10);
    c.misbehaviour = misbehaviour.iter().map(|m| m.parse::<MisbehaviourShare>().unwrap()).collect();
    c
}

/// A connection that sends a whole frame of random octets before any
/// opening; its packet length field cannot match its payload.
async fn raw_garbage(addr: SocketAddr, seed: u64) -> TcpStream {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut frame = vec![0x00, 0x30];
    frame.extend(std::iter::repeat_with(|| rng.u8(..)).take(0x30));
    frame[2] |= 0x80;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&frame).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sessions_get_their_results_while_a_hundred_misbehave() {
    count_panics();
    let all = sims(GOOD + 2 * BAD_EACH + 1, 11);
    let (good, rest) = all.split_at(GOOD);
    let (bad, spare) = rest.split_at(2 * BAD_EACH);
    let gw = Gateway::start(&all, short_timers()).await;
    let started = Instant::now();

    // The misbehaving hundred, alongside the good thousand.
    let bad_swarm = AppletSwarm::start(swarm(gw.addr, bad.to_vec(), &["garbage:0.5", "silent:0.5"])).unwrap();
    let mut raw = Vec::new();
    for i in 0..BAD_EACH {
        raw.push(raw_garbage(gw.addr, i as u64).await);
        raw.push(TcpStream::connect(gw.addr).await.unwrap()); // silent before opening
    }
    let good_swarm = AppletSwarm::start(swarm(gw.addr, good.to_vec(), &[])).unwrap();
    gw.wait_until("the thousand open", |g| g.metric("applet_sessions_open") >= GOOD as f64).await;

    // One command per SIM through its SessionHandle, the ICCID as payload.
    let sessions = gw.listener.sessions();
    let kind = CommandType::new("ping").unwrap();
    for (i, sim) in good.iter().enumerate() {
        let handle = sessions.get(&sim.iccid).unwrap_or_else(|| panic!("no session for SIM {i}"));
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64).to_be_bytes());
        handle
            .send_command(CommandId(id), kind.clone(), sim.iccid.as_str().as_bytes().to_vec())
            .await
            .unwrap();
    }
    gw.wait_until("every result", |g| g.seen.lock().unwrap().results.len() == GOOD).await;
    {
        let seen = gw.seen.lock().unwrap();
        for (i, sim) in good.iter().enumerate() {
            let got = seen.results.get(&sim.iccid).unwrap_or_else(|| panic!("no result of SIM {i}"));
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            assert_eq!(got, &vec![(CommandId(id), sim.iccid.as_str().as_bytes().to_vec())], "SIM {i}");
        }
    }
    assert_eq!(gw.metric("applet_results_total{status=\"ok\"}"), GOOD as f64);

    // Every bad connection got its close reason.
    let want =
        [("protocol_error", 2 * BAD_EACH), ("handshake_timeout", BAD_EACH), ("idle_timeout", BAD_EACH)];
    gw.wait_until("the bad hundred closed", |g| want.iter().all(|(r, n)| g.closed(r) >= *n as f64)).await;
    for (reason, n) in want {
        assert_eq!(gw.closed(reason), n as f64, "{reason}");
    }
    assert_eq!(
        gw.metric("applet_handshakes_total{outcome=\"protocol_error\"}"),
        BAD_EACH as f64,
        "raw garbage"
    );
    assert_eq!(gw.metric("applet_handshakes_total{outcome=\"handshake_timeout\"}"), BAD_EACH as f64);
    {
        let seen = gw.seen.lock().unwrap();
        // The authenticated misbehavers have an identity: they are events too.
        assert_eq!(seen.closed.get("protocol_error"), Some(&BAD_EACH), "{seen:?}");
        assert_eq!(seen.closed.get("idle_timeout"), Some(&BAD_EACH), "{seen:?}");
    }
    for mut stream in raw {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await.unwrap();
        assert!(read.is_ok() && rest.len() >= 5, "a close frame, then the end: {rest:?}");
    }
    assert_eq!(gw.metric("applet_sessions_open"), GOOD as f64, "the good thousand untouched");

    // It still serves: the thousand close, a newcomer opens and is answered.
    let summary = good_swarm.stop().await;
    assert_eq!((summary.sessions_opened, summary.commands_answered), (GOOD as u64, GOOD as u64));
    assert!(summary.closed_by_gateway.is_empty(), "{summary:?}");
    let _ = bad_swarm.stop().await;
    gw.wait_until("the thousand closed", |g| g.closed("normal") >= GOOD as f64).await;
    let newcomer = AppletSwarm::start(swarm(gw.addr, spare.to_vec(), &[])).unwrap();
    gw.wait_until("the newcomer open", |g| g.metric("applet_sessions_open") == 1.0).await;
    let handle = gw.listener.sessions().get(&spare[0].iccid).unwrap();
    handle.send_command(CommandId([0xEE; 16]), kind, b"late".to_vec()).await.unwrap();
    gw.wait_until("the newcomer's result", |g| g.seen.lock().unwrap().results.contains_key(&spare[0].iccid))
        .await;
    let _ = newcomer.stop().await;

    // Nothing panicked: every connection accepted ended through the
    // session's own close (a panicked task would skip the count).
    let accepted = GOOD + 4 * BAD_EACH + 1;
    gw.wait_until("every session ended", |g| g.closed_total() >= accepted as f64).await;
    assert_eq!(gw.closed_total(), accepted as f64);
    assert_eq!(gw.metric("applet_sessions_open"), 0.0);
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "no panic anywhere");
    assert!(started.elapsed() < Duration::from_secs(60), "bounded: {:?}", started.elapsed());
    gw.stop().await;
}

// ---- close reasons the listener tests do not reach end to end ----

/// Runs one applet over a real socket until its session ends; `on_open`
/// misbehaves once the session is open. Returns what the applet was told.
async fn session_end(
    addr: SocketAddr,
    config: ClientConfig,
    on_open: impl FnOnce(&mut AppletClient),
) -> (CloseReason, bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut client = AppletClient::new(config, Instant::now()).unwrap();
    let mut on_open = Some(on_open);
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Opened { .. } => {
                    if let Some(f) = on_open.take() {
                        f(&mut client);
                    }
                }
                ClientEvent::Closed { reason, by_peer } => return (reason, by_peer),
                _ => {}
            }
        }
        while let Some(frame) = client.poll_transmit() {
            stream.write_all(&frame).await.unwrap();
        }
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await.expect("an answer in time");
        let n = n.unwrap_or(0);
        assert!(n > 0, "the gateway closed the socket without a close frame");
        client.handle_bytes(Instant::now(), &buf[..n]);
    }
}

fn config_of(sim: &SimRecord) -> ClientConfig {
    ClientConfig::new(sim.iccid.clone(), sim.tar, sim.keys.clone(), Counter::ZERO)
}

#[tokio::test]
async fn every_refusal_has_its_close_reason_in_metrics() {
    let set = sims(5, 23);
    let gw = Gateway::start(&set, ListenerConfig::default()).await;

    // Unknown key version: the peer learns only "bad checksum".
    let mut c = config_of(&set[0]);
    c.keys.kvn = Kvn::new(5).unwrap();
    assert_eq!(session_end(gw.addr, c, |_| {}).await, (CloseReason::BadChecksum, true));
    gw.wait_until("unknown_key_version counted", |g| g.closed("unknown_key_version") == 1.0).await;
    assert_eq!(gw.metric("applet_handshakes_total{outcome=\"unknown_key_version\"}"), 1.0);
    assert_eq!(gw.closed("bad_checksum"), 0.0, "told apart inside the gateway");

    // "Process if one higher" with a gap: counter out of sequence.
    let mut c = config_of(&set[1]);
    c.counter_mode = CounterMode::ProcessIfOneHigher;
    c.counter = Counter::new(4).unwrap();
    assert_eq!(session_end(gw.addr, c, |_| {}).await, (CloseReason::CounterOutOfSequence, true));
    gw.wait_until("counter_out_of_sequence counted", |g| g.closed("counter_out_of_sequence") == 1.0).await;

    // No replay protection: insufficient security.
    let mut c = config_of(&set[2]);
    c.counter_mode = CounterMode::Available;
    assert_eq!(session_end(gw.addr, c, |_| {}).await, (CloseReason::InsufficientSecurity, true));
    gw.wait_until("insufficient_security counted", |g| g.closed("insufficient_security") == 1.0).await;

    // A protocol version the gateway does not speak.
    let mut c = config_of(&set[3]);
    c.hello.protocol = 2;
    assert_eq!(session_end(gw.addr, c, |_| {}).await, (CloseReason::UnsupportedVersion, true));
    gw.wait_until("unsupported_version counted", |g| g.closed("unsupported_version") == 1.0).await;

    // Inside an open session, a corrupted checksum: a secured close.
    let corrupt = |client: &mut AppletClient| {
        client.misbehave(Misbehaviour::CorruptChecksum);
        client.send_heartbeat(Instant::now()).unwrap();
    };
    assert_eq!(session_end(gw.addr, config_of(&set[4]), corrupt).await, (CloseReason::BadChecksum, true));
    gw.wait_until("the open session's bad checksum", |g| g.closed("bad_checksum") == 1.0).await;
    gw.wait_until("its event", |g| g.seen.lock().unwrap().closed.get("bad_checksum") == Some(&1)).await;
    assert_eq!(gw.metric("applet_frames_rejected_total{reason=\"bad_checksum\"}"), 1.0);
    for reason in
        ["unknown_key_version", "counter_out_of_sequence", "insufficient_security", "unsupported_version"]
    {
        assert_eq!(
            gw.metric(&format!("applet_frames_rejected_total{{reason=\"{reason}\"}}")),
            1.0,
            "{reason}"
        );
    }
    assert_eq!(gw.seen.lock().unwrap().opened, 1, "only the last one opened");
    gw.stop().await;
}

#[tokio::test]
async fn a_peer_that_does_not_read_is_closed_as_overloaded() {
    let set = sims(1, 29);
    let gw =
        Gateway::start(&set, ListenerConfig { max_pending_frames: 2, ..ListenerConfig::default() }).await;
    // A small receive buffer, so the gateway's proofs of receipt back up
    // after a few kilobytes.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let mut stream = tokio::time::timeout(WAIT, socket.connect(gw.addr)).await.unwrap().unwrap();
    let mut client = AppletClient::new(config_of(&set[0]), Instant::now()).unwrap();
    let mut buf = [0u8; 512];
    while !client.is_open() {
        while let Some(frame) = client.poll_transmit() {
            stream.write_all(&frame).await.unwrap();
        }
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed before opening");
        client.handle_bytes(Instant::now(), &buf[..n]);
    }
    // Results, each asking for a proof of receipt, and nothing read.
    let deadline = Instant::now() + WAIT;
    let mut sent = 0u32;
    while gw.closed("overloaded") == 0.0 {
        assert!(Instant::now() < deadline, "not closed after {sent} results");
        let mut id = [0u8; 16];
        id[..4].copy_from_slice(&sent.to_be_bytes());
        if client.send_result(Instant::now(), CommandId(id), ResultStatus::Ok, vec![0x55; 200]).is_err() {
            break; // the applet's own queue is full: the gateway stopped reading
        }
        sent += 1;
        let mut failed = false;
        while let Some(frame) = client.poll_transmit() {
            let write = tokio::time::timeout(Duration::from_millis(200), stream.write_all(&frame)).await;
            failed |= !matches!(write, Ok(Ok(())));
        }
        if failed {
            break;
        }
    }
    gw.wait_until("overloaded counted", |g| g.closed("overloaded") == 1.0).await;
    assert_eq!(gw.metric("applet_sessions_open"), 0.0);
    gw.wait_until("its event", |g| g.seen.lock().unwrap().closed.get("overloaded") == Some(&1)).await;
    gw.stop().await;
}
