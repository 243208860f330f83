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
