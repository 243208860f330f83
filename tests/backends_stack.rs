//! The backend handles and health checks against the real servers of the
//! local stack (scripts/stack.sh): Redis, Tansu (Kafka protocol) and a
//! MongoDB-wire server. Nothing here is mocked.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::backends::Probe;
use simgate::backends::kafka::KafkaHandle;
use simgate::backends::mongo::MongoHandle;
use simgate::backends::redis::RedisHandle;
use simgate::settings::Settings;
use std::time::Duration;
use support::{Gateway, stack, stack_env};

fn stack_settings() -> Settings {
    let env = stack_env().into_iter().filter(|(k, _)| k.starts_with("SIMGATE__"));
    Settings::load_from(None, env).unwrap()
}

fn unique(tag: &str) -> String {
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos()
    )
}

/// Checks every half second, so tests see state changes quickly.
fn fast_checks() -> Vec<(String, String)> {
    vec![
        ("SIMGATE__HEALTH__CHECK_INTERVAL".to_owned(), "500ms".to_owned()),
        ("SIMGATE__HEALTH__CHECK_TIMEOUT".to_owned(), "400ms".to_owned()),
    ]
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn health_is_up_with_every_real_backend() {
    let env: Vec<_> = stack_env().into_iter().filter(|(k, _)| k.starts_with("SIMGATE__")).collect();
    let gw = Gateway::start(&[env, fast_checks()].concat());
    let resp = gw.wait_for("/health", Duration::from_secs(30), |r| r.status == 200);
    assert_eq!(resp.body, r#"{"status":"UP"}"#);
    let metrics = gw.get("/metrics").unwrap().body;
    for backend in ["redis", "mongo", "kafka"] {
        let line = format!("simgate_component_up{{component=\"{backend}\"}} 1");
        assert!(metrics.contains(&line), "{line} missing:\n{metrics}");
    }
}

#[test]
fn unreachable_backend_makes_health_down_and_names_it() {
    let mut env: Vec<_> = stack_env().into_iter().filter(|(k, _)| k.starts_with("SIMGATE__")).collect();
    env.push(("SIMGATE__REDIS__URL".into(), format!("redis://127.0.0.1:{}", closed_port())));
    env.extend(fast_checks());
    let gw = Gateway::start(&env);
    // The other backends come up; redis stays down and is the only reason.
    let resp = gw.wait_for("/health", Duration::from_secs(30), |r| {
        r.status == 503 && r.json()["reasons"].as_array().is_some_and(|a| a.len() == 1)
    });
    let reason = resp.json()["reasons"][0].as_str().unwrap().to_owned();
    assert!(reason.starts_with("redis: "), "{reason}");
    assert_eq!(gw.get("/readyz").unwrap().status, 503);
    let metrics = gw.get("/metrics").unwrap().body;
    assert!(metrics.contains("simgate_component_up{component=\"redis\"} 0"), "{metrics}");
    assert!(metrics.contains("simgate_backend_check_failures_total{backend=\"redis\"}"), "{metrics}");
}

#[tokio::test]
async fn redis_handle_round_trip_with_ttl() {
    let s = stack_settings();
    let handle = RedisHandle::new(&s.redis, &s.health).unwrap();
    handle.check().await.unwrap();
    let mut conn = handle.connection().await.unwrap();
    let key = unique("simgate:test");
    let _: () = redis::cmd("SET").arg(&key).arg("v").arg("EX").arg(60).query_async(&mut conn).await.unwrap();
    let got: String = redis::cmd("GET").arg(&key).query_async(&mut conn).await.unwrap();
    let ttl: i64 = redis::cmd("TTL").arg(&key).query_async(&mut conn).await.unwrap();
    assert_eq!(got, "v");
    assert!((1..=60).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn redis_check_fails_against_a_closed_port() {
    let mut s = stack_settings();
    s.redis.url = simgate::settings::SecretUrl::new(format!("redis://127.0.0.1:{}", closed_port()));
    let handle = RedisHandle::new(&s.redis, &s.health).unwrap();
    let err = handle.check().await.unwrap_err();
    assert!(!err.is_empty() && !err.contains('\n'), "{err}");
}

#[tokio::test]
async fn mongo_handle_round_trip_and_unique_index() {
    use mongodb::IndexModel;
    use mongodb::bson::{Document, doc};
    use mongodb::options::IndexOptions;
    let s = stack_settings();
    let handle = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    handle.check().await.unwrap();
    let coll = handle.database().collection::<Document>(&unique("selftest"));
    coll.create_index(
        IndexModel::builder()
            .keys(doc! { "key": 1 })
            .options(IndexOptions::builder().unique(true).build())
            .build(),
    )
    .await
    .unwrap();
    coll.insert_one(doc! { "key": "a", "n": 1 }).await.unwrap();
    let dup = coll.insert_one(doc! { "key": "a", "n": 2 }).await.unwrap_err();
    assert!(simgate::backends::mongo::is_duplicate_key(&dup), "{dup}");
    let other = coll.insert_one(doc! { "key": "b", "n": 3 }).await;
    assert!(other.is_ok(), "a different key is no duplicate: {other:?}");
    let found = coll.find_one(doc! { "key": "a" }).await.unwrap().unwrap();
    assert_eq!(found.get_i32("n").unwrap(), 1);
}

#[tokio::test]
async fn kafka_idempotent_producer_round_trip() {
    use rdkafka::ClientConfig;
    use rdkafka::Message;
    use rdkafka::TopicPartitionList;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::producer::FutureRecord;

    let s = stack_settings();
    let handle = KafkaHandle::new(&s.kafka, &s.health).unwrap();
    handle.check().await.unwrap();
    let topic = "simgate.selftest";
    let key = unique("key");
    let payload = unique("payload");
    let delivery = handle
        .producer()
        .send(FutureRecord::to(topic).key(&key).payload(&payload), Duration::from_secs(10))
        .await
        .map_err(|(e, _)| e)
        .unwrap();

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", stack("SIMGATE__KAFKA__BROKERS"))
        .set("group.id", unique("selftest"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, delivery.partition, rdkafka::Offset::Offset(delivery.offset)).unwrap();
    consumer.assign(&tpl).unwrap();
    let got = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
                if m.key() == Some(key.as_bytes()) {
                    return Some(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
                }
            }
        }
        None
    })
    .await
    .unwrap();
    assert_eq!(got.as_deref(), Some(payload.as_str()));
}
