//! `simgate sims import` run as an operator runs it: the built binary
//! against the local stack's MongoDB (scripts/stack.sh), with its exit
//! statuses, its report of rejected rows and its summary.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::backends::mongo::MongoHandle;
use simgate::settings::Settings;
use simgate::sim::registry::{MasterKey, MasterKeyring, SimRegistry, SimRegistryMetrics};
use simgate::sim::{Iccid, KeyAlgorithm, Kvn};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use support::stack;

/// A fake master key, for this test only.
const MASTER: &str = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";
const KID: &str = "0f1e2d3c4b5a69780f1e2d3c4b5a6978";

/// Environment variables of one run.
type Env = Vec<(String, String)>;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos() % 1_000_000_000_000;
    format!("sc_{tag}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A file under the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, body: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{}.csv", unique(tag)));
        std::fs::write(&path, body).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Settings environment for database `db` with the master key inline.
fn env(db: &str) -> Env {
    vec![
        ("SIMGATE__MONGO__URI".to_owned(), stack("SIMGATE__MONGO__URI")),
        ("SIMGATE__MONGO__DATABASE".to_owned(), db.to_owned()),
        ("SIMGATE__SIM__MASTER_KEY".to_owned(), MASTER.to_owned()),
    ]
}

/// Runs `simgate args...` with exactly `env`, killed after 60 s.
fn simgate(args: &[&str], env: &[(String, String)]) -> Run {
    let child = support::simgate()
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let started = Instant::now();
    let out = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            panic!("simgate {args:?} still running after {:?}", started.elapsed());
        }
    };
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sims.example.csv")
}

fn iccid(n: u32) -> Iccid {
    let body = format!("89882000000{n:07}");
    Iccid::new(&format!("{body}{}", Iccid::check_digit(&body).unwrap())).unwrap()
}

async fn registry(db: &str) -> SimRegistry {
    let s = Settings::load_from(None, env(db)).unwrap();
    let handle = MongoHandle::new(&s.mongo, &s.health).await.unwrap();
    let ring = MasterKeyring::new(MasterKey::parse(MASTER).unwrap(), Vec::new());
    SimRegistry::new(&handle, Arc::new(ring), SimRegistryMetrics::default())
}

#[tokio::test]
async fn example_file_imports_and_reimport_updates() {
    let db = unique("example");
    let path = example();
    let run = simgate(&["sims", "import", path.to_str().unwrap()], &env(&db));
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 imported, 1 updated, 0 rejected"), "{}", run.stdout);
    assert_eq!(run.stderr, "");

    let again = simgate(&["sims", "import", path.to_str().unwrap()], &env(&db));
    assert_eq!(again.code, Some(0), "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("0 imported, 5 updated, 0 rejected"), "{}", again.stdout);

    let reg = registry(&db).await;
    let sim4 = reg.credentials(&iccid(4), Kvn::new(2).unwrap()).await.unwrap().unwrap();
    assert_eq!(sim4.keys.kid_octets().len(), 32, "the AES-256 KID of the example");
    let sim1 = reg.credentials(&iccid(1), Kvn::new(1).unwrap()).await.unwrap().unwrap();
    assert!(sim1.keys.has_kic());
    assert_eq!(sim1.keys.algorithm(), KeyAlgorithm::Aes, "a file without the algorithm column is AES");
}

#[tokio::test]
async fn rejected_rows_are_reported_by_line_and_column_without_keys() {
    let db = unique("rejects");
    let (a, b, c) = (iccid(11), iccid(12), iccid(13));
    let long_kic = "aa".repeat(17);
    let body = format!(
        "iccid,msisdn,imsi,tar,kvn,kic,kid\n\
         {a},447700900011,,B00010,1,,{KID}\n\
         {b},447700900012,,B00010,1,{long_kic},{KID}\n\
         {c},447700900011,,B00010,1,,{KID}\n\
         {c},447700900013,,B0001,1,,{KID}\n\
         {c},447700900013,,B00010,0,,{KID}\n"
    );
    let file = TempFile::new("rejects", &body);
    let run = simgate(&["sims", "import", file.0.to_str().unwrap()], &env(&db));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stderr);
    assert!(lines[0].starts_with("line 3: kic: "), "{}", run.stderr);
    assert!(lines[1].starts_with("line 5: tar: "), "{}", run.stderr);
    assert!(lines[2].starts_with("line 6: kvn: "), "{}", run.stderr);
    assert_eq!(lines[3], "line 4: msisdn: already belongs to another SIM", "{}", run.stderr);
    assert!(run.stdout.contains("1 imported, 0 updated, 4 rejected"), "{}", run.stdout);
    for secret in [KID, &long_kic[..16], &MASTER[..16]] {
        assert!(!run.stderr.contains(secret) && !run.stdout.contains(secret), "key material printed");
    }
}

#[tokio::test]
async fn a_3des_row_imports_and_bad_algorithms_are_rejected_rows() {
    let db = unique("des");
    let (a, b, c, d) = (iccid(31), iccid(32), iccid(33), iccid(34));
    let des_kic = "0123456789abcdeffedcba9876543210";
    let des_kid = "89abcdef0123456776543210fedcba98";
    let body = format!(
        "iccid,msisdn,imsi,tar,kvn,kic,kid,algorithm\n\
         {a},447700900031,,B00010,1,{des_kic},{des_kid},3des-2key\n\
         {b},447700900032,,B00010,1,,{KID},\n\
         {c},447700900033,,B00010,1,,{des_kid},triple-des\n\
         {d},447700900034,,B00010,1,,{KID}00,3des-3key\n"
    );
    let file = TempFile::new("des", &body);
    let run = simgate(&["sims", "import", file.0.to_str().unwrap()], &env(&db));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("line 4: algorithm: unknown algorithm; one of aes, des-cbc,"),
        "{}",
        run.stderr
    );
    assert_eq!(lines[1], "line 5: kid: 3des-3key needs a key of 24 octets, got 17", "{}", run.stderr);
    assert!(run.stdout.contains("2 imported, 0 updated, 2 rejected"), "{}", run.stdout);
    for secret in [KID, des_kic, des_kid, &des_kid[..16]] {
        assert!(!run.stderr.contains(secret) && !run.stdout.contains(secret), "key material printed");
    }

    let reg = registry(&db).await;
    let des = reg.credentials(&a, Kvn::new(1).unwrap()).await.unwrap().unwrap();
    assert_eq!(des.keys.algorithm(), KeyAlgorithm::TripleDes2Key);
    let hex = |o: &[u8]| o.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(des.keys.kic_octets().map(hex).as_deref(), Some(des_kic));
    assert_eq!(hex(des.keys.kid_octets()), des_kid);
    assert!(des.keys.aes().is_none());
    let aes = reg.credentials(&b, Kvn::new(1).unwrap()).await.unwrap().unwrap();
    assert_eq!(aes.keys.algorithm(), KeyAlgorithm::Aes, "an empty algorithm is aes");
    assert!(reg.get(&c).await.unwrap().is_none() && reg.get(&d).await.unwrap().is_none());

    // `simgate ota decode --iccid` opens a wake-up and a PoR under the DES
    // key set, the algorithm taken from the registry.
    use simgate::sim::ota::{RESPONSE_AAD, command_sms, wake_up_packet};
    use simgate::sim::secured::{Counter, Kic, PorSecurity, ResponsePacket, ResponseStatus};
    let wake = wake_up_packet(&des.keys, des.tar, Counter::new(6).unwrap());
    let sms = command_sms(&wake, &des.keys, 0).unwrap();
    let sms_hex = hex(&sms[0]);
    let run = simgate(&["ota", "decode", &sms_hex, "--iccid", a.as_str()], &env(&db));
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["kid"].as_str(), Some("15"), "{json}");
    assert_eq!(json["kid_fields"]["algorithm"].as_str(), Some("3des-2key-mac"), "{json}");
    assert_eq!(json["counter"].as_str(), Some("0000000006"), "{json}");
    let security = PorSecurity::for_command(wake.spi, Kic(0), des.keys.kid());
    let por =
        ResponsePacket { tar: des.tar, counter: wake.counter, status: ResponseStatus::PorOk, data: vec![] };
    let sealed = des.keys.seal_response(&por, &security, &RESPONSE_AAD).unwrap();
    let run = simgate(
        &["ota", "decode", &hex(&sealed), "--response", "--iccid", a.as_str(), "--kvn", "1"],
        &env(&db),
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["security"]["kid_algorithm"].as_str(), Some("3des-2key-mac"), "{json}");
    assert_eq!(json["status_name"].as_str(), Some("por_ok"), "{json}");
    // The same packet as AES is refused with the key set's algorithm named.
    // Octet 9: the KID (UDH 3, CPL 2, CHL 1, SPI 2, KIc 1).
    assert_eq!(sms[0][9], 0x15);
    let aes_named = [&sms[0][..9], &[0x12], &sms[0][10..]].concat();
    let run = simgate(&["ota", "decode", &hex(&aes_named), "--iccid", a.as_str()], &env(&db));
    assert_eq!(run.code, Some(64), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("key set 1 in the registry is 3des-2key"), "{}", run.stderr);
    for secret in [des_kic, des_kid] {
        assert!(!run.stderr.contains(secret), "key material printed");
    }
}

#[tokio::test]
async fn dry_run_validates_and_writes_nothing() {
    let db = unique("dry");
    let file = TempFile::new(
        "dry",
        &format!(
            "iccid,msisdn,imsi,tar,kvn,kic,kid\n{},447700900021,,B00010,1,,{KID}\n1234,447700900022,,B00010,1,,{KID}\n",
            iccid(21)
        ),
    );
    // No master key and no MongoDB needed for a dry run.
    let no_backends = vec![("SIMGATE__MONGO__ENABLED".to_owned(), "false".to_owned())];
    let run = simgate(&["sims", "import", "--dry-run", file.0.to_str().unwrap()], &no_backends);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.starts_with("line 3: iccid: "), "{}", run.stderr);
    assert!(run.stdout.contains("1 valid, 1 rejected, nothing written"), "{}", run.stdout);

    let run = simgate(&["sims", "import", "--dry-run", file.0.to_str().unwrap()], &env(&db));
    assert_eq!(run.code, Some(1));
    assert!(registry(&db).await.get(&iccid(21)).await.unwrap().is_none(), "a dry run wrote");
}

#[tokio::test]
async fn master_key_from_a_file() {
    let db = unique("keyfile");
    let key_file = TempFile::new("mk", &format!("{MASTER}\n"));
    let mut env = env(&db);
    env.retain(|(k, _)| k != "SIMGATE__SIM__MASTER_KEY");
    env.push(("SIMGATE__SIM__MASTER_KEY_FILE".to_owned(), key_file.0.to_str().unwrap().to_owned()));
    let path = example();
    let run = simgate(&["sims", "import", path.to_str().unwrap()], &env);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    // Sealed under the key of the file: opens with the same key given inline.
    assert!(registry(&db).await.credentials(&iccid(2), Kvn::new(1).unwrap()).await.unwrap().is_some());
}

#[test]
fn bad_arguments_and_settings_exit_64() {
    let db = unique("usage");
    let path = example();
    let example = path.to_str().unwrap();
    let mut no_key = env(&db);
    no_key.retain(|(k, _)| k != "SIMGATE__SIM__MASTER_KEY");
    let bad_header = TempFile::new("header", "iccid,msisdn,tar,kvn,kid\n");
    let cases: Vec<(Vec<&str>, Env, &str)> = vec![
        (vec!["sims", "import", example], no_key.clone(), "sim.master_key"),
        (vec!["sims", "import", "/nonexistent/sims.csv"], env(&db), "/nonexistent/sims.csv"),
        (vec!["sims", "import", bad_header.0.to_str().unwrap()], env(&db), "imsi"),
        (vec!["sims", "import", "--batch-size", "0", example], env(&db), "batch-size"),
        (vec!["sims", "import"], env(&db), "FILE"),
        (
            vec!["sims", "import", example],
            [env(&db), vec![("SIMGATE__MONGO__ENABLED".to_owned(), "false".to_owned())]].concat(),
            "mongo.enabled",
        ),
        (
            vec!["sims", "import", example],
            [env(&db), vec![("SIMGATE__SIM__MASTER_KEY_FILE".to_owned(), "/k".to_owned())]].concat(),
            "not both",
        ),
    ];
    for (args, env, needle) in cases {
        let run = simgate(&args, &env);
        assert_eq!(run.code, Some(64), "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(&MASTER[..16]), "master key printed");
    }
}

#[tokio::test]
async fn reseal_after_rotation() {
    let db = unique("reseal");
    let path = example();
    assert_eq!(simgate(&["sims", "import", path.to_str().unwrap()], &env(&db)).code, Some(0));
    let new_key = "4d".repeat(32);
    let previous = TempFile::new("prev", &format!("# the key before the rotation\n{MASTER}\n"));
    let mut rotated = env(&db);
    rotated.retain(|(k, _)| k != "SIMGATE__SIM__MASTER_KEY");
    rotated.push(("SIMGATE__SIM__MASTER_KEY".to_owned(), new_key.clone()));
    rotated.push((
        "SIMGATE__SIM__PREVIOUS_MASTER_KEYS_FILE".to_owned(),
        previous.0.to_str().unwrap().to_owned(),
    ));
    let run = simgate(&["sims", "reseal"], &rotated);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let id = MasterKey::parse(&new_key).unwrap().id().to_string();
    assert!(
        run.stdout.contains(&format!("master key {id}: 4 resealed, 0 already current")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(&new_key[..16]) && !run.stderr.contains(&new_key[..16]));

    // The old key alone no longer opens anything.
    let run = simgate(&["sims", "reseal"], &env(&db));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 failed"), "{}", run.stdout);
}
