//! The SIM registry against the local stack's MongoDB-wire server
//! (scripts/stack.sh): import, credentials, the counter under concurrency,
//! the master key, DES key sets, and keys never stored in clear. Each test uses a
//! database of its own.
#![allow(clippy::unwrap_used)]

mod support;

use mongodb::bson::{Document, doc};
use simgate::backends::mongo::MongoHandle;
use simgate::settings::Settings;
use simgate::sim::registry::{
    CounterOutcome, ImportOutcome, Imsi, MasterKey, MasterKeyring, Msisdn, RegistryError, SIMS, SealError,
    SimImport, SimRegistry, SimRegistryMetrics, SimStatus,
};
use simgate::sim::{AesKey, Iccid, KeyAlgorithm, KeySet, Kvn, RegistryKeys, Tar};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use support::stack;

const MK_A: &str = "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b";
const MK_B: &str = "7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c";
const KIC_HEX: &str = "c1c1c1c1c2c2c2c2c3c3c3c3c4c4c4c4";
const KID_HEX: &str = "d1d1d1d1d2d2d2d2d3d3d3d3d4d4d4d4";

fn settings() -> Settings {
    Settings::load_from(None, vec![("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI"))]).unwrap()
}

fn unique_db(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos() % 1_000_000_000_000;
    format!("sr_{tag}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

async fn handle(db: &str) -> MongoHandle {
    let s = settings();
    let mut mongo = s.mongo.clone();
    mongo.database = db.to_owned();
    MongoHandle::new(&mongo, &s.health).await.unwrap()
}

fn keyring(current: &str, previous: &[&str]) -> Arc<MasterKeyring> {
    Arc::new(MasterKeyring::new(
        MasterKey::parse(current).unwrap(),
        previous.iter().map(|k| MasterKey::parse(k).unwrap()).collect(),
    ))
}

async fn registry(db: &str, master: &str) -> SimRegistry {
    let r = SimRegistry::new(&handle(db).await, keyring(master, &[]), SimRegistryMetrics::default());
    r.ensure_indexes().await.unwrap();
    r
}

fn iccid(n: u32) -> Iccid {
    let body = format!("89882000000{n:07}");
    Iccid::new(&format!("{body}{}", Iccid::check_digit(&body).unwrap())).unwrap()
}

fn row(n: u32, kvn: u8, kic: bool) -> SimImport {
    SimImport {
        iccid: iccid(n),
        msisdn: Msisdn::new(&format!("4477009{n:05}")).unwrap(),
        imsi: Some(Imsi::new(&format!("2341500000{n:05}")).unwrap()),
        tar: Tar([0xB0, 0x00, 0x10]),
        keys: RegistryKeys::from(KeySet {
            kvn: Kvn::new(kvn).unwrap(),
            kic: kic.then(|| AesKey::from_hex(KIC_HEX).unwrap()),
            kid: AesKey::from_hex(KID_HEX).unwrap(),
        }),
        applet_version: Some("1.0.0".to_owned()),
    }
}

fn kvn(v: u8) -> Kvn {
    Kvn::new(v).unwrap()
}

#[tokio::test]
async fn import_then_credentials_round_trip() {
    let db = unique_db("import");
    let reg = registry(&db, MK_A).await;
    let rows = vec![row(1, 1, true), row(1, 2, false), row(2, 1, true)];
    let outcomes = reg.import_batch(&rows).await.unwrap();
    assert_eq!(outcomes, vec![ImportOutcome::Inserted, ImportOutcome::Updated, ImportOutcome::Inserted]);
    assert_eq!(reg.metrics().import_rows("inserted"), 2);
    assert_eq!(reg.metrics().import_rows("updated"), 1);

    let c = reg.credentials(&iccid(1), kvn(1)).await.unwrap().unwrap();
    assert_eq!(c.keys.kid_octets(), AesKey::from_hex(KID_HEX).unwrap().expose());
    assert_eq!(c.keys.algorithm(), KeyAlgorithm::Aes);
    assert_eq!(
        c.keys.aes().and_then(|k| k.kic.as_ref()).map(|k| k.expose().to_vec()),
        Some(AesKey::from_hex(KIC_HEX).unwrap().expose().to_vec())
    );
    assert_eq!((c.tar, c.counter, c.status), (Tar([0xB0, 0x00, 0x10]), 0, SimStatus::Active));
    let c2 = reg.credentials(&iccid(1), kvn(2)).await.unwrap().unwrap();
    assert!(!c2.keys.has_kic());
    assert!(reg.credentials(&iccid(1), kvn(3)).await.unwrap().is_none(), "no key set 3");
    assert!(reg.credentials(&iccid(9), kvn(1)).await.unwrap().is_none(), "no such SIM");
    assert_eq!(reg.metrics().lookups("credentials", "not_found"), 2);

    let entry = reg.by_msisdn(&Msisdn::new("+447700900001").unwrap()).await.unwrap().unwrap();
    assert_eq!(entry.iccid, iccid(1));
    assert_eq!(
        entry.key_sets.iter().map(|k| (k.kvn.get(), k.has_kic)).collect::<Vec<_>>(),
        vec![(1, true), (2, false)]
    );
    assert!(reg.by_msisdn(&Msisdn::new("447700999999").unwrap()).await.unwrap().is_none());

    // The same MSISDN on another SIM is refused, and nothing is written.
    let mut clash = row(3, 1, true);
    clash.msisdn = Msisdn::new("447700900001").unwrap();
    let outcome = reg.upsert(&clash).await.unwrap();
    assert!(matches!(outcome, ImportOutcome::Rejected { column: "msisdn", .. }), "{outcome:?}");
    assert!(reg.get(&iccid(3)).await.unwrap().is_none());
}

#[tokio::test]
async fn reimport_never_lowers_the_counter() {
    let db = unique_db("reimport");
    let reg = registry(&db, MK_A).await;
    assert_eq!(reg.upsert(&row(1, 1, true)).await.unwrap(), ImportOutcome::Inserted);
    assert_eq!(reg.accept_counter(&iccid(1), kvn(1), 41).await.unwrap(), CounterOutcome::Accepted);
    let mut changed = row(1, 1, false);
    changed.applet_version = None;
    assert_eq!(reg.upsert(&changed).await.unwrap(), ImportOutcome::Updated);
    let c = reg.credentials(&iccid(1), kvn(1)).await.unwrap().unwrap();
    assert_eq!(c.counter, 41, "re-import reset the counter");
    assert!(!c.keys.has_kic(), "the row without KIc replaced the key set");
    assert_eq!(reg.get(&iccid(1)).await.unwrap().unwrap().applet_version, None);
}

#[tokio::test]
async fn counter_is_monotonic_under_concurrent_accepts() {
    let db = unique_db("counter");
    let reg = registry(&db, MK_A).await;
    reg.upsert(&row(1, 1, true)).await.unwrap();
    let sim = iccid(1);
    const TASKS: u64 = 6;
    const VALUES: u64 = 20;
    // Every task offers every value 1..=VALUES in order, as competing
    // sessions replaying one another's packets would.
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (reg, sim) = (reg.clone(), sim.clone());
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for v in 1..=VALUES {
                if reg.accept_counter(&sim, kvn(1), v).await.unwrap() == CounterOutcome::Accepted {
                    won.push(v);
                }
            }
            won
        }));
    }
    let mut wins = Vec::new();
    for t in tasks {
        wins.extend(tokio::time::timeout(std::time::Duration::from_secs(60), t).await.unwrap().unwrap());
    }
    wins.sort_unstable();
    // Exactly one task wins each value it was the first to offer; no value
    // is accepted twice, and none accepted is below an earlier one.
    let mut dedup = wins.clone();
    dedup.dedup();
    assert_eq!(wins, dedup, "a value was accepted twice");
    assert!(wins.contains(&VALUES), "the highest value was never accepted: {wins:?}");
    assert_eq!(reg.metrics().counters_accepted(), wins.len() as u64);
    assert_eq!(reg.metrics().counter_refusals("replayed"), TASKS * VALUES - wins.len() as u64);
    assert_eq!(reg.credentials(&sim, kvn(1)).await.unwrap().unwrap().counter, VALUES);

    assert_eq!(
        reg.accept_counter(&sim, kvn(1), VALUES).await.unwrap(),
        CounterOutcome::Replayed { last: VALUES }
    );
    assert_eq!(reg.accept_counter(&sim, kvn(2), 1).await.unwrap(), CounterOutcome::Unknown);
    assert_eq!(reg.accept_counter(&iccid(5), kvn(1), 1).await.unwrap(), CounterOutcome::Unknown);
    assert!(matches!(reg.accept_counter(&sim, kvn(1), 1 << 40).await, Err(RegistryError::CounterRange(_))));
}

#[tokio::test]
async fn wrong_master_key_fails_cleanly_and_rotation_opens() {
    let db = unique_db("masterkey");
    registry(&db, MK_A).await.upsert(&row(1, 1, true)).await.unwrap();

    let wrong = registry(&db, MK_B).await;
    let err = wrong.credentials(&iccid(1), kvn(1)).await.unwrap_err();
    assert!(matches!(err, RegistryError::Seal { source: SealError::UnknownMasterKey(_), .. }), "{err:?}");
    let shown = err.to_string();
    assert!(!shown.contains("6b6b") && !shown.contains("d1d1"), "key material in {shown}");
    assert_eq!(wrong.metrics().lookups("credentials", "error"), 1);

    let rotated = SimRegistry::new(&handle(&db).await, keyring(MK_B, &[MK_A]), SimRegistryMetrics::default());
    let c = rotated.credentials(&iccid(1), kvn(1)).await.unwrap().unwrap();
    assert_eq!(c.keys.kid_octets(), AesKey::from_hex(KID_HEX).unwrap().expose());

    // A sealed key copied onto another SIM does not open there.
    let other = registry(&db, MK_A).await;
    other.upsert(&row(2, 1, true)).await.unwrap();
    let coll = handle(&db).await.database().collection::<Document>(SIMS);
    let first = coll.find_one(doc! { "_id": iccid(1).as_str() }).await.unwrap().unwrap();
    let kid =
        first.get_document("key_sets").unwrap().get_document("kvn01").unwrap().get("kid").unwrap().clone();
    coll.update_one(doc! { "_id": iccid(2).as_str() }, doc! { "$set": { "key_sets.kvn01.kid": kid } })
        .await
        .unwrap();
    let err = other.credentials(&iccid(2), kvn(1)).await.unwrap_err();
    assert!(matches!(err, RegistryError::Seal { source: SealError::Open, .. }), "{err:?}");
}

#[tokio::test]
async fn keys_are_not_stored_in_clear() {
    let db = unique_db("clear");
    let reg = registry(&db, MK_A).await;
    reg.upsert(&row(1, 1, true)).await.unwrap();
    let raw = handle(&db).await.database().collection::<Document>(SIMS);
    let stored = raw.find_one(doc! { "_id": iccid(1).as_str() }).await.unwrap().unwrap();
    let bytes = mongodb::bson::to_vec(&stored).unwrap();
    let text = format!("{stored}");
    for key_hex in [KIC_HEX, KID_HEX] {
        let octets = AesKey::from_hex(key_hex).unwrap().expose().to_vec();
        assert!(!bytes.windows(octets.len()).any(|w| w == octets.as_slice()), "raw key octets stored");
        assert!(!text.to_lowercase().contains(key_hex), "key as hex stored");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&octets);
        assert!(!text.contains(b64.trim_end_matches('=')), "key as base64 stored");
    }
    let set = stored.get_document("key_sets").unwrap().get_document("kvn01").unwrap();
    let mk = set.get_document("kid").unwrap().get_str("mk").unwrap();
    assert_eq!(mk, MasterKey::parse(MK_A).unwrap().id().to_string());
    assert_eq!(set.get_i64("counter").unwrap(), 0);
}

#[tokio::test]
async fn reseal_moves_every_key_to_the_current_master_key() {
    let db = unique_db("reseal");
    let old = registry(&db, MK_A).await;
    old.import_batch(&[row(1, 1, true), row(1, 2, false), row(2, 1, true)]).await.unwrap();
    assert_eq!(old.accept_counter(&iccid(1), kvn(1), 7).await.unwrap(), CounterOutcome::Accepted);

    let rotated = SimRegistry::new(&handle(&db).await, keyring(MK_B, &[MK_A]), SimRegistryMetrics::default());
    let report = rotated.reseal_all().await.unwrap();
    assert_eq!((report.resealed, report.current, report.skipped, report.failed), (2, 0, 0, 0));
    assert_eq!(rotated.reseal_all().await.unwrap().current, 2, "second run finds nothing to do");

    // Without the previous key everything still opens, counters unchanged.
    let only_new = registry(&db, MK_B).await;
    let c = only_new.credentials(&iccid(1), kvn(1)).await.unwrap().unwrap();
    assert_eq!((c.counter, c.keys.has_kic()), (7, true));
    assert!(only_new.credentials(&iccid(2), kvn(1)).await.unwrap().is_some());
    assert!(matches!(old.credentials(&iccid(1), kvn(2)).await, Err(RegistryError::Seal { .. })));

    // A key that opens with no configured master key is counted, not lost.
    let stranger = SimRegistry::new(
        &handle(&db).await,
        keyring("8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d", &[]),
        SimRegistryMetrics::default(),
    );
    assert_eq!(stranger.reseal_all().await.unwrap().failed, 2);
}

const DES_KIC: &str = "0123456789abcdeffedcba9876543210";
const DES_KID: &str = "89abcdef0123456776543210fedcba98";

fn des_row(n: u32, kvn: u8) -> SimImport {
    let octets = |h: &str| {
        (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect::<Vec<u8>>()
    };
    SimImport {
        keys: RegistryKeys::new(
            KeyAlgorithm::TripleDes2Key,
            Kvn::new(kvn).unwrap(),
            Some(&octets(DES_KIC)),
            &octets(DES_KID),
        )
        .unwrap(),
        ..row(n, kvn, true)
    }
}

#[tokio::test]
async fn des_key_sets_are_sealed_stored_and_resealed_with_their_algorithm() {
    let db = unique_db("des");
    let reg = registry(&db, MK_A).await;
    let outcomes = reg.import_batch(&[row(1, 1, true), des_row(1, 2), des_row(2, 3)]).await.unwrap();
    assert_eq!(outcomes, vec![ImportOutcome::Inserted, ImportOutcome::Updated, ImportOutcome::Inserted]);

    let c = reg.credentials(&iccid(1), kvn(2)).await.unwrap().unwrap();
    assert_eq!(c.keys.algorithm(), KeyAlgorithm::TripleDes2Key);
    assert!(c.keys.aes().is_none(), "a DES key set has no AES view");
    assert_eq!(c.keys, des_row(1, 2).keys, "the registry gives back the imported DES keys");
    assert_eq!(
        reg.credentials(&iccid(1), kvn(1)).await.unwrap().unwrap().keys.algorithm(),
        KeyAlgorithm::Aes
    );
    let entry = reg.get(&iccid(1)).await.unwrap().unwrap();
    let algorithms: Vec<_> = entry.key_sets.iter().map(|k| (k.kvn.get(), k.algorithm)).collect();
    assert_eq!(algorithms, vec![(1, KeyAlgorithm::Aes), (2, KeyAlgorithm::TripleDes2Key)]);

    // Stored under its serde name, sealed: no octet of the keys in clear.
    let raw = handle(&db).await.database().collection::<Document>(SIMS);
    let stored = raw.find_one(doc! { "_id": iccid(2).as_str() }).await.unwrap().unwrap();
    let set = stored.get_document("key_sets").unwrap().get_document("kvn03").unwrap();
    assert_eq!(set.get_str("algorithm").unwrap(), "3des-2key");
    let bytes = mongodb::bson::to_vec(&stored).unwrap();
    for key in [des_row(2, 3).keys.kid_octets().to_vec(), des_row(2, 3).keys.kic_octets().unwrap().to_vec()] {
        assert!(!bytes.windows(8).any(|w| key.windows(8).any(|k| k == w)), "DES key octets stored in clear");
    }
    let text = format!("{stored}").to_lowercase();
    assert!(!text.contains(&DES_KID[..16]) && !text.contains(&DES_KIC[..16]), "DES key as hex stored");

    // A re-import as AES replaces the algorithm with the keys.
    reg.upsert(&row(2, 3, false)).await.unwrap();
    assert_eq!(
        reg.credentials(&iccid(2), kvn(3)).await.unwrap().unwrap().keys.algorithm(),
        KeyAlgorithm::Aes
    );

    // Rotation re-seals DES keys as it does AES ones.
    let rotated = SimRegistry::new(&handle(&db).await, keyring(MK_B, &[MK_A]), SimRegistryMetrics::default());
    assert_eq!(rotated.reseal_all().await.unwrap().resealed, 2);
    let c = registry(&db, MK_B).await.credentials(&iccid(1), kvn(2)).await.unwrap().unwrap();
    assert_eq!(c.keys, des_row(1, 2).keys);

    // A DES key that opens at the wrong length for its algorithm is an
    // error of that key, never keys handed out.
    raw.update_one(
        doc! { "_id": iccid(1).as_str() },
        doc! { "$set": { "key_sets.kvn02.algorithm": "des-cbc" } },
    )
    .await
    .unwrap();
    let err = registry(&db, MK_B).await.credentials(&iccid(1), kvn(2)).await.unwrap_err();
    assert!(matches!(err, RegistryError::Seal { source: SealError::Key(_), .. }), "{err:?}");
    assert!(!err.to_string().contains(&DES_KID[..8]), "{err}");
}
