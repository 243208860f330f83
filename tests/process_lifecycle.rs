//! The gateway process on its own (backends off): health endpoints, the
//! shutdown order on SIGTERM, bad configuration, and the metrics format.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Gateway, no_backends, simgate};

fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = no_backends();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

#[test]
fn health_is_exactly_up_when_ready() {
    let gw = Gateway::start(&env(&[]));
    let resp = gw.wait_for("/health", Duration::from_secs(10), |r| r.status == 200);
    assert_eq!(resp.body, r#"{"status":"UP"}"#);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(gw.get("/readyz").unwrap().status, 200);
    assert_eq!(gw.get("/livez").unwrap().status, 200);
    let missing = gw.get("/nope").unwrap();
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "no such path");
}

#[test]
fn sigterm_stops_accepting_reports_not_ready_and_exits_within_grace() {
    let grace = Duration::from_secs(6);
    let drain_delay = Duration::from_millis(1500);
    let mut gw = Gateway::start(&env(&[
        ("SIMGATE__SHUTDOWN__DRAIN_DELAY", "1500ms"),
        ("SIMGATE__SHUTDOWN__GRACE_PERIOD", "6s"),
    ]));
    gw.wait_for("/readyz", Duration::from_secs(10), |r| r.status == 200);

    let signalled = Instant::now();
    gw.signal("TERM");

    // During the drain delay the instance still answers, but as not-ready.
    let ready = gw.wait_for("/readyz", drain_delay, |r| r.status == 503);
    assert_eq!(ready.json()["reasons"][0], "draining");
    let health = gw.get("/health").unwrap();
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["status"], "DOWN");
    assert_eq!(health.json()["reasons"][0], "draining");
    assert!(signalled.elapsed() < drain_delay, "not-ready must show before listeners close");

    // Then the listener closes: connections are refused.
    let deadline = signalled + drain_delay + Duration::from_secs(2);
    loop {
        match gw.get("/livez") {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ if Instant::now() > deadline => panic!("listener still accepting after the drain delay"),
            _ => std::thread::sleep(Duration::from_millis(25)),
        }
    }

    let status = gw.wait_exit(grace).expect("exit within the grace period");
    assert!(status.success(), "clean drain exits 0, got {status:?}");
    assert!(signalled.elapsed() < grace);
    gw.wait_log("shutdown: complete", Duration::from_secs(1));
}

#[test]
fn second_signal_cuts_the_drain_short() {
    let mut gw = Gateway::start(&env(&[
        ("SIMGATE__SHUTDOWN__DRAIN_DELAY", "20s"),
        ("SIMGATE__SHUTDOWN__GRACE_PERIOD", "30s"),
    ]));
    gw.wait_for("/readyz", Duration::from_secs(10), |r| r.status == 200);
    gw.signal("TERM");
    gw.wait_for("/readyz", Duration::from_secs(2), |r| r.status == 503);
    gw.signal("INT");
    let status = gw.wait_exit(Duration::from_secs(5)).expect("forced exit");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn invalid_setting_exits_64_with_one_line_naming_the_key() {
    let cases = [
        ("SIMGATE__HTTP__LISTEN", "nowhere", "http.listen"),
        ("SIMGATE__SHUTDOWN__GRACE_PERIOD", "0s", "shutdown.grace_period"),
        ("SIMGATE__KAFKA__BROKERS", "", "kafka.brokers"),
        ("SIMGATE__HTTP__BOGUS", "1", "bogus"),
    ];
    for (var, value, key) in cases {
        let out = simgate().arg("serve").env(var, value).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{var}={value}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(key), "{var}={value}: {stderr} should name {key}");
    }
}

#[test]
fn config_check_prints_effective_settings_without_secrets() {
    let mut file = tempfile();
    writeln!(file.1, "[http]\nlisten = \"127.0.0.1:9999\"\n[redis]\npassword = \"file-secret-1\"").unwrap();
    let out = simgate()
        .args(["config", "check", "--file"])
        .arg(&file.0)
        .env("SIMGATE__KAFKA__SASL_PASSWORD", "env-secret-2")
        .env("SIMGATE__MONGO__URI", "mongodb://u:uri-secret-3@db.example:27017/")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("listen = \"127.0.0.1:9999\""), "{stdout}");
    assert!(stdout.contains("db.example"), "{stdout}");
    for secret in ["file-secret-1", "env-secret-2", "uri-secret-3"] {
        assert!(!stdout.contains(secret), "{secret} leaked: {stdout}");
    }
    let parsed: toml::Table = toml::from_str(&stdout).unwrap();
    assert_eq!(parsed["redis"]["password"].as_str(), Some("<redacted>"));

    let out = simgate().args(["config", "check", "--file", "/nonexistent.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn metrics_speak_openmetrics_to_prometheus_and_pass_promtool() {
    let gw = Gateway::start(&env(&[]));
    gw.wait_for("/health", Duration::from_secs(10), |r| r.status == 200);

    // What Prometheus sends: OpenMetrics, ending in # EOF.
    let om = support::http_get_with(
        gw.http,
        "/metrics",
        &[("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")],
    )
    .unwrap();
    assert_eq!(om.status, 200);
    assert!(om.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    assert!(om.body.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    assert!(om.body.contains("# TYPE process_cpu_seconds counter"), "{}", om.body);
    let build = om
        .body
        .lines()
        .find(|l| l.starts_with("simgate_build_info{"))
        .unwrap_or_else(|| panic!("no build info in {}", om.body));
    assert!(build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))), "{build}");
    assert!(build.ends_with(" 1"), "{build}");

    // What curl and promtool get: the classic text format.
    let classic = gw.get("/metrics").unwrap();
    assert!(classic.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    for name in ["process_cpu_seconds_total ", "process_resident_memory_bytes ", "simgate_lifecycle_phase 1"]
    {
        assert!(classic.body.contains(name), "{name} missing from {}", classic.body);
    }
    assert!(classic.body.contains("# TYPE process_cpu_seconds_total counter"));

    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus) must be installed; scripts/test.sh installs it");
    promtool.stdin.take().unwrap().write_all(classic.body.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics found problems:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn healthcheck_command_follows_health() {
    let mut gw = Gateway::start(&env(&[("SIMGATE__SHUTDOWN__DRAIN_DELAY", "3s")]));
    gw.wait_for("/health", Duration::from_secs(10), |r| r.status == 200);
    let addr = gw.http.to_string();
    let check = || simgate().args(["healthcheck", "--addr", &addr]).output().unwrap();
    assert!(check().status.success());
    gw.signal("TERM");
    gw.wait_for("/health", Duration::from_secs(2), |r| r.status == 503);
    let draining = check();
    assert_eq!(draining.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&draining.stderr).contains("503"));
    gw.wait_exit(Duration::from_secs(10)).expect("exits after the drain");
    let gone = check();
    assert_eq!(gone.status.code(), Some(1));
}

#[test]
fn version_names_the_revision() {
    let out = simgate().arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("simgate {} (rev ", env!("CARGO_PKG_VERSION"))), "{text}");
}

/// A temporary file path and handle, removed when the test process ends.
fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("simgate-it-{}-{n}.toml", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    (path, file)
}
