//! Loading, precedence and rejection of settings.

use super::*;
use std::io::Write;
use std::time::Duration;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn toml_file(body: &str) -> tempfile_lite::TempToml {
    tempfile_lite::TempToml::new(body)
}

/// A throwaway TOML file under the target directory, removed on drop.
mod tempfile_lite {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    pub struct TempToml(pub PathBuf);
    static N: AtomicU32 = AtomicU32::new(0);

    impl TempToml {
        pub fn new(body: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "simgate-settings-{}-{}.toml",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let mut f = std::fs::File::create(&path).unwrap();
            f.write_all(body.as_bytes()).unwrap();
            Self(path)
        }
    }

    impl Drop for TempToml {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn defaults_are_valid() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.http.listen.port(), 8080);
    assert_eq!(s.shutdown.grace_period, Duration::from_secs(30));
    assert_eq!(s.instance.role, Role::Active);
    assert!(s.sms.command_topic_enabled);
    assert_eq!(s.sms.command_group, "simgate-mt");
    assert_eq!(s.sms.bind_down_grace, Duration::from_secs(30));
}

#[test]
fn environment_overrides_file_overrides_defaults() {
    let f = toml_file("[http]\nlisten = \"127.0.0.1:9000\"\n[shutdown]\ngrace_period = \"40s\"\n");
    let s = Settings::load_from(
        Some(&f.0),
        env(&[("SIMGATE__SHUTDOWN__GRACE_PERIOD", "45s"), ("SIMGATE_UNRELATED", "x")]),
    )
    .unwrap();
    assert_eq!(s.http.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(s.shutdown.grace_period, Duration::from_secs(45));
}

#[test]
fn bad_value_names_its_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("SIMGATE__HTTP__LISTEN", "not-an-address", "http.listen"),
        ("SIMGATE__SHUTDOWN__GRACE_PERIOD", "soon", "shutdown.grace_period"),
        ("SIMGATE__INSTANCE__ROLE", "leader", "instance.role"),
        ("SIMGATE__HTTP__MAX_CONCURRENT_REQUESTS", "-1", "http.max_concurrent_requests"),
        ("SIMGATE__KAFKA__BROKERS", "nohostport", "kafka.brokers"),
        ("SIMGATE__REDIS__URL", "http://x", "redis.url"),
        ("SIMGATE__LOG__LEVEL", "simgate=loud", "log.level"),
        ("SIMGATE__SHUTDOWN__DRAIN_DELAY", "1h", "shutdown.drain_delay"),
        ("SIMGATE__INSTANCE__REGION", "us east", "instance.region"),
        ("SIMGATE__SMS__COMMAND_GROUP", "a group", "sms.command_group"),
        ("SIMGATE__SMS__BIND_DOWN_GRACE", "100ms", "sms.bind_down_grace"),
        ("SIMGATE__SMS__BIND_DOWN_GRACE", "2h", "sms.bind_down_grace"),
        ("SIMGATE__SMS__COMMAND_TOPIC_ENABLED", "perhaps", "sms.command_topic_enabled"),
    ];
    for (var, value, key) in cases {
        let err = Settings::load_from(None, env(&[(var, value)])).unwrap_err();
        assert_eq!(&err.key, key, "{var}={value}: {err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
}

#[test]
fn unknown_keys_are_rejected() {
    let err = Settings::load_from(None, env(&[("SIMGATE__HTTP__LISTN", "0.0.0.0:1")])).unwrap_err();
    assert!(err.to_string().contains("listn"), "{err}");

    let f = toml_file("[nonsense]\nx = 1\n");
    let err = Settings::load_from(Some(&f.0), env(&[])).unwrap_err();
    assert!(err.to_string().contains("nonsense"), "{err}");
}

#[test]
fn missing_or_broken_file_is_an_error() {
    let err =
        Settings::load_from(Some(std::path::Path::new("/nonexistent/simgate.toml")), env(&[])).unwrap_err();
    assert!(err.problem.contains("not found"), "{err}");

    let f = toml_file("[http\nlisten=");
    let err = Settings::load_from(Some(&f.0), env(&[])).unwrap_err();
    assert!(err.key.ends_with(".toml"), "{err}");
}

#[test]
fn secrets_are_redacted_in_rendered_config() {
    let s = Settings::load_from(
        None,
        env(&[
            ("SIMGATE__REDIS__PASSWORD", "redis-pass-123"),
            ("SIMGATE__MONGO__URI", "mongodb://app:mongo-pass-456@db:27017/"),
            ("SIMGATE__KAFKA__SASL_PASSWORD", "kafka-pass-789"),
        ]),
    )
    .unwrap();
    let rendered = s.to_redacted_toml();
    let debugged = format!("{s:?}");
    for secret in ["redis-pass-123", "mongo-pass-456", "kafka-pass-789"] {
        assert!(!rendered.contains(secret), "{secret} in config check output");
        assert!(!debugged.contains(secret), "{secret} in Debug output");
    }
    assert!(rendered.contains(REDACTED));
    assert_eq!(s.redis.password.expose(), "redis-pass-123");
}

#[test]
fn rendered_config_loads_back_to_the_same_values() {
    let s = Settings::load_from(None, env(&[("SIMGATE__HTTP__LISTEN", "127.0.0.1:1234")])).unwrap();
    let f = toml_file(&s.to_redacted_toml());
    let again = Settings::load_from(Some(&f.0), env(&[])).unwrap();
    assert_eq!(again.http.listen, s.http.listen);
    assert_eq!(again.shutdown.grace_period, s.shutdown.grace_period);
}

#[test]
fn example_config_is_valid_and_documents_every_section() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/simgate.example.toml");
    Settings::load_from(Some(&path), env(&[])).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let defaults: toml::Table = toml::from_str(&Settings::default().to_redacted_toml()).unwrap();
    for (section, keys) in &defaults {
        assert!(text.contains(&format!("[{section}]")), "section [{section}] undocumented");
        for key in keys.as_table().unwrap().keys() {
            assert!(text.contains(&format!("{key} =")), "key {section}.{key} undocumented");
        }
    }
}

#[test]
fn smpp_accounts_load_from_the_file_with_secrets_from_the_environment() {
    let f = toml_file(
        "[smpp.accounts.primary]\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"simgate\"\n\
         binds = 2\nmax_binds = 4\nwindow = 20\ntps_per_bind = 50\n",
    );
    let s = Settings::load_from(
        Some(&f.0),
        env(&[
            ("SIMGATE__SMPP__ACCOUNTS__PRIMARY__PASSWORD", "s3cret"),
            ("SIMGATE__SMPP__ACCOUNTS__PRIMARY__BIND_MODE", "transmitter_receiver"),
        ]),
    )
    .unwrap();
    let a = &s.smpp.accounts["primary"];
    assert_eq!((a.binds, a.max_binds, a.window), (2, 4, 20));
    assert_eq!(a.password.expose(), "s3cret");
    assert_eq!(a.bind_mode, BindMode::TransmitterReceiver);
    assert!(!s.to_redacted_toml().contains("s3cret"), "the password is never printed");
}

#[test]
fn bad_smpp_values_name_their_key() {
    let cases = [
        ("system_id = \"\"", "smpp.accounts.a.system_id"),
        ("system_id = \"x\"\nbinds = 5\nmax_binds = 4", "smpp.accounts.a.binds"),
        ("system_id = \"x\"\nwindow = 0", "smpp.accounts.a.window"),
        ("system_id = \"x\"\npassword = \"123456789\"", "smpp.accounts.a.password"),
        ("system_id = \"x\"\ntps_per_bind = -1", "smpp.accounts.a.tps_per_bind"),
        (
            "system_id = \"x\"\nreconnect_min = \"5s\"\nreconnect_max = \"1s\"",
            "smpp.accounts.a.reconnect_max",
        ),
        ("system_id = \"x\"\nfrobnicate = 1", "frobnicate"),
    ];
    for (body, key) in cases {
        let f = toml_file(&format!("[smpp.accounts.a]\n{body}\n"));
        let err = Settings::load_from(Some(&f.0), env(&[])).unwrap_err();
        assert!(err.to_string().contains(key), "{body:?}: {err}");
    }
    let f = toml_file("[smpp.accounts.Bad-Name]\nsystem_id = \"x\"\n");
    let err = Settings::load_from(Some(&f.0), env(&[])).unwrap_err();
    assert!(err.to_string().contains("smpp.accounts.Bad-Name"), "{err}");
}

#[test]
fn kafka_tls_settings_are_checked() {
    let ca = toml_file("");
    let ca_path = ca.0.display().to_string();
    let ok = Settings::load_from(
        None,
        env(&[
            ("SIMGATE__KAFKA__SECURITY_PROTOCOL", "ssl"),
            ("SIMGATE__KAFKA__TLS_CA_FILE", ca_path.as_str()),
            ("SIMGATE__KAFKA__TLS_KEY_PASSWORD", "key-pass-321"),
        ]),
    )
    .unwrap();
    assert_eq!(ok.kafka.tls_ca_file.as_deref(), Some(ca.0.as_path()));
    assert!(!ok.to_redacted_toml().contains("key-pass-321"));
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("SIMGATE__KAFKA__SASL_MECHANISM", "GSSAPI")], "kafka.sasl_mechanism"),
        (&[("SIMGATE__KAFKA__TLS_CA_FILE", ca_path.as_str())], "kafka.tls_ca_file"),
        (
            &[
                ("SIMGATE__KAFKA__SECURITY_PROTOCOL", "ssl"),
                ("SIMGATE__KAFKA__TLS_CA_FILE", "/nonexistent/ca.pem"),
            ],
            "kafka.tls_ca_file",
        ),
        (
            &[
                ("SIMGATE__KAFKA__SECURITY_PROTOCOL", "ssl"),
                ("SIMGATE__KAFKA__TLS_CERT_FILE", ca_path.as_str()),
            ],
            "kafka.tls_cert_file",
        ),
    ];
    for (vars, key) in cases {
        let err = Settings::load_from(None, env(vars)).unwrap_err();
        assert_eq!(&err.key, key, "{vars:?}: {err}");
    }
}

/// A fake master key for tests only.
const FAKE_MASTER_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

#[test]
fn sim_master_key_from_the_environment_is_never_printed() {
    let s = Settings::load_from(
        None,
        env(&[("SIMGATE__SIM__ENABLED", "true"), ("SIMGATE__SIM__MASTER_KEY", FAKE_MASTER_KEY)]),
    )
    .unwrap();
    assert!(s.sim.enabled);
    let rendered = s.to_redacted_toml();
    assert!(!rendered.contains("5a5a5a"), "master key in config check output");
    assert!(!format!("{s:?}").contains("5a5a5a"), "master key in Debug output");
    assert!(rendered.contains(&format!("master_key = \"{REDACTED}\"")), "{rendered}");
    let ring = s.sim.keyring().unwrap();
    assert_eq!(ring.current_id().to_string().len(), 8);
}

#[test]
fn sim_needs_exactly_one_master_key_source() {
    let err = Settings::load_from(None, env(&[("SIMGATE__SIM__ENABLED", "true")])).unwrap_err();
    assert_eq!(err.key, "sim.master_key", "{err}");
    let err = Settings::load_from(
        None,
        env(&[("SIMGATE__SIM__MASTER_KEY", FAKE_MASTER_KEY), ("SIMGATE__SIM__MASTER_KEY_FILE", "/run/k")]),
    )
    .unwrap_err();
    assert_eq!(err.key, "sim.master_key", "{err}");
    let err = Settings::load_from(None, env(&[("SIMGATE__SIM__MASTER_KEY", "tooshort")])).unwrap_err();
    assert_eq!(err.key, "sim.master_key", "{err}");
    let err = Settings::load_from(None, env(&[("SIMGATE__SIM__IDLE_TIMEOUT", "6m")])).unwrap_err();
    assert_eq!(err.key, "sim.idle_timeout", "{err}");
    assert!(err.problem.contains("340s"), "{err}");
}

#[test]
fn sim_master_key_file_is_read_by_keyring_not_by_validation() {
    // Validation passes with a path that does not exist (config check runs
    // where the secret is not mounted); the keyring names the key.
    let s = Settings::load_from(
        None,
        env(&[("SIMGATE__SIM__ENABLED", "true"), ("SIMGATE__SIM__MASTER_KEY_FILE", "/nonexistent/mk")]),
    )
    .unwrap();
    let err = s.sim.keyring().unwrap_err();
    assert_eq!(err.key, "sim.master_key_file", "{err}");
    assert!(s.to_redacted_toml().contains("/nonexistent/mk"), "the path may be shown");

    let key_file = toml_file(&format!("{FAKE_MASTER_KEY}\n"));
    let previous = toml_file(&format!("# before the rotation\n{}\n\n", "a5".repeat(32)));
    let s = Settings::load_from(
        None,
        env(&[
            ("SIMGATE__SIM__MASTER_KEY_FILE", key_file.0.to_str().unwrap()),
            ("SIMGATE__SIM__PREVIOUS_MASTER_KEYS_FILE", previous.0.to_str().unwrap()),
        ]),
    )
    .unwrap();
    let from_file = s.sim.keyring().unwrap().current_id();
    let from_env = Settings::load_from(None, env(&[("SIMGATE__SIM__MASTER_KEY", FAKE_MASTER_KEY)]))
        .unwrap()
        .sim
        .keyring()
        .unwrap()
        .current_id();
    assert_eq!(from_file, from_env);

    let bad = toml_file("# only a comment\nnot-a-key\n");
    let s = Settings::load_from(
        None,
        env(&[
            ("SIMGATE__SIM__MASTER_KEY", FAKE_MASTER_KEY),
            ("SIMGATE__SIM__PREVIOUS_MASTER_KEYS_FILE", bad.0.to_str().unwrap()),
        ]),
    )
    .unwrap();
    let err = s.sim.keyring().unwrap_err();
    assert_eq!(err.key, "sim.previous_master_keys_file", "{err}");
    assert!(err.problem.contains("line 2"), "{err}");
    assert!(!err.problem.contains("not-a-key"), "{err}");
}
