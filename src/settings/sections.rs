//! The sections of [`Settings`](super::Settings), each with its defaults.
//!
//! Every struct rejects unknown keys, so a misspelt setting fails start-up
//! instead of being silently ignored. Durations are written the human way
//! (`"5s"`, `"1m 30s"`).

use super::secret::{Secret, SecretUrl};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Who this process is within the fleet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceSettings {
    /// Unique name of this instance (a pod name). Used in bind leases and
    /// session registries, so two live instances must never share it. When
    /// absent, `HOSTNAME` is used, then a name made from the process id.
    pub id: Option<String>,
    /// Region this instance runs in; carried on every event.
    pub region: String,
    /// Active instances take traffic; passive ones keep binds warm.
    pub role: Role,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        Self { id: None, region: "local".to_owned(), role: Role::Active }
    }
}

/// Role of an instance's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Takes MT traffic and applet sessions.
    Active,
    /// Keeps SMPP binds warm but takes traffic only when configured to.
    Passive,
}

/// The HTTP listener: health, probes, metrics and the API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Address the HTTP listener binds.
    pub listen: SocketAddr,
    /// Longest time one HTTP request may take before it is answered 503.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Most HTTP requests served at once; more wait for a slot.
    pub max_concurrent_requests: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            request_timeout: Duration::from_secs(10),
            max_concurrent_requests: 1024,
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter (`info`, `simgate=debug,info`). `RUST_LOG`, when
    /// set, takes precedence.
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { level: "info".to_owned(), format: LogFormat::Auto }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

/// The shutdown sequence (SIGTERM or SIGINT).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownSettings {
    /// How long the instance keeps serving while reporting not-ready, so
    /// load balancers stop sending new work before listeners close.
    #[serde(with = "humantime_serde")]
    pub drain_delay: Duration,
    /// Upper bound on the whole shutdown, from the signal to exit. The
    /// Kubernetes `terminationGracePeriodSeconds` must be above it.
    #[serde(with = "humantime_serde")]
    pub grace_period: Duration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        Self { drain_delay: Duration::from_secs(5), grace_period: Duration::from_secs(30) }
    }
}

/// Background checks of the backends, feeding `/health` and `/readyz`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthSettings {
    /// Time between two checks of each backend.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
    /// Longest a single check may take before the backend counts as down.
    #[serde(with = "humantime_serde")]
    pub check_timeout: Duration,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self { check_interval: Duration::from_secs(5), check_timeout: Duration::from_secs(2) }
    }
}

/// Redis: bind leases, receipt correlation, MO reassembly, session registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// Whether this instance uses Redis at all.
    pub enabled: bool,
    /// `redis://host:port/db`, or `rediss://` for TLS.
    pub url: SecretUrl,
    /// ACL user name (Redis Enterprise gives one per application).
    pub username: Option<String>,
    /// ACL password; prefer `SIMGATE__REDIS__PASSWORD` over the file.
    pub password: Secret,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            enabled: cfg!(feature = "redis"),
            url: SecretUrl::new("redis://127.0.0.1:6379"),
            username: None,
            password: Secret::default(),
        }
    }
}

/// MongoDB: messages, outbox, SIM registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MongoSettings {
    /// Whether this instance uses MongoDB at all.
    pub enabled: bool,
    /// `mongodb://` or `mongodb+srv://` connection string.
    pub uri: SecretUrl,
    /// Database holding simgate's collections.
    pub database: String,
    /// User name, when not given in the URI.
    pub username: Option<String>,
    /// Password, when not given in the URI; prefer the environment.
    pub password: Secret,
}

impl Default for MongoSettings {
    fn default() -> Self {
        Self {
            enabled: cfg!(feature = "mongo"),
            uri: SecretUrl::new("mongodb://127.0.0.1:27017"),
            database: "simgate".to_owned(),
            username: None,
            password: Secret::default(),
        }
    }
}

/// Kafka: every event simgate produces, and the MT command topic.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaSettings {
    /// Whether this instance uses Kafka at all.
    pub enabled: bool,
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Client id the brokers see.
    pub client_id: String,
    /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`.
    pub security_protocol: String,
    /// SASL user name, when the protocol uses SASL.
    pub sasl_username: Option<String>,
    /// SASL password; prefer the environment.
    pub sasl_password: Secret,
    /// `SCRAM-SHA-512` (Strimzi's), `SCRAM-SHA-256` or `PLAIN`.
    pub sasl_mechanism: String,
    /// PEM file of the CA that signed the brokers' certificates, for the
    /// `ssl` protocols (Strimzi's cluster CA); unset: the system's roots.
    pub tls_ca_file: Option<PathBuf>,
    /// PEM client certificate, for brokers that authenticate clients by
    /// TLS (a Strimzi `KafkaUser` of type `tls`); needs `tls_key_file`.
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// Password of `tls_key_file`, when it is encrypted.
    pub tls_key_password: Secret,
    /// Check that the broker's certificate names the host dialled. Off
    /// only for brokers reached by an address their certificate lacks.
    pub tls_verify_hostname: bool,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            enabled: cfg!(feature = "kafka"),
            brokers: "127.0.0.1:9092".to_owned(),
            client_id: "simgate".to_owned(),
            security_protocol: "plaintext".to_owned(),
            sasl_username: None,
            sasl_password: Secret::default(),
            sasl_mechanism: "SCRAM-SHA-512".to_owned(),
            tls_ca_file: None,
            tls_cert_file: None,
            tls_key_file: None,
            tls_key_password: Secret::default(),
            tls_verify_hostname: true,
        }
    }
}
