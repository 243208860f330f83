//! `simgate load` end to end: `load api` against a real gateway (the local
//! stack and the SMSC simulator), `load smpp` against the simulator.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::smsc_sim::{DelayRange, ReceiptPlan, SimAccount, SimConfig, SmscSim};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use support::{Gateway, metric_sum, simgate, stack};

const API_KEY: &str = "load-key-0123456789abcdef";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simgate-load-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Runs `simgate load ...` with a time limit.
fn load(args: &[&str], env: &[(&str, &str)], within: Duration) -> Output {
    let mut cmd = simgate();
    cmd.arg("load").args(args).envs(env.iter().copied());
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(within) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("simgate load {args:?} did not finish within {within:?}");
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn receipts_sim() -> SimConfig {
    SimConfig {
        accounts: vec![SimAccount { system_id: "load".into(), password: "pw".into(), max_binds: 4 }],
        receipts: ReceiptPlan {
            delay: DelayRange { min: Duration::from_millis(10), max: Duration::from_millis(60) },
            ..ReceiptPlan::default()
        },
        ..SimConfig::default()
    }
}

fn gateway_env(sim: &SmscSim) -> Vec<(String, String)> {
    let account = format!("load{}", std::process::id());
    let key = |k: &str| format!("SIMGATE__SMPP__ACCOUNTS__{}__{k}", account.to_uppercase());
    vec![
        ("SIMGATE__REDIS__URL".into(), stack("SIMGATE__REDIS__URL")),
        ("SIMGATE__MONGO__URI".into(), stack("SIMGATE__MONGO__URI")),
        ("SIMGATE__KAFKA__BROKERS".into(), stack("SIMGATE__KAFKA__BROKERS")),
        ("SIMGATE__MONGO__DATABASE".into(), format!("load_api_{}", std::process::id())),
        ("SIMGATE__API__KEYS".into(), API_KEY.into()),
        (key("HOST"), "127.0.0.1".into()),
        (key("PORT"), sim.local_addr().port().to_string()),
        (key("SYSTEM_ID"), "load".into()),
        (key("PASSWORD"), "pw".into()),
        (key("BINDS"), "2".into()),
        (key("MAX_BINDS"), "4".into()),
        (key("WINDOW"), "20".into()),
        ("SIMGATE__SMS__MT_ACCOUNT".into(), account),
        ("SIMGATE__SHUTDOWN__DRAIN_DELAY".into(), "100ms".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_api_sends_through_the_gateway_and_waits_for_final_states() {
    let sim = SmscSim::start(receipts_sim()).await.unwrap();
    let env = gateway_env(&sim);
    let dir = scratch("api");
    let (out, report) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let gw = Gateway::start(&env);
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while metric_sum(&gw.get("/metrics").map(|r| r.body).unwrap_or_default(), "simgate_smpp_bind_up")
                < 2.0
            {
                assert!(std::time::Instant::now() < deadline, "binds up");
                std::thread::sleep(Duration::from_millis(100));
            }
            let target = format!("http://{}", gw.http);
            let json_path = dir.join("api.json");
            let out = load(
                &[
                    "api",
                    "--target",
                    &target,
                    "--rate",
                    "40",
                    "--count",
                    "60",
                    "--parts",
                    "2",
                    "--registered-delivery",
                    "--destinations",
                    "46700000000..46700000009",
                    "--wait-final",
                    "60s",
                    "--json",
                    json_path.to_str().unwrap(),
                ],
                &[("SIMGATE_LOAD_API_KEY", API_KEY)],
                Duration::from_secs(120),
            );
            (out, json(&json_path))
        }
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("simgate load api"), "{stdout}");
    assert!(!stdout.contains(API_KEY) && !String::from_utf8_lossy(&out.stderr).contains(API_KEY));
    assert_eq!(report["sent"], 60, "{report:#}");
    assert_eq!(report["outcomes"]["202"], 60, "{report:#}");
    assert_eq!(report["final_states"]["states"]["delivered"], 60, "{report:#}");
    assert_eq!(report["final_states"]["unfinished"], 0, "{report:#}");
    // Two parts per message reached the SMSC.
    assert_eq!(sim.stats().submits_accepted, 120);
    let offered = report["offered_per_s"].as_f64().unwrap();
    assert!((20.0..=60.0).contains(&offered), "offered {offered}/s for 40/s asked");
    assert!(report["latency"]["count"].as_u64().unwrap() == 60);
    sim.shutdown().await;
}

#[test]
fn load_api_refuses_a_missing_key_and_an_unreachable_target() {
    let out = load(&["api", "--count", "1", "--target", "http://127.0.0.1:9"], &[], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SIMGATE_LOAD_API_KEY"), "{}", text(&out));

    let out = load(
        &["api", "--count", "1", "--target", "http://127.0.0.1:9"],
        &[("SIMGATE_LOAD_API_KEY", API_KEY)],
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot connect to http://127.0.0.1:9"),
        "{}",
        text(&out)
    );

    let out = load(
        &["api", "--target", "http://127.0.0.1:9"],
        &[("SIMGATE_LOAD_API_KEY", API_KEY)],
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bounded"), "{}", text(&out));
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/smpp").join(name);
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

/// A directory with one PDU per file and a file of one PDU per line (both
/// submit_sm asking for a receipt), plus files a directory scan ignores.
fn fixture_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("a.hex"), fixture("smpplib-submit_sm.hex") + "\n").unwrap();
    let lines = format!(
        "# replayed in turn\n{}\n\n{}\n",
        fixture("node-smpp-submit_sm.hex"),
        fixture("smpplib-submit_sm.hex")
    );
    std::fs::write(dir.join("b.hex"), lines).unwrap();
    std::fs::write(dir.join("README.md"), "not a fixture\n").unwrap();
    dir
}

fn smpp_sim(window: usize, latency: simgate::smsc_sim::Latency) -> SimConfig {
    SimConfig { window, latency, ..receipts_sim() }
}

fn smpp_args<'a>(sim: &'a str, fixtures: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["smpp", "--target", sim, "--system-id", "load", "--fixtures", fixtures];
    args.extend_from_slice(extra);
    args
}

const PASSWORD: [(&str, &str); 1] = [("SIMGATE_LOAD_SMPP_PASSWORD", "pw")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smpp_replays_fixtures_and_matches_receipts() {
    let latency =
        simgate::smsc_sim::Latency::Uniform { min: Duration::from_millis(1), max: Duration::from_millis(5) };
    let sim = SmscSim::start(smpp_sim(100, latency)).await.unwrap();
    let target = sim.local_addr().to_string();
    let dir = fixture_dir("replay");
    let json_path = dir.join("out.json");
    let (fixtures, json_arg) = (dir.to_str().unwrap().to_owned(), json_path.to_str().unwrap().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        let args = smpp_args(
            &target,
            &fixtures,
            &[
                "--sessions",
                "2",
                "--window",
                "8",
                "--count",
                "300",
                "--template-destinations",
                "--destinations",
                "46700000000..46700009999",
                "--wait-receipts",
                "20s",
                "--json",
                &json_arg,
            ],
        );
        load(&args, &PASSWORD, Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&json_path);
    let stats = sim.stats();
    assert_eq!(report["sent"], 300, "{report:#}");
    assert_eq!(report["outcomes"]["ESME_ROK"], 300, "{report:#}");
    assert_eq!(stats.submits_accepted, 300);
    // Templated destinations make every replay a different message.
    assert_eq!(stats.duplicate_submits, 0);
    assert_eq!(report["receipts"]["received"], stats.receipts_sent, "{report:#}");
    assert_eq!(report["receipts"]["matched"], 300, "{report:#}");
    assert_eq!(report["latency"]["count"], 300);
    assert!(report["latency"]["p99_ms"].as_f64().unwrap() > 0.0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("simgate load smpp") && stdout.contains("ESME_ROK"), "{stdout}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smpp_without_templating_replays_the_same_messages() {
    let sim = SmscSim::start(smpp_sim(100, simgate::smsc_sim::Latency::default())).await.unwrap();
    let target = sim.local_addr().to_string();
    let dir = fixture_dir("plain");
    let fixtures = dir.join("a.hex").to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        load(&smpp_args(&target, &fixtures, &["--count", "20"]), &PASSWORD, Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(sim.stats().submits_accepted, 20);
    assert_eq!(sim.stats().duplicate_submits, 19);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smpp_closed_loop_keeps_its_window() {
    // The simulator throttles a bind with more than 3 requests unanswered;
    // a slow answer keeps every window full.
    let latency = simgate::smsc_sim::Latency::Fixed { delay: Duration::from_millis(30) };
    let sim = SmscSim::start(smpp_sim(3, latency)).await.unwrap();
    let target = sim.local_addr().to_string();
    let dir = fixture_dir("window");
    let (fixtures, j3, j6) = (
        dir.join("a.hex").to_str().unwrap().to_owned(),
        dir.join("w3.json").to_str().unwrap().to_owned(),
        dir.join("w6.json").to_str().unwrap().to_owned(),
    );
    let (a, b) = tokio::task::spawn_blocking(move || {
        let a = load(
            &smpp_args(&target, &fixtures, &["--window", "3", "--count", "60", "--json", &j3]),
            &PASSWORD,
            Duration::from_secs(30),
        );
        let b = load(
            &smpp_args(&target, &fixtures, &["--window", "6", "--count", "60", "--json", &j6]),
            &PASSWORD,
            Duration::from_secs(30),
        );
        (a, b)
    })
    .await
    .unwrap();
    assert!(a.status.success() && b.status.success(), "{}\n{}", text(&a), text(&b));
    let (a, b) = (json(&dir.join("w3.json")), json(&dir.join("w6.json")));
    assert_eq!(a["outcomes"]["ESME_ROK"], 60, "window 3 is never throttled: {a:#}");
    // The same run with a window above the simulator's is throttled: the
    // check above can fail.
    assert!(b["outcomes"]["ESME_RTHROTTLED"].as_u64().unwrap_or(0) > 0, "{b:#}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smpp_open_loop_offers_the_rate_asked() {
    let sim = SmscSim::start(smpp_sim(100, simgate::smsc_sim::Latency::default())).await.unwrap();
    let target = sim.local_addr().to_string();
    let dir = fixture_dir("rate");
    let (fixtures, j) =
        (dir.to_str().unwrap().to_owned(), dir.join("rate.json").to_str().unwrap().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        let args = smpp_args(
            &target,
            &fixtures,
            &["--rate", "200", "--duration", "2s", "--template-destinations", "--json", &j],
        );
        load(&args, &PASSWORD, Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let r = json(&dir.join("rate.json"));
    let sent = r["sent"].as_u64().unwrap();
    let offered = r["offered_per_s"].as_f64().unwrap();
    // Generous: a shared, noisy machine.
    assert!((300..=440).contains(&sent), "sent {sent} at 200/s for 2 s: {r:#}");
    assert!((140.0..=260.0).contains(&offered), "offered {offered}/s: {r:#}");
    assert_eq!(r["outcomes"]["ESME_ROK"].as_u64().unwrap(), sent);
    assert!(r["timeline"].as_array().unwrap().len() >= 2, "{r:#}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smpp_fails_clearly() {
    let sim = SmscSim::start(smpp_sim(100, simgate::smsc_sim::Latency::default())).await.unwrap();
    let target = sim.local_addr().to_string();
    let dir = scratch("bad");
    let bad = dir.join("bad.hex");
    std::fs::write(&bad, format!("{}\nsubmit_sm to 4670000\n", fixture("smpplib-submit_sm.hex"))).unwrap();
    let good = fixture_dir("good").join("a.hex");
    let (bad, good) = (bad.to_str().unwrap().to_owned(), good.to_str().unwrap().to_owned());
    let outs = tokio::task::spawn_blocking(move || {
        let t = Duration::from_secs(30);
        [
            load(&smpp_args(&target, &bad, &["--count", "1"]), &PASSWORD, t),
            load(&smpp_args("127.0.0.1:9", &good, &["--count", "1"]), &PASSWORD, t),
            load(
                &smpp_args(&target, &good, &["--count", "1"]),
                &[("SIMGATE_LOAD_SMPP_PASSWORD", "wrong")],
                t,
            ),
            load(&smpp_args(&target, &good, &["--count", "1", "--window", "0"]), &PASSWORD, t),
            load(&smpp_args(&target, &good, &[]), &PASSWORD, t),
        ]
    })
    .await
    .unwrap();
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(outs[0].status.code(), Some(64), "{}", text(&outs[0]));
    assert!(
        stderr(&outs[0]).contains("bad.hex:2") && stderr(&outs[0]).contains("not hex"),
        "{}",
        text(&outs[0])
    );
    assert_eq!(outs[1].status.code(), Some(1), "{}", text(&outs[1]));
    assert!(stderr(&outs[1]).contains("cannot connect to 127.0.0.1:9"), "{}", text(&outs[1]));
    assert_eq!(outs[2].status.code(), Some(1), "{}", text(&outs[2]));
    assert!(
        stderr(&outs[2]).contains("bind refused") && stderr(&outs[2]).contains("ESME_RINVPASWD"),
        "{}",
        text(&outs[2])
    );
    assert!(!stderr(&outs[2]).contains("wrong"), "the password is never printed");
    for o in &outs[3..] {
        assert_eq!(o.status.code(), Some(64), "{}", text(o));
    }
    for o in &outs {
        assert!(!stderr(o).contains("panicked"), "{}", text(o));
    }
    sim.shutdown().await;
}

#[test]
fn smsc_sim_replays_fixtures_to_a_receiver() {
    let dir = scratch("sim-replay");
    for name in
        ["node-smpp-deliver_sm_mo.hex", "node-smpp-deliver_sm_receipt.hex", "smpplib-deliver_sm_receipt.hex"]
    {
        std::fs::write(dir.join(name), fixture(name) + "\n").unwrap();
    }
    // Responses and submits in the directory are left out, not replayed.
    std::fs::write(dir.join("submit.hex"), fixture("smpplib-submit_sm.hex") + "\n").unwrap();
    let mut sim = simgate()
        .args(["smsc-sim", "--listen", "127.0.0.1:0", "--account", "load:pw:4", "--receipts", "off"])
        .args(["--replay", dir.to_str().unwrap(), "--replay-rate", "40", "--replay-count", "30"])
        .args(["--duration", "6s", "--stats-interval", "0s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(sim.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line}")).to_owned();
    let json_path = dir.join("rx.json");
    let out = load(
        &[
            "smpp",
            "--target",
            &addr,
            "--system-id",
            "load",
            "--bind",
            "receiver",
            "--duration",
            "3s",
            "--json",
            json_path.to_str().unwrap(),
        ],
        &PASSWORD,
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&json_path);
    // 30 replayed in turn from 3 fixtures: 10 MO, 20 receipts.
    assert_eq!(report["receipts"]["mo"], 10, "{report:#}");
    assert_eq!(report["receipts"]["received"], 20, "{report:#}");
    let sim_out = sim.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&sim_out.stderr);
    assert!(stderr.contains("replay scheduled=30 ESME_ROK=30"), "{stderr}");

    // A fixture in an unknown format is refused, naming the file.
    std::fs::write(dir.join("bad.hex"), "deliver_sm please\n").unwrap();
    let out = simgate()
        .args([
            "smsc-sim",
            "--listen",
            "127.0.0.1:0",
            "--account",
            "load:pw:4",
            "--replay",
            dir.to_str().unwrap(),
            "--duration",
            "1s",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.hex:1"), "{}", text(&out));
}

#[cfg(feature = "plot")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smpp_plots_throughput_and_latency() {
    let sim = SmscSim::start(smpp_sim(100, simgate::smsc_sim::Latency::default())).await.unwrap();
    let target = sim.local_addr().to_string();
    let dir = fixture_dir("plot");
    let (fixtures, png) = (dir.to_str().unwrap().to_owned(), dir.join("out.png"));
    let png_arg = png.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let args = smpp_args(
            &target,
            &fixtures,
            &["--rate", "100", "--duration", "2s", "--template-destinations", "--plot", &png_arg],
        );
        load(&args, &PASSWORD, Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    // IHDR: width and height.
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 1200);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 800);
    assert!(bytes.len() > 10_000, "a drawn chart, not a blank image: {} octets", bytes.len());
    sim.shutdown().await;
}

// ---- load applet, against the applet listener hosted in this process ----

mod applet {
    use super::{json, load, scratch, text};
    use simgate::applet_sim::simset::{self, GenerateConfig, SimRecord};
    use simgate::sim::applet::{CommandId, CommandType};
    use simgate::sim::listener::{
        AppletEvent, AppletListener, AppletMetrics, ListenerConfig, MemoryCredentials,
    };
    use std::collections::HashSet;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    /// `n` seeded SIMs and their CSV in a scratch directory.
    fn sim_file(name: &str, n: usize) -> (Vec<SimRecord>, PathBuf) {
        let sims = simset::generate(&GenerateConfig { seed: Some(42), ..GenerateConfig::new(n) }).unwrap();
        let path = scratch(name).join("sims.csv");
        let mut out = Vec::new();
        simset::write_csv(&sims, &mut out).unwrap();
        std::fs::write(&path, out).unwrap();
        (sims, path)
    }

    /// What the listener saw: results by ICCID (with their payloads).
    #[derive(Default)]
    struct Seen {
        results: Vec<(String, Vec<u8>)>,
    }

    /// A listener that knows `known` and sends every session one command.
    async fn listener(known: &[SimRecord]) -> (AppletListener, Arc<Mutex<Seen>>, CancellationToken) {
        let credentials = Arc::new(MemoryCredentials::new());
        for sim in known {
            credentials.insert(sim.iccid.clone(), sim.credentials());
        }
        let (tx, mut events) = mpsc::channel(256);
        let shutdown = CancellationToken::new();
        let config = ListenerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..ListenerConfig::default() };
        let metrics = AppletMetrics::default();
        let l = AppletListener::start(config, credentials, tx, metrics, shutdown.clone()).await.unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let seen2 = seen.clone();
        tokio::spawn(async move {
            let mut n: u8 = 0;
            while let Some(event) = events.recv().await {
                match event {
                    AppletEvent::Opened { session, .. } => {
                        n = n.wrapping_add(1);
                        let kind = CommandType::new("ping").unwrap();
                        tokio::spawn(async move {
                            let _ = session.send_command(CommandId([n; 16]), kind, b"hi".to_vec()).await;
                        });
                    }
                    AppletEvent::Result { iccid, payload, .. } => {
                        seen2.lock().unwrap().results.push((iccid.to_string(), payload));
                    }
                    _ => {}
                }
            }
        });
        (l, seen, shutdown)
    }

    fn run(args: Vec<String>, within: Duration) -> std::process::Output {
        let mut all = vec!["applet".to_owned()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        load(&refs, &[], within)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn load_applet_opens_holds_and_times_commands() {
        let (sims, file) = sim_file("applet-ok", 20);
        let (l, seen, shutdown) = listener(&sims).await;
        let dir = file.parent().unwrap().to_owned();
        let (out_json, png) = (dir.join("out.json"), dir.join("out.png"));
        let mut args: Vec<String> = [
            "--target",
            &l.local_addr().to_string(),
            "--sims",
            file.to_str().unwrap(),
            "--count",
            "20",
            "--rate",
            "100",
            "--hold",
            "1s",
            "--result-payload",
            "pong",
            "--json",
            out_json.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec();
        if cfg!(feature = "plot") {
            args.extend(["--plot".to_owned(), png.to_str().unwrap().to_owned()]);
        }
        let out = tokio::task::spawn_blocking(move || run(args, Duration::from_secs(60))).await.unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let report = json(&out_json);
        let a = &report["applet"];
        assert_eq!(report["tool"], "applet");
        assert_eq!(a["opened"], 20, "{report:#}");
        assert_eq!(a["peak_concurrent"], 20, "all held at once: {report:#}");
        assert_eq!(a["closed_by_load"]["normal"], 20, "{report:#}");
        assert_eq!(a["refused"], serde_json::json!({}), "{report:#}");
        assert_eq!(a["handshake"]["count"], 20);
        assert!(a["handshake"]["p50_ms"].as_f64().unwrap() > 0.0);
        assert_eq!(a["commands_answered"], 20, "{report:#}");
        assert_eq!(a["command_round_trip"]["count"], 20, "{report:#}");
        assert!(a["opened_per_s"].as_f64().unwrap() > 20.0, "{report:#}");
        {
            let seen = seen.lock().unwrap();
            let iccids: HashSet<&str> = seen.results.iter().map(|(i, _)| i.as_str()).collect();
            assert_eq!(iccids, sims.iter().map(|s| s.iccid.as_str()).collect(), "one result per SIM");
            assert!(seen.results.iter().all(|(_, p)| p == b"pong"));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("simgate load applet") && stdout.contains("command rtt ms"), "{stdout}");
        if cfg!(feature = "plot") {
            let bytes = std::fs::read(&png).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        }
        shutdown.cancel();
        l.join().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn load_applet_fails_clearly() {
        let (sims, file) = sim_file("applet-bad", 5);
        let file_arg = file.to_str().unwrap().to_owned();
        // Nobody listens: a port just released.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
        // A listener that knows none of the SIMs: every handshake refused.
        let (stranger, _seen, shutdown) = listener(&[]).await;
        let stranger_addr = stranger.local_addr().to_string();
        let missing = file.with_file_name("missing.csv");
        let garbled = file.with_file_name("garbled.csv");
        std::fs::write(&garbled, "iccid,msisdn\n1,2\n").unwrap();
        let cases: Vec<(Vec<String>, u8, &str)> = vec![
            (
                vec![
                    "--target".into(),
                    free.clone(),
                    "--sims".into(),
                    file_arg.clone(),
                    "--count".into(),
                    "2".into(),
                ],
                1,
                "cannot connect",
            ),
            (
                vec![
                    "--target".into(),
                    stranger_addr.clone(),
                    "--sims".into(),
                    file_arg.clone(),
                    "--count".into(),
                    "3".into(),
                ],
                1,
                "every handshake was refused (bad_checksum=3)",
            ),
            (
                vec![
                    "--target".into(),
                    stranger_addr.clone(),
                    "--sims".into(),
                    missing.to_str().unwrap().into(),
                    "--count".into(),
                    "1".into(),
                ],
                64,
                "cannot read",
            ),
            (
                vec![
                    "--target".into(),
                    stranger_addr.clone(),
                    "--sims".into(),
                    garbled.to_str().unwrap().into(),
                    "--count".into(),
                    "1".into(),
                ],
                64,
                "missing column",
            ),
            (
                vec!["--target".into(), stranger_addr.clone(), "--sims".into(), file_arg.clone()],
                64,
                "every run is bounded",
            ),
            (
                vec![
                    "--target".into(),
                    stranger_addr.clone(),
                    "--sims".into(),
                    file_arg.clone(),
                    "--count".into(),
                    "6".into(),
                ],
                64,
                "6 sessions need as many SIMs",
            ),
            (
                vec![
                    "--target".into(),
                    "nowhere".into(),
                    "--sims".into(),
                    file_arg.clone(),
                    "--count".into(),
                    "1".into(),
                ],
                64,
                "--target",
            ),
        ];
        assert_eq!(sims.len(), 5);
        for (args, code, message) in cases {
            let shown = args.join(" ");
            let out = tokio::task::spawn_blocking(move || run(args, Duration::from_secs(30))).await.unwrap();
            assert_eq!(out.status.code(), Some(i32::from(code)), "{shown}: {}", text(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(message), "{shown}: wanted {message:?} in {}", text(&out));
            assert!(!stderr.contains("panicked"), "{shown}: {}", text(&out));
        }
        shutdown.cancel();
        stranger.join().await;
    }
}
