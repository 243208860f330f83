//! Events on the real local stack: Tansu (Kafka protocol) and jongodb
//! (MongoDB wire). Events are published through `EventSink`, consumed back
//! with an rdkafka consumer, and broker outages are real: the tests that
//! stop a broker start a Tansu of their own (same binary and storage as
//! scripts/stack.sh) and SIGSTOP it, so the shared broker other tests use is
//! never paused. A guard resumes and ends it even when a test fails.
#![allow(clippy::unwrap_used)]

mod support;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use simgate::backends::mongo::MongoHandle;
use simgate::events::outbox::{Outbox, OutboxEntry};
use simgate::events::payload::MtSubmitted;
use simgate::events::{
    Durability, Event, EventData, EventKey, EventMetrics, EventOrigin, EventSink, EventType, SCHEMA_VERSION,
    Topic, relay,
};
use simgate::lifecycle::Shutdown;
use simgate::settings::Settings;
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, SystemTime};
use support::broker::PrivateBroker;
use support::{stack, stack_env};
use tokio::time::Instant;

const PARTITIONS: i32 = 3;

fn nanos() -> u128 {
    SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos()
}

/// Settings for the stack, with a topic prefix and database of this test's
/// own, and fast relay timing.
fn settings(tag: &str) -> Settings {
    let env = stack_env().into_iter().filter(|(k, _)| k.starts_with("SIMGATE__"));
    let mut s = Settings::load_from(None, env).unwrap();
    let id = nanos() % 1_000_000_000_000;
    s.events.topic_prefix = format!("t{tag}{id}.");
    s.mongo.database = format!("ev{tag}{id}");
    // Generous while the broker is up: a cold producer on a loaded machine
    // can take over a second for its first delivery, which would send it to
    // the outbox. The outage tests shorten it.
    s.events.delivery_timeout = Duration::from_secs(15);
    s.events.relay_interval = Duration::from_millis(200);
    s.events.relay_lease = Duration::from_secs(5);
    s
}

/// Creates every event topic under the settings' prefix on `broker`.
fn create_topics(broker: &str, s: &Settings) {
    for t in Topic::ALL {
        let out = Command::new(stack("SIMGATE_STACK_TANSU"))
            .args(["topic", "create", "--broker", &format!("tcp://{broker}"), "--partitions", "3"])
            .arg(t.name(&s.events.topic_prefix))
            .output()
            .unwrap();
        assert!(out.status.success(), "topic create: {}", String::from_utf8_lossy(&out.stderr));
    }
}

struct Harness {
    registry: prometheus_client::registry::Registry,
    sink: EventSink,
    outbox: Outbox,
    origin: EventOrigin,
    shutdown: Shutdown,
    settings: Settings,
}

/// Logs of the code under test, shown for failing tests (`RUST_LOG` picks
/// the level; warnings by default).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

async fn harness(s: Settings, instance: &str) -> Harness {
    init_logs();
    let mongo = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = EventMetrics::register(
        registry.sub_registry_with_prefix("simgate").sub_registry_with_prefix("events"),
    );
    let sink = EventSink::new(&s.events, &s.kafka, mongo.database(), instance.to_owned(), metrics).unwrap();
    let shutdown = Shutdown::new();
    relay::spawn(sink.clone(), &shutdown, Duration::from_secs(5));
    let outbox = Outbox::new(mongo.database(), s.events.outbox_retention);
    let origin = EventOrigin { region: s.instance.region.clone(), instance: instance.to_owned() };
    Harness { registry, sink, outbox, origin, shutdown, settings: s }
}

impl Harness {
    /// Event number `n` of `key`: its order is in `part`.
    fn event(&self, key: &str, n: u16) -> Event {
        self.origin.event(
            EventKey::new(key).unwrap(),
            EventData::SmsMtSubmitted(MtSubmitted {
                message_id: format!("m-{key}-{n}"),
                smsc_message_id: format!("s{n}"),
                destination: key.to_owned(),
                bind_id: "smsc-a.0".to_owned(),
                part: n,
                parts: u16::MAX,
            }),
        )
    }

    /// The metrics as `/metrics` shows them.
    fn metrics(&self) -> String {
        simgate::telemetry::render(&self.registry, simgate::telemetry::Exposition::OpenMetrics).unwrap()
    }

    /// Waits until the outbox is empty and the sink publishes directly.
    async fn wait_relayed(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.outbox.has_pending().await.unwrap() || self.sink.in_outbox_mode().await {
            assert!(Instant::now() < deadline, "outbox not relayed within {within:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn stop(self) {
        let left = self.shutdown.drain(Instant::now() + Duration::from_secs(15)).await;
        assert_eq!(left, 0, "relay did not end");
    }
}

/// One consumed record.
#[derive(Debug)]
struct Got {
    key: String,
    header_id: String,
    event: Event,
}

/// Reads the `sms.mt` topic from the beginning until `want` distinct event
/// ids arrived or `within` passed; returns everything read, in arrival
/// order per partition.
async fn consume(broker: &str, s: &Settings, want: usize, within: Duration) -> Vec<Got> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", format!("events-test-{}", nanos()))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let topic = Topic::SmsMt.name(&s.events.topic_prefix);
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(&topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut ids = HashSet::new();
    while ids.len() < want {
        let Ok(next) = tokio::time::timeout_at(deadline, consumer.recv()).await else { break };
        let m = next.unwrap();
        let header_id = m
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == "event_id").and_then(|h| h.value))
            .map(|v| String::from_utf8(v.to_vec()).unwrap())
            .unwrap_or_default();
        let event = Event::from_json(m.payload().unwrap()).unwrap();
        ids.insert(event.event_id);
        got.push(Got { key: String::from_utf8(m.key().unwrap().to_vec()).unwrap(), header_id, event });
    }
    got
}

fn part(e: &Event) -> u16 {
    match &e.data {
        EventData::SmsMtSubmitted(d) => d.part,
        other => panic!("unexpected payload {other:?}"),
    }
}

/// Every published event arrived; per key, the first arrival of each event
/// is in publish order; a repeat is the same event (same id, same content).
fn assert_complete_and_ordered(published: &[Event], got: &[Got]) {
    let by_id: HashMap<_, _> = published.iter().map(|e| (e.event_id, e)).collect();
    let mut first_seen: HashMap<String, Vec<u16>> = HashMap::new();
    let mut seen = HashSet::new();
    for g in got {
        let original = by_id.get(&g.event.event_id).unwrap_or_else(|| panic!("unknown event {:?}", g.event));
        assert_eq!(&g.event, *original, "a repeat carries the same event");
        assert_eq!(g.key, g.event.key.as_str(), "kafka key is the event key");
        assert_eq!(g.header_id, g.event.event_id.to_string());
        if seen.insert(g.event.event_id) {
            first_seen.entry(g.key.clone()).or_default().push(part(&g.event));
        }
    }
    let missing: Vec<_> =
        published.iter().filter(|e| !seen.contains(&e.event_id)).map(|e| (&e.key, part(e))).collect();
    assert!(missing.is_empty(), "{} events lost: {missing:?}", missing.len());
    for (key, parts) in first_seen {
        let mut sorted = parts.clone();
        sorted.sort_unstable();
        assert_eq!(parts, sorted, "events of {key} out of order");
    }
}

/// Publishes events number `range` for each key, keys in parallel, each
/// key's events one after the other (as one number's events happen).
async fn publish_all(
    h: &Harness,
    keys: &[String],
    range: std::ops::Range<u16>,
    pace: Duration,
) -> Vec<(Event, Durability)> {
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let events: Vec<Event> = range.clone().map(|n| h.event(key, n)).collect();
        let sink = h.sink.clone();
        tasks.spawn(async move {
            let mut out = Vec::new();
            for e in events {
                let d = sink.publish(&e).await.unwrap_or_else(|err| panic!("publish failed: {err}"));
                out.push((e, d));
                tokio::time::sleep(pace).await;
            }
            out
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.unwrap());
    }
    all
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+4477009{i:05}")).collect()
}

#[tokio::test]
async fn published_events_arrive_in_order_with_their_envelope() {
    let s = settings("rt");
    let broker = s.kafka.brokers.clone();
    create_topics(&broker, &s);
    let h = harness(s, "simgate-rt").await;
    let published = publish_all(&h, &keys(6), 0..10, Duration::ZERO).await;
    assert_eq!(published.len(), 60);
    for (e, d) in &published {
        assert!(
            matches!(d, Durability::Kafka { partition, .. } if (0..PARTITIONS).contains(partition)),
            "{e:?}: {d:?}"
        );
    }
    let events: Vec<Event> = published.into_iter().map(|(e, _)| e).collect();
    let got = consume(&broker, &h.settings, events.len(), Duration::from_secs(30)).await;
    assert_complete_and_ordered(&events, &got);
    let first = &got[0].event;
    assert_eq!(first.schema_version, SCHEMA_VERSION);
    assert_eq!(first.event_type, EventType::SmsMtSubmitted);
    assert_eq!(first.region, h.settings.instance.region);
    assert_eq!(first.instance, "simgate-rt");
    assert!(!h.outbox.has_pending().await.unwrap(), "nothing went to the outbox");
    h.stop().await;
}

#[tokio::test]
async fn broker_outage_goes_to_the_outbox_and_the_relay_delivers_everything_in_order() {
    let broker = PrivateBroker::start();
    let mut s = settings("out");
    s.events.delivery_timeout = Duration::from_secs(1);
    s.kafka.brokers = broker.addr.clone();
    create_topics(&broker.addr, &s);
    let h = harness(s, "simgate-out").await;
    let keys = keys(5);

    // Warm up: a new producer on a new broker may take longer than the
    // delivery timeout to connect, so the first events may go through the
    // outbox; once it is relayed, events go straight to Kafka.
    let mut before = publish_all(&h, &keys, 0..2, Duration::ZERO).await;
    h.wait_relayed(Duration::from_secs(30)).await;
    let direct = publish_all(&h, &keys, 2..3, Duration::ZERO).await;
    assert!(direct.iter().all(|(_, d)| matches!(d, Durability::Kafka { .. })), "{direct:?}");
    before.extend(direct);

    // Traffic while the broker is stopped for 6 s: every publish is durable.
    let during = {
        let _paused = broker.pause();
        let traffic = publish_all(&h, &keys, 3..23, Duration::from_millis(250));
        let (during, ()) = tokio::join!(traffic, tokio::time::sleep(Duration::from_secs(6)));
        during
    };
    let outboxed = during.iter().filter(|(_, d)| *d == Durability::Outbox).count();
    assert!(outboxed > 0, "the outage sent nothing to the outbox");

    // Traffic after it returns, then wait for the relay to empty the outbox.
    let after = publish_all(&h, &keys, 23..25, Duration::ZERO).await;
    h.wait_relayed(Duration::from_secs(60)).await;

    let events: Vec<Event> = before.into_iter().chain(during).chain(after).map(|(e, _)| e).collect();
    assert_eq!(events.len(), 5 * 25);
    let got = consume(&broker.addr, &h.settings, events.len(), Duration::from_secs(30)).await;
    assert_complete_and_ordered(&events, &got);
    h.stop().await;
}

#[tokio::test]
async fn a_full_in_flight_bound_makes_the_next_publisher_wait() {
    let broker = PrivateBroker::start();
    let mut s = settings("bp");
    s.kafka.brokers = broker.addr.clone();
    s.events.max_in_flight = 4;
    s.events.delivery_timeout = Duration::from_secs(2);
    create_topics(&broker.addr, &s);
    let h = harness(s, "simgate-bp").await;
    let warm = h.event("+447700900999", 0);
    assert!(matches!(h.sink.publish(&warm).await.unwrap(), Durability::Kafka { .. }));

    let paused = broker.pause();
    let started = Instant::now();
    let mut first_four = Vec::new();
    for i in 0..4 {
        let sink = h.sink.clone();
        let e = h.event(&format!("+44770090010{i}"), 0);
        first_four.push(tokio::spawn(async move { (sink.publish(&e).await, Instant::now()) }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.sink.in_flight(), 4);
    let sink = h.sink.clone();
    let e = h.event("+447700900200", 0);
    let fifth = tokio::spawn(async move { (sink.publish(&e).await, Instant::now()) });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!fifth.is_finished(), "the fifth publish did not wait for a slot");
    assert_eq!(h.sink.in_flight(), 4, "still only four in flight");

    // The fifth gets the slot the first of the four to finish frees; the
    // others may still be running then (they time out one by one).
    let mut first_freed: Option<Instant> = None;
    for t in first_four {
        let (result, at) = t.await.unwrap();
        assert_eq!(result.unwrap(), Durability::Outbox);
        first_freed = Some(first_freed.map_or(at, |f| f.min(at)));
    }
    let (result, at) = fifth.await.unwrap();
    assert_eq!(result.unwrap(), Durability::Outbox);
    assert!(at >= first_freed.unwrap(), "the fifth finished before a slot was free");
    assert!(started.elapsed() < Duration::from_secs(10), "publishes must end by the delivery timeout");
    drop(paused);
    h.stop().await;
}

#[tokio::test]
async fn drain_sends_new_events_to_the_outbox() {
    let s = settings("dr");
    create_topics(&s.kafka.brokers, &s);
    let h = harness(s, "simgate-dr").await;
    assert!(matches!(h.sink.publish(&h.event("+447700900300", 0)).await.unwrap(), Durability::Kafka { .. }));
    let report = h.sink.drain(Instant::now() + Duration::from_secs(5)).await;
    assert_eq!((report.in_flight, report.unflushed), (0, 0));
    let late = h.event("+447700900300", 1);
    assert_eq!(h.sink.publish(&late).await.unwrap(), Durability::Outbox);
    let pending = h.outbox.pending(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].event_id, late.event_id.to_string());
    assert_eq!(Event::from_json(pending[0].payload.as_bytes()).unwrap(), late);
    let metrics = h.metrics();
    for line in [
        r#"simgate_events_published_total{event_type="sms.mt.submitted",outcome="kafka"} 1"#,
        r#"simgate_events_published_total{event_type="sms.mt.submitted",outcome="outbox"} 1"#,
        "simgate_events_outbox_inserted_total 1",
        r#"simgate_events_publish_duration_seconds_count{outcome="kafka"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    h.stop().await;
}

fn entry(id: &str, seq: i64, instance: &str) -> OutboxEntry {
    OutboxEntry {
        event_id: id.to_owned(),
        seq,
        instance: instance.to_owned(),
        created_at: mongodb::bson::DateTime::now(),
        topic: "simgate.sms.mt".to_owned(),
        key: "+447700900400".to_owned(),
        event_type: "sms.mt.submitted".to_owned(),
        payload: "{}".to_owned(),
        relayed: false,
    }
}

#[tokio::test]
async fn outbox_writes_are_idempotent_ordered_and_the_lease_is_exclusive() {
    let s = settings("ob");
    let mongo = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let outbox = Outbox::new(mongo.database(), s.events.outbox_retention);
    outbox.ensure_indexes().await.unwrap();
    outbox.insert(&entry("c", 30, "b")).await.unwrap();
    outbox.insert(&entry("a", 10, "a")).await.unwrap();
    outbox.insert(&entry("b", 20, "a")).await.unwrap();
    let mut again = entry("a", 99, "a");
    again.payload = "{\"second\":true}".to_owned();
    outbox.insert(&again).await.unwrap();
    let pending = outbox.pending(10).await.unwrap();
    let ids: Vec<_> = pending.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"], "outbox order is seq order, one copy per event id");
    assert_eq!(pending[0].payload, "{}", "the first copy stays");
    assert_eq!(outbox.depth().await.unwrap(), 3);

    assert_eq!(outbox.mark_relayed(&["a".to_owned(), "b".to_owned()]).await.unwrap(), 2);
    let left: Vec<_> = outbox.pending(10).await.unwrap().into_iter().map(|e| e.event_id).collect();
    assert_eq!(left, ["c"]);

    let lease = Duration::from_secs(30);
    assert!(outbox.try_lease("one", lease).await.unwrap());
    assert!(!outbox.try_lease("two", lease).await.unwrap(), "a held lease is exclusive");
    assert!(outbox.try_lease("one", lease).await.unwrap(), "the holder renews");
    outbox.release_lease("two").await.unwrap();
    assert!(!outbox.try_lease("two", lease).await.unwrap(), "only the holder releases");
    outbox.release_lease("one").await.unwrap();
    assert!(outbox.try_lease("two", lease).await.unwrap(), "a released lease is free");
    assert!(!outbox.try_lease("one", lease).await.unwrap());
}
