//! Shared by the SMS pipeline scale and fault tests (`tests/sms_*.rs`,
//! which include it with `#[path]` next to `mod support`): gateway
//! settings for one SMSC account, MT traffic over keep-alive connections,
//! the message states straight from MongoDB, a private Tansu broker, and
//! a consumer of the event topics.
#![allow(dead_code, clippy::unwrap_used)]

use crate::support::{Gateway, HttpConn, metric_sum, stack};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use simgate::events::{Event, Topic};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The bearer key every test gateway takes.
pub const API_KEY: &str = "test-key-0123456789abcdef";

/// Request headers of an MT request.
pub fn auth() -> [(&'static str, &'static str); 2] {
    [("Authorization", "Bearer test-key-0123456789abcdef"), ("Content-Type", "application/json")]
}

/// A tag unique to this run (process id and clock), for account names,
/// databases and topic prefixes: correlation keys live per account and the
/// simulator numbers its messages from 1 every run.
pub fn run_tag(what: &str) -> String {
    let nanos = SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos() % 1_000_000_000;
    format!("{what}{}x{nanos}", std::process::id())
}

/// How a test gateway reaches its SMSC account and the backends.
#[derive(Debug, Clone)]
pub struct GatewaySpec {
    /// The account's name in the settings (a-z, 0-9, _).
    pub account: String,
    /// The simulator's port.
    pub sim_port: u16,
    /// The simulator account's system_id.
    pub system_id: String,
    /// MongoDB database of this run.
    pub database: String,
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// Binds this instance wants.
    pub binds: u32,
    /// The account's limit over all instances.
    pub max_binds: u32,
    /// Window per bind.
    pub window: u32,
    /// More `SIMGATE__...` settings, last wins.
    pub extra: Vec<(String, String)>,
}

impl GatewaySpec {
    /// An account `account` on the simulator at `sim_port` (system_id
    /// `simgate`, password `pw`), the stack's backends, `database`.
    pub fn new(account: &str, sim_port: u16, database: &str) -> Self {
        Self {
            account: account.to_owned(),
            sim_port,
            system_id: "simgate".to_owned(),
            database: database.to_owned(),
            brokers: stack("SIMGATE__KAFKA__BROKERS"),
            binds: 2,
            max_binds: 4,
            window: 20,
            extra: Vec::new(),
        }
    }

    /// Adds a setting.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.extra.push((key.to_owned(), value.to_owned()));
        self
    }

    /// A setting of the account (`BINDS`, `RESUBMIT_AFTER_DROP`, ...).
    pub fn account_key(&self, key: &str) -> String {
        format!("SIMGATE__SMPP__ACCOUNTS__{}__{key}", self.account.to_uppercase())
    }

    /// The environment of `simgate serve`.
    pub fn env(&self, instance: &str) -> Vec<(String, String)> {
        let k = |key: &str| self.account_key(key);
        let mut env: Vec<(String, String)> = vec![
            ("SIMGATE__INSTANCE__ID".into(), instance.into()),
            ("SIMGATE__REDIS__URL".into(), stack("SIMGATE__REDIS__URL")),
            ("SIMGATE__MONGO__URI".into(), stack("SIMGATE__MONGO__URI")),
            ("SIMGATE__MONGO__DATABASE".into(), self.database.clone()),
            ("SIMGATE__KAFKA__BROKERS".into(), self.brokers.clone()),
            ("SIMGATE__API__KEYS".into(), API_KEY.into()),
            ("SIMGATE__SMS__MT_ACCOUNT".into(), self.account.clone()),
            ("SIMGATE__SHUTDOWN__DRAIN_DELAY".into(), "100ms".into()),
            (k("HOST"), "127.0.0.1".into()),
            (k("PORT"), self.sim_port.to_string()),
            (k("SYSTEM_ID"), self.system_id.clone()),
            (k("PASSWORD"), "pw".into()),
            (k("BINDS"), self.binds.to_string()),
            (k("MAX_BINDS"), self.max_binds.to_string()),
            (k("WINDOW"), self.window.to_string()),
            (k("RECONNECT_MIN"), "100ms".into()),
            (k("RECONNECT_MAX"), "500ms".into()),
        ];
        env.extend(self.extra.iter().cloned());
        env
    }

    /// Starts one instance.
    pub fn start(&self, instance: &str) -> Gateway {
        Gateway::start(&self.env(instance))
    }
}

/// `/metrics` of a gateway (empty when it does not answer).
pub fn metrics(gw: &Gateway) -> String {
    gw.get("/metrics").map(|r| r.body).unwrap_or_default()
}

/// Binds bound now on a gateway (`simgate_smpp_bind_up`).
pub fn bound(gw: &Gateway) -> f64 {
    metric_sum(&metrics(gw), "simgate_smpp_bind_up")
}

/// Polls `pred` every 100 ms for up to `within`; `Err` says what did not
/// happen.
pub fn wait_until(within: Duration, what: &str, mut pred: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if pred() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} within {within:?}"))
}

/// The JSON body of MT message `n`: a unique text (the simulator counts a
/// repeated text as a duplicate), one part, a receipt asked for, and an
/// idempotency key, so a request sent again is one message.
pub fn mt_body(tag: &str, n: usize) -> String {
    serde_json::json!({
        "destination": format!("+1555{:07}", n % 10_000_000),
        "source": "SIMGATE",
        "text": format!("{tag} message {n}"),
        "registered_delivery": true,
        "idempotency_key": format!("{tag}-{n}"),
    })
    .to_string()
}

/// What [`post_all`] got back.
#[derive(Debug, Default)]
pub struct Posted {
    /// `(n, message id, gateway index)` of every 202.
    pub accepted: Vec<(usize, String, usize)>,
    /// Requests answered otherwise or not at all: `(n, what)`.
    pub refused: Vec<(usize, String)>,
}

/// Which gateway a request goes to; `None` skips it (counted in neither
/// list). Called with the message number and the thread.
pub type Route = Arc<dyn Fn(usize) -> Option<usize> + Send + Sync>;

/// Posts messages `0..count` with `threads` threads, each with one
/// keep-alive connection per gateway, message `n` to `route(n)`. Stops
/// early when `stop` is set or `within` has passed (what is left is
/// counted as refused); each request is bounded by the client's read
/// timeout (15 s).
pub fn post_all(
    targets: &[SocketAddr],
    count: usize,
    threads: usize,
    body: Arc<dyn Fn(usize) -> String + Send + Sync>,
    route: Route,
    stop: Arc<AtomicBool>,
    within: Duration,
) -> Posted {
    let deadline = Instant::now() + within;
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(Mutex::new(Posted::default()));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (next, out, body, route, stop) =
                (next.clone(), out.clone(), body.clone(), route.clone(), stop.clone());
            let targets = targets.to_vec();
            std::thread::spawn(move || {
                let mut conns: Vec<HttpConn> = targets.iter().map(|a| HttpConn::new(*a)).collect();
                let mut mine = Posted::default();
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    if Instant::now() >= deadline {
                        mine.refused.push((n, format!("not sent: posting took over {within:?}")));
                        continue;
                    }
                    let Some(g) = route(n) else { continue };
                    match conns[g].send("POST", "/v1/messages", &auth(), &body(n)) {
                        Ok(r) if r.status == 202 => {
                            let id = r.json()["message_id"].as_str().unwrap_or_default().to_owned();
                            mine.accepted.push((n, id, g));
                        }
                        Ok(r) => mine.refused.push((n, format!("{} {}", r.status, r.body))),
                        Err(e) => mine.refused.push((n, e.to_string())),
                    }
                }
                let mut all = out.lock().unwrap();
                all.accepted.extend(mine.accepted);
                all.refused.extend(mine.refused);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut posted = std::mem::take(&mut *out.lock().unwrap());
    posted.accepted.sort_unstable();
    posted
}

/// The stored messages of a run's database, read straight from MongoDB.
pub struct Messages {
    collection: mongodb::Collection<mongodb::bson::Document>,
}

/// One stored message: its state and its parts' states.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Message state.
    pub state: String,
    /// Part states in part order.
    pub parts: Vec<String>,
}

impl Messages {
    /// The `messages` collection of `database`.
    pub async fn open(database: &str) -> Self {
        let client = mongodb::Client::with_uri_str(stack("SIMGATE__MONGO__URI")).await.unwrap();
        Self { collection: client.database(database).collection("messages") }
    }

    /// Every message by id.
    pub async fn all(&self) -> BTreeMap<String, Stored> {
        use futures_util::StreamExt;
        let mut cursor = self
            .collection
            .find(mongodb::bson::doc! {})
            .projection(mongodb::bson::doc! {"state": 1, "parts": 1})
            .await
            .unwrap();
        let mut out = BTreeMap::new();
        while let Some(doc) = cursor.next().await {
            let doc = doc.unwrap();
            let id = doc.get_str("_id").unwrap_or_default().to_owned();
            let state = doc.get_str("state").unwrap_or_default().to_owned();
            let parts = doc
                .get_document("parts")
                .map(|p| {
                    p.iter()
                        .map(|(_, v)| {
                            v.as_document().and_then(|d| d.get_str("state").ok()).unwrap_or("").to_owned()
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.insert(id, Stored { state, parts });
        }
        out
    }

    /// How many messages `instance` holds a claim on.
    pub async fn claimed_by(&self, instance: &str) -> u64 {
        self.collection.count_documents(mongodb::bson::doc! {"claim.owner": instance}).await.unwrap()
    }
}

/// Counts of each value.
pub fn tally<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for v in values {
        *counts.entry(v.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Polls MongoDB until every id in `ids` has a state in `done`, for up to
/// `within`; returns the last read either way.
pub async fn wait_states(
    messages: &Messages,
    ids: &[String],
    done: &[&str],
    within: Duration,
) -> BTreeMap<String, Stored> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let all = messages.all().await;
        let finished = ids.iter().all(|id| all.get(id).is_some_and(|m| done.contains(&m.state.as_str())));
        if finished || tokio::time::Instant::now() >= deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Creates every event topic under `prefix` on `broker` (3 partitions).
pub fn create_topics(broker: &str, prefix: &str) {
    for t in Topic::ALL {
        let out = Command::new(stack("SIMGATE_STACK_TANSU"))
            .args(["topic", "create", "--broker", &format!("tcp://{broker}"), "--partitions", "3"])
            .arg(t.name(prefix))
            .output()
            .unwrap();
        assert!(out.status.success(), "topic create: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Reads topic `topic` (3 partitions) of `broker` from the beginning,
/// handing each event to `seen`, until `seen` returns `true` (enough) or
/// `within` passes. Returns whether it was enough.
pub async fn consume(
    broker: &str,
    topic: &str,
    within: Duration,
    mut seen: impl FnMut(Event) -> bool,
) -> bool {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", run_tag("scale-consumer"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, consumer.recv()).await else { return false };
        let Ok(m) = next else { continue };
        let Some(event) = m.payload().and_then(|p| Event::from_json(p).ok()) else { continue };
        if seen(event) {
            return true;
        }
    }
}
