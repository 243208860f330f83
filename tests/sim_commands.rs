//! Commands to SIM applets across two `simgate serve` instances against the
//! local stack (scripts/stack.sh): a generated SIM set is imported with
//! `simgate sims import`, in-process applet swarms connect to instance A,
//! and commands are posted to B and to A. Every command must end `result`
//! with the applet's payload; on the way: an unknown SIM is 404, bad input
//! 400 naming the field, a command for a SIM with no session stays queued
//! (no wake-up is configured) until the SIM connects, a short time-to-live
//! expires, a session closed mid-command gets its command again on
//! reconnect, and the `sim.*` events arrive on the broker.
#![allow(clippy::unwrap_used)]

#[path = "support/pipeline.rs"]
mod pipeline;
mod support;

use pipeline::{API_KEY, auth, create_topics, run_tag};
use simgate::applet_sim::simset::{self, GenerateConfig, SimRecord};
use simgate::applet_sim::{AppletSwarm, SwarmConfig};
use simgate::events::Topic;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Gateway, http_get_with, http_send, metric_sum, metric_sum_where, stack};

/// A master key for this test only.
const MASTER: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
/// What every applet answers.
const ANSWER: &[u8] = b"pong-ok";

struct Run {
    database: String,
    prefix: String,
    brokers: String,
}

impl Run {
    fn env(&self, instance: &str) -> Vec<(String, String)> {
        [
            ("SIMGATE__INSTANCE__ID", instance.to_owned()),
            ("SIMGATE__REDIS__URL", stack("SIMGATE__REDIS__URL")),
            ("SIMGATE__MONGO__URI", stack("SIMGATE__MONGO__URI")),
            ("SIMGATE__MONGO__DATABASE", self.database.clone()),
            ("SIMGATE__KAFKA__BROKERS", self.brokers.clone()),
            ("SIMGATE__EVENTS__TOPIC_PREFIX", self.prefix.clone()),
            ("SIMGATE__API__KEYS", API_KEY.to_owned()),
            ("SIMGATE__SHUTDOWN__DRAIN_DELAY", "100ms".to_owned()),
            ("SIMGATE__SIM__ENABLED", "true".to_owned()),
            ("SIMGATE__SIM__MASTER_KEY", MASTER.to_owned()),
            ("SIMGATE__SIM__LISTEN", "127.0.0.1:0".to_owned()),
            ("SIMGATE__SIM__HEARTBEAT_INTERVAL", "2s".to_owned()),
            ("SIMGATE__SIM__IDLE_TIMEOUT", "10s".to_owned()),
            ("SIMGATE__SIM__SESSION_TTL", "6s".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// Imports `sims` with the CLI, as an operator does.
fn import(run: &Run, sims: &[SimRecord]) {
    let path = std::env::temp_dir().join(format!("{}.csv", run.database));
    let mut csv = Vec::new();
    simset::write_csv(sims, &mut csv).unwrap();
    std::fs::write(&path, csv).unwrap();
    let out = support::simgate()
        .args(["sims", "import"])
        .arg(&path)
        .env("SIMGATE__MONGO__URI", stack("SIMGATE__MONGO__URI"))
        .env("SIMGATE__MONGO__DATABASE", &run.database)
        .env("SIMGATE__SIM__MASTER_KEY", MASTER)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
}

fn swarm(target: SocketAddr, sims: &[SimRecord], latency: Duration, counter_start: u64) -> AppletSwarm {
    let mut config = SwarmConfig::new(target, sims.to_vec());
    config.result_payload = ANSWER.to_vec();
    config.result_latency = latency;
    config.heartbeat_interval = Duration::from_secs(2);
    config.idle_timeout = Duration::from_secs(10);
    config.backoff_min = Duration::from_millis(100);
    config.backoff_max = Duration::from_millis(500);
    config.counter_start = counter_start;
    config.close_grace = Duration::from_secs(1);
    AppletSwarm::start(config).unwrap()
}

fn post(gw: &Gateway, iccid: &str, body: &str) -> support::HttpResponse {
    http_send(gw.http, "POST", &format!("/v1/sims/{iccid}/commands"), &auth(), body).unwrap()
}

/// Posts a command that must be accepted; returns its id.
fn command(gw: &Gateway, sim: &SimRecord, body: &str) -> String {
    let resp = post(gw, sim.iccid.as_str(), body);
    assert_eq!(resp.status, 202, "{}", resp.body);
    resp.json()["command_id"].as_str().unwrap().to_owned()
}

fn view(gw: &Gateway, id: &str) -> serde_json::Value {
    let resp = http_get_with(gw.http, &format!("/v1/commands/{id}"), &auth()).unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()
}

/// Polls the command until it is in `state`; returns its view.
async fn wait_state(gw: &Gateway, id: &str, state: &str, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let v = view(gw, id);
        if v["state"] == state {
            return v;
        }
        assert!(Instant::now() < deadline, "command {id} not {state} within {within:?}: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_metric(gw: &Gateway, name: &str, want: f64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let text = pipeline::metrics(gw);
        if metric_sum(&text, name) == want {
            return;
        }
        assert!(Instant::now() < deadline, "{name} never {want} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hex(octets: &[u8]) -> String {
    octets.iter().map(|b| format!("{b:02x}")).collect()
}

fn assert_result(v: &serde_json::Value) {
    assert_eq!(v["state"], "result", "{v}");
    assert_eq!(v["result"]["status"], "ok", "{v}");
    assert_eq!(v["result"]["payload"], hex(ANSWER), "{v}");
    let states: Vec<_> = v["history"].as_array().unwrap().iter().map(|h| h["state"].clone()).collect();
    assert!(states.contains(&"queued".into()) && states.contains(&"delivered".into()), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_reach_applets_through_either_instance() {
    let tag = run_tag("simcmd");
    let run =
        Run { database: tag.clone(), prefix: format!("{tag}."), brokers: stack("SIMGATE__KAFKA__BROKERS") };
    create_topics(&run.brokers, &run.prefix);
    let serial = SystemSerial::next();
    let sims = simset::generate(&GenerateConfig {
        iccid_prefix: format!("8999{serial:06}"),
        ..GenerateConfig::new(8)
    })
    .unwrap();
    import(&run, &sims);
    let mut a = Gateway::start(&run.env(&format!("{tag}-a")));
    let mut b = Gateway::start(&run.env(&format!("{tag}-b")));
    let target_a = a.applet_addr();

    // Three applets on A; commands through B and through A.
    let first = swarm(target_a, &sims[0..3], Duration::ZERO, 0);
    wait_metric(&a, "simgate_sim_sessions_registered", 3.0, Duration::from_secs(20)).await;
    let body = format!(r#"{{"type":"ping","payload":"{}","ttl":"1m"}}"#, hex(b"hi"));
    let ids = [command(&b, &sims[0], &body), command(&a, &sims[1], &body), command(&b, &sims[2], &body)];
    for id in &ids {
        assert_result(&wait_state(&b, id, "result", Duration::from_secs(20)).await);
        assert_eq!(view(&a, id)["state"], "result", "either instance answers for any command");
    }
    let routes = pipeline::metrics(&b);
    assert!(
        metric_sum_where(&routes, "simgate_sim_command_routes_total", "route=\"remote\"") >= 2.0,
        "{routes}"
    );

    // Refusals: unknown SIM, bad ICCID, bad hex, oversized payload, unknown field, no key.
    let body_of = |payload: &str| format!(r#"{{"type":"ping","payload":"{payload}"}}"#);
    let unknown =
        simset::generate(&GenerateConfig { iccid_prefix: "8999999".into(), ..GenerateConfig::new(1) })
            .unwrap();
    let resp = post(&b, unknown[0].iccid.as_str(), &body_of(""));
    assert_eq!(resp.status, 404, "{}", resp.body);
    let mut bad_check = sims[0].iccid.as_str().to_owned();
    let last = bad_check.pop().unwrap();
    bad_check.push(if last == '0' { '1' } else { '0' });
    for (iccid, body, field) in [
        (bad_check.as_str(), body_of(""), "iccid"),
        (sims[0].iccid.as_str(), body_of("abc"), "payload"),
        (sims[0].iccid.as_str(), body_of(&"00".repeat(2000)), "payload"),
        (sims[0].iccid.as_str(), r#"{"type":"ping","bogus":1}"#.to_owned(), "bogus"),
        (sims[0].iccid.as_str(), r#"{"type":"ping","ttl":"30days"}"#.to_owned(), "ttl"),
    ] {
        let resp = post(&b, iccid, &body);
        assert_eq!(resp.status, 400, "{body}: {}", resp.body);
        assert_eq!(resp.json()["field"], field, "{body}: {}", resp.body);
    }
    let no_key = http_send(
        b.http,
        "POST",
        &format!("/v1/sims/{}/commands", sims[0].iccid.as_str()),
        &[],
        &body_of(""),
    )
    .unwrap();
    assert_eq!(no_key.status, 401);
    let missing =
        http_get_with(b.http, "/v1/commands/0190e5a0-0000-7000-8000-000000000000", &auth()).unwrap();
    assert_eq!(missing.status, 404);

    // No session anywhere: a wake-up SMS goes into the MT path (stored
    // here: these gateways have no SMSC), and the command waits, woken,
    // until the SIM connects.
    let waiting = command(&b, &sims[3], &body);
    let woken = wait_state(&b, &waiting, "woken", Duration::from_secs(10)).await;
    assert!(woken["wake_message_id"].is_string(), "{woken}");
    assert_eq!(woken["wakes"], 1, "{woken}");
    assert!(woken["woken_at"].is_string(), "{woken}");
    let scrape = pipeline::metrics(&b);
    assert_eq!(metric_sum(&scrape, "simgate_sim_ota_wakeups_sent_total"), 1.0, "{scrape}");
    let late = swarm(target_a, &sims[3..4], Duration::ZERO, 0);
    assert_result(&wait_state(&a, &waiting, "result", Duration::from_secs(20)).await);

    // A short time-to-live runs out.
    let short = command(&a, &sims[4], r#"{"type":"ping","ttl":"2s"}"#);
    let expired = wait_state(&b, &short, "expired", Duration::from_secs(15)).await;
    assert!(expired["result"].is_null(), "{expired}");

    // A session closed before its result: the command waits and goes again.
    let slow = swarm(target_a, &sims[5..6], Duration::from_secs(30), 0);
    wait_metric(&a, "simgate_sim_sessions_registered", 5.0, Duration::from_secs(20)).await;
    let interrupted = command(&b, &sims[5], &body);
    wait_state(&b, &interrupted, "delivered", Duration::from_secs(20)).await;
    slow.stop().await;
    let requeued = wait_state(&b, &interrupted, "queued", Duration::from_secs(20)).await;
    assert!(requeued.to_string().contains("session closed before the result"), "{requeued}");
    let again = swarm(target_a, &sims[5..6], Duration::ZERO, 1_000_000);
    let done = wait_state(&b, &interrupted, "result", Duration::from_secs(20)).await;
    assert_result(&done);
    assert_eq!(done["deliveries"], 2, "{done}");

    // The events on the broker.
    let mut want: BTreeSet<(String, String)> = BTreeSet::new();
    for id in ids.iter().chain([&waiting, &interrupted]) {
        for t in ["sim.command.queued", "sim.command.delivered", "sim.command.result"] {
            want.insert((t.to_owned(), id.clone()));
        }
    }
    want.insert(("sim.command.expired".to_owned(), short.clone()));
    want.insert(("sim.session.opened".to_owned(), sims[0].iccid.as_str().to_owned()));
    want.insert(("sim.session.closed".to_owned(), sims[5].iccid.as_str().to_owned()));
    let topic = Topic::Sim.name(&run.prefix);
    let complete = pipeline::consume(&run.brokers, &topic, Duration::from_secs(30), |event| {
        let name = event.event_type.wire_name().to_owned();
        let data = serde_json::to_value(&event.data).unwrap();
        for key in ["command_id", "iccid"] {
            if let Some(v) = data[key].as_str() {
                want.remove(&(name.clone(), v.to_owned()));
            }
        }
        want.is_empty()
    })
    .await;
    assert!(complete, "events missing from {topic}");

    for s in [first, late, again] {
        s.stop().await;
    }
    a.signal("TERM");
    b.signal("TERM");
    assert!(a.wait_exit(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", a.last_logs(30));
    assert!(b.wait_exit(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", b.last_logs(30));
}

/// Six digits unique to this run, so ICCIDs (and their Redis entries) never
/// meet those of another run.
struct SystemSerial;

impl SystemSerial {
    fn next() -> u64 {
        let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos();
        ((nanos / 1000) as u64 ^ u64::from(std::process::id())) % 1_000_000
    }
}

/// The stack's Redis, and a state store on it under a prefix of this run.
fn state_store(
    prefix: &str,
    metrics: simgate::state::StateMetrics,
) -> (simgate::backends::redis::RedisHandle, simgate::state::StateStore) {
    use simgate::backends::redis::RedisHandle;
    use simgate::settings::Settings;
    use simgate::state::{KeySpace, StateStore};
    let mut settings = Settings::default();
    settings.redis.url = simgate::settings::SecretUrl::new(stack("SIMGATE__REDIS__URL"));
    let redis = RedisHandle::new(&settings.redis, &settings.health).unwrap();
    let store = StateStore::new(redis.clone(), metrics).with_keys(KeySpace::new(prefix).unwrap());
    (redis, store)
}

/// `n` valid ICCIDs of this run, none of them in the registry.
fn iccids(n: usize) -> Vec<simgate::sim::Iccid> {
    let serial = SystemSerial::next();
    (0..n)
        .map(|i| {
            let body = format!("8999{serial:06}{i:08}");
            let check = simgate::sim::Iccid::check_digit(&body).unwrap();
            simgate::sim::Iccid::new(&format!("{body}{check}")).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_session_registry_only_lets_its_holder_refresh_and_remove_an_entry() {
    use simgate::state::{Refreshed, SessionPresence, StateMetrics};
    let prefix = run_tag("presence");
    let (redis, store) = state_store(&prefix, StateMetrics::default());
    let ttl = Duration::from_secs(5);
    let a = SessionPresence::new(store.clone(), "inst-a", ttl).unwrap();
    let b = SessionPresence::new(store.clone(), "inst-b", ttl).unwrap();
    assert!(SessionPresence::new(store, "has{brace}", ttl).is_err());
    let sim = iccids(1).remove(0);
    assert_eq!(a.holder(&sim).await.unwrap(), None);
    a.claim(&sim).await.unwrap();
    assert_eq!(b.holder(&sim).await.unwrap().as_deref(), Some("inst-a"));
    // The entry lives under the store's own prefix.
    let mut conn = redis.connection().await.unwrap();
    let key = format!("{prefix}:simsess:{{{}}}", sim.as_str());
    let raw: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await.unwrap();
    assert_eq!(raw.as_deref(), Some("inst-a"));
    assert_eq!(a.refresh(&sim).await.unwrap(), Refreshed::Refreshed);
    // The SIM reconnects to B: the newest session wins, A's late close keeps it.
    b.claim(&sim).await.unwrap();
    assert_eq!(a.refresh(&sim).await.unwrap(), Refreshed::HeldBy("inst-b".into()), "A no longer holds it");
    assert!(!a.release(&sim).await.unwrap(), "compare-and-delete keeps B's entry");
    assert_eq!(a.holder(&sim).await.unwrap().as_deref(), Some("inst-b"));
    assert!(b.release(&sim).await.unwrap());
    assert_eq!(a.holder(&sim).await.unwrap(), None);
    // Notifications reach only the named instance's inbox, oldest first.
    let other = iccids(2).remove(1);
    a.notify("inst-b", &sim).await.unwrap();
    a.notify("inst-b", &other).await.unwrap();
    assert!(a.notify("bad}id", &sim).await.is_err());
    assert!(a.take_notifications(10).await.unwrap().is_empty());
    assert_eq!(b.take_notifications(10).await.unwrap(), vec![sim.clone(), other]);
    assert!(b.take_notifications(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn session_entries_are_refreshed_in_pipelines_and_other_holders_are_left_alone() {
    use simgate::state::{Op, REFRESH_PIPELINE, Refreshed, SessionPresence, StateMetrics};
    let prefix = run_tag("refresh");
    let (redis, store) = state_store(&prefix, StateMetrics::default());
    let sims = iccids(REFRESH_PIPELINE + 20);
    let short = Duration::from_secs(3);
    let a = SessionPresence::new(store.clone(), "inst-a", short).unwrap();
    let b = SessionPresence::new(store, "inst-b", short).unwrap();
    for sim in &sims {
        a.claim(sim).await.unwrap();
    }
    // Ten SIMs reconnected to B; five entries lapsed.
    for sim in &sims[0..10] {
        b.claim(sim).await.unwrap();
    }
    let key = |sim: &simgate::sim::Iccid| format!("{prefix}:simsess:{{{}}}", sim.as_str());
    let mut conn = redis.connection().await.unwrap();
    for sim in &sims[10..15] {
        let _: i64 = redis::cmd("DEL").arg(key(sim)).query_async(&mut conn).await.unwrap();
    }

    // Refreshed with a long TTL by A, in two round trips.
    let metrics = StateMetrics::default();
    let (_, store) = state_store(&prefix, metrics.clone());
    let long = SessionPresence::new(store, "inst-a", Duration::from_secs(120)).unwrap();
    let found = long.refresh_all(&sims).await.unwrap();
    assert_eq!(found.len(), sims.len());
    assert!(found[0..10].iter().all(|f| *f == Refreshed::HeldBy("inst-b".into())), "{:?}", &found[0..10]);
    assert!(found[10..15].iter().all(|f| *f == Refreshed::Reclaimed), "{:?}", &found[10..15]);
    assert!(found[15..].iter().all(|f| *f == Refreshed::Refreshed));
    assert_eq!(metrics.operations_ok(Op::PresenceRefresh), 2, "one round trip per {REFRESH_PIPELINE}");

    // Every key as it is now in Redis.
    let mut pipe = redis::pipe();
    for sim in &sims {
        pipe.cmd("GET").arg(key(sim)).cmd("PTTL").arg(key(sim));
    }
    let now: Vec<(Option<String>, i64)> = pipe
        .query_async::<Vec<redis::Value>>(&mut conn)
        .await
        .map(|v| {
            v.chunks(2)
                .map(|p| {
                    let holder: Option<String> = redis::from_redis_value(p[0].clone()).unwrap();
                    let ttl: i64 = redis::from_redis_value(p[1].clone()).unwrap();
                    (holder, ttl)
                })
                .collect()
        })
        .unwrap();
    for (i, (holder, ttl)) in now.iter().enumerate() {
        if i < 10 {
            assert_eq!(holder.as_deref(), Some("inst-b"), "{i}: B's entry kept");
            assert!(*ttl > 0 && *ttl <= 3_000, "{i}: B's TTL untouched: {ttl}");
        } else {
            assert_eq!(holder.as_deref(), Some("inst-a"), "{i}");
            assert!(*ttl > 60_000, "{i}: TTL refreshed: {ttl}");
        }
    }
}

#[test]
fn an_unreadable_master_key_file_stops_serve_with_exit_64() {
    let mut env = support::no_backends();
    env.extend([
        ("SIMGATE__SIM__ENABLED".to_owned(), "true".to_owned()),
        ("SIMGATE__SIM__MASTER_KEY_FILE".to_owned(), "/nonexistent/simgate-master-key".to_owned()),
        ("SIMGATE__HTTP__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
    ]);
    let out = support::simgate()
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sim.master_key_file"), "{stderr}");
}
