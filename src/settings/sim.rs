//! The `[sim]` section: the applet endpoint on TCP 9506 (listener, frame
//! and session bounds, timers), applet commands, the session registry in
//! Redis, and the master key that seals SIM keys at rest
//! (docs/sim-registry.md).
//!
//! The master key comes from exactly one of `sim.master_key` (an
//! environment variable, `SIMGATE__SIM__MASTER_KEY`) or
//! `sim.master_key_file` (a file, as the Secrets Store CSI driver mounts
//! it). It is never printed: `simgate config check` shows it redacted and
//! shows only the file's path.

use super::SettingsError;
use super::secret::Secret;
use crate::sim::registry::seal::{MasterKey, MasterKeyring};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Smallest `sim.max_frame`: a first frame (ICCID plus a secured packet
/// header and checksum) must fit.
pub const MIN_SIM_FRAME: usize = 64;
/// Largest `sim.max_frame`: the frame length prefix is two octets.
pub const MAX_SIM_FRAME: usize = 65_535;
/// Largest `sim.max_sessions` of one instance.
pub const MAX_SIM_SESSIONS: usize = 1_000_000;
/// Idle TCP flows are dropped by AWS Global Accelerator and the NLB after
/// about 340-350 s without a packet; `sim.idle_timeout` must stay below.
pub const LOAD_BALANCER_IDLE: Duration = Duration::from_secs(340);
/// Largest `sim.max_wakes`: past a handful, more SMS to a phone that does
/// not answer only cost money.
pub const MAX_WAKES: u32 = 20;
/// Most octets a master key file (or the previous keys file) may hold.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// The SIM side: applet sessions, commands, and SIM key sealing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSettings {
    /// Whether this instance serves applets. Off by default so settings
    /// written before the SIM side existed keep working; when on, a master
    /// key is required.
    pub enabled: bool,
    /// Address of the applet listener. Applets dial an IP literal (BIP
    /// OPEN CHANNEL cannot resolve names), in production the static
    /// addresses of Global Accelerator in front of the NLB.
    pub listen: SocketAddr,
    /// Largest frame accepted, length prefix excluded; a longer declared
    /// length ends the session before anything is buffered.
    pub max_frame: usize,
    /// Most applet sessions this instance holds at once (one semaphore
    /// permit per accepted socket); further connections wait.
    pub max_sessions: usize,
    /// How long an applet has, from TCP accept, to send a first frame that
    /// verifies; a session that has not authenticated by then is closed.
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// How often an idle session exchanges a heartbeat. Also refreshes the
    /// session's entry in Redis.
    #[serde(with = "humantime_serde")]
    pub heartbeat_interval: Duration,
    /// How long a session may go without receiving anything before it is
    /// closed as gone (phones lose coverage without a FIN). It must be
    /// longer than `heartbeat_interval`, so a live applet is never timed
    /// out between two heartbeats, and below 340 s, because Global
    /// Accelerator and the NLB silently drop TCP flows idle for about
    /// 340-350 s: past that the gateway would hold sessions whose packets
    /// can no longer arrive.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Time-to-live of an applet command whose request gives none.
    #[serde(with = "humantime_serde")]
    pub command_ttl: Duration,
    /// Longest time-to-live a command request may ask for.
    #[serde(with = "humantime_serde")]
    pub max_command_ttl: Duration,
    /// How long a command and its history are kept after its time-to-live
    /// ended (the TTL index of `sim_commands`), so `GET /v1/commands/{id}`
    /// still answers for a while.
    #[serde(with = "humantime_serde")]
    pub command_retention: Duration,
    /// TTL of a session's entry in Redis (ICCID to the instance holding the
    /// session), refreshed by each heartbeat; longer than
    /// `heartbeat_interval` so a live session's entry never lapses.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// The master key, 32 octets as 64 hex digits or base64. Give it as
    /// `SIMGATE__SIM__MASTER_KEY`, never in a file under version control.
    pub master_key: Secret,
    /// A file holding the master key (hex or base64, surrounding white
    /// space ignored), as the Secrets Store CSI driver mounts it. Read when
    /// the SIM side starts and by `simgate sims import`.
    pub master_key_file: Option<PathBuf>,
    /// A file with earlier master keys, one per line (`#` comments), so
    /// keys sealed before a rotation still open until they are re-sealed.
    pub previous_master_keys_file: Option<PathBuf>,
    /// Shortest time between two wake-up SMS to one SIM, over all
    /// instances (held in Redis); a wake-up asked for sooner is refused
    /// as recently woken. A phone that is out of coverage gets one SMS
    /// per interval, not one per queued command.
    #[serde(with = "humantime_serde")]
    pub wake_min_interval: Duration,
    /// How long a command that still waits for its SIM (queued or woken,
    /// no session anywhere) waits before its SIM is woken again: a
    /// wake-up SMS may be lost, or refused because the SIM was woken
    /// moments before. At least `wake_min_interval`.
    #[serde(with = "humantime_serde")]
    pub rewake_interval: Duration,
    /// Most wake-up SMS sent for one command, the first (when the command
    /// is routed) included; 1 turns re-waking off.
    pub max_wakes: u32,
    /// source_addr of the wake-up SMS: the operator's OTA number or short
    /// code, or up to 11 letters and digits. Some SIMs only process OTA
    /// SMS from a known originator.
    pub wake_source: String,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: SocketAddr::from(([0, 0, 0, 0], 9506)),
            max_frame: 1024,
            max_sessions: 100_000,
            handshake_timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(150),
            command_ttl: Duration::from_secs(3600),
            max_command_ttl: Duration::from_secs(7 * 86_400),
            command_retention: Duration::from_secs(7 * 86_400),
            session_ttl: Duration::from_secs(180),
            master_key: Secret::default(),
            master_key_file: None,
            previous_master_keys_file: None,
            wake_min_interval: Duration::from_secs(60),
            rewake_interval: Duration::from_secs(120),
            max_wakes: 3,
            wake_source: "OTA".to_owned(),
        }
    }
}

impl SimSettings {
    /// Range and relation checks of the section. Reads no file: `config
    /// check` runs where the secret volume is not mounted (CI); the key
    /// files are read by [`SimSettings::keyring`].
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        if !(MIN_SIM_FRAME..=MAX_SIM_FRAME).contains(&self.max_frame) {
            return Err(SettingsError::new(
                "sim.max_frame",
                format!("must be {MIN_SIM_FRAME} to {MAX_SIM_FRAME} octets"),
            ));
        }
        if !(1..=MAX_SIM_SESSIONS).contains(&self.max_sessions) {
            return Err(SettingsError::new("sim.max_sessions", format!("must be 1 to {MAX_SIM_SESSIONS}")));
        }
        for (key, d) in [
            ("sim.handshake_timeout", self.handshake_timeout),
            ("sim.heartbeat_interval", self.heartbeat_interval),
            ("sim.command_ttl", self.command_ttl),
            ("sim.command_retention", self.command_retention),
        ] {
            if d < Duration::from_secs(1) {
                return Err(SettingsError::new(key, "must be at least 1s"));
            }
        }
        if self.idle_timeout <= self.heartbeat_interval {
            return Err(SettingsError::new(
                "sim.idle_timeout",
                "must be longer than sim.heartbeat_interval, or live sessions time out between heartbeats",
            ));
        }
        if self.idle_timeout >= LOAD_BALANCER_IDLE {
            return Err(SettingsError::new(
                "sim.idle_timeout",
                "must be below 340s: Global Accelerator and the NLB drop TCP flows idle for 340-350s",
            ));
        }
        if self.wake_min_interval < Duration::from_secs(1) {
            return Err(SettingsError::new("sim.wake_min_interval", "must be at least 1s"));
        }
        if self.rewake_interval < self.wake_min_interval {
            return Err(SettingsError::new(
                "sim.rewake_interval",
                "must not be shorter than sim.wake_min_interval (the wake-up would be refused as recently woken)",
            ));
        }
        if !(1..=MAX_WAKES).contains(&self.max_wakes) {
            return Err(SettingsError::new("sim.max_wakes", format!("must be 1 to {MAX_WAKES}")));
        }
        if let Err(err) = crate::sms::mt::request::check_source(&self.wake_source) {
            return Err(SettingsError::new("sim.wake_source", err.problem));
        }
        if self.max_command_ttl < self.command_ttl {
            return Err(SettingsError::new(
                "sim.max_command_ttl",
                "must not be shorter than sim.command_ttl",
            ));
        }
        if self.session_ttl <= self.heartbeat_interval {
            return Err(SettingsError::new(
                "sim.session_ttl",
                "must be longer than sim.heartbeat_interval, which refreshes it",
            ));
        }
        self.check_master_key_source()
    }

    /// Exactly one source of the master key when the SIM side is on, and
    /// never two; a key given inline must parse.
    fn check_master_key_source(&self) -> Result<(), SettingsError> {
        let inline = !self.master_key.is_empty();
        match (inline, &self.master_key_file) {
            (true, Some(_)) => {
                return Err(SettingsError::new(
                    "sim.master_key",
                    "give sim.master_key or sim.master_key_file, not both",
                ));
            }
            (false, None) if self.enabled => {
                return Err(SettingsError::new(
                    "sim.master_key",
                    "sim.enabled needs the master key: set SIMGATE__SIM__MASTER_KEY or sim.master_key_file",
                ));
            }
            (false, Some(path)) if path.as_os_str().is_empty() => {
                return Err(SettingsError::new("sim.master_key_file", "must be a path"));
            }
            _ => {}
        }
        if inline {
            MasterKey::parse(self.master_key.expose())
                .map_err(|e| SettingsError::new("sim.master_key", e.to_string()))?;
        }
        Ok(())
    }

    /// Whether a master key source is configured at all.
    pub fn has_master_key(&self) -> bool {
        !self.master_key.is_empty() || self.master_key_file.is_some()
    }

    /// The master keys: the current one from `sim.master_key` or
    /// `sim.master_key_file`, and the earlier ones from
    /// `sim.previous_master_keys_file`. Errors name the key and never
    /// contain key material.
    pub fn keyring(&self) -> Result<MasterKeyring, SettingsError> {
        let current = match (&self.master_key_file, self.master_key.is_empty()) {
            (Some(path), true) => {
                let text = read_key_file("sim.master_key_file", path)?;
                MasterKey::parse(&text).map_err(|e| {
                    SettingsError::new("sim.master_key_file", format!("{}: {e}", path.display()))
                })?
            }
            (None, false) => MasterKey::parse(self.master_key.expose())
                .map_err(|e| SettingsError::new("sim.master_key", e.to_string()))?,
            (Some(_), false) => {
                return Err(SettingsError::new(
                    "sim.master_key",
                    "give sim.master_key or sim.master_key_file, not both",
                ));
            }
            (None, true) => {
                return Err(SettingsError::new(
                    "sim.master_key",
                    "no master key: set SIMGATE__SIM__MASTER_KEY or sim.master_key_file",
                ));
            }
        };
        let mut previous = Vec::new();
        if let Some(path) = &self.previous_master_keys_file {
            let key = "sim.previous_master_keys_file";
            let text = read_key_file(key, path)?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let parsed = MasterKey::parse(line).map_err(|e| {
                    SettingsError::new(key, format!("{} line {}: {e}", path.display(), n + 1))
                })?;
                previous.push(parsed);
            }
        }
        Ok(MasterKeyring::new(current, previous))
    }
}

/// Reads a key file, bounded in size; the error names the path, not the
/// content.
fn read_key_file(key: &str, path: &Path) -> Result<String, SettingsError> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| SettingsError::new(key, format!("{}: {e}", path.display())))?;
    let mut text = String::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| SettingsError::new(key, format!("{}: {e}", path.display())))?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(SettingsError::new(
            key,
            format!("{}: larger than {MAX_KEY_FILE} octets", path.display()),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn enabled() -> SimSettings {
        SimSettings { enabled: true, master_key: Secret::new(KEY_HEX), ..Default::default() }
    }

    #[test]
    fn defaults_are_valid_and_off() {
        let s = SimSettings::default();
        assert_eq!(s.validate(), Ok(()));
        assert!(!s.enabled);
        assert_eq!(s.listen.port(), 9506);
        assert_eq!(enabled().validate(), Ok(()));
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let secs = Duration::from_secs;
        let cases: Vec<(SimSettings, &str)> = vec![
            (SimSettings { max_frame: 10, ..enabled() }, "sim.max_frame"),
            (SimSettings { max_frame: 70_000, ..enabled() }, "sim.max_frame"),
            (SimSettings { max_sessions: 0, ..enabled() }, "sim.max_sessions"),
            (SimSettings { handshake_timeout: Duration::ZERO, ..enabled() }, "sim.handshake_timeout"),
            (SimSettings { idle_timeout: secs(345), ..enabled() }, "sim.idle_timeout"),
            (SimSettings { idle_timeout: secs(60), ..enabled() }, "sim.idle_timeout"),
            (SimSettings { max_command_ttl: secs(60), ..enabled() }, "sim.max_command_ttl"),
            (SimSettings { command_retention: Duration::ZERO, ..enabled() }, "sim.command_retention"),
            (SimSettings { session_ttl: secs(30), ..enabled() }, "sim.session_ttl"),
            (SimSettings { wake_min_interval: Duration::ZERO, ..enabled() }, "sim.wake_min_interval"),
            (SimSettings { rewake_interval: Duration::from_secs(30), ..enabled() }, "sim.rewake_interval"),
            (SimSettings { max_wakes: 0, ..enabled() }, "sim.max_wakes"),
            (SimSettings { max_wakes: MAX_WAKES + 1, ..enabled() }, "sim.max_wakes"),
            (SimSettings { wake_source: "TOO-LONG-SENDER".into(), ..enabled() }, "sim.wake_source"),
            (SimSettings { master_key: Secret::default(), ..enabled() }, "sim.master_key"),
            (SimSettings { master_key: Secret::new("abcd"), ..enabled() }, "sim.master_key"),
            (SimSettings { master_key_file: Some(PathBuf::from("/k")), ..enabled() }, "sim.master_key"),
            (
                SimSettings {
                    master_key: Secret::default(),
                    master_key_file: Some(PathBuf::new()),
                    ..enabled()
                },
                "sim.master_key_file",
            ),
        ];
        for (s, key) in cases {
            let err = s.validate().unwrap_err();
            assert_eq!(err.key, key, "{err}");
            assert!(!err.to_string().contains(KEY_HEX), "{err}");
        }
    }

    #[test]
    fn idle_timeout_just_below_the_load_balancer_is_accepted() {
        let s = SimSettings { idle_timeout: Duration::from_secs(339), ..enabled() };
        assert_eq!(s.validate(), Ok(()));
    }
}
