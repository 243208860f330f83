//! `simgate applet-sim`: the SIM sets it generates, and a swarm against a
//! small gateway built in this file from the real `AppletSession` over a
//! TCP listener on loopback (the production listener lives elsewhere).
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use simgate::applet_sim::simset::{self, CSV_HEADER, GenerateConfig, SimRecord};
use simgate::applet_sim::{AppletSwarm, SwarmConfig, SwarmSummary};
use simgate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use simgate::sim::ids::Iccid;
use simgate::sim::keys::AesKey;
use simgate::sim::secured::Counter;
use simgate::sim::session::{AppletSession, ServerConfig, SessionEvent, SimCredentials};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn sims(count: usize, seed: u64) -> Vec<SimRecord> {
    simset::generate(&GenerateConfig { seed: Some(seed), ..GenerateConfig::new(count) }).unwrap()
}

fn csv(sims: &[SimRecord]) -> String {
    let mut out = Vec::new();
    simset::write_csv(sims, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("simgate-applet-sim-{}-{name}", std::process::id()))
}

#[test]
fn generated_sets_are_valid_and_reproducible_with_a_seed() {
    let text = csv(&sims(25, 7));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER));
    assert_eq!(CSV_HEADER, "iccid,msisdn,imsi,tar,kvn,kic,kid,applet_version");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 25);
    for row in &rows {
        assert_eq!(row.len(), 8, "{row:?}");
        assert!(Iccid::new(row[0]).is_ok(), "{}", row[0]);
        assert_eq!(row[3], "B00010");
        assert_eq!(row[4], "1");
        for key in [row[5], row[6]] {
            assert_eq!(key.len(), 32);
            assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(row[5], row[6], "KIc and KID differ");
    }
    let unique: std::collections::HashSet<_> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(unique.len(), 25);
    assert_eq!(text, csv(&sims(25, 7)), "same seed, same set");
    assert_ne!(text, csv(&sims(25, 8)), "another seed, other keys");
    let unseeded = |_| csv(&simset::generate(&GenerateConfig::new(3)).unwrap());
    assert_ne!(unseeded(0), unseeded(1), "OS-random keys differ");
    let back = simset::parse_csv(&text).unwrap();
    assert_eq!(back, sims(25, 7), "parse_csv reads what write_csv wrote");
}

/// What the test gateway saw.
#[derive(Debug, Default)]
struct GatewayLog {
    opened: usize,
    results: Vec<(ResultStatus, Vec<u8>)>,
    closes: Vec<(CloseReason, bool)>,
}

/// A gateway: every session gets the SIM's keys and its stored counter,
/// and one command once open.
struct TestGateway {
    addr: SocketAddr,
    log: Arc<Mutex<GatewayLog>>,
}

type Registry = Arc<Mutex<HashMap<Iccid, (SimRecord, Counter)>>>;

impl TestGateway {
    async fn start(sims: &[SimRecord], server: ServerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let registry: Registry = Arc::new(Mutex::new(
            sims.iter().map(|s| (s.iccid.clone(), (s.clone(), Counter::ZERO))).collect(),
        ));
        let log = Arc::new(Mutex::new(GatewayLog::default()));
        let (server, log2) = (Arc::new(server), log.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, server.clone(), registry.clone(), log2.clone()));
            }
        });
        Self { addr, log }
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&GatewayLog) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(&self.log.lock().unwrap()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.log.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn serve(
    mut stream: TcpStream,
    config: Arc<ServerConfig>,
    registry: Registry,
    log: Arc<Mutex<GatewayLog>>,
) {
    let mut session = AppletSession::new(config, Instant::now());
    let mut iccid = None;
    let mut buf = [0u8; 2048];
    loop {
        while let Some(event) = session.poll_event() {
            match event {
                SessionEvent::NeedKeys { iccid: claimed, .. } => {
                    let found = registry.lock().unwrap().get(&claimed).cloned();
                    let credentials = found.map(|(sim, last_counter)| SimCredentials {
                        tar: sim.tar,
                        key_sets: vec![sim.keys],
                        last_counter,
                    });
                    iccid = Some(claimed);
                    session.provide_keys(Instant::now(), credentials);
                }
                SessionEvent::CounterAccepted(c) => {
                    if let Some(entry) =
                        iccid.as_ref().and_then(|i| registry.lock().unwrap().get_mut(i).cloned())
                    {
                        registry.lock().unwrap().insert(entry.0.iccid.clone(), (entry.0, c));
                    }
                }
                SessionEvent::Opened { .. } => {
                    log.lock().unwrap().opened += 1;
                    let kind = CommandType::new("read.imei").unwrap();
                    session.send_command(Instant::now(), CommandId([7; 16]), kind, Vec::new()).unwrap();
                }
                SessionEvent::Result { status, payload, .. } => {
                    log.lock().unwrap().results.push((status, payload))
                }
                SessionEvent::Closed { reason, by_peer } => {
                    log.lock().unwrap().closes.push((reason, by_peer))
                }
                SessionEvent::ProofOfReceipt { .. } => {}
            }
        }
        while let Some(frame) = session.poll_transmit() {
            if stream.write_all(&frame).await.is_err() {
                return;
            }
        }
        if session.is_closed() {
            return;
        }
        let deadline = session.poll_timeout().unwrap_or_else(|| Instant::now() + Duration::from_secs(60));
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => session.handle_bytes(Instant::now(), &buf[..n]),
            },
            () = tokio::time::sleep_until(deadline.into()) => session.handle_timeout(Instant::now()),
        }
    }
}

fn server_config() -> ServerConfig {
    ServerConfig::new(AesKey::new(&[0x5A; 16]).unwrap())
}

fn swarm_config(addr: SocketAddr, sims: Vec<SimRecord>) -> SwarmConfig {
    let mut config = SwarmConfig::new(addr, sims);
    config.rate = 200.0;
    config.result_payload = b"352099001761481".to_vec();
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(200);
    config
}

async fn wait_stats(swarm: &AppletSwarm, what: &str, done: impl Fn(&SwarmSummary) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(&swarm.stats()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {:?}", swarm.stats());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_opens_its_sessions_and_answers_commands() {
    let sims = sims(5, 1);
    let gateway = TestGateway::start(&sims, server_config()).await;
    let swarm = AppletSwarm::start(swarm_config(gateway.addr, sims)).unwrap();
    gateway.wait_for("5 sessions and results", |l| l.opened >= 5 && l.results.len() >= 5).await;
    wait_stats(&swarm, "5 answers", |s| s.commands_answered >= 5).await;
    let summary = swarm.stop().await;
    let results = gateway.log.lock().unwrap().results.clone();
    assert!(
        results.iter().all(|(status, payload)| *status == ResultStatus::Ok && payload == b"352099001761481")
    );
    assert_eq!((summary.applets, summary.sessions_opened, summary.open_now), (5, 5, 0), "{summary:?}");
    assert!(summary.handshake_failures.is_empty(), "{summary:?}");
    // Stopping sent a close frame (reason normal) on every session.
    gateway
        .wait_for("5 normal closes by the applets", |l| {
            l.closes.iter().filter(|c| **c == (CloseReason::Normal, true)).count() == 5
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_counters_and_garbage_are_refused_by_the_gateway() {
    let sims = sims(4, 2);
    let gateway = TestGateway::start(&sims, server_config()).await;
    let mut config = swarm_config(gateway.addr, sims);
    config.misbehaviour = vec!["replay:0.5".parse().unwrap(), "garbage:0.5".parse().unwrap()];
    let swarm = AppletSwarm::start(config).unwrap();
    let count = |l: &GatewayLog, r| l.closes.iter().filter(|c| **c == (r, false)).count();
    gateway
        .wait_for("2 replays and 2 garbage frames refused", |l| {
            count(l, CloseReason::ReplayedCounter) >= 2 && count(l, CloseReason::ProtocolError) >= 2
        })
        .await;
    // Waits for the reconnected sessions to open too: a reconnect is
    // counted when it starts, its opening a round trip later.
    wait_stats(&swarm, "the applets to see the refusals, reconnect and open again", |s| {
        s.closed_by_gateway.get("replayed_counter").copied().unwrap_or(0) >= 2
            && s.closed_by_gateway.get("protocol_error").copied().unwrap_or(0) >= 2
            && s.reconnects >= 4
            && s.sessions_opened >= 8
    })
    .await;
    let summary = swarm.stop().await;
    // Reconnections open again: the card's counter went on past the replay.
    assert!(summary.sessions_opened >= 8, "{summary:?}");
    assert!(summary.handshake_failures.is_empty(), "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragmenting_applets_open_and_storming_ones_reconnect() {
    let sims = sims(2, 3);
    let gateway = TestGateway::start(&sims, server_config()).await;
    let mut config = swarm_config(gateway.addr, sims);
    config.misbehaviour = vec!["fragment:0.5".parse().unwrap(), "storm:0.5".parse().unwrap()];
    let swarm = AppletSwarm::start(config).unwrap();
    gateway.wait_for("a result from the fragmenting applet", |l| !l.results.is_empty()).await;
    wait_stats(&swarm, "a storm of reconnects", |s| s.reconnects >= 10 && s.sessions_opened >= 11).await;
    let summary = swarm.stop().await;
    assert!(summary.handshake_failures.is_empty(), "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_applets_are_closed_by_the_idle_timeout() {
    let sims = sims(1, 4);
    let mut server = server_config();
    server.idle_timeout = Duration::from_millis(400);
    server.heartbeat_interval = Duration::from_millis(100);
    let gateway = TestGateway::start(&sims, server).await;
    let mut config = swarm_config(gateway.addr, sims);
    config.misbehaviour = vec!["silent:1".parse().unwrap()];
    let swarm = AppletSwarm::start(config).unwrap();
    gateway.wait_for("an idle timeout", |l| l.closes.contains(&(CloseReason::IdleTimeout, false))).await;
    let summary = swarm.stop().await;
    assert!(gateway.log.lock().unwrap().results.is_empty(), "a silent applet answers nothing");
    assert_eq!(summary.commands_answered, 0);
}

/// Runs the binary with `args`, killed after 30 s.
async fn simgate(args: &[&str]) -> (Option<i32>, String, String) {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_simgate"))
        .args(args)
        .env_clear()
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), child).await.unwrap().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_generates_runs_for_its_duration_and_refuses_bad_flags() {
    let file = temp_path("cli.csv");
    let path = file.to_str().unwrap();
    let generate = ["applet-sim", "generate", "--count", "3", "--seed", "9", "--out", path];
    let (code, stdout, stderr) = simgate(&generate).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("generated 3 SIMs"), "{stdout}");
    assert!(stderr.contains("tests only"), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, csv(&sims(3, 9)), "the binary writes what the library makes");

    let gateway = TestGateway::start(&simset::parse_csv(&text).unwrap(), server_config()).await;
    let target = gateway.addr.to_string();
    let json = temp_path("summary.json");
    let run = ["applet-sim", "run", "--target", &target, "--sims", path, "--duration", "1s"];
    let (code, stdout, stderr) = simgate(&[&run[..], &["--json", json.to_str().unwrap()]].concat()).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(&format!("running 3 applets against {target}")), "{stdout}");
    assert!(stderr.contains("applet-sim: final"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["sessions_opened"], 3, "{summary}");
    assert_eq!(summary["commands_answered"], 3, "{summary}");
    assert_eq!(gateway.log.lock().unwrap().opened, 3);

    for bad in [
        &[&run[..], &["--misbehave", "loud:0.5"]].concat(),
        &[&run[..], &["--sessions", "4"]].concat(),
        &[&run[..], &["--rate", "0"]].concat(),
        &["applet-sim", "run", "--target", "nowhere", "--sims", path][..],
        &["applet-sim", "generate", "--count", "0", "--out", path][..],
    ] {
        let (code, _, stderr) = simgate(bad).await;
        assert_eq!(code, Some(64), "{bad:?}: {stderr}");
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&json);
}
