//! The MongoDB message store against the local stack's MongoDB-wire server
//! (scripts/stack.sh). Each test uses a database of its own.
#![allow(clippy::unwrap_used)]

mod support;

use mongodb::bson::{DateTime, Document, doc};
use simgate::backends::mongo::MongoHandle;
use simgate::settings::Settings;
use simgate::smpp::receipt::MessageId as SmscMessageId;
use simgate::store::{
    Content, HISTORY, Inserted, MESSAGES, MESSAGES_TTL_INDEX, MessageId, MessageState, MessageStore,
    NewMessage, PartOutcome, PartState, StoreError, StoreMetrics,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use support::stack;

/// Settings of the stack, with `extra` environment on top.
fn settings(extra: &[(&str, &str)]) -> Settings {
    let mut env = vec![("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI"))];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(None, env).unwrap()
}

/// A database name no other test (or test run) uses.
fn unique_db(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos() % 1_000_000_000_000;
    format!("ms_{tag}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A store for `instance` on database `db`, indexes ensured.
async fn store_on(db: &str, instance: &str, s: &Settings) -> MessageStore {
    let mut mongo = s.mongo.clone();
    mongo.database = db.to_owned();
    let handle = MongoHandle::new(&mongo, &s.health).await.unwrap();
    let store = MessageStore::new(&handle, &s.store, instance, StoreMetrics::default());
    store.ensure_indexes().await.unwrap();
    store
}

async fn raw(db: &str, coll: &str) -> mongodb::Collection<Document> {
    let s = settings(&[]);
    let mut mongo = s.mongo.clone();
    mongo.database = db.to_owned();
    MongoHandle::new(&mongo, &s.health).await.unwrap().database().collection(coll)
}

fn message(parts: u16, key: Option<&str>) -> NewMessage {
    NewMessage {
        id: None,
        idempotency_key: key.map(str::to_owned),
        source: "SIMGATE".to_owned(),
        destination: "447700900123".to_owned(),
        content: Content::Text { text: "Your code is 123456".to_owned() },
        data_coding: 0,
        registered_delivery: true,
        validity: None,
        priority: 1,
        parts_total: parts,
    }
}

async fn insert(store: &MessageStore, parts: u16) -> MessageId {
    match store.insert_accepted(&message(parts, None)).await.unwrap() {
        Inserted::New(r) => r.id,
        other => panic!("expected a new message, got {other:?}"),
    }
}

fn smsc(id: &str) -> SmscMessageId {
    SmscMessageId::new(id).unwrap()
}

fn applied(part: PartState, message: MessageState) -> PartOutcome {
    PartOutcome::Applied { part, message }
}

#[tokio::test]
async fn insert_then_get_round_trips() {
    let db = unique_db("get");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let first = store.insert_accepted(&message(3, None)).await.unwrap();
    let Inserted::New(record) = first else { panic!("{first:?}") };
    assert_eq!(record.id.as_str().len(), 32);
    assert_eq!(MessageId::parse(record.id.as_str()).unwrap(), record.id);

    let view = store.get(&record.id).await.unwrap().unwrap();
    assert_eq!(view.message, record);
    assert_eq!(view.message.state, MessageState::Accepted);
    assert_eq!(view.message.pending_parts(), vec![1, 2, 3]);
    assert_eq!(view.message.content, Content::Text { text: "Your code is 123456".to_owned() });
    assert_eq!(view.history.len(), 1);
    assert_eq!(view.history[0].to, "accepted");
    assert!(view.history[0].applied);

    let second = insert(&store, 1).await;
    assert!(second > record.id, "ids are time-ordered: {second} after {}", record.id);
    let unknown = MessageId::parse("0123456789abcdef0123456789abcdef").unwrap();
    assert!(store.get(&unknown).await.unwrap().is_none());
    assert!(MessageId::parse("not-an-id").is_err());
    assert_eq!(store.metrics().count("insert", "ok"), 2);
}

#[tokio::test]
async fn idempotent_insert_returns_the_first() {
    let db = unique_db("idem");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let Inserted::New(first) = store.insert_accepted(&message(1, Some("req-1"))).await.unwrap() else {
        panic!("first insert must be new")
    };
    let mut again = message(2, Some("req-1"));
    again.content = Content::Binary { hex: "0102".to_owned() };
    let Inserted::Existing(existing) = store.insert_accepted(&again).await.unwrap() else {
        panic!("second insert must return the first")
    };
    assert_eq!(existing.id, first.id);
    assert_eq!(existing.parts_total, 1);
    assert_eq!(existing.content, first.content);

    // Concurrent requests with one key, from two instances: one message.
    let other = store_on(&db, "i2", &settings(&[])).await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let s = if n % 2 == 0 { store.clone() } else { other.clone() };
        tasks.push(tokio::spawn(async move { s.insert_accepted(&message(1, Some("req-2"))).await.unwrap() }));
    }
    let mut ids = HashSet::new();
    let mut new = 0;
    for t in tasks {
        let r = t.await.unwrap();
        new += usize::from(matches!(r, Inserted::New(_)));
        ids.insert(r.record().id.clone());
    }
    assert_eq!((new, ids.len()), (1, 1), "one new message, every answer the same id");
    let count = raw(&db, MESSAGES).await.count_documents(doc! {}).await.unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn invalid_messages_are_refused_before_writing() {
    let db = unique_db("invalid");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let mut cases = Vec::new();
    let mut m = message(0, None);
    cases.push(m.clone());
    m.parts_total = 256;
    cases.push(m.clone());
    let mut m = message(1, None);
    m.content = Content::Binary { hex: "abc".to_owned() };
    cases.push(m);
    let mut m = message(1, None);
    m.destination = "1".repeat(21);
    cases.push(m);
    let mut m = message(1, None);
    m.priority = 4;
    cases.push(m);
    cases.push(message(1, Some("")));
    for case in cases {
        let err = store.insert_accepted(&case).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{case:?}: {err}");
    }
    assert_eq!(raw(&db, MESSAGES).await.count_documents(doc! {}).await.unwrap(), 0);
}

#[tokio::test]
async fn two_instances_claiming_at_once_never_share_a_message() {
    let db = unique_db("claim");
    let s = settings(&[]);
    let a = store_on(&db, "a", &s).await;
    let b = store_on(&db, "b", &s).await;
    let mut all = HashSet::new();
    for _ in 0..24 {
        all.insert(insert(&a, 1).await);
    }
    let worker = |store: MessageStore| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.claim_for_submit(Duration::from_secs(60), 3).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                for r in batch {
                    assert_eq!(r.claim.as_ref().unwrap().owner, store.instance());
                    got.push(r.id);
                }
            }
        })
    };
    let (ga, gb) = tokio::join!(worker(a.clone()), worker(b.clone()));
    let (ga, gb) = (ga.unwrap(), gb.unwrap());
    let sa: HashSet<_> = ga.iter().cloned().collect();
    let sb: HashSet<_> = gb.iter().cloned().collect();
    assert_eq!(sa.len(), ga.len(), "a claimed a message twice");
    assert!(sa.is_disjoint(&sb), "both claimed {:?}", sa.intersection(&sb).collect::<Vec<_>>());
    assert_eq!(sa.union(&sb).cloned().collect::<HashSet<_>>(), all);
    let owners =
        raw(&db, MESSAGES).await.count_documents(doc! { "claim.owner": { "$in": ["a", "b"] } }).await;
    assert_eq!(owners.unwrap(), 24);
}

#[tokio::test]
async fn expired_claim_is_taken_over_and_sending_parts_become_unknown() {
    let db = unique_db("takeover");
    let s = settings(&[]);
    let a = store_on(&db, "a", &s).await;
    let b = store_on(&db, "b", &s).await;
    let id = insert(&a, 2).await;
    let claimed = a.claim_for_submit(Duration::from_millis(300), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // a starts part 1, then "dies" without recording a response.
    let sending = a.record_part_sending(&id, 1).await.unwrap();
    assert_eq!(sending, applied(PartState::Sending, MessageState::Submitting));

    assert!(b.claim_for_submit(Duration::from_secs(60), 10).await.unwrap().is_empty(), "claim still live");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let taken = b.claim_for_submit(Duration::from_secs(60), 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    let record = &taken[0];
    assert_eq!(record.id, id);
    assert_eq!(record.claim.as_ref().unwrap().owner, "b");
    assert_eq!(record.part(1).unwrap().state, PartState::Unknown, "never resent");
    assert_eq!(record.part(1).unwrap().attempts, 1);
    assert_eq!(record.pending_parts(), vec![2]);
    assert!(!a.renew_claim(&id, Duration::from_secs(60)).await.unwrap(), "a lost its claim");
    assert!(b.renew_claim(&id, Duration::from_secs(60)).await.unwrap());

    // b stops gracefully: the message is claimable at once.
    assert_eq!(b.release_all_claims().await.unwrap(), 1);
    let again = a.claim_for_submit(Duration::from_secs(60), 10).await.unwrap();
    assert_eq!(again.iter().map(|r| &r.id).collect::<Vec<_>>(), vec![&id]);
    assert!(a.release_claim(&id).await.unwrap());
    assert!(!a.release_claim(&id).await.unwrap(), "nothing left to release");
}

#[tokio::test]
async fn part_transitions_allowed_and_refused() {
    let db = unique_db("trans");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let id = insert(&store, 2).await;
    let now = DateTime::now();

    // A receipt for a part never sent is refused.
    let r = store.apply_receipt(&id, 2, PartState::Delivered, None, now).await.unwrap();
    assert_eq!(r, PartOutcome::Refused { current: PartState::Pending });

    let r = store.record_part_sending(&id, 1).await.unwrap();
    assert_eq!(r, applied(PartState::Sending, MessageState::Submitting));
    let r = store.record_part_submitted(&id, 1, &smsc("0A1B2C"), 0).await.unwrap();
    assert_eq!(r, applied(PartState::Submitted, MessageState::Submitting));
    let r = store.record_part_submitted(&id, 1, &smsc("0A1B2C"), 0).await.unwrap();
    assert_eq!(r, PartOutcome::Refused { current: PartState::Submitted }, "a repeated response");
    let r = store.apply_receipt(&id, 1, PartState::Delivered, Some(0), now).await.unwrap();
    assert_eq!(r, applied(PartState::Delivered, MessageState::Submitting));
    let r = store.record_part_unknown(&id, 1, "timeout").await.unwrap();
    assert_eq!(r, PartOutcome::AlreadyFinal { current: PartState::Delivered });

    let err = store.apply_receipt(&id, 1, PartState::Submitted, None, now).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFinal("submitted")), "{err}");
    let err = store.record_part_sending(&id, 3).await.unwrap_err();
    assert!(matches!(err, StoreError::NoSuchPart { seq: 3, .. }), "{err}");
    let gone = MessageId::parse("0123456789abcdef0123456789abcdef").unwrap();
    assert_eq!(
        store.apply_receipt(&gone, 1, PartState::Failed, None, now).await.unwrap(),
        PartOutcome::NotFound
    );

    let view = store.get(&id).await.unwrap().unwrap();
    let part = view.message.part(1).unwrap();
    assert_eq!(part.smsc_message_id.as_deref(), Some("0A1B2C"));
    assert_eq!(part.command_status, Some(0));
    assert!(part.submitted_at.is_some() && part.final_at.is_some());
    assert_eq!(view.message.version, 4, "three changes applied");
    let refused = view.history.iter().filter(|h| !h.applied).count();
    assert_eq!(refused, 3, "{:#?}", view.history);
}

#[tokio::test]
async fn concurrent_updates_of_different_parts_all_survive() {
    let db = unique_db("concurrent");
    let s = settings(&[]);
    let a = store_on(&db, "a", &s).await;
    let b = store_on(&db, "b", &s).await;
    const PARTS: u16 = 12;
    let id = insert(&a, PARTS).await;

    let mut tasks = Vec::new();
    for seq in 1..=PARTS {
        let (store, id) = (if seq % 2 == 0 { a.clone() } else { b.clone() }, id.clone());
        tasks.push(tokio::spawn(async move {
            store.record_part_submitted(&id, seq, &smsc(&format!("{seq:x}ff")), 0).await.unwrap()
        }));
    }
    for t in tasks {
        assert!(matches!(t.await.unwrap(), PartOutcome::Applied { part: PartState::Submitted, .. }));
    }
    let record = a.get(&id).await.unwrap().unwrap().message;
    assert!(record.parts().all(|(_, p)| p.state == PartState::Submitted), "{record:#?}");
    assert_eq!(record.state, MessageState::Submitted);
    assert_eq!(record.version, 1 + i64::from(PARTS));
    assert_eq!(record.smsc_keys.len(), usize::from(PARTS));

    let mut tasks = Vec::new();
    for seq in 1..=PARTS {
        let (store, id) = (if seq % 2 == 0 { b.clone() } else { a.clone() }, id.clone());
        tasks.push(tokio::spawn(async move {
            store.apply_receipt(&id, seq, PartState::Delivered, None, DateTime::now()).await.unwrap()
        }));
    }
    for t in tasks {
        assert!(matches!(t.await.unwrap(), PartOutcome::Applied { part: PartState::Delivered, .. }));
    }
    let record = a.get(&id).await.unwrap().unwrap().message;
    assert_eq!(record.state, MessageState::Delivered, "{record:#?}");
    assert_eq!(record.version, 1 + 2 * i64::from(PARTS));
}

#[tokio::test]
async fn receipt_after_unknown_resolves_it() {
    let db = unique_db("unknown");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let id = insert(&store, 1).await;
    store.record_part_sending(&id, 1).await.unwrap();
    let r = store.record_part_unknown(&id, 1, "submit_sm_resp timeout").await.unwrap();
    assert_eq!(r, applied(PartState::Unknown, MessageState::Unknown));
    assert!(store.claim_for_submit(Duration::from_secs(60), 10).await.unwrap().is_empty(), "not resent");

    let at = DateTime::from_millis(DateTime::now().timestamp_millis() - 5_000);
    let r = store.apply_receipt(&id, 1, PartState::Delivered, Some(0), at).await.unwrap();
    assert_eq!(r, applied(PartState::Delivered, MessageState::Delivered));
    let view = store.get(&id).await.unwrap().unwrap();
    assert_eq!(view.message.part(1).unwrap().final_at, Some(at));
    let path: Vec<_> = view.history.iter().map(|h| h.to.as_str()).collect();
    assert_eq!(path, ["accepted", "sending", "unknown", "delivered"]);
    assert_eq!(view.history[2].detail.as_deref(), Some("submit_sm_resp timeout"));
}

#[tokio::test]
async fn late_receipt_for_a_final_part_goes_to_history_only() {
    let db = unique_db("late");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let id = insert(&store, 1).await;
    store.record_part_submitted(&id, 1, &smsc("77"), 0).await.unwrap();
    store.apply_receipt(&id, 1, PartState::Delivered, Some(0), DateTime::now()).await.unwrap();
    let before = store.get(&id).await.unwrap().unwrap().message;

    let r = store.apply_receipt(&id, 1, PartState::Failed, Some(11), DateTime::now()).await.unwrap();
    assert_eq!(r, PartOutcome::AlreadyFinal { current: PartState::Delivered });
    let view = store.get(&id).await.unwrap().unwrap();
    assert_eq!(view.message, before, "the message did not change");
    let last = view.history.last().unwrap();
    assert_eq!((last.from.as_deref(), last.to.as_str(), last.applied), (Some("delivered"), "failed", false));
    assert_eq!(last.detail.as_deref(), Some("receipt err:011"));
    assert_eq!(store.metrics().count("receipt", "already_final"), 1);
}

#[tokio::test]
async fn message_state_follows_the_rule_and_final_messages_drop_their_claim() {
    let db = unique_db("rule");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let now = DateTime::now();

    let id = insert(&store, 3).await;
    assert_eq!(store.claim_for_submit(Duration::from_secs(60), 10).await.unwrap().len(), 1);
    let step = |r: PartOutcome| match r {
        PartOutcome::Applied { message, .. } => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        step(store.record_part_submitted(&id, 1, &smsc("a1"), 0).await.unwrap()),
        MessageState::Submitting
    );
    assert_eq!(step(store.record_part_unknown(&id, 2, "bind lost").await.unwrap()), MessageState::Submitting);
    assert_eq!(
        step(store.record_part_submitted(&id, 3, &smsc("a3"), 0).await.unwrap()),
        MessageState::Unknown
    );
    let record = store.get(&id).await.unwrap().unwrap().message;
    assert!(record.claim.is_none(), "nothing left to send, claim dropped");
    assert_eq!(
        step(store.apply_receipt(&id, 2, PartState::Expired, None, now).await.unwrap()),
        MessageState::Expired
    );
    assert_eq!(
        step(store.apply_receipt(&id, 1, PartState::Failed, None, now).await.unwrap()),
        MessageState::Failed
    );

    let id = insert(&store, 2).await;
    let r = store.record_part_failed(&id, 1, Some(0x45), "ESME_RSUBMITFAIL").await.unwrap();
    assert_eq!(r, applied(PartState::Failed, MessageState::Failed));
    assert!(
        store.claim_for_submit(Duration::from_secs(60), 10).await.unwrap().is_empty(),
        "failed: not claimable"
    );
    let stored = raw(&db, MESSAGES).await.find_one(doc! { "_id": id.as_str() }).await.unwrap().unwrap();
    assert_eq!(stored.get_str("state").unwrap(), "failed");
    assert_eq!(
        stored.get_document("parts").unwrap().get_document("001").unwrap().get_str("state").unwrap(),
        "failed"
    );
}

#[tokio::test]
async fn part_found_by_smsc_id_in_any_spelling() {
    let db = unique_db("smsc");
    let store = store_on(&db, "i1", &settings(&[])).await;
    let id = insert(&store, 2).await;
    store.record_part_submitted(&id, 2, &smsc("00AB12CD"), 0).await.unwrap();
    let (record, seq) = store.find_part_by_smsc_id(&smsc("ab12cd")).await.unwrap().unwrap();
    assert_eq!((record.id, seq), (id, 2));
    assert!(store.find_part_by_smsc_id(&smsc("ffff")).await.unwrap().is_none());
}

#[tokio::test]
async fn indexes_exist_with_the_ttl_of_the_settings() {
    let db = unique_db("idx");
    let s = settings(&[("SIMGATE__STORE__RETENTION", "30days")]);
    let store = store_on(&db, "i1", &s).await;
    store.ensure_indexes().await.unwrap();
    for (coll, ttl_field) in [(MESSAGES, "created_at"), (HISTORY, "recorded_at")] {
        let mut cursor = raw(&db, coll).await.list_indexes().await.unwrap();
        let mut ttl = None;
        let mut names = Vec::new();
        while cursor.advance().await.unwrap() {
            let model = cursor.deserialize_current().unwrap();
            let options = model.options.clone().unwrap_or_default();
            if model.keys.contains_key(ttl_field) && model.keys.len() == 1 {
                ttl = options.expire_after;
            }
            if options.name.as_deref() == Some("idempotency_key_unique") {
                assert_eq!(options.unique, Some(true));
                assert!(options.partial_filter_expression.is_some());
            }
            names.extend(options.name);
        }
        assert_eq!(ttl, Some(Duration::from_secs(30 * 86_400)), "{coll}: {names:?}");
        if coll == MESSAGES {
            for name in [
                MESSAGES_TTL_INDEX,
                "idempotency_key_unique",
                "state_claim_until",
                "smsc_keys",
                "claim_owner",
            ] {
                assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
            }
        }
    }
    assert_eq!(settings(&[]).store.retention, Duration::from_secs(1095 * 86_400), "three years by default");
}

#[test]
fn bad_store_settings_name_their_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("SIMGATE__STORE__RETENTION", "soon", "store.retention"),
        ("SIMGATE__STORE__RETENTION", "0s", "store.retention"),
        ("SIMGATE__STORE__RETENTION", "1h", "store.retention"),
        ("SIMGATE__STORE__RETENTION", "200years", "store.retention"),
        ("SIMGATE__STORE__CLAIM_LEASE", "500ms", "store.claim_lease"),
        ("SIMGATE__STORE__CLAIM_LEASE", "2h", "store.claim_lease"),
        ("SIMGATE__STORE__CLAIM_BATCH", "0", "store.claim_batch"),
        ("SIMGATE__STORE__CLAIM_BATCH", "many", "store.claim_batch"),
    ];
    for (var, value, key) in cases {
        let err = Settings::load_from(None, [(var.to_string(), value.to_string())]).unwrap_err();
        assert_eq!(&err.key, key, "{var}={value}: {err}");
    }
    let ok =
        Settings::load_from(None, [("SIMGATE__STORE__CLAIM_LEASE".to_owned(), "2m".to_owned())]).unwrap();
    assert_eq!(ok.store.claim_lease, Duration::from_secs(120));
}
