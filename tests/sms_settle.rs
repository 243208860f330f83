//! Settling MT parts whose outcome was not known, end to end: a
//! `simgate serve` process on the local stack against the SMSC simulator.
//! The simulator answers many submits after the gateway's response
//! timeout; the late submit_sm_resp still settles those parts (the
//! receipts that overtook them are applied), nothing is sent twice, and a
//! message without a receipt is settled by query_sm. A message whose
//! validity passed before it was sent ends `expired` and never goes out.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::backends::mongo::MongoHandle;
use simgate::settings::Settings;
use simgate::smpp::receipt::MessageId as SmscMessageId;
use simgate::smsc_sim::{DelayRange, Latency, ReceiptPlan, SimAccount, SimConfig, SmscSim};
use simgate::store::{
    Content, Inserted, MessageId, MessageState, MessageStore, NewMessage, PartOutcome, PartState,
    StoreMetrics,
};
use std::time::{Duration, Instant};
use support::{Gateway, http_get_with, http_send, metric_sum, stack};

const API_KEY: &str = "test-key-0123456789abcdef";

fn auth() -> [(&'static str, &'static str); 2] {
    [("Authorization", "Bearer test-key-0123456789abcdef"), ("Content-Type", "application/json")]
}

/// The gateway's settings for account `account` on `port`, database `db`,
/// with the response timeout far below the simulator's slowest answers.
fn gateway_env(port: u16, account: &str, db: &str) -> Vec<(String, String)> {
    let key = |k: &str| format!("SIMGATE__SMPP__ACCOUNTS__{}__{k}", account.to_uppercase());
    [
        ("SIMGATE__REDIS__URL".to_owned(), stack("SIMGATE__REDIS__URL")),
        ("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI")),
        ("SIMGATE__KAFKA__BROKERS".to_owned(), stack("SIMGATE__KAFKA__BROKERS")),
        ("SIMGATE__MONGO__DATABASE".to_owned(), db.to_owned()),
        ("SIMGATE__API__KEYS".to_owned(), API_KEY.to_owned()),
        (key("HOST"), "127.0.0.1".to_owned()),
        (key("PORT"), port.to_string()),
        (key("SYSTEM_ID"), "simgate".to_owned()),
        (key("PASSWORD"), "pw".to_owned()),
        (key("BINDS"), "2".to_owned()),
        (key("MAX_BINDS"), "4".to_owned()),
        (key("WINDOW"), "20".to_owned()),
        (key("RESPONSE_TIMEOUT"), "300ms".to_owned()),
        (key("RECONNECT_MAX"), "2s".to_owned()),
        ("SIMGATE__SMS__MT_ACCOUNT".to_owned(), account.to_owned()),
        ("SIMGATE__SMS__NO_RECEIPT_WAIT".to_owned(), "1s".to_owned()),
        ("SIMGATE__SMS__QUERY_INTERVAL".to_owned(), "500ms".to_owned()),
        ("SIMGATE__SMS__RESOLVER_INTERVAL".to_owned(), "200ms".to_owned()),
        ("SIMGATE__SHUTDOWN__DRAIN_DELAY".to_owned(), "100ms".to_owned()),
    ]
    .into_iter()
    .collect()
}

/// A name no other run uses: correlation keys live per account, and the
/// simulator numbers its messages from 1 every run.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos() % 1_000_000_000;
    format!("{tag}{}x{nanos}", std::process::id())
}

async fn store_on(db: &str) -> MessageStore {
    let env = vec![("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI"))];
    let s = Settings::load_from(None, env).unwrap();
    let mut mongo = s.mongo.clone();
    mongo.database = db.to_owned();
    let handle = MongoHandle::new(&mongo, &s.health).await.unwrap();
    MessageStore::new(&handle, &s.store, "test", StoreMetrics::default())
}

/// A message stored as the API would, whose validity ended a minute ago.
async fn insert_expired(store: &MessageStore, text: &str) -> MessageId {
    let past =
        mongodb::bson::DateTime::from_millis(mongodb::bson::DateTime::now().timestamp_millis() - 60_000);
    insert(store, text, Some(past)).await
}

/// A message stored as the API would.
async fn insert(store: &MessageStore, text: &str, validity: Option<mongodb::bson::DateTime>) -> MessageId {
    let new = NewMessage {
        id: None,
        idempotency_key: None,
        source: "SIMGATE".to_owned(),
        destination: "15550001111".to_owned(),
        content: Content::Text { text: text.to_owned() },
        data_coding: 0,
        registered_delivery: true,
        validity,
        priority: 0,
        parts_total: 1,
    };
    match store.insert_accepted(&new).await.unwrap() {
        Inserted::New(r) => r.id,
        other => panic!("expected a new message, got {other:?}"),
    }
}

fn state_of(gw: &Gateway, id: &str) -> String {
    http_get_with(gw.http, &format!("/v1/messages/{id}"), &auth())
        .map(|r| r.json()["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

fn metrics(gw: &Gateway) -> String {
    gw.get("/metrics").map(|r| r.body).unwrap_or_default()
}

/// Waits until every message in `ids` is `want`; panics with the states
/// and the first straggler's view otherwise.
fn wait_all(gw: &Gateway, ids: &[String], want: &str, within: Duration) {
    let deadline = Instant::now() + within;
    let mut states = Vec::new();
    while Instant::now() < deadline {
        states = ids.iter().map(|id| state_of(gw, id)).collect();
        if states.iter().all(|s| s == want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut counts = std::collections::BTreeMap::new();
    for s in &states {
        *counts.entry(s.clone()).or_insert(0) += 1;
    }
    let first = ids.iter().zip(&states).find(|(_, s)| *s != want).map(|(id, _)| id.clone());
    let view = first.map(|id| http_get_with(gw.http, &format!("/v1/messages/{id}"), &auth()).unwrap().body);
    panic!("not all {want}: {counts:?}; first: {view:?}; metrics: {}", metrics(gw));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_answers_and_query_sm_settle_every_part_without_a_duplicate() {
    let sim = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        // About half of the answers come after the gateway's 300 ms.
        latency: Latency::Uniform { min: Duration::from_millis(10), max: Duration::from_millis(700) },
        // Receipts often overtake the late answers.
        receipts: ReceiptPlan {
            delay: DelayRange { min: Duration::from_millis(20), max: Duration::from_millis(200) },
            ..ReceiptPlan::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let db = unique("settle_");
    let expired = insert_expired(&store_on(&db).await, "too late").await;
    let env = gateway_env(sim.local_addr().port(), &unique("st"), &db);
    let (with_receipt, without_receipt, scrape, exit) = tokio::task::spawn_blocking(move || {
        let mut gw = Gateway::start(&env);
        let post = |n: usize, receipt: bool| {
            let body = serde_json::json!({
                "destination": format!("+1555{n:07}"),
                "source": "SIMGATE",
                "text": format!("settle {n}"),
                "registered_delivery": receipt,
            });
            let resp = http_send(gw.http, "POST", "/v1/messages", &auth(), &body.to_string()).unwrap();
            assert_eq!(resp.status, 202, "{}", resp.body);
            resp.json()["message_id"].as_str().unwrap().to_owned()
        };
        let with_receipt: Vec<String> = (0..60).map(|n| post(n, true)).collect();
        let without_receipt: Vec<String> = (60..70).map(|n| post(n, false)).collect();
        wait_all(&gw, &with_receipt, "delivered", Duration::from_secs(60));
        wait_all(&gw, &without_receipt, "delivered", Duration::from_secs(60));
        wait_all(&gw, &[expired.to_string()], "expired", Duration::from_secs(20));
        let scrape = metrics(&gw);
        gw.signal("TERM");
        let exit = gw.wait_exit(Duration::from_secs(30));
        (with_receipt, without_receipt, scrape, exit)
    })
    .await
    .unwrap();
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
    let stats = sim.stats();
    let sent = (with_receipt.len() + without_receipt.len()) as u64;
    assert_eq!(stats.submits_accepted, sent, "each part once, the expired one never: {}", stats.line());
    assert_eq!(stats.duplicate_submits, 0, "{}", stats.line());
    let late = metric_sum(&scrape, "simgate_settle_late_answers_total{outcome=\"accepted\"}");
    assert!(late >= 5.0, "some answers came late and settled their parts: {scrape}");
    let queried = metric_sum(&scrape, "simgate_settle_queries_total{outcome=\"final\"}");
    assert!(
        queried >= without_receipt.len() as f64,
        "query_sm settled the messages without receipt: {scrape}"
    );
    assert!(metric_sum(&scrape, "simgate_settle_expired_total") >= 1.0, "{scrape}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_past_its_validity_with_no_bind_up_ends_expired() {
    // Nothing listens on this port: no bind ever comes up.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let db = unique("expire_");
    let store = store_on(&db).await;
    let id = insert_expired(&store, "nobody sends me").await;
    let env = gateway_env(port, &unique("ex"), &db);
    let (state, scrape, exit) = tokio::task::spawn_blocking(move || {
        let mut gw = Gateway::start(&env);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut state = String::new();
        while Instant::now() < deadline && state != "expired" {
            state = state_of(&gw, id.as_str());
            std::thread::sleep(Duration::from_millis(100));
        }
        let scrape = metrics(&gw);
        gw.signal("TERM");
        (state, scrape, gw.wait_exit(Duration::from_secs(30)))
    })
    .await
    .unwrap();
    assert_eq!(state, "expired", "{scrape}");
    assert_eq!(metric_sum(&scrape, "simgate_smpp_bind_up"), 0.0, "no bind was up: {scrape}");
    assert!(metric_sum(&scrape, "simgate_settle_expired_total") >= 1.0, "{scrape}");
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_answered_only_after_the_late_window_ends_unknown_for_good_and_is_not_resent() {
    let sim = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        latency: Latency::Fixed { delay: Duration::from_secs(3) },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let account = unique("gu");
    let mut env = gateway_env(sim.local_addr().port(), &account, &unique("giveup_"));
    env.push((
        format!("SIMGATE__SMPP__ACCOUNTS__{}__LATE_RESPONSE_WINDOW", account.to_uppercase()),
        "1s".into(),
    ));
    let (states, scrape, exit) = tokio::task::spawn_blocking(move || {
        let mut gw = Gateway::start(&env);
        let ids: Vec<String> = (0..3)
            .map(|n| {
                let body = serde_json::json!({"destination": format!("+1666{n:07}"), "source": "SIMGATE", "text": "slow"});
                let resp = http_send(gw.http, "POST", "/v1/messages", &auth(), &body.to_string()).unwrap();
                assert_eq!(resp.status, 202, "{}", resp.body);
                resp.json()["message_id"].as_str().unwrap().to_owned()
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut scrape = metrics(&gw);
        while Instant::now() < deadline
            && metric_sum(&scrape, "simgate_settle_given_up_total{outcome=\"no_late_answer\"}") < 3.0
        {
            std::thread::sleep(Duration::from_millis(200));
            scrape = metrics(&gw);
        }
        let states: Vec<String> = ids.iter().map(|id| state_of(&gw, id)).collect();
        // The API tells a part given up from one still being resolved.
        let shown = http_get_with(gw.http, &format!("/v1/messages/{}", ids[0]), &auth()).unwrap().json();
        assert_eq!(shown["parts"][0]["state"], "unknown", "{shown}");
        assert_eq!(shown["parts"][0]["given_up"], true, "{shown}");
        gw.signal("TERM");
        (states, scrape, gw.wait_exit(Duration::from_secs(30)))
    })
    .await
    .unwrap();
    assert_eq!(
        metric_sum(&scrape, "simgate_settle_given_up_total{outcome=\"no_late_answer\"}"),
        3.0,
        "{scrape}"
    );
    assert_eq!(states, vec!["unknown"; 3]);
    assert!(metric_sum(&scrape, "simgate_settle_late_answers_total{outcome=\"none\"}") >= 3.0, "{scrape}");
    let stats = sim.stats();
    assert_eq!(stats.submits_accepted, 3, "never resent: {}", stats.line());
    assert_eq!(stats.duplicate_submits, 0, "{}", stats.line());
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn query_rounds_are_counted_and_a_given_up_part_is_final() {
    let store = store_on(&unique("settle_store_")).await;
    let id = insert(&store, "asked about", None).await;
    store.record_part_sending(&id, 1).await.unwrap();
    let smsc = SmscMessageId::new("5f3a").unwrap();
    store.record_part_submitted(&id, 1, &smsc, 0).await.unwrap();

    let claimed = store.claim_for_settle(Duration::ZERO, Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), vec![id.clone()]);
    let again = store.claim_for_settle(Duration::ZERO, Duration::from_secs(30), 10).await.unwrap();
    assert!(again.is_empty(), "claimed once: {again:?}");

    store.record_query(&id, 1, false).await.unwrap();
    store.record_query(&id, 1, true).await.unwrap();
    let part = store.get(&id).await.unwrap().unwrap().message.part(1).cloned().unwrap();
    assert_eq!((part.queries, part.query_failures, part.state), (2, 1, PartState::Submitted));
    assert!(part.queried_at.is_some() && !part.is_final());

    let gave_up = store.give_up_part(&id, 1, "query_sm answered ESME_RQUERYFAIL, 3 times").await.unwrap();
    assert_eq!(gave_up, PartOutcome::Applied { part: PartState::Unknown, message: MessageState::Unknown });
    let view = store.get(&id).await.unwrap().unwrap();
    let part = view.message.part(1).cloned().unwrap();
    assert!(part.given_up && part.is_final() && part.final_at.is_some());
    // Final: neither a late receipt nor a second give-up changes it.
    let late = store
        .apply_receipt(&id, 1, PartState::Delivered, None, mongodb::bson::DateTime::now())
        .await
        .unwrap();
    assert_eq!(late, PartOutcome::AlreadyFinal { current: PartState::Unknown });
    assert!(matches!(store.give_up_part(&id, 1, "again").await.unwrap(), PartOutcome::AlreadyFinal { .. }));

    // Nothing left to settle: never claimed again.
    store.settle_next(&id, None).await.unwrap();
    assert!(store.claim_for_settle(Duration::ZERO, Duration::from_secs(30), 10).await.unwrap().is_empty());
    // A pending part past its validity is expired; one with validity left is not.
    let old = insert_expired(&store, "old").await;
    let fresh = insert(
        &store,
        "fresh",
        Some(mongodb::bson::DateTime::now().saturating_add_duration(Duration::from_secs(3600))),
    )
    .await;
    let due = store.claim_expired(Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(due.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), vec![old.clone()], "{fresh}");
    let expired = store.record_part_expired(&old, 1, "validity passed").await.unwrap();
    assert_eq!(expired, PartOutcome::Applied { part: PartState::Expired, message: MessageState::Expired });
}
