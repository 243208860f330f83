//! The shared state (src/state) against the real Redis of the local stack
//! (scripts/stack.sh). Each test uses its own key prefix, so tests run in
//! parallel on one Redis; "instances" are separate Redis connections.
#![allow(clippy::unwrap_used)]

mod support;

use prometheus_client::registry::Registry;
use simgate::backends::redis::RedisHandle;
use simgate::settings::Settings;
use simgate::smpp::receipt::MessageId;
use simgate::state::{
    BindLeases, Claim, IdempotencyKeys, KeySpace, MoKey, MoKind, MoProgress, MoReassembly, Op, Parked,
    PartRef, ReceiptCorrelation, RegionBinds, StateError, StateMetrics, StateStore,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use support::stack;

/// A Redis connection of its own, as another instance would have.
fn handle(url: &str) -> RedisHandle {
    let env = [
        ("SIMGATE__REDIS__URL".to_owned(), url.to_owned()),
        ("SIMGATE__HEALTH__CHECK_TIMEOUT".to_owned(), "2s".to_owned()),
    ];
    let settings = Settings::load_from(None, env).unwrap();
    RedisHandle::new(&settings.redis, &settings.health).unwrap()
}

/// A unique prefix per test and run.
fn prefix(tag: &str) -> KeySpace {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos() as u32;
    let n = N.fetch_add(1, Ordering::Relaxed);
    KeySpace::new(&format!("t{}-{nanos:x}-{n}-{tag}", std::process::id() % 100_000)).unwrap()
}

/// Two stores ("instances") on their own connections, sharing one prefix.
fn two_instances(tag: &str) -> (StateStore, StateStore) {
    let url = stack("SIMGATE__REDIS__URL");
    let keys = prefix(tag);
    let a = StateStore::new(handle(&url), StateMetrics::default()).with_keys(keys.clone());
    let b = StateStore::new(handle(&url), StateMetrics::default()).with_keys(keys);
    (a, b)
}

/// Every key under the store's prefix with its PTTL.
async fn keys_and_ttls(store: &StateStore) -> Vec<(String, i64)> {
    let mut conn = handle(&stack("SIMGATE__REDIS__URL")).connection().await.unwrap();
    let pattern = format!("{}:*", store.keys().prefix());
    let keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query_async(&mut conn).await.unwrap();
    let mut out = Vec::new();
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.unwrap();
        out.push((key, ttl));
    }
    out
}

async fn assert_every_key_expires(store: &StateStore) {
    let keys = keys_and_ttls(store).await;
    assert!(!keys.is_empty(), "the test wrote no keys");
    for (key, ttl) in keys {
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
    }
}

fn keys_of(id: &str) -> (String, Vec<String>) {
    let id = MessageId::new(id).unwrap();
    let lookup = id.lookup_keys().iter().map(|k| k.as_str().to_owned()).collect();
    (id.correlation_key().as_str().to_owned(), lookup)
}

fn refs(keys: &[String]) -> Vec<&str> {
    keys.iter().map(String::as_str).collect()
}

// ---- region binds ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_served_while_some_instance_marks_it_and_not_after() {
    let (a, b) = two_instances("region");
    let west = RegionBinds::new(a.clone(), "w", "us-west-2");
    let (a, b) = (RegionBinds::new(a, "a", "us-east-1"), RegionBinds::new(b, "b", "us-east-1"));
    assert!(!b.served("primary").await.unwrap(), "nobody marked it yet");
    a.mark("primary", Duration::from_millis(400)).await.unwrap();
    assert!(b.served("primary").await.unwrap(), "another instance sees a's mark");
    assert!(!b.served("secondary").await.unwrap(), "accounts are apart");
    assert!(!west.served("primary").await.unwrap(), "regions are apart");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!b.served("primary").await.unwrap(), "the mark lapses when a stops renewing it");
    assert!(matches!(
        a.mark("bad{account}", Duration::from_secs(1)).await,
        Err(StateError::InvalidInput { what: "account", .. })
    ));
}

// ---- bind leases ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_hold_more_than_the_limit_or_the_same_slot() {
    let (sa, sb) = two_instances("lease");
    let a = BindLeases::new(sa.clone(), "pod-a", Duration::from_secs(10)).unwrap();
    let b = BindLeases::new(sb, "pod-b", Duration::from_secs(10)).unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let leases = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { leases.acquire("acme", 4).await.unwrap() }));
    }
    let mut got = Vec::new();
    for t in tasks {
        if let Some(slot) = t.await.unwrap() {
            got.push(slot);
        }
    }
    let slots: HashSet<u32> = got.iter().map(|s| s.slot).collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(slots, HashSet::from([0, 1, 2, 3]));
    let mut expected: Vec<(u32, String)> =
        got.iter().map(|s| (s.slot, s.token.split('#').next().unwrap().to_owned())).collect();
    expected.sort();
    assert_eq!(a.held("acme", 4).await.unwrap(), expected);
    assert!(expected.iter().all(|(_, who)| who == "pod-a" || who == "pod-b"));

    // Releasing one frees exactly that slot, for the other instance too.
    let freed = got[0].clone();
    let (holder, other) = if freed.token.starts_with("pod-a#") { (&a, &b) } else { (&b, &a) };
    assert!(holder.release(&freed).await.unwrap());
    assert!(!holder.release(&freed).await.unwrap(), "a second release finds nothing");
    let again = other.acquire("acme", 4).await.unwrap().unwrap();
    assert_eq!(again.slot, freed.slot);
    assert!(b.acquire("acme", 4).await.unwrap().is_none());
    // Another account has slots of its own.
    assert_eq!(a.acquire("other", 4).await.unwrap().unwrap().slot, 0);
    assert_every_key_expires(&sa).await;
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew() {
    let (sa, sb) = two_instances("takeover");
    let a = BindLeases::new(sa, "pod-a", Duration::from_millis(300)).unwrap();
    let b = BindLeases::new(sb, "pod-b", Duration::from_secs(10)).unwrap();
    let old = a.acquire("acme", 1).await.unwrap().unwrap();
    assert_eq!(old.slot, 0);
    assert!(b.acquire("acme", 1).await.unwrap().is_none(), "slot is held");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let new = b.acquire("acme", 1).await.unwrap().expect("expired lease is free");
    assert_eq!(new.slot, 0);
    assert_ne!(new.token, old.token);
    assert!(!a.renew(&old).await.unwrap(), "renew after takeover must fail");
    assert!(!a.release(&old).await.unwrap(), "release after takeover must not free b's slot");
    assert_eq!(b.held("acme", 1).await.unwrap(), vec![(0, "pod-b".to_owned())]);
    assert!(b.renew(&new).await.unwrap());
    assert!(b.release(&new).await.unwrap());
    assert!(b.held("acme", 1).await.unwrap().is_empty());
}

#[tokio::test]
async fn renewing_keeps_the_lease_past_its_ttl() {
    let (sa, sb) = two_instances("renew");
    let a = BindLeases::new(sa, "pod-a", Duration::from_millis(400)).unwrap();
    let b = BindLeases::new(sb, "pod-b", Duration::from_millis(400)).unwrap();
    let slot = a.acquire("acme", 1).await.unwrap().unwrap();
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(a.renew(&slot).await.unwrap());
        assert!(b.acquire("acme", 1).await.unwrap().is_none());
    }
    assert_eq!(b.held("acme", 1).await.unwrap(), vec![(0, "pod-a".to_owned())]);
}

#[tokio::test]
async fn lease_arguments_are_checked_before_redis() {
    let (sa, _) = two_instances("leasebad");
    assert!(matches!(
        BindLeases::new(sa.clone(), "", Duration::from_secs(1)),
        Err(StateError::InvalidInput { what: "instance id", .. })
    ));
    let a = BindLeases::new(sa, "pod-a", Duration::from_secs(1)).unwrap();
    for max in [0, 65] {
        let err = a.acquire("acme", max).await.unwrap_err();
        assert!(
            matches!(err, StateError::InvalidInput { op: Op::LeaseAcquire, what: "max binds", .. }),
            "{err}"
        );
    }
    let err = a.acquire("ac}me", 2).await.unwrap_err();
    assert!(matches!(err, StateError::InvalidInput { what: "account", .. }), "{err}");
}

// ---- receipt correlation ----

fn target(n: u16) -> PartRef {
    PartRef { message_id: format!("mt-{n}"), part: n }
}

#[tokio::test]
async fn a_receipt_finds_its_message_under_another_spelling_of_the_id() {
    let (sa, sb) = two_instances("rcpt");
    let a = ReceiptCorrelation::new(sa.clone(), Duration::from_secs(60));
    let b = ReceiptCorrelation::new(sb, Duration::from_secs(60));
    // submit_sm_resp said "0A1B2C3D"; the receipt says its decimal value.
    let (resp_key, resp_probes) = keys_of("0A1B2C3D");
    let (rcpt_key, rcpt_probes) = keys_of("169552957");
    assert!(a.record("acme", &resp_key, &refs(&resp_probes), &target(1)).await.unwrap().is_empty());
    assert_eq!(b.lookup("acme", &refs(&rcpt_probes)).await.unwrap(), vec![target(1)]);
    // Other accounts and other ids do not see it.
    assert!(b.lookup("other", &refs(&rcpt_probes)).await.unwrap().is_empty());
    let (_, unrelated) = keys_of("77");
    assert!(b.lookup("acme", &refs(&unrelated)).await.unwrap().is_empty());
    // A receipt parked after the record is matched instead of parked.
    let parked = b.park("acme", &rcpt_key, &refs(&rcpt_probes), "{\"r\":1}", Duration::from_secs(5)).await;
    assert_eq!(parked.unwrap(), Parked::Matched(vec![target(1)]));
    assert_every_key_expires(&sa).await;
}

#[tokio::test]
async fn receipts_parked_before_the_resp_are_handed_to_record() {
    let (sa, sb) = two_instances("park");
    let a = ReceiptCorrelation::new(sa.clone(), Duration::from_secs(60));
    let b = ReceiptCorrelation::new(sb, Duration::from_secs(60));
    let (rcpt_key, rcpt_probes) = keys_of("000123");
    let hold = Duration::from_secs(30);
    for r in ["enroute", "delivrd"] {
        assert_eq!(b.park("acme", &rcpt_key, &refs(&rcpt_probes), r, hold).await.unwrap(), Parked::Held);
    }
    assert_every_key_expires(&sa).await;
    let (resp_key, resp_probes) = keys_of("123");
    let handed = a.record("acme", &resp_key, &refs(&resp_probes), &target(2)).await.unwrap();
    assert_eq!(handed, vec!["enroute".to_owned(), "delivrd".to_owned()]);
    assert!(b.take_parked("acme", &rcpt_key).await.unwrap().is_empty(), "handed over once only");
    // Nothing is left to expire as unmatched.
    assert!(keys_and_ttls(&sa).await.iter().all(|(k, _)| !k.contains(":parked:") && !k.ends_with(":due")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receipt_racing_its_record_is_never_lost_nor_doubled() {
    let (sa, sb) = two_instances("race");
    let a = ReceiptCorrelation::new(sa, Duration::from_secs(60));
    let b = ReceiptCorrelation::new(sb, Duration::from_secs(60));
    let mut tasks = Vec::new();
    for n in 0..60u16 {
        let (a, b) = (a.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            let id = format!("{:x}", 0xabc000 + u32::from(n));
            let (key, probes) = keys_of(&id);
            let receipt = format!("receipt-{n}");
            let rec = {
                let (key, probes) = (key.clone(), probes.clone());
                tokio::spawn(async move { a.record("acme", &key, &refs(&probes), &target(n)).await.unwrap() })
            };
            let parked =
                b.park("acme", &key, &refs(&probes), &receipt, Duration::from_secs(30)).await.unwrap();
            let handed = rec.await.unwrap();
            match parked {
                Parked::Matched(hits) => {
                    assert_eq!(hits, vec![target(n)]);
                    assert!(handed.is_empty(), "receipt {n} both matched and handed over");
                }
                Parked::Held => assert_eq!(handed, vec![receipt], "parked receipt {n} lost"),
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_receipts_are_claimed_by_exactly_one_instance() {
    let (sa, sb) = two_instances("due");
    let a = ReceiptCorrelation::new(sa, Duration::from_secs(60));
    let b = ReceiptCorrelation::new(sb, Duration::from_secs(60));
    let short = Duration::from_millis(200);
    for n in 0..5u16 {
        let (key, probes) = keys_of(&format!("{}", 9000 + n));
        assert_eq!(
            a.park("acme", &key, &refs(&probes), &format!("r{n}"), short).await.unwrap(),
            Parked::Held
        );
    }
    let (late_key, late_probes) = keys_of("t-late");
    a.park("acme", &late_key, &refs(&late_probes), "late", Duration::from_secs(30)).await.unwrap();
    assert!(a.due_parked("acme", 10).await.unwrap().is_empty(), "nothing is due yet");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (ra, rb) = tokio::join!(a.due_parked("acme", 10), b.due_parked("acme", 10));
    let mut claimed: Vec<String> =
        ra.unwrap().into_iter().chain(rb.unwrap()).flat_map(|d| d.receipts).collect();
    claimed.sort();
    assert_eq!(claimed, ["r0", "r1", "r2", "r3", "r4"]);
    assert!(a.due_parked("acme", 10).await.unwrap().is_empty());
    // The one still held is not due and stays takeable.
    assert_eq!(b.take_parked("acme", &late_key).await.unwrap(), vec!["late".to_owned()]);
}

#[tokio::test]
async fn due_parked_respects_its_limit() {
    let (sa, _) = two_instances("duelimit");
    let a = ReceiptCorrelation::new(sa, Duration::from_secs(60));
    for n in 0..4u16 {
        let (key, probes) = keys_of(&format!("{}", 500 + n));
        a.park("acme", &key, &refs(&probes), "r", Duration::from_millis(50)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(a.due_parked("acme", 3).await.unwrap().len(), 3);
    assert_eq!(a.due_parked("acme", 3).await.unwrap().len(), 1);
    assert!(a.due_parked("acme", 3).await.unwrap().is_empty());
}

#[tokio::test]
async fn parking_is_bounded_per_id_and_per_receipt() {
    let (sa, _) = two_instances("parkfull");
    let a = ReceiptCorrelation::new(sa, Duration::from_secs(60));
    let (key, probes) = keys_of("x-full");
    let hold = Duration::from_secs(30);
    for _ in 0..16 {
        assert_eq!(a.park("acme", &key, &refs(&probes), "r", hold).await.unwrap(), Parked::Held);
    }
    let err = a.park("acme", &key, &refs(&probes), "r", hold).await.unwrap_err();
    assert!(matches!(err, StateError::ParkedFull { limit: 16 }), "{err}");
    assert_eq!(a.take_parked("acme", &key).await.unwrap().len(), 16);
    let big = "x".repeat(4097);
    let err = a.park("acme", &key, &refs(&probes), &big, hold).await.unwrap_err();
    assert!(matches!(err, StateError::InvalidInput { op: Op::ReceiptPark, what: "receipt", .. }), "{err}");
    // Per account: a new id beyond the bound is refused, a known id is not.
    let a = a.with_max_parked_ids(2);
    for id in ["501", "502"] {
        let (key, probes) = keys_of(id);
        assert_eq!(a.park("acme", &key, &refs(&probes), "r", hold).await.unwrap(), Parked::Held);
    }
    let (key, probes) = keys_of("503");
    let err = a.park("acme", &key, &refs(&probes), "r", hold).await.unwrap_err();
    assert!(matches!(err, StateError::AccountParkingFull { limit: 2 }), "{err}");
    let (key, probes) = keys_of("501");
    assert_eq!(a.park("acme", &key, &refs(&probes), "r2", hold).await.unwrap(), Parked::Held);
    let five = ["d:1", "d:2", "d:3", "d:4", "d:5"];
    let err = a.lookup("acme", &five).await.unwrap_err();
    assert!(matches!(err, StateError::InvalidInput { what: "probe keys", .. }), "{err}");
}

#[tokio::test]
async fn recorded_ids_expire() {
    let (sa, _) = two_instances("rcptttl");
    let a = ReceiptCorrelation::new(sa, Duration::from_millis(200));
    let (key, probes) = keys_of("4242");
    a.record("acme", &key, &refs(&probes), &target(3)).await.unwrap();
    assert_eq!(a.lookup("acme", &refs(&probes)).await.unwrap(), vec![target(3)]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(a.lookup("acme", &refs(&probes)).await.unwrap().is_empty());
}

// ---- idempotency keys ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_concurrent_claim_wins_and_the_rest_see_its_message() {
    let (sa, sb) = two_instances("idem");
    let a = IdempotencyKeys::new(sa.clone(), Duration::from_secs(60));
    let b = IdempotencyKeys::new(sb, Duration::from_secs(60));
    let mut tasks = Vec::new();
    for n in 0..10 {
        let keys = if n % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let id = format!("msg-{n}");
            (id.clone(), keys.claim("client-1:req-7", &id).await.unwrap())
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let winners: Vec<&String> = results.iter().filter(|(_, c)| *c == Claim::New).map(|(id, _)| id).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0].clone();
    for (_, c) in &results {
        assert!(*c == Claim::New || *c == Claim::Existing(winner.clone()), "{c:?}");
    }
    assert_every_key_expires(&sa).await;
    assert!(!a.forget("client-1:req-7", "msg-other").await.unwrap(), "only the holder may forget");
    assert_eq!(b.claim("client-1:req-7", "msg-x").await.unwrap(), Claim::Existing(winner.clone()));
    assert!(a.forget("client-1:req-7", &winner).await.unwrap());
    assert_eq!(b.claim("client-1:req-7", "msg-x").await.unwrap(), Claim::New);
}

#[tokio::test]
async fn idempotency_keys_expire_and_are_checked() {
    let (sa, _) = two_instances("idemttl");
    let a = IdempotencyKeys::new(sa, Duration::from_millis(200));
    assert_eq!(a.claim("k", "m1").await.unwrap(), Claim::New);
    assert_eq!(a.claim("k", "m2").await.unwrap(), Claim::Existing("m1".to_owned()));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(a.claim("k", "m2").await.unwrap(), Claim::New);
    for bad in ["", "a{b}", "has space", &"k".repeat(129)] {
        let err = a.claim(bad, "m").await.unwrap_err();
        assert!(matches!(err, StateError::InvalidInput { what: "idempotency key", .. }), "{bad:?}: {err}");
    }
}

// ---- MO reassembly ----

fn mo_key(reference: u16, total: u8) -> MoKey {
    MoKey { source: "447700900123".to_owned(), destination: "88123".to_owned(), reference, total }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parts_in_any_order_from_two_instances_complete_exactly_once() {
    let (sa, sb) = two_instances("mo");
    let a = MoReassembly::new(sa.clone(), Duration::from_secs(60), 255, 160);
    let b = MoReassembly::new(sb, Duration::from_secs(60), 255, 160);
    let orders: [[u8; 6]; 5] =
        [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [3, 1, 6, 2, 5, 4], [2, 4, 6, 1, 3, 5], [5, 3, 1, 6, 4, 2]];
    for (round, order) in (0u16..).zip(orders) {
        let total = 6u8;
        let key = mo_key(round, total);
        let mut tasks = Vec::new();
        for (i, seq) in order.iter().copied().enumerate() {
            let m = if i % 2 == 0 { a.clone() } else { b.clone() };
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                m.add(&key, seq, format!("p{seq};").as_bytes()).await.unwrap()
            }));
        }
        let mut complete = Vec::new();
        let mut waiting = 0;
        for t in tasks {
            match t.await.unwrap() {
                MoProgress::Complete { parts, kind: MoKind::Message } => complete.push(parts),
                MoProgress::Waiting { total: 6, .. } => waiting += 1,
                other => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(complete.len(), 1, "round {round}: exactly one completion");
        assert_eq!(waiting, 5);
        let text: String = complete[0].iter().map(|p| String::from_utf8(p.clone()).unwrap()).collect();
        assert_eq!(text, "p1;p2;p3;p4;p5;p6;");
        // A late duplicate after completion is recognised.
        assert_eq!(b.add(&key, 3, b"p3;").await.unwrap(), MoProgress::Duplicate);
    }
    assert_every_key_expires(&sa).await;
}

#[tokio::test]
async fn a_duplicate_part_is_not_counted_twice() {
    let (sa, _) = two_instances("modup");
    let m = MoReassembly::new(sa, Duration::from_secs(60), 255, 160);
    let key = mo_key(77, 3);
    assert_eq!(m.add(&key, 2, b"b").await.unwrap(), MoProgress::Waiting { have: 1, total: 3 });
    assert_eq!(m.add(&key, 2, b"b").await.unwrap(), MoProgress::Duplicate);
    assert_eq!(m.add(&key, 1, b"a").await.unwrap(), MoProgress::Waiting { have: 2, total: 3 });
    let other_total = mo_key(77, 4);
    assert_eq!(m.add(&other_total, 1, b"a").await.unwrap(), MoProgress::Waiting { have: 1, total: 4 });
    assert_eq!(
        m.add(&key, 3, b"c").await.unwrap(),
        MoProgress::Complete {
            parts: vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()],
            kind: MoKind::Message
        }
    );
}

#[tokio::test]
async fn the_part_that_marks_a_por_marks_the_message_whichever_part_completes_it() {
    let (sa, sb) = two_instances("mopor");
    let a = MoReassembly::new(sa.clone(), Duration::from_secs(60), 255, 160);
    let b = MoReassembly::new(sb, Duration::from_secs(60), 255, 160);
    let complete = |parts: &[&[u8]], kind| MoProgress::Complete {
        parts: parts.iter().map(|p| p.to_vec()).collect(),
        kind,
    };
    // The marked first part last, on the other instance.
    let key = mo_key(300, 2);
    assert_eq!(a.add(&key, 2, b"y").await.unwrap(), MoProgress::Waiting { have: 1, total: 2 });
    assert_eq!(
        b.add_part(&key, 1, b"x", MoKind::ProofOfReceipt).await.unwrap(),
        complete(&[b"x", b"y"], MoKind::ProofOfReceipt)
    );
    // The marked first part first; an unmarked duplicate of it changes nothing.
    let key = mo_key(301, 3);
    assert_eq!(
        a.add_part(&key, 1, b"x", MoKind::ProofOfReceipt).await.unwrap(),
        MoProgress::Waiting { have: 1, total: 3 }
    );
    assert_eq!(b.add(&key, 1, b"x").await.unwrap(), MoProgress::Duplicate);
    assert_eq!(b.add(&key, 3, b"z").await.unwrap(), MoProgress::Waiting { have: 2, total: 3 });
    assert_eq!(a.add(&key, 2, b"y").await.unwrap(), complete(&[b"x", b"y", b"z"], MoKind::ProofOfReceipt));
    // Unmarked parts are a plain message.
    let other = mo_key(303, 2);
    a.add(&other, 1, b"x").await.unwrap();
    assert_eq!(b.add(&other, 2, b"y").await.unwrap(), complete(&[b"x", b"y"], MoKind::Message));
    // One part: complete at once, with the kind it was added as.
    assert_eq!(
        a.add_part(&mo_key(304, 1), 1, b"x", MoKind::ProofOfReceipt).await.unwrap(),
        complete(&[b"x"], MoKind::ProofOfReceipt)
    );
    // Completion took the markers with the parts.
    let left = keys_and_ttls(&sa).await;
    assert!(left.iter().all(|(k, _)| !k.ends_with(":por") && !k.ends_with(":parts")), "{left:?}");
    assert_every_key_expires(&sa).await;
}

#[tokio::test]
async fn a_completion_given_back_completes_again_with_the_resent_part() {
    let (sa, sb) = two_instances("moback");
    let a = MoReassembly::new(sa.clone(), Duration::from_secs(60), 255, 160);
    let b = MoReassembly::new(sb, Duration::from_secs(60), 255, 160);
    let key = mo_key(400, 3);
    a.add_part(&key, 1, b"x", MoKind::ProofOfReceipt).await.unwrap();
    a.add(&key, 3, b"z").await.unwrap();
    let done = MoProgress::Complete {
        parts: vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()],
        kind: MoKind::ProofOfReceipt,
    };
    assert_eq!(a.add(&key, 2, b"y").await.unwrap(), done);
    // The caller could not make it durable: gives it back but for part 2.
    let MoProgress::Complete { parts, kind } = done.clone() else { unreachable!() };
    a.give_back(&key, &parts, kind, 2).await.unwrap();
    // Other parts are still duplicates; the resent part 2 completes it again,
    // on any instance, still a PoR.
    assert_eq!(b.add(&key, 1, b"x").await.unwrap(), MoProgress::Duplicate);
    assert_eq!(b.add(&key, 2, b"y").await.unwrap(), done);
    assert_eq!(b.add(&key, 2, b"y").await.unwrap(), MoProgress::Duplicate, "completed again, once");
    // A plain message given back stays plain.
    let key = mo_key(401, 2);
    a.add(&key, 2, b"q").await.unwrap();
    let MoProgress::Complete { parts, kind } = a.add(&key, 1, b"p").await.unwrap() else {
        panic!("not complete")
    };
    a.give_back(&key, &parts, kind, 1).await.unwrap();
    assert_eq!(
        b.add(&key, 1, b"p").await.unwrap(),
        MoProgress::Complete { parts: vec![b"p".to_vec(), b"q".to_vec()], kind: MoKind::Message }
    );
    assert_every_key_expires(&sa).await;
}

#[tokio::test]
async fn an_incomplete_message_expires_after_its_last_part() {
    let (sa, _) = two_instances("mottl");
    let m = MoReassembly::new(sa, Duration::from_millis(600), 255, 160);
    let key = mo_key(9, 3);
    assert_eq!(m.add(&key, 1, b"a").await.unwrap(), MoProgress::Waiting { have: 1, total: 3 });
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The second part refreshes the TTL: part 1 is still there after 800 ms.
    assert_eq!(m.add(&key, 2, b"b").await.unwrap(), MoProgress::Waiting { have: 2, total: 3 });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        m.add(&key, 3, b"c").await.unwrap(),
        MoProgress::Complete {
            parts: vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()],
            kind: MoKind::Message
        }
    );
    let key = mo_key(10, 2);
    m.add(&key, 1, b"a").await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(m.add(&key, 2, b"b").await.unwrap(), MoProgress::Waiting { have: 1, total: 2 });
}

#[tokio::test]
async fn invalid_parts_are_refused() {
    let (sa, _) = two_instances("mobad");
    let m = MoReassembly::new(sa.clone(), Duration::from_secs(60), 8, 4);
    for (key, seq, data) in [
        (mo_key(1, 0), 1, &b"a"[..]),
        (mo_key(1, 9), 1, b"a"),
        (mo_key(1, 3), 0, b"a"),
        (mo_key(1, 3), 4, b"a"),
        (mo_key(1, 3), 1, b"abcde"),
    ] {
        let err = m.add(&key, seq, data).await.unwrap_err();
        assert!(matches!(err, StateError::InvalidPart { .. }), "{key:?} {seq}: {err}");
    }
    let mut bad_addr = mo_key(1, 2);
    bad_addr.source = "44|77".to_owned();
    assert!(matches!(m.add(&bad_addr, 1, b"a").await, Err(StateError::InvalidInput { .. })));
    // One part is a whole message and needs no Redis.
    assert_eq!(
        m.add(&mo_key(1, 1), 1, b"solo").await.unwrap(),
        MoProgress::Complete { parts: vec![b"solo".to_vec()], kind: MoKind::Message }
    );
    assert!(keys_and_ttls(&sa).await.is_empty(), "refused parts wrote nothing");
}

// ---- metrics and errors ----

#[tokio::test]
async fn operations_are_counted_by_op_and_outcome() {
    let mut registry = Registry::default();
    let metrics = StateMetrics::register(registry.sub_registry_with_prefix("simgate_state"));
    let url = stack("SIMGATE__REDIS__URL");
    let store = StateStore::new(handle(&url), metrics.clone()).with_keys(prefix("metrics"));
    let leases = BindLeases::new(store, "pod-a", Duration::from_millis(100)).unwrap();
    let slot = leases.acquire("acme", 1).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!leases.renew(&slot).await.unwrap());

    // A Redis nothing listens on: the error names the op and is counted.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead =
        StateStore::new(handle(&format!("redis://127.0.0.1:{closed}")), metrics).with_keys(prefix("dead"));
    let keys = IdempotencyKeys::new(dead, Duration::from_secs(1));
    let err = tokio::time::timeout(Duration::from_secs(20), keys.claim("k", "m")).await.unwrap().unwrap_err();
    assert!(matches!(err, StateError::Redis { op: Op::IdempotencyClaim, .. }), "{err}");
    assert!(err.to_string().starts_with("redis idempotency_claim: "), "{err}");

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    for line in [
        r#"simgate_state_operations_total{op="lease_acquire",outcome="ok"} 1"#,
        r#"simgate_state_operations_total{op="lease_renew",outcome="ok"} 1"#,
        r#"simgate_state_operations_total{op="idempotency_claim",outcome="error"} 1"#,
        "simgate_state_leases_lost_total 1",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}
