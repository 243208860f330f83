//! The MT command topic and the `smpp` health component end to end: a
//! `simgate serve` process with the local stack and the SMSC simulator.
//! Commands produced to `simgate.sms.mt.command` become delivered
//! messages, once each (idempotency keys, keys derived from the record's
//! offset when there is none, also after a restart that reads the records
//! again); bad ones become `sms.mt.rejected`. A gateway whose SMSC is
//! missing reports `/health` down after the grace, stays ready, and is up
//! again once binds come.
#![allow(clippy::unwrap_used)]

mod support;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use simgate::events::{Event, EventData};
use simgate::smsc_sim::{DelayRange, ReceiptPlan, SimAccount, SimConfig, SmscSim};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};
use support::{Gateway, http_get_with, metric_sum, stack, wait_until};

const API_KEY: &str = "test-key-0123456789abcdef";
const COMMANDS: &str = "simgate.sms.mt.command";
const MT_EVENTS: &str = "simgate.sms.mt";
const PARTITIONS: i32 = 3;

fn nanos() -> u128 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos()
}

fn sim_config(listen: Option<std::net::SocketAddr>) -> SimConfig {
    let mut config = SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        receipts: ReceiptPlan {
            delay: DelayRange { min: Duration::from_millis(20), max: Duration::from_millis(100) },
            ..ReceiptPlan::default()
        },
        ..SimConfig::default()
    };
    if let Some(listen) = listen {
        config.listen = listen;
    }
    config
}

/// A run's names: the account, the database, the group and the instance.
struct Run {
    tag: String,
}

impl Run {
    fn new(what: &str) -> Self {
        Self { tag: format!("{what}{}x{}", std::process::id(), nanos() % 1_000_000_000) }
    }

    fn env(&self, smsc_port: u16) -> Vec<(String, String)> {
        let account = self.tag.clone();
        let key = |k: &str| format!("SIMGATE__SMPP__ACCOUNTS__{}__{k}", account.to_uppercase());
        [
            ("SIMGATE__REDIS__URL".to_owned(), stack("SIMGATE__REDIS__URL")),
            ("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI")),
            ("SIMGATE__KAFKA__BROKERS".to_owned(), stack("SIMGATE__KAFKA__BROKERS")),
            ("SIMGATE__MONGO__DATABASE".to_owned(), format!("cmd_{}", self.tag)),
            ("SIMGATE__API__KEYS".to_owned(), API_KEY.to_owned()),
            ("SIMGATE__INSTANCE__ID".to_owned(), self.tag.clone()),
            ("SIMGATE__SMS__MT_ACCOUNT".to_owned(), account.clone()),
            ("SIMGATE__SMS__COMMAND_GROUP".to_owned(), self.group()),
            ("SIMGATE__SMS__BIND_DOWN_GRACE".to_owned(), "2s".to_owned()),
            ("SIMGATE__SHUTDOWN__DRAIN_DELAY".to_owned(), "100ms".to_owned()),
            (key("HOST"), "127.0.0.1".to_owned()),
            (key("PORT"), smsc_port.to_string()),
            (key("SYSTEM_ID"), "simgate".to_owned()),
            (key("PASSWORD"), "pw".to_owned()),
            (key("BINDS"), "2".to_owned()),
            (key("MAX_BINDS"), "4".to_owned()),
            (key("RECONNECT_MIN"), "200ms".to_owned()),
            (key("RECONNECT_MAX"), "1s".to_owned()),
        ]
        .into_iter()
        .collect()
    }

    fn group(&self) -> String {
        format!("cmd-{}", self.tag)
    }
}

fn client(group: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", stack("SIMGATE__KAFKA__BROKERS"))
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000");
    c
}

/// Joins `group`, reads the topic to its end (until nothing came for 3s
/// once partitions are assigned) and commits: the gateway then sees only
/// this run's commands. Joining a group takes Tansu some seconds.
async fn skip_old_commands(group: &str) {
    let consumer: StreamConsumer = client(group).create().unwrap();
    consumer.subscribe(&[COMMANDS]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut read = 0;
    let mut idle_since = None;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(500), consumer.recv()).await {
            Ok(Ok(m)) => {
                read += 1;
                idle_since = None;
                consumer.commit_message(&m, CommitMode::Async).unwrap();
            }
            Ok(Err(e)) => panic!("reading old commands: {e}"),
            Err(_) => {
                let assigned = consumer.assignment().is_ok_and(|a| a.count() > 0);
                let idle = *idle_since.get_or_insert_with(Instant::now);
                if assigned && idle.elapsed() > Duration::from_secs(3) {
                    break;
                }
            }
        }
    }
    assert!(consumer.assignment().unwrap().count() > 0, "joined the group within 90s");
    eprintln!("skipped {read} older commands");
    tokio::task::spawn_blocking(move || {
        consumer.commit_consumer_state(CommitMode::Sync).unwrap_or_else(|e| eprintln!("final commit: {e}"));
        drop(consumer);
    })
    .await
    .unwrap();
}

/// Produces `value` keyed by `key`; where it landed.
async fn produce(producer: &FutureProducer, key: &str, value: &str) -> (i32, i64) {
    let delivered = producer
        .send(FutureRecord::to(COMMANDS).key(key).payload(value), Duration::from_secs(10))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    (delivered.partition, delivered.offset)
}

/// Every `sms.mt` event of `instance` seen within `within`, until `done`
/// says enough.
async fn mt_events(instance: &str, within: Duration, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
    let consumer: StreamConsumer = client(&format!("reader-{}", nanos())).create().unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(MT_EVENTS, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = HashSet::new();
    let mut got = Vec::new();
    while !done(&got) {
        let Ok(next) = tokio::time::timeout_at(deadline, consumer.recv()).await else { break };
        let m = next.unwrap();
        let Ok(event) = Event::from_json(m.payload().unwrap_or_default()) else { continue };
        if event.instance == instance && seen.insert(event.event_id) {
            got.push(event);
        }
    }
    got
}

fn accepted(events: &[Event]) -> BTreeMap<String, String> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SmsMtAccepted(a) => Some((a.request_id.clone()?, a.message_id.clone())),
            _ => None,
        })
        .collect()
}

fn rejected(events: &[Event]) -> Vec<simgate::events::payload::MtRejected> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SmsMtRejected(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn metrics(gw: &Gateway) -> String {
    gw.get("/metrics").map(|r| r.body).unwrap_or_default()
}

fn command(run: &Run, n: usize, key: Option<String>) -> String {
    let mut body = serde_json::json!({
        "destination": format!("+1666{n:07}"),
        "source": "SIMGATE",
        "text": format!("command {n}"),
        "request_id": format!("r-{}-{n}", run.tag),
    });
    if let Some(key) = key {
        body["idempotency_key"] = key.into();
    }
    body.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_become_messages_once_and_bad_ones_are_rejected() {
    let sim = SmscSim::start(sim_config(None)).await.unwrap();
    let run = Run::new("cmd");
    skip_old_commands(&run.group()).await;
    let producer: FutureProducer =
        ClientConfig::new().set("bootstrap.servers", stack("SIMGATE__KAFKA__BROKERS")).create().unwrap();

    // 10 with their own key, 5 keys sent twice, 10 without a key: 25
    // messages from 30 records; and two that cannot be sent.
    let mut placed: Vec<(i32, i64)> = Vec::new();
    let mut expected_requests = Vec::new();
    for n in 0..10 {
        placed.push(produce(&producer, "k", &command(&run, n, Some(format!("own-{}-{n}", run.tag)))).await);
        expected_requests.push(format!("r-{}-{n}", run.tag));
    }
    for n in 10..15 {
        let key = Some(format!("twice-{}-{n}", run.tag));
        placed.push(produce(&producer, "k", &command(&run, n, key.clone())).await);
        placed.push(produce(&producer, "k", &command(&run, n + 100, key)).await);
    }
    for n in 15..25 {
        placed.push(produce(&producer, &format!("k{n}"), &command(&run, n, None)).await);
        expected_requests.push(format!("r-{}-{n}", run.tag));
    }
    let bad_id = format!("bad-{}", run.tag);
    let bad = serde_json::json!({"destination": "12ab", "source": "S", "text": "x", "request_id": bad_id});
    placed.push(produce(&producer, "bad", &bad.to_string()).await);
    placed.push(produce(&producer, "bad", "this is not json").await);

    let env = run.env(sim.local_addr().port());
    let instance = run.tag.clone();
    let (ids, first_scrape) = {
        let env = env.clone();
        let instance = instance.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut gw = Gateway::start(&env);
            let events = handle.block_on(mt_events(&instance, Duration::from_secs(90), |got| {
                accepted(got).len() >= 25 && rejected(got).len() >= 2
            }));
            let ids = accepted(&events);
            let refused = rejected(&events);
            assert_eq!(ids.len(), 25, "one sms.mt.accepted per message: {ids:?}; metrics: {}", metrics(&gw));
            for n in expected_requests {
                assert!(ids.contains_key(&n), "{n} accepted");
            }
            let distinct: HashSet<&String> = ids.values().collect();
            assert_eq!(distinct.len(), 25, "a repeated key made no second message");
            assert_eq!(refused.len(), 2, "{refused:?}");
            let by_field: Vec<_> = refused.iter().map(|r| (r.field.clone(), r.request_id.clone())).collect();
            assert!(by_field.contains(&(Some("destination".into()), Some(bad_id.clone()))), "{by_field:?}");
            assert!(by_field.contains(&(None, None)), "the record that is no JSON: {by_field:?}");

            let auth = [("Authorization", "Bearer test-key-0123456789abcdef")];
            wait_until(Duration::from_secs(60), "every command's message delivered", || {
                ids.values().all(|id| {
                    http_get_with(gw.http, &format!("/v1/messages/{id}"), &auth)
                        .is_ok_and(|r| r.status == 200 && r.json()["state"] == "delivered")
                })
            });
            let scrape = metrics(&gw);
            gw.signal("TERM");
            assert!(gw.wait_exit(Duration::from_secs(30)).is_some_and(|s| s.success()), "clean exit");
            (ids, scrape)
        })
        .await
        .unwrap()
    };
    assert_eq!(metric_sum(&first_scrape, "simgate_mt_command_rejected_total"), 2.0, "{first_scrape}");
    let line = |outcome: &str| format!("simgate_mt_command_accepted_total{{outcome=\"{outcome}\"}}");
    assert_eq!(metric_sum(&first_scrape, &line("new")), 25.0, "{first_scrape}");
    assert_eq!(metric_sum(&first_scrape, &line("repeat")), 5.0, "{first_scrape}");
    assert_eq!(sim.stats().submits_accepted, 25, "{}", sim.stats().line());

    // As if the offsets had never been committed: the restarted gateway
    // reads every record again, and one new command after them.
    rewind(&run.group(), &placed).await;
    produce(&producer, "late", &command(&run, 99, None)).await;
    let late_id = format!("r-{}-99", run.tag);
    let second_scrape = tokio::task::spawn_blocking(move || {
        let mut gw = Gateway::start(&env);
        let new_line = line("new");
        wait_until(Duration::from_secs(90), "the records read again and the late command", || {
            let m = metrics(&gw);
            metric_sum(&m, &new_line) >= 1.0
                && metric_sum(&m, "simgate_mt_command_rejected_total") >= 2.0
                && metric_sum(&m, &line("repeat")) >= 30.0
        });
        std::thread::sleep(Duration::from_secs(1));
        let scrape = metrics(&gw);
        gw.signal("TERM");
        assert!(gw.wait_exit(Duration::from_secs(30)).is_some_and(|s| s.success()), "clean exit");
        scrape
    })
    .await
    .unwrap();
    assert_eq!(
        metric_sum(&second_scrape, &line("new")),
        1.0,
        "only the late command is new: {second_scrape}"
    );
    assert_eq!(metric_sum(&second_scrape, &line("repeat")), 30.0, "{second_scrape}");
    // Both runs' events: each request names one message, the first run's
    // the same as before.
    let events = mt_events(&instance, Duration::from_secs(30), |got| accepted(got).len() >= 26).await;
    let all = accepted(&events);
    assert_eq!(all.len(), 26, "{all:?}");
    assert!(all.contains_key(&late_id), "{all:?}");
    let per_request =
        events.iter().filter(|e| e.event_type == simgate::events::EventType::SmsMtAccepted).count();
    assert_eq!(per_request, 26, "one sms.mt.accepted per message over both runs");
    for (request, id) in &ids {
        assert_eq!(all.get(request), Some(id), "{request} still names its first message");
    }
    wait_until(Duration::from_secs(30), "the late command submitted", || sim.stats().submits_accepted == 26);
    assert_eq!(sim.stats().duplicate_submits, 0, "{}", sim.stats().line());
    sim.shutdown().await;
}

/// Commits, for `group`, each partition's offset back to the first of
/// `placed` records in it.
async fn rewind(group: &str, placed: &[(i32, i64)]) {
    let mut first: HashMap<i32, i64> = HashMap::new();
    for (p, o) in placed {
        let e = first.entry(*p).or_insert(*o);
        *e = (*e).min(*o);
    }
    let consumer: StreamConsumer = client(group).create().unwrap();
    let mut tpl = TopicPartitionList::new();
    for (p, o) in &first {
        tpl.add_partition_offset(COMMANDS, *p, Offset::Offset(*o)).unwrap();
    }
    let group = group.to_owned();
    tokio::task::spawn_blocking(move || {
        consumer.assign(&tpl).unwrap();
        consumer.commit(&tpl, CommitMode::Sync).unwrap();
        let committed = consumer.committed(Duration::from_secs(10)).unwrap();
        for e in committed.elements() {
            if let Some(o) = first.get(&e.partition()) {
                assert_eq!(e.offset(), Offset::Offset(*o), "{group} rewound");
            }
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_down_without_binds_and_up_once_they_come() {
    // A port nothing listens on yet: the SMSC is missing.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let run = Run::new("hlt");
    let mut env = run.env(port);
    env.push(("SIMGATE__SMS__COMMAND_TOPIC_ENABLED".into(), "false".into()));
    let gw = tokio::task::spawn_blocking(move || {
        let gw = Gateway::start(&env);
        let down = gw.wait_for("/health", Duration::from_secs(30), |r| {
            r.status == 503 && r.body.contains("0 of 2 binds up")
        });
        let reasons = down.json()["reasons"].clone();
        let want = format!("smpp: account {}: 0 of 2 binds up", run.tag);
        assert!(
            reasons.as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with(&want)),
            "{reasons}"
        );
        // The pod stays in its Service: binds do not decide readiness.
        let ready = gw.wait_for("/readyz", Duration::from_secs(30), |r| r.status == 200);
        assert_eq!(ready.json()["ready"], true, "{}", ready.body);
        gw
    })
    .await
    .unwrap();
    let listen = format!("127.0.0.1:{port}").parse().unwrap();
    let sim = SmscSim::start(sim_config(Some(listen))).await.unwrap();
    let gw = tokio::task::spawn_blocking(move || {
        let up = gw.wait_for("/health", Duration::from_secs(30), |r| r.status == 200);
        assert_eq!(up.body, r#"{"status":"UP"}"#);
        gw
    })
    .await
    .unwrap();
    drop(gw);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_without_a_bind_stays_up_while_the_region_holds_them() {
    let sim = SmscSim::start(sim_config(None)).await.unwrap();
    let port = sim.local_addr().port();
    let run = Run::new("rgn");
    let account = run.tag.to_uppercase();
    let env = |instance: &str| {
        let mut env = run.env(port);
        env.push(("SIMGATE__SMS__COMMAND_TOPIC_ENABLED".into(), "false".into()));
        // Two slots for two instances that want two binds each: one of
        // them holds none, by design.
        env.push((format!("SIMGATE__SMPP__ACCOUNTS__{account}__MAX_BINDS"), "2".into()));
        env.retain(|(k, _)| k != "SIMGATE__INSTANCE__ID");
        env.push(("SIMGATE__INSTANCE__ID".into(), format!("{}-{instance}", run.tag)));
        env
    };
    let (env_a, env_b) = (env("a"), env("b"));
    let (a, b) = tokio::task::spawn_blocking(move || {
        let a = Gateway::start(&env_a);
        wait_until(Duration::from_secs(20), "a holds both slots", || {
            metric_sum(&a.get("/metrics").map(|r| r.body).unwrap_or_default(), "simgate_smpp_bind_up") == 2.0
        });
        let b = Gateway::start(&env_b);
        // Well past b's 2 s grace without a bind of its own.
        std::thread::sleep(Duration::from_secs(5));
        assert_eq!(
            metric_sum(&b.get("/metrics").unwrap().body, "simgate_smpp_bind_up"),
            0.0,
            "b holds no slot"
        );
        let health = b.get("/health").unwrap();
        assert_eq!((health.status, health.body.as_str()), (200, r#"{"status":"UP"}"#));
        (a, b)
    })
    .await
    .unwrap();
    // The SMSC goes away: no instance of the region holds a bind, so both
    // report down (the reason to fail over to the other region).
    sim.shutdown().await;
    tokio::task::spawn_blocking(move || {
        for gw in [&a, &b] {
            let down = gw.wait_for("/health", Duration::from_secs(30), |r| r.status == 503);
            assert!(down.body.contains("none in the region"), "{}", down.body);
        }
    })
    .await
    .unwrap();
}
