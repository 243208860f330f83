//! The one typed settings struct, loaded and validated before any port is
//! bound.
//!
//! Sources, later ones winning: built-in defaults, then an optional TOML file,
//! then `SIMGATE__SECTION__KEY` environment variables (double underscores, so
//! `SIMGATE__HTTP__LISTEN=0.0.0.0:8080`). Unknown keys are rejected. Every
//! problem is reported as a [`SettingsError`] naming the key, and `simgate`
//! exits with [`EX_CONFIG`] on it.

mod api;
mod events;
mod secret;
mod sections;
mod sim;
mod smpp;
mod sms;
mod store;
mod validate;

pub use api::{ApiSettings, MIN_API_KEY_LEN};
pub use events::{EventSettings, MAX_IN_FLIGHT_LIMIT, MAX_RELAY_BATCH, MIN_DELIVERY_TIMEOUT};
pub use secret::{REDACTED, Secret, SecretUrl};
pub use sections::*;
pub use sim::{LOAD_BALANCER_IDLE, MAX_SIM_FRAME, MAX_SIM_SESSIONS, MIN_SIM_FRAME, SimSettings};
pub use smpp::{BindMode, SmppAccount, SmppSettings};
pub use sms::SmsSettings;
pub use store::StoreSettings;

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Exit status for a bad configuration (`EX_USAGE` of sysexits.h).
pub const EX_CONFIG: u8 = 64;

/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "SIMGATE";

/// Separator between prefix, section and key in environment variables.
pub const ENV_SEPARATOR: &str = "__";

/// Everything simgate can be configured with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Identity of this instance in the fleet.
    pub instance: InstanceSettings,
    /// HTTP listener.
    pub http: HttpSettings,
    /// Log output.
    pub log: LogSettings,
    /// Shutdown sequence.
    pub shutdown: ShutdownSettings,
    /// Backend health checks.
    pub health: HealthSettings,
    /// Redis connection.
    pub redis: RedisSettings,
    /// MongoDB connection.
    pub mongo: MongoSettings,
    /// Kafka connection.
    pub kafka: KafkaSettings,
    /// SMPP binds to the SMSC.
    pub smpp: SmppSettings,
    /// API keys for `/v1`.
    pub api: ApiSettings,
    /// MT, MO and receipt pipelines.
    pub sms: SmsSettings,
    /// The MongoDB message store.
    pub store: StoreSettings,
    /// Events on Kafka and the MongoDB outbox.
    pub events: EventSettings,
    /// The SIM side: applet endpoint, commands, SIM key sealing.
    pub sim: SimSettings,
}

/// A setting that cannot be used, with the key it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct SettingsError {
    /// Dotted key (`http.listen`), or the file name when the file itself is
    /// unreadable.
    pub key: String,
    /// What is wrong, in one line.
    pub problem: String,
}

impl SettingsError {
    pub(crate) fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { key: key.into(), problem: one_line(&problem.into()) }
    }
}

impl Settings {
    /// Loads defaults, then `file` when given, then the process environment,
    /// and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_from(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment given explicitly (tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError::new(path.display().to_string(), "config file not found"));
            }
            builder =
                builder.add_source(config::File::from(path).format(config::FileFormat::Toml).required(true));
        }
        let env_source = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator(ENV_SEPARATOR)
            .separator(ENV_SEPARATOR)
            .source(Some(env.into_iter().collect()));
        let raw = builder.add_source(env_source).build().map_err(|e| from_config_error(e, file))?;
        let settings: Settings = raw.try_deserialize().map_err(|e| from_config_error(e, file))?;
        settings.validate()?;
        Ok(settings)
    }

    /// The effective settings as TOML, secrets replaced by [`REDACTED`].
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render settings: {e}\n"))
    }

    /// This instance's id: the configured one, else `HOSTNAME`, else one made
    /// from the process id.
    pub fn instance_id(&self) -> String {
        self.instance
            .id
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| format!("simgate-{}", std::process::id()))
    }
}

/// Turns the `config` crate's error into one line naming the key.
fn from_config_error(err: config::ConfigError, file: Option<&Path>) -> SettingsError {
    use config::ConfigError as E;
    match err {
        E::Type { key: Some(key), unexpected, expected, .. } => {
            SettingsError::new(key, format!("expected {expected}, found {unexpected}"))
        }
        E::At { error, key: Some(key), .. } => SettingsError::new(key, error.to_string()),
        E::FileParse { uri, cause } => SettingsError::new(
            uri.unwrap_or_else(|| file.map(|f| f.display().to_string()).unwrap_or_default()),
            cause.to_string(),
        ),
        E::Message(msg) => message_error(&msg),
        other => SettingsError::new("config", other.to_string()),
    }
}

/// Serde's messages carry no key; recover it from the text where the
/// `config` crate appended one (`... for key \`http.listen\``), and name the
/// unknown field where that is the problem.
fn message_error(msg: &str) -> SettingsError {
    if let Some((problem, rest)) = msg.split_once(" for key `") {
        let key = rest.trim_end_matches('`').trim_end_matches('"');
        return SettingsError::new(key, problem);
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return SettingsError::new(field, "unknown key");
        }
    }
    SettingsError::new("config", msg)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
