//! The SMS pipeline at scale: 10,000 MT messages with receipts through two
//! `simgate serve` processes sharing one SMSC account whose limit is 4
//! binds (each instance wants 3), while the Kafka-protocol broker stops for
//! 20 seconds in the middle of the traffic.
//!
//! The broker is a private Tansu (the stack's shared one serves other test
//! binaries in parallel) and the outage is SIGSTOP, then SIGCONT: the
//! broker's storage is in memory, so a stop and restart would lose what it
//! had taken; a stopped process is also the harder case for the gateway,
//! since its connections stay open and answer nothing, so every request
//! runs into its timeout rather than a quick connection refusal.
#![allow(clippy::unwrap_used)]

#[path = "support/pipeline.rs"]
mod pipeline;
mod support;

use support::broker::PrivateBroker;

use pipeline::{
    GatewaySpec, Messages, bound, consume, create_topics, metrics, mt_body, post_all, run_tag, tally,
    wait_states, wait_until,
};
use simgate::events::{EventData, EventType, Topic};
use simgate::smsc_sim::{DelayRange, ReceiptPlan, SimAccount, SimConfig, SmscSim};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{Gateway, http_get, metric_sum, metric_sum_where};

/// The count the test command runs with. The issue asks for 10,000; the
/// local stack's MongoDB-wire server (jongodb 0.1.6) slows faster than
/// linearly as a collection grows (an insert takes 0.9 ms at 300 documents,
/// 38 ms at 2,000, over 270 ms at 5,000; docs/local-stack.md), so 10,000
/// would not finish. Every assertion is the same at any count.
const DEFAULT_MESSAGES: usize = 400;

/// Messages sent; `SIMGATE_SCALE_MESSAGES` may change it (e.g. 10000
/// against a faster MongoDB).
fn message_count() -> usize {
    std::env::var("SIMGATE_SCALE_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MESSAGES)
}

/// How long the broker stays stopped; `SIMGATE_SCALE_OUTAGE_SECS` may
/// change it for a local run.
fn outage() -> Duration {
    Duration::from_secs(
        std::env::var("SIMGATE_SCALE_OUTAGE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(20),
    )
}

/// The simulator's stats and each gateway's last log lines.
fn diagnostics(sim: &SmscSim, gateways: &mut [Gateway]) -> String {
    let mut out = format!("simulator: {}", sim.stats().line());
    for (i, gw) in gateways.iter_mut().enumerate() {
        out.push_str(&format!("\n--- gateway {i} last log lines:\n{}", gw.last_logs(40)));
    }
    out
}

/// Samples both gateways' bound binds every 200 ms until stopped; returns
/// the most each held at once and the most seen together.
fn watch_binds(addrs: [SocketAddr; 2], stop: Arc<AtomicBool>) -> std::thread::JoinHandle<[f64; 3]> {
    std::thread::spawn(move || {
        let mut most = [0.0f64; 3];
        while !stop.load(Ordering::Relaxed) {
            let up: Vec<f64> = addrs
                .iter()
                .map(|a| {
                    http_get(*a, "/metrics")
                        .map(|r| metric_sum(&r.body, "simgate_smpp_bind_up"))
                        .unwrap_or(0.0)
                })
                .collect();
            most[0] = most[0].max(up[0]);
            most[1] = most[1].max(up[1]);
            most[2] = most[2].max(up[0] + up[1]);
            std::thread::sleep(Duration::from_millis(200));
        }
        most
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_through_two_instances_survive_a_broker_outage() {
    let count = message_count();
    let started = Instant::now();
    let broker = PrivateBroker::start();
    create_topics(&broker.addr, "simgate.");
    let sim = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        receipts: ReceiptPlan {
            delay: DelayRange { min: Duration::from_millis(20), max: Duration::from_millis(200) },
            // Receipts that race their response and that arrive on a bind
            // of the other instance.
            before_resp_ratio: 0.1,
            other_bind_ratio: 0.3,
            ..ReceiptPlan::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let tag = run_tag("scale");
    let mut spec = GatewaySpec::new(&tag, sim.local_addr().port(), &tag)
        .with("SIMGATE__EVENTS__DELIVERY_TIMEOUT", "2s")
        .with("SIMGATE__EVENTS__RELAY_INTERVAL", "200ms")
        .with("SIMGATE__EVENTS__RELAY_LEASE", "5s");
    spec.brokers = broker.addr.clone();
    spec.binds = 3;
    spec.window = 50;

    let (gateways, setup) = tokio::task::spawn_blocking(move || {
        let mut a = spec.start("scale-a");
        let mut b = spec.start("scale-b");
        let up = wait_until(Duration::from_secs(30), "4 binds up over both instances", || {
            bound(&a) + bound(&b) == 4.0
        });
        if let Err(e) = up {
            panic!("{e}: a={} b={}\n{}\n{}", bound(&a), bound(&b), a.last_logs(20), b.last_logs(20));
        }
        ([a, b], started.elapsed())
    })
    .await
    .unwrap();
    let mut gateways = gateways;
    eprintln!("8 binds wanted, 4 up after {setup:?}");
    let addrs = [gateways[0].http, gateways[1].http];
    let watch_stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_binds(addrs, watch_stop.clone());

    // Traffic: 8 threads, keep-alive, the two instances in turn.
    let progress = Arc::new(AtomicUsize::new(0));
    let traffic = {
        let progress = progress.clone();
        let tag = tag.clone();
        tokio::task::spawn_blocking(move || {
            let posting = Instant::now();
            let route = Arc::new(move |n: usize| {
                progress.fetch_max(n, Ordering::Relaxed);
                if n % 1000 == 0 {
                    eprintln!("message {n} leaves {:?} into the traffic", posting.elapsed());
                }
                Some(n % 2)
            });
            let body = Arc::new(move |n: usize| mt_body(&tag, n));
            post_all(
                &addrs,
                count,
                8,
                body,
                route,
                Arc::new(AtomicBool::new(false)),
                Duration::from_secs(150),
            )
        })
    };
    // The outage, a third of the way in.
    let traffic_started = Instant::now();
    while progress.load(Ordering::Relaxed) < count / 3 && !traffic.is_finished() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let paused_at = progress.load(Ordering::Relaxed);
    eprintln!("broker stopped at message {paused_at}, {:?} into the traffic", traffic_started.elapsed());
    broker.signal("STOP");
    tokio::time::sleep(outage()).await;
    broker.signal("CONT");
    let resumed_at = progress.load(Ordering::Relaxed);
    let posted = traffic.await.unwrap();
    let posting = traffic_started.elapsed();
    eprintln!(
        "posted {} of {count} in {posting:?} (broker stopped at message {paused_at}, resumed at {resumed_at})",
        posted.accepted.len()
    );
    let mut failures: Vec<String> = Vec::new();
    if !posted.refused.is_empty() {
        failures.push(format!(
            "{} requests refused, first: {:?}",
            posted.refused.len(),
            &posted.refused[..1]
        ));
        // The rest would only wait out their deadlines.
        panic!("{}\n{}", failures.join("\n"), diagnostics(&sim, &mut gateways));
    }
    if resumed_at <= paused_at && !outage().is_zero() {
        failures
            .push(format!("no traffic during the outage (stopped at {paused_at}, resumed at {resumed_at})"));
    }

    // Every message reaches its final state.
    let ids: Vec<String> = posted.accepted.iter().map(|(_, id, _)| id.clone()).collect();
    let messages = Messages::open(&tag).await;
    let stored = wait_states(&messages, &ids, &["delivered"], Duration::from_secs(120)).await;
    let delivered = ids.iter().filter(|id| stored.get(*id).is_some_and(|m| m.state == "delivered")).count();
    let settled = started.elapsed();
    eprintln!("{delivered} delivered {settled:?} after the start ({setup:?} to bind)");
    if delivered != count {
        let states = tally(ids.iter().map(|id| stored.get(id).map_or("missing", |m| m.state.as_str())));
        failures.push(format!("{delivered} of {count} delivered: {states:?}"));
    }

    // Every event arrives on the broker, none lost; a repeat only with the
    // same event id.
    let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let mut seen: HashMap<(String, EventType), BTreeSet<String>> = HashMap::new();
    let mut complete = 0usize;
    let all_arrived = consume(&broker.addr, &Topic::SmsMt.name("simgate."), Duration::from_secs(90), |e| {
        let message_id = match &e.data {
            EventData::SmsMtAccepted(d) => d.message_id.clone(),
            EventData::SmsMtDelivered(d) => d.message_id.clone(),
            _ => return false,
        };
        if !wanted.contains(message_id.as_str()) {
            return false;
        }
        let ids = seen.entry((message_id.clone(), e.event_type)).or_default();
        let first = ids.is_empty();
        ids.insert(e.event_id.to_string());
        if first {
            let other = match e.event_type {
                EventType::SmsMtAccepted => EventType::SmsMtDelivered,
                _ => EventType::SmsMtAccepted,
            };
            if seen.contains_key(&(message_id, other)) {
                complete += 1;
            }
        }
        complete == wanted.len()
    })
    .await;
    let events_done = started.elapsed();
    eprintln!("events of {complete} messages complete {events_done:?} after the start");
    if !all_arrived {
        let missing: Vec<_> = wanted
            .iter()
            .filter(|id| {
                !seen.contains_key(&(id.to_string(), EventType::SmsMtAccepted))
                    || !seen.contains_key(&(id.to_string(), EventType::SmsMtDelivered))
            })
            .take(5)
            .collect();
        failures.push(format!(
            "events of only {complete} of {} messages arrived; e.g. missing for {missing:?}",
            wanted.len()
        ));
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, ids)| ids.len() > 1).take(5).collect();
    if !repeated.is_empty() {
        failures.push(format!("one event published under several event ids: {repeated:?}"));
    }

    // Binds: never more than 4 at the SMSC, each instance at most its 3.
    watch_stop.store(true, Ordering::Relaxed);
    let most = watcher.join().unwrap();
    let stats = sim.stats();
    let peak = stats.binds["simgate"].peak;
    if peak > 4 || most[0] > 3.0 || most[1] > 3.0 || most[0] < 1.0 || most[1] < 1.0 {
        failures
            .push(format!("binds: SMSC peak {peak}, instance a at most {}, b at most {}", most[0], most[1]));
    }
    // Receipts: the simulator sent one for each message, every one matched.
    let scrapes: Vec<String> = gateways.iter().map(metrics).collect();
    let sum = |name: &str, label: &str| scrapes.iter().map(|s| metric_sum_where(s, name, label)).sum::<f64>();
    let unmatched = sum("simgate_inbound_receipts_total", "outcome=\"unmatched\"");
    let matched = sum("simgate_inbound_receipts_total", "outcome=\"matched\"");
    let outboxed = sum("simgate_events_published_total", "outcome=\"outbox\"");
    if stats.receipts_sent < count as u64 || stats.deliveries_dropped != 0 {
        failures.push(format!(
            "simulator sent {} receipts, dropped {}",
            stats.receipts_sent, stats.deliveries_dropped
        ));
    }
    if unmatched != 0.0 || matched < count as f64 {
        failures.push(format!("receipts matched {matched}, unmatched {unmatched}"));
    }
    if outboxed == 0.0 && !outage().is_zero() {
        failures.push("the outage sent no event to the outbox: it did not happen".to_owned());
    }
    if stats.duplicate_submits != 0 {
        failures.push(format!("{} messages submitted twice", stats.duplicate_submits));
    }
    eprintln!(
        "binds: SMSC peak {peak}, a at most {}, b at most {}; receipts matched {matched}; events via outbox {outboxed}",
        most[0], most[1]
    );
    if !failures.is_empty() {
        panic!("{}\n{}", failures.join("\n"), diagnostics(&sim, &mut gateways));
    }

    let exits = tokio::task::spawn_blocking(move || {
        for gw in &gateways {
            gw.signal("TERM");
        }
        let exits: Vec<_> = gateways.iter_mut().map(|gw| gw.wait_exit(Duration::from_secs(30))).collect();
        exits
    })
    .await
    .unwrap();
    assert!(exits.iter().all(|e| e.is_some_and(|s| s.success())), "clean exits: {exits:?}");
    sim.shutdown().await;
    eprintln!("whole test {:?}", started.elapsed());
}
