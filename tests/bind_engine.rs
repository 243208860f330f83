//! The bind engine of two instances sharing one SMSC account through the
//! real Redis of the local stack: the account's bind limit holds across
//! them, a slot held by a stopped instance is taken over after its lease,
//! and a dropped bind comes back.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::settings::{RedisSettings, Role, SecretUrl, SmppAccount, SmppSettings};
use simgate::sms::bind::{BindEngine, BindMetrics, RedisSlots};
use simgate::smsc_sim::{SimAccount, SimConfig, SmscSim};
use simgate::state::{KeySpace, StateMetrics, StateStore};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn store(prefix: &str) -> StateStore {
    let settings = RedisSettings {
        url: SecretUrl::new(support::stack("SIMGATE__REDIS__URL")),
        ..RedisSettings::default()
    };
    let redis = simgate::backends::redis::RedisHandle::new(&settings, &Default::default()).unwrap();
    let metrics = StateMetrics::register(&mut prometheus_client::registry::Registry::default());
    StateStore::new(redis, metrics).with_keys(KeySpace::new(prefix).unwrap())
}

fn smpp(port: u16, binds: u32) -> SmppSettings {
    let account = SmppAccount {
        port,
        system_id: "simgate".into(),
        password: simgate::settings::Secret::new("pw"),
        binds,
        max_binds: 4,
        reconnect_min: Duration::from_millis(100),
        reconnect_max: Duration::from_millis(300),
        ..SmppAccount::default()
    };
    SmppSettings {
        accounts: [("shared".to_owned(), account)].into(),
        lease_ttl: Duration::from_secs(3),
        ..SmppSettings::default()
    }
}

type Inbound = mpsc::Receiver<simgate::sms::bind::InboundRequest>;

fn engine(prefix: &str, instance: &str, port: u16, binds: u32) -> (BindEngine, CancellationToken, Inbound) {
    let stop = CancellationToken::new();
    let leases = Arc::new(RedisSlots::new(store(prefix), instance, Duration::from_secs(3)).unwrap());
    // Nothing arrives without receipts or MO; the caller keeps it open.
    let (tx, rx) = mpsc::channel(16);
    let metrics = BindMetrics::register(&mut prometheus_client::registry::Registry::default());
    (
        BindEngine::start(&smpp(port, binds), Role::Active, leases, tx, metrics, stop.clone()).unwrap(),
        stop,
        rx,
    )
}

async fn wait(within: Duration, what: &str, pred: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if pred() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} within {within:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_hold_more_binds_than_the_account_allows() {
    let sim = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let port = sim.local_addr().port();
    let prefix = format!("bindtest{}", std::process::id());
    // Each instance wants 3 binds; together they may hold 4.
    let (a, stop_a, _inbound_a) = engine(&prefix, "instance-a", port, 3);
    let (b, stop_b, _inbound_b) = engine(&prefix, "instance-b", port, 3);
    let pool = |e: &BindEngine| e.pool("shared").unwrap().bound();
    wait(Duration::from_secs(10), "4 binds up", || pool(&a) + pool(&b) == 4).await;
    // Give the losers time to try again: still 4, never more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(pool(&a) + pool(&b), 4);
    assert!(pool(&a) >= 1 && pool(&b) >= 1, "each instance holds a share: {} and {}", pool(&a), pool(&b));
    let stats = sim.stats();
    assert_eq!(stats.binds["simgate"].peak, 4, "the SMSC never saw a fifth bind: {}", stats.line());

    // Instance a stops (unbinds, releases its slots): b takes up to its 3.
    stop_a.cancel();
    a.closed().await;
    wait(Duration::from_secs(10), "b takes the free slots", || pool(&b) == 3).await;
    assert_eq!(sim.stats().binds["simgate"].peak, 4);

    // A dropped bind comes back by itself.
    assert!(sim.drop_binds("simgate") > 0);
    wait(Duration::from_secs(10), "binds back after the drop", || pool(&b) == 3).await;

    stop_b.cancel();
    b.closed().await;
    assert_eq!(sim.stats().binds["simgate"].now, 0, "every bind unbound: {}", sim.stats().line());
    sim.shutdown().await;
}
