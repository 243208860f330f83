//! The SMS pipeline end to end: a `simgate serve` process with the local
//! stack (Redis, the Kafka-protocol broker, the MongoDB-wire server) binds
//! to the SMSC simulator, takes MT messages over the API, and settles them
//! with the simulator's receipts; MO messages from the simulator become
//! events.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::smsc_sim::{
    DelayRange, IdVariant, MessageIdStyle, MoPlan, ReceiptPlan, SimAccount, SimConfig, SmscSim,
};
use std::time::{Duration, Instant};
use support::{Gateway, http_get_with, http_send, metric_sum, stack, wait_until};

const API_KEY: &str = "test-key-0123456789abcdef";

fn sim_config() -> SimConfig {
    SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        receipts: ReceiptPlan {
            delay: DelayRange { min: Duration::from_millis(20), max: Duration::from_millis(150) },
            // Receipts that race their response, arrive on the other bind,
            // and carry the id in another form than submit_sm_resp did.
            before_resp_ratio: 0.2,
            other_bind_ratio: 0.3,
            id_variant: IdVariant::Decimal { width: 12 },
            ..ReceiptPlan::default()
        },
        message_ids: MessageIdStyle::Decimal,
        mo: Some(MoPlan { rate: 5.0, ..MoPlan::default() }),
        ..SimConfig::default()
    }
}

fn gateway_env(sim: &SmscSim, database: &str) -> Vec<(String, String)> {
    let port = sim.local_addr().port().to_string();
    // A fresh account name per run: correlation keys live per account, and
    // the simulator numbers its messages from 1 every run.
    let account = format!("e2e{}", std::process::id());
    let key = |k: &str| format!("SIMGATE__SMPP__ACCOUNTS__{}__{k}", account.to_uppercase());
    let mut env: Vec<(String, String)> = [
        ("SIMGATE__REDIS__URL".to_owned(), stack("SIMGATE__REDIS__URL")),
        ("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI")),
        ("SIMGATE__KAFKA__BROKERS".to_owned(), stack("SIMGATE__KAFKA__BROKERS")),
        ("SIMGATE__MONGO__DATABASE".to_owned(), database.to_owned()),
        ("SIMGATE__API__KEYS".to_owned(), API_KEY.to_owned()),
        (key("HOST"), "127.0.0.1".to_owned()),
        (key("PORT"), port),
        (key("SYSTEM_ID"), "simgate".to_owned()),
        (key("PASSWORD"), "pw".to_owned()),
        (key("BINDS"), "2".to_owned()),
        (key("MAX_BINDS"), "4".to_owned()),
        (key("WINDOW"), "20".to_owned()),
    ]
    .into_iter()
    .collect();
    env.push(("SIMGATE__SMS__MT_ACCOUNT".into(), account.clone()));
    env.push(("SIMGATE__SHUTDOWN__DRAIN_DELAY".into(), "100ms".into()));
    env
}

fn auth() -> [(&'static str, &'static str); 2] {
    [("Authorization", "Bearer test-key-0123456789abcdef"), ("Content-Type", "application/json")]
}

fn metrics(gw: &Gateway) -> String {
    gw.get("/metrics").map(|r| r.body).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mt_messages_are_delivered_and_mo_becomes_events() {
    let sim = SmscSim::start(sim_config()).await.unwrap();
    let env = gateway_env(&sim, &format!("e2e_mt_{}", std::process::id()));
    let results = tokio::task::spawn_blocking(move || {
        let mut gw = Gateway::start(&env);
        wait_until(Duration::from_secs(20), "two binds up", || {
            metric_sum(&metrics(&gw), "simgate_smpp_bind_up") == 2.0
        });

        // Bad requests are refused with the field named; no key, no entry.
        let bad = http_send(gw.http, "POST", "/v1/messages", &auth(), r#"{"destination":"12ab","source":"S","text":"x"}"#)
            .unwrap();
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert_eq!(bad.json()["field"], "destination");
        let unknown = http_send(gw.http, "POST", "/v1/messages", &auth(), r#"{"destination":"1555","colour":"red"}"#)
            .unwrap();
        assert_eq!(unknown.status, 400, "{}", unknown.body);
        // Fits in 255 Latin-1 parts but is longer than a stored message
        // may be in UTF-8: the request's fault, not the store's.
        let wide = serde_json::json!({
            "destination": "+15550000001",
            "source": "SIMGATE",
            "text": "\u{e9}".repeat(33_000),
            "encoding": "latin1",
        });
        let too_long = http_send(gw.http, "POST", "/v1/messages", &auth(), &wide.to_string()).unwrap();
        assert_eq!(too_long.status, 400, "{}", too_long.body);
        assert_eq!(too_long.json()["field"], "text");
        let anonymous = http_send(gw.http, "POST", "/v1/messages", &[], "{}").unwrap();
        assert_eq!(anonymous.status, 401);

        // 200 messages, some long (two parts), one repeated by idempotency key.
        let mut ids = Vec::new();
        for n in 0..200 {
            let text = if n % 10 == 0 { "long ".repeat(40) } else { format!("hello {n}") };
            let body = serde_json::json!({
                "destination": format!("+1555{n:07}"),
                "source": "SIMGATE",
                "text": text,
                "idempotency_key": format!("k-{n}"),
            })
            .to_string();
            let resp = http_send(gw.http, "POST", "/v1/messages", &auth(), &body).unwrap();
            assert_eq!(resp.status, 202, "{}", resp.body);
            ids.push(resp.json()["message_id"].as_str().unwrap().to_owned());
        }
        let again = serde_json::json!({"destination": "+15550000003", "source": "SIMGATE", "text": "hello 3", "idempotency_key": "k-3"});
        let repeat = http_send(gw.http, "POST", "/v1/messages", &auth(), &again.to_string()).unwrap();
        assert_eq!(repeat.json()["message_id"].as_str().unwrap(), ids[3], "the first result comes back");

        let mut states: Vec<String> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            states = ids
                .iter()
                .map(|id| {
                    http_get_with(gw.http, &format!("/v1/messages/{id}"), &auth())
                        .map(|r| r.json()["state"].as_str().unwrap_or_default().to_owned())
                        .unwrap_or_default()
                })
                .collect();
            if states.iter().all(|s| s == "delivered") {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        if !states.iter().all(|s| s == "delivered") {
            let mut counts = std::collections::BTreeMap::new();
            for s in &states {
                *counts.entry(s.clone()).or_insert(0) += 1;
            }
            let first = ids.iter().zip(&states).find(|(_, s)| *s != "delivered").map(|(id, _)| id.clone());
            let view = first.map(|id| http_get_with(gw.http, &format!("/v1/messages/{id}"), &auth()).unwrap().body);
            panic!("not all delivered: {counts:?}; first: {view:?}; metrics: {}", metrics(&gw));
        }
        let unknown_id = http_get_with(gw.http, "/v1/messages/0123456789abcdef0123456789abcdef", &auth()).unwrap();
        assert_eq!(unknown_id.status, 404);

        // MO from the simulator turned into events, each acknowledged.
        wait_until(Duration::from_secs(20), "MO messages received", || {
            metric_sum(&metrics(&gw), "simgate_inbound_mo_total") >= 5.0
        });
        let scrape = metrics(&gw);
        gw.signal("TERM");
        let exit = gw.wait_exit(Duration::from_secs(30));
        (scrape, exit)
    })
    .await
    .unwrap();
    let (scrape, exit) = results;
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
    let stats = sim.stats();
    // 180 one-part and 20 two-part messages, each part once.
    assert_eq!(stats.submits_accepted, 220, "{}", stats.line());
    assert_eq!(stats.duplicate_submits, 0, "{}", stats.line());
    assert!(metric_sum(&scrape, "simgate_inbound_receipts_total") >= 220.0, "{scrape}");
    sim.shutdown().await;
}
