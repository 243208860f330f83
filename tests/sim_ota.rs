//! The OTA wake-up end to end on the real local stack (scripts/stack.sh):
//! a generated SIM set imported with `simgate sims import`, an `OtaWaker`
//! in this process on MongoDB, Redis and Kafka, and a `simgate serve`
//! (SIM side on) bound to the in-process SMSC simulator, whose MT worker
//! submits the wake-up and whose MO path takes the proof of receipt the
//! simulator sends back; also for a SIM whose only key set is triple DES.
#![allow(clippy::unwrap_used)]

#[path = "support/pipeline.rs"]
mod pipeline;
mod support;

use pipeline::{GatewaySpec, consume, metrics, run_tag, wait_until};
use simgate::applet_sim::simset::{GenerateConfig, SimRecord, generate, write_csv};
use simgate::backends::mongo::MongoHandle;
use simgate::backends::redis::RedisHandle;
use simgate::events::{EventData, EventMetrics, EventOrigin, EventSink};
use simgate::settings::Settings;
use simgate::sim::ota::{RESPONSE_AAD, WAKE_UP_SPI, open_command_sms, por_sms, por_sms_parts};
use simgate::sim::registry::{MasterKey, MasterKeyring, SimRegistry, SimRegistryMetrics};
use simgate::sim::secured::{Counter, Kic, Kid, PorSecurity, ResponsePacket, ResponseStatus};
use simgate::sim::wake::{WakeError, WakeUp};
use simgate::sim::{Iccid, Kvn};
use simgate::sms::command::MtAcceptor;
use simgate::sms::mt::ConcatMode;
use simgate::sms::ota::{OtaMetrics, OtaWaker, WakeRecords, WakeSettings, WakeState};
use simgate::smsc_sim::{MoMessage, ReceivedSubmit, SimAccount, SimConfig, SmscSim};
use simgate::state::{IdempotencyKeys, StateMetrics, StateStore, WakeLimits};
use simgate::store::{MessageStore, StoreMetrics};
use simgate::telemetry::new_registry;
use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use support::{metric_sum_where, stack, stack_env};

/// A fake master key, for this test only.
const MASTER: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
/// The wake limit of the in-process waker: short, so the test sees it lapse.
const INTERVAL: Duration = Duration::from_secs(2);

fn settings(db: &str) -> Settings {
    let mut env: Vec<(String, String)> =
        stack_env().into_iter().filter(|(k, _)| k.starts_with("SIMGATE__")).collect();
    env.push(("SIMGATE__MONGO__DATABASE".into(), db.into()));
    env.push(("SIMGATE__SIM__MASTER_KEY".into(), MASTER.into()));
    Settings::load_from(None, env).unwrap()
}

/// A SIM set of `count` with ICCIDs of this run, imported with the CLI.
fn import_sims(db: &str, count: usize) -> Vec<SimRecord> {
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos();
    let config = GenerateConfig {
        seed: Some(u64::try_from(nanos % 1_000_000_007).unwrap()),
        iccid_prefix: format!("8946{:09}", nanos % 1_000_000_000),
        // Numbers of this run too: MO reassembly in Redis is keyed by them.
        msisdn_start: format!("4670{:07}", nanos / 1_000 % 9_000_000 + 1_000_000),
        ..GenerateConfig::new(count)
    };
    let sims = generate(&config).unwrap();
    let mut csv = Vec::new();
    write_csv(&sims, &mut csv).unwrap();
    import_csv(db, &csv, count);
    sims
}

/// Imports the SIM set file `csv` with the CLI, which must import `count` rows.
fn import_csv(db: &str, csv: &[u8], count: usize) {
    let path = std::env::temp_dir().join(format!("{}.csv", run_tag("ota")));
    std::fs::write(&path, csv).unwrap();
    let out = support::simgate()
        .args(["sims", "import", path.to_str().unwrap()])
        .env("SIMGATE__MONGO__URI", stack("SIMGATE__MONGO__URI"))
        .env("SIMGATE__MONGO__DATABASE", db)
        .env("SIMGATE__SIM__MASTER_KEY", MASTER)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("{count} imported")), "{stdout}");
}

struct Side {
    waker: OtaWaker,
    registry: SimRegistry,
    records: WakeRecords,
}

/// The waker and what the test reads, on the stack, as serve builds them.
async fn side(s: &Settings) -> Side {
    let mongo = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let redis = RedisHandle::new(&s.redis, &s.health).unwrap();
    let mut reg = new_registry();
    let events = EventSink::new(
        &s.events,
        &s.kafka,
        mongo.database(),
        "ota-test".to_owned(),
        EventMetrics::register(&mut reg),
    )
    .unwrap();
    let state = StateStore::new(redis, StateMetrics::register(&mut reg));
    let acceptor = MtAcceptor {
        store: MessageStore::new(&mongo, &s.store, "ota-test", StoreMetrics::default()),
        idempotency: Some(IdempotencyKeys::new(state.clone(), Duration::from_secs(600))),
        events,
        origin: EventOrigin { region: "test".into(), instance: "ota-test".into() },
        concat: ConcatMode::Udh8,
        wake: Arc::new(tokio::sync::Notify::new()),
    };
    let keyring = Arc::new(MasterKeyring::new(MasterKey::parse(MASTER).unwrap(), Vec::new()));
    let registry = SimRegistry::new(&mongo, keyring, SimRegistryMetrics::default());
    let records = WakeRecords::new(&mongo);
    let waker = OtaWaker::new(
        registry.clone(),
        acceptor,
        WakeLimits::new(state, INTERVAL),
        records.clone(),
        WakeSettings { source: "OTA".into() },
        OtaMetrics::default(),
    );
    Side { waker, registry, records }
}

/// The OTA submits the simulator took for `msisdn`.
fn ota_submits(sim: &SmscSim, msisdn: &str) -> Vec<ReceivedSubmit> {
    sim.recent_submits().into_iter().filter(|s| s.destination_addr == msisdn).collect()
}

async fn wait_submits(sim: &SmscSim, msisdn: &str, n: usize) -> Vec<ReceivedSubmit> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = ota_submits(sim, msisdn);
        if got.len() >= n || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_up_goes_out_as_sim_data_download_and_its_por_comes_back() {
    let db = run_tag("ota_e2e");
    let s = settings(&db);
    let sims = import_sims(&db, 3);
    let (smsc, gw) = sim_gateway(&db, "ota", "ota-gw", &[]).await;
    let side = side(&s).await;
    let sim = &sims[0];
    let kvn = Kvn::new(1).unwrap();

    // First wake-up: counter 1 (no OTA counter yet, applet counter 0).
    let first = side.waker.wake(&sim.iccid).await.unwrap();
    let submits = wait_submits(&smsc, &sim.msisdn, 1).await;
    assert_eq!(submits.len(), 1, "the serve instance submitted the wake-up");
    let sm = &submits[0];
    assert_eq!((sm.protocol_id, sm.esm_class, sm.data_coding), (0x7F, 0x40, 0xF6));
    assert_eq!(sm.registered_delivery, 1);
    assert_eq!(sm.source_addr, "OTA");
    let opened = open_command_sms(&[&sm.short_message], &sim.keys.clone().into()).unwrap();
    assert_eq!(opened.counter.get(), 1);
    assert_eq!(opened.tar, sim.tar);
    assert_eq!(opened.spi, WAKE_UP_SPI);
    let record = side.records.get(&sim.iccid, 1).await.unwrap().unwrap();
    assert_eq!((record.state, record.message_id.as_str()), (WakeState::Sent, first.message_id.as_str()));

    // Within the interval: refused, on any instance (the limit is in Redis).
    match side.waker.wake(&sim.iccid).await {
        Err(WakeError::RecentlyWoken(ago)) => assert!(ago <= INTERVAL, "{ago:?}"),
        other => panic!("second wake-up within the interval: {other:?}"),
    }
    assert_eq!(side.waker.metrics().refused_count("recently_woken"), 1);

    // After it: the next counter.
    tokio::time::sleep(INTERVAL + Duration::from_millis(200)).await;
    let second = side.waker.wake(&sim.iccid).await.unwrap();
    assert_ne!(second.message_id, first.message_id);
    let submits = wait_submits(&smsc, &sim.msisdn, 2).await;
    assert_eq!(submits.len(), 2);
    let opened = open_command_sms(&[&submits[1].short_message], &sim.keys.clone().into()).unwrap();
    assert_eq!(opened.counter.get(), 2);
    assert_eq!(side.waker.metrics().sent_count(), 2);

    // Unknown SIM.
    let body = "898820000000000009";
    let stranger = Iccid::new(&format!("{body}{}", Iccid::check_digit(body).unwrap())).unwrap();
    assert_eq!(side.waker.wake(&stranger).await, Err(WakeError::UnknownSim));

    // The SIM's PoR of the second wake-up, as MO; a forged one; one from a
    // number no SIM has.
    let security = PorSecurity::for_command(WAKE_UP_SPI, Kic(0), Kid::aes_cmac(kvn));
    let response = ResponsePacket {
        tar: sim.tar,
        counter: Counter::new(2).unwrap(),
        status: ResponseStatus::PorOk,
        data: vec![],
    };
    let por = por_sms(&response, &security, &sim.keys.clone().into()).unwrap();
    let mo = |source: &str, user_data: Vec<u8>| MoMessage {
        source_addr: source.to_owned(),
        destination_addr: "OTA".to_owned(),
        esm_class: 0x40,
        protocol_id: 0x7F,
        data_coding: 0xF6,
        user_data,
    };
    smsc.send_mo(&mo(&sim.msisdn, por.clone())).unwrap();
    let mut forged = por.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    smsc.send_mo(&mo(&sims[1].msisdn, forged)).unwrap();
    smsc.send_mo(&mo("19990000001", por)).unwrap();

    let topic = simgate::events::Topic::Sim.name(&s.events.topic_prefix);
    let ours: BTreeSet<String> = sims.iter().map(|s| s.iccid.as_str().to_owned()).collect();
    let mut sent_counters = Vec::new();
    let mut pors = Vec::new();
    let seen = consume(&stack("SIMGATE__KAFKA__BROKERS"), &topic, Duration::from_secs(30), |event| {
        match event.data {
            EventData::SimOtaSent(e) if ours.contains(&e.iccid) => sent_counters.push(e.counter),
            EventData::SimOtaPor(e) if ours.contains(&e.iccid) => pors.push(e),
            _ => {}
        }
        sent_counters.len() >= 2 && pors.len() >= 2
    })
    .await;
    assert!(seen, "sim.ota.sent x2 and sim.ota.por x2: {sent_counters:?} {pors:?}");
    sent_counters.sort_unstable();
    assert_eq!(sent_counters, vec![1, 2]);
    let good = pors.iter().find(|p| p.iccid == sim.iccid.as_str()).unwrap();
    assert_eq!((good.status.as_str(), good.counter, good.verified), ("ok", 2, true));
    let bad = pors.iter().find(|p| p.iccid == sims[1].iccid.as_str()).unwrap();
    assert!(!bad.verified, "{bad:?}");

    let record = side.records.get(&sim.iccid, 2).await.unwrap().unwrap();
    assert_eq!(record.state, WakeState::Por);
    assert_eq!(record.por_status.as_deref(), Some("ok"));
    assert_eq!(record.message_id, second.message_id);
    assert_eq!(side.records.get(&sim.iccid, 1).await.unwrap().unwrap().state, WakeState::Sent);

    // Counted on the gateway, none of them an ordinary MO.
    let text = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        let _ = wait_until(Duration::from_secs(10), "unknown-number PoR counted", || {
            text = metrics(&gw);
            metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"unknown_number\"") >= 1.0
        });
        drop(gw);
        text
    })
    .await
    .unwrap();
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"ok\""), 1.0, "{text}");
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"unverified\""), 1.0);
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"unknown_number\""), 1.0);
    assert_eq!(metric_sum_where(&text, "simgate_inbound_mo_total", "outcome=\"received\""), 0.0, "{text}");
    // Every PoR answered ESME_ROK, the unknown and the forged one too.
    assert_eq!(metric_sum_where(&text, "simgate_inbound_answers_total", "outcome=\"retry\""), 0.0);
    assert_eq!(metric_sum_where(&text, "simgate_inbound_answers_total", "outcome=\"refused\""), 0.0);
    assert!(text.contains("simgate_sim_ota_wakeups_refused_total{reason=\"no_keys\"} 0"), "pre-created at 0");

    // The registry's OTA counter: taken once per value under concurrency,
    // and above the applet's counter for a key set that has none yet.
    let other = &sims[2].iccid;
    side.registry.accept_counter(other, kvn, 41).await.unwrap();
    let takes = (0..8).map(|_| {
        let registry = side.registry.clone();
        let iccid = other.clone();
        tokio::spawn(async move { registry.next_ota_counter(&iccid, kvn).await })
    });
    let mut taken = Vec::new();
    for t in takes.collect::<Vec<_>>() {
        taken.push(t.await.unwrap().unwrap().unwrap());
    }
    taken.sort_unstable();
    assert_eq!(taken, (42..50).collect::<Vec<u64>>());
    let entry = side.registry.get(other).await.unwrap().unwrap();
    assert_eq!(entry.key_sets[0].ota_counter, 49);
    assert_eq!(entry.key_sets[0].counter, 41, "the applet's counter is its own");
    assert_eq!(side.registry.next_ota_counter(other, Kvn::new(9).unwrap()).await.unwrap(), None);
    smsc.shutdown().await;
}

/// Waits (blocking this worker) until the gateway's metric `name` with
/// `label` reaches `at_least`.
fn wait_metric(gw: &support::Gateway, name: &str, label: &str, at_least: f64) {
    tokio::task::block_in_place(|| {
        wait_until(Duration::from_secs(20), name, || metric_sum_where(&metrics(gw), name, label) >= at_least)
            .unwrap();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concatenated_por_in_reverse_order_is_joined_and_recorded_once() {
    let db = run_tag("ota_concat");
    let s = settings(&db);
    let sims = import_sims(&db, 1);
    let sim = &sims[0];
    let instance = run_tag("otacat-gw");
    let (smsc, gw) = sim_gateway(&db, "otacat", &instance, &[]).await;
    let side = side(&s).await;
    let woken = side.waker.wake(&sim.iccid).await.unwrap();
    assert_eq!(wait_submits(&smsc, &sim.msisdn, 1).await.len(), 1);

    // The SIM's PoR of counter 1 with 150 octets of additional data: two
    // SMS, the response packet identifier in the first only.
    let kvn = Kvn::new(1).unwrap();
    let security = PorSecurity::for_command(WAKE_UP_SPI, Kic(0), Kid::aes_cmac(kvn));
    let response = ResponsePacket {
        tar: sim.tar,
        counter: Counter::new(1).unwrap(),
        status: ResponseStatus::PorOk,
        data: (0..150u8).collect(),
    };
    let sealed = response.seal(&security, &sim.keys, &RESPONSE_AAD).unwrap();
    let parts = por_sms_parts(&sealed, 0x5C).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(&parts[0][..3], &[0x07, 0x71, 0x00]);
    assert_eq!(&parts[1][..3], &[0x05, 0x00, 0x03], "the second part has the concatenation IE only");
    let mo = |user_data: Vec<u8>| MoMessage {
        source_addr: sim.msisdn.clone(),
        destination_addr: "OTA".to_owned(),
        esm_class: 0x40,
        protocol_id: 0x7F,
        data_coding: 0xF6,
        user_data,
    };
    // Reverse order: the second part waits in Redis, the first completes it.
    smsc.send_mo(&mo(parts[1].clone())).unwrap();
    wait_metric(&gw, "simgate_inbound_mo_total", "outcome=\"part_stored\"", 1.0);
    smsc.send_mo(&mo(parts[0].clone())).unwrap();
    wait_metric(&gw, "simgate_sim_ota_por_total", "status=\"ok\"", 1.0);
    // A late copy of a part is a duplicate, not a second PoR.
    smsc.send_mo(&mo(parts[1].clone())).unwrap();
    wait_metric(&gw, "simgate_inbound_mo_total", "outcome=\"duplicate_part\"", 1.0);

    let record = side.records.get(&sim.iccid, 1).await.unwrap().unwrap();
    assert_eq!(record.state, WakeState::Por);
    assert_eq!(record.por_status.as_deref(), Some("ok"));
    assert_eq!(record.message_id, woken.message_id);

    // An ordinary MO from the same number after it: the one sms.mo.received
    // of that number (one number's MO keep their order).
    let after = format!("after the PoR {}", std::process::id());
    smsc.send_mo(&MoMessage {
        esm_class: 0,
        protocol_id: 0,
        data_coding: 1,
        ..mo(after.clone().into_bytes())
    })
    .unwrap();
    let mo_topic = simgate::events::Topic::SmsMo.name(&s.events.topic_prefix);
    let mut received = Vec::new();
    let seen = consume(&stack("SIMGATE__KAFKA__BROKERS"), &mo_topic, Duration::from_secs(30), |event| {
        if let EventData::SmsMoReceived(e) = event.data
            && event.instance == instance
        {
            received.push(e);
        }
        received.iter().any(|e| e.text.as_deref() == Some(after.as_str()))
    })
    .await;
    assert!(seen, "the ordinary MO arrived: {received:?}");
    assert_eq!(received.len(), 1, "no sms.mo.received for the PoR: {received:?}");

    let sim_topic = simgate::events::Topic::Sim.name(&s.events.topic_prefix);
    let mut pors = Vec::new();
    consume(&stack("SIMGATE__KAFKA__BROKERS"), &sim_topic, Duration::from_secs(5), |event| {
        if let EventData::SimOtaPor(e) = event.data
            && e.iccid == sim.iccid.as_str()
        {
            pors.push(e);
        }
        false
    })
    .await;
    assert_eq!(pors.len(), 1, "one sim.ota.por: {pors:?}");
    assert_eq!((pors[0].status.as_str(), pors[0].counter, pors[0].verified), ("ok", 1, true));

    let text = last_metrics(gw).await;
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"ok\""), 1.0, "{text}");
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"unverified\""), 0.0);
    assert_eq!(metric_sum_where(&text, "simgate_inbound_mo_total", "outcome=\"por_joined\""), 1.0);
    assert_eq!(metric_sum_where(&text, "simgate_inbound_mo_total", "outcome=\"received\""), 1.0);
    assert_eq!(metric_sum_where(&text, "simgate_inbound_answers_total", "outcome=\"retry\""), 0.0);
    smsc.shutdown().await;
}

/// An SMSC simulator and a gateway bound to it (account `run_tag(account)`,
/// instance `instance`) with the SIM side on and the applet listener on a
/// port of its own, plus `env`.
async fn sim_gateway(
    db: &str,
    account: &str,
    instance: &str,
    env: &[(&str, &str)],
) -> (SmscSim, support::Gateway) {
    let smsc = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 2 }],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut spec = GatewaySpec::new(&run_tag(account), smsc.local_addr().port(), db)
        .with("SIMGATE__SIM__ENABLED", "true")
        .with("SIMGATE__SIM__MASTER_KEY", MASTER)
        .with("SIMGATE__SIM__LISTEN", "127.0.0.1:0");
    for (key, value) in env {
        spec = spec.with(key, value);
    }
    spec.binds = 1;
    spec.max_binds = 2;
    let instance = instance.to_owned();
    let gw = tokio::task::spawn_blocking(move || {
        let gw = spec.start(&instance);
        wait_until(Duration::from_secs(20), "a bind up", || pipeline::bound(&gw) >= 1.0).unwrap();
        gw
    })
    .await
    .unwrap();
    (smsc, gw)
}

/// The gateway's metrics, scraped once more before it stops.
async fn last_metrics(gw: support::Gateway) -> String {
    tokio::task::spawn_blocking(move || {
        let text = metrics(&gw);
        drop(gw);
        text
    })
    .await
    .unwrap()
}

/// [`sim_gateway`] with wake-ups allowed every second, at most
/// `max_wakes` per command.
async fn rewake_gateway(db: &str, tag: &str, max_wakes: u32) -> (SmscSim, support::Gateway) {
    let max_wakes = max_wakes.to_string();
    let env = [
        ("SIMGATE__SIM__WAKE_MIN_INTERVAL", "1s"),
        ("SIMGATE__SIM__REWAKE_INTERVAL", "1s"),
        ("SIMGATE__SIM__MAX_WAKES", max_wakes.as_str()),
    ];
    sim_gateway(db, tag, &format!("{tag}-gw"), &env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_whose_wake_up_was_refused_is_woken_again_until_max_wakes() {
    use simgate::sim::commands::{CommandState, CommandStore};
    let db = run_tag("rewake");
    let s = settings(&db);
    let sims = import_sims(&db, 1);
    let sim = &sims[0];
    let (smsc, gw) = rewake_gateway(&db, "rewake", 3).await;

    // Another instance woke the SIM moments ago: the wake-up asked for
    // when the command is routed is refused.
    let redis = RedisHandle::new(&s.redis, &s.health).unwrap();
    let limits = WakeLimits::new(StateStore::new(redis, StateMetrics::default()), Duration::from_secs(3));
    assert_eq!(limits.try_take(&sim.iccid, "elsewhere").await.unwrap(), simgate::state::WakeTaken::Taken);
    let path = format!("/v1/sims/{}/commands", sim.iccid.as_str());
    let resp = support::http_send(gw.http, "POST", &path, &pipeline::auth(), r#"{"type":"ping","ttl":"1m"}"#)
        .unwrap();
    assert_eq!(resp.status, 202, "{}", resp.body);
    let id = resp.json()["command_id"].as_str().unwrap().to_owned();

    // The sweep wakes it once the limit lapsed, and again a second later,
    // each SMS a real wake-up packet with the next counter.
    let submits = wait_submits(&smsc, &sim.msisdn, 3).await;
    assert_eq!(submits.len(), 3, "three wake-up SMS reached the SMSC");
    for (n, sm) in submits.iter().enumerate() {
        assert_eq!((sm.protocol_id, sm.esm_class, sm.data_coding), (0x7F, 0x40, 0xF6));
        let opened = open_command_sms(&[&sm.short_message], &sim.keys.clone().into()).unwrap();
        assert_eq!(opened.counter.get(), n as u64 + 1);
    }

    // Then no more: sim.max_wakes is 3.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(ota_submits(&smsc, &sim.msisdn).len(), 3, "no wake-up past sim.max_wakes");
    let mongo = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let store = CommandStore::new(&mongo, "rewake-test", Duration::from_secs(3600));
    let command = store.find(&id).await.unwrap().unwrap();
    assert_eq!((command.state, command.wakes), (CommandState::Woken, 3), "{command:?}");
    assert!(command.woken_at.is_some() && command.wake_message_id.is_some(), "{command:?}");
    let (_, history) = store.get(&id).await.unwrap().unwrap();
    let details: Vec<_> = history.iter().filter_map(|h| h.detail.as_deref()).collect();
    assert_eq!(details.iter().filter(|d| d.starts_with("wake-up sent")).count(), 3, "{details:?}");

    let text = last_metrics(gw).await;
    assert_eq!(metric_sum_where(&text, "simgate_sim_wakes_total", "trigger=\"route\""), 0.0, "{text}");
    assert_eq!(metric_sum_where(&text, "simgate_sim_wakes_total", "trigger=\"sweep\""), 3.0, "{text}");
    assert!(metric_sum_where(&text, "simgate_sim_wakeups_failed_total", "reason=\"recently_woken\"") >= 1.0);
    // The SIM side's session registry counts into the one state store of
    // the process, registered once.
    assert_eq!(text.matches("# TYPE simgate_state_operations_total ").count(), 1, "{text}");
    assert!(metric_sum_where(&text, "simgate_state_operations_total", "op=\"presence_holder\"") >= 1.0);
    smsc.shutdown().await;
}

/// A waiting command as a simgate from before `wake_due_at` stored it: the
/// field absent (`new_document` leaves it out; `Dispatcher::submit` sets it).
fn command_without_due(
    store: &simgate::sim::commands::CommandStore,
    id: &str,
    iccid: &str,
    ttl: Duration,
) -> simgate::sim::commands::CommandDocument {
    let command = store.new_document(id, iccid, None, "ping", String::new(), ttl);
    assert_eq!(command.wake_due_at, None);
    command
}

#[tokio::test]
async fn commands_stored_without_wake_due_at_are_due_for_a_wake_up_first() {
    use simgate::sim::commands::{CommandState, CommandStore};
    let db = run_tag("rewake_old");
    let s = settings(&db);
    let mongo = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let store = CommandStore::new(&mongo, "rewake-old-test", Duration::from_secs(3600));
    store.ensure_indexes().await.unwrap();
    let hour = Duration::from_secs(3600);
    let ago = |secs: i64| {
        mongodb::bson::DateTime::from_millis(mongodb::bson::DateTime::now().timestamp_millis() - secs)
    };
    let mut docs = Vec::new();
    // Due: no field (queued, and woken once), and a passed wake_due_at.
    docs.push(command_without_due(&store, "old-queued", "8946000000000000001", hour));
    let mut woken = command_without_due(&store, "old-woken", "8946000000000000002", hour);
    (woken.state, woken.wakes) = (CommandState::Woken, 1);
    docs.push(woken);
    let mut passed = command_without_due(&store, "passed", "8946000000000000003", hour);
    passed.wake_due_at = Some(ago(5_000));
    docs.push(passed);
    // Not due: a wake_due_at to come, ended, expired, out of wake-ups.
    let mut later = command_without_due(&store, "later", "8946000000000000004", hour);
    later.wake_due_at = Some(mongodb::bson::DateTime::from_millis(ago(0).timestamp_millis() + 600_000));
    docs.push(later);
    let mut ended = command_without_due(&store, "old-delivered", "8946000000000000005", hour);
    ended.state = CommandState::Delivered;
    docs.push(ended);
    docs.push(command_without_due(&store, "old-expired", "8946000000000000006", Duration::ZERO));
    let mut spent = command_without_due(&store, "old-spent", "8946000000000000007", hour);
    (spent.state, spent.wakes) = (CommandState::Woken, 3);
    docs.push(spent);
    for d in &docs {
        store.insert(d).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;

    let due = store.due_for_wake(3, 64).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[2], "passed", "commands without the field come first: {ids:?}");
    assert_eq!(
        ids[..2].iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from(["old-queued", "old-woken"])
    );
    // Bounded by the limit, the missing field first.
    let one = store.due_for_wake(3, 1).await.unwrap();
    assert!(one.len() == 1 && one[0].id.starts_with("old-"), "{one:?}");
    // Once postponed (what the sweep does when it cannot wake), it is not due.
    assert!(
        store
            .postpone_wake(&due[0], mongodb::bson::DateTime::from_millis(ago(0).timestamp_millis() + 600_000))
            .await
            .unwrap()
    );
    let again: Vec<String> = store.due_for_wake(3, 64).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(!again.contains(&due[0].id), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_command_stored_without_wake_due_at_is_woken_by_the_sweep() {
    use simgate::sim::commands::{CommandState, CommandStore};
    let db = run_tag("rewake_old_e2e");
    let s = settings(&db);
    let sims = import_sims(&db, 1);
    let sim = &sims[0];
    // Stored by an older simgate, before this gateway starts.
    let mongo = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let store = CommandStore::new(&mongo, "rewake-old-test", Duration::from_secs(3600));
    let id = run_tag("old-cmd");
    let mut command = command_without_due(&store, &id, sim.iccid.as_str(), Duration::from_secs(600));
    command.msisdn = Some(sim.msisdn.clone());
    store.insert(&command).await.unwrap();

    let (smsc, gw) = rewake_gateway(&db, "rewakeold", 1).await;

    let submits = wait_submits(&smsc, &sim.msisdn, 1).await;
    assert_eq!(submits.len(), 1, "the sweep woke the SIM of the old command");
    let opened = open_command_sms(&[&submits[0].short_message], &sim.keys.clone().into()).unwrap();
    assert_eq!((opened.counter.get(), opened.tar), (1, sim.tar));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let command = loop {
        let c = store.find(&id).await.unwrap().unwrap();
        if c.state == CommandState::Woken || tokio::time::Instant::now() >= deadline {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((command.state, command.wakes), (CommandState::Woken, 1), "{command:?}");
    assert!(command.wake_due_at.is_some(), "the sweep gave it a next due time: {command:?}");
    // sim.max_wakes is 1: no second wake-up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(ota_submits(&smsc, &sim.msisdn).len(), 1);
    drop(gw);
    smsc.shutdown().await;
}

/// The keys of the triple DES SIM (fake, for this test only).
const DES_KIC: &str = "0123456789abcdeffedcba9876543210";
const DES_KID: &str = "89abcdef0123456776543210fedcba98";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim_with_only_a_3des_key_set_is_woken_and_its_por_verified_under_it() {
    use simgate::sim::listener::CredentialSource;
    use simgate::sim::secured::{CommandPacketView, KidAlgorithm, PacketKeys, ResponsePacketView};
    use simgate::sim::service::RegistryCredentials;
    use simgate::sim::{KeyAlgorithm, Tar};

    let db = run_tag("ota_des");
    let s = settings(&db);
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos();
    let body = format!("8946{:014}", nanos % 100_000_000_000_000);
    let iccid = Iccid::new(&format!("{body}{}", Iccid::check_digit(&body).unwrap())).unwrap();
    let msisdn = format!("44770{:07}", nanos % 10_000_000);
    let tar = Tar([0xB0, 0x00, 0x10]);
    let kvn = Kvn::new(3).unwrap();
    import_csv(
        &db,
        format!(
            "iccid,msisdn,imsi,tar,kvn,kic,kid,algorithm\n{},{msisdn},,B00010,3,{DES_KIC},{DES_KID},3des-2key\n",
            iccid.as_str()
        )
        .as_bytes(),
        1,
    );
    let (smsc, mut gw) = sim_gateway(&db, "otades", "otades-gw", &[]).await;
    let (gw, applet_addr) = tokio::task::spawn_blocking(move || {
        let applet_addr = gw.applet_addr();
        (gw, applet_addr)
    })
    .await
    .unwrap();
    let side = side(&s).await;

    // The registry hands the DES key set to the OTA side, and none to the
    // applet channel (AES only): the session would fail as for an unknown SIM.
    let credentials = side.registry.credentials(&iccid, kvn).await.unwrap().unwrap();
    assert_eq!(credentials.keys.algorithm(), KeyAlgorithm::TripleDes2Key);
    let listener_view = RegistryCredentials::new(side.registry.clone());
    assert_eq!(
        listener_view.credentials(&iccid, kvn).await.unwrap(),
        None,
        "a DES key set on the applet channel"
    );
    // An applet opening a session under that KVN, with the key set's
    // octets as AES-128 keys (the only keys the channel takes), is refused
    // like one of an unknown SIM: the DES keys are never used as AES ones.
    let applet = SimRecord {
        iccid: iccid.clone(),
        msisdn: msisdn.clone(),
        imsi: String::new(),
        tar,
        keys: simgate::sim::KeySet {
            kvn,
            kic: Some(simgate::sim::AesKey::from_hex(DES_KIC).unwrap()),
            kid: simgate::sim::AesKey::from_hex(DES_KID).unwrap(),
        },
    };
    let mut config = simgate::applet_sim::SwarmConfig::new(applet_addr, vec![applet]);
    config.backoff_min = Duration::from_millis(100);
    config.backoff_max = Duration::from_millis(300);
    let swarm = simgate::applet_sim::AppletSwarm::start(config).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while swarm.stats().handshake_failures.values().sum::<u64>() < 2 && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let summary = swarm.stop().await;
    assert_eq!(summary.sessions_opened, 0, "{}", summary.line());
    assert!(summary.handshake_failures.values().sum::<u64>() >= 2, "{}", summary.line());
    assert!(
        summary.handshake_failures.keys().all(|reason| reason == "bad_checksum"),
        "refused as an unknown SIM is: {}",
        summary.line()
    );

    let sent = side.waker.wake(&iccid).await.unwrap();
    let submits = wait_submits(&smsc, &msisdn, 1).await;
    assert_eq!(submits.len(), 1, "the serve instance submitted the wake-up");
    let sm = &submits[0];
    assert_eq!((sm.protocol_id, sm.esm_class, sm.data_coding), (0x7F, 0x40, 0xF6));
    // Read as a SIM would, from the octets and the DES keys alone.
    let user_data = &sm.short_message;
    assert_eq!(&user_data[..3], &[0x02, 0x70, 0x00]);
    let view = CommandPacketView::parse(&user_data[3..]).unwrap();
    assert_eq!(view.kic.0, 0x00, "not ciphered");
    assert_eq!(view.kid.0, 0x35, "TS 102 225 5.1.3: triple DES two keys (b4-b1 0101), KVN 3");
    assert_eq!(view.kid.algorithm(), KidAlgorithm::Des(simgate::sim::secured::DesMode::TripleDes2Key));
    let keys = PacketKeys::resolve(view.kic, view.kid, None, Some(DES_KID), None, None).unwrap();
    let opened = view.open_with(&keys, &simgate::sim::ota::COMMAND_AAD).unwrap();
    assert_eq!((opened.packet.counter.get(), opened.packet.tar, opened.checksum.len()), (1, tar, 8));
    assert_eq!(opened.packet.spi, WAKE_UP_SPI);
    let wrong = PacketKeys::resolve(view.kic, view.kid, None, Some(DES_KIC), None, None).unwrap();
    assert!(
        view.open_with(&wrong, &simgate::sim::ota::COMMAND_AAD).is_err(),
        "another key does not verify the CC"
    );

    // Its PoR, sealed with the DES keys by the SIM: verified and recorded.
    let response = ResponsePacket {
        tar,
        counter: Counter::new(1).unwrap(),
        status: ResponseStatus::PorOk,
        data: vec![],
    };
    let security = PorSecurity::for_command(WAKE_UP_SPI, view.kic, view.kid);
    let sealed = response.seal_with(&security, &keys, &simgate::sim::ota::RESPONSE_AAD).unwrap();
    let por = simgate::sim::ota::por_sms_octets(&sealed).unwrap();
    assert_eq!(ResponsePacketView::parse(&sealed).unwrap().checksum_len(), 8);
    assert_eq!(simgate::sim::ota::parse_por_sms(&por, &security, &credentials.keys), Ok(response.clone()));
    smsc.send_mo(&MoMessage {
        source_addr: msisdn.clone(),
        destination_addr: "OTA".to_owned(),
        esm_class: 0x40,
        protocol_id: 0x7F,
        data_coding: 0xF6,
        user_data: por,
    })
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let record = loop {
        let record = side.records.get(&iccid, 1).await.unwrap().unwrap();
        if record.state == WakeState::Por || tokio::time::Instant::now() >= deadline {
            break record;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(record.state, WakeState::Por, "{record:?}");
    assert_eq!(
        (record.por_status.as_deref(), record.message_id.as_str()),
        (Some("ok"), sent.message_id.as_str())
    );

    let topic = simgate::events::Topic::Sim.name(&s.events.topic_prefix);
    let mut por_event = None;
    let seen = consume(&stack("SIMGATE__KAFKA__BROKERS"), &topic, Duration::from_secs(30), |event| {
        if let EventData::SimOtaPor(e) = event.data
            && e.iccid == iccid.as_str()
        {
            por_event = Some(e);
        }
        por_event.is_some()
    })
    .await;
    assert!(seen, "sim.ota.por published");
    let e = por_event.unwrap();
    assert_eq!((e.status.as_str(), e.counter, e.verified), ("ok", 1, true));

    let text = last_metrics(gw).await;
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"ok\""), 1.0, "{text}");
    assert_eq!(metric_sum_where(&text, "simgate_sim_ota_por_total", "status=\"unverified\""), 0.0);
    smsc.shutdown().await;
}
