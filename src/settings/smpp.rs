//! `[smpp]`: the SMSC accounts this instance keeps warm binds to, and how.
//!
//! Accounts are a table keyed by a short name (`[smpp.accounts.primary]`),
//! so each key has an environment form:
//! `SIMGATE__SMPP__ACCOUNTS__PRIMARY__PASSWORD`.

use super::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// SMPP binds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmppSettings {
    /// The accounts, by name (lower case letters, digits, `_`; it labels
    /// metrics and bind leases).
    pub accounts: BTreeMap<String, SmppAccount>,
    /// Whether a passive-role instance sends MT traffic on its warm binds.
    pub passive_takes_traffic: bool,
    /// How long a bind-slot lease lasts without renewal; renewed every
    /// third of it. A slot held by a dead instance is free after this.
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// Largest PDU accepted from the SMSC (command_length), in octets.
    pub max_pdu_len: u32,
}

impl Default for SmppSettings {
    fn default() -> Self {
        Self {
            accounts: BTreeMap::new(),
            passive_takes_traffic: false,
            lease_ttl: Duration::from_secs(15),
            max_pdu_len: 64 * 1024,
        }
    }
}

/// Which binds an account gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindMode {
    /// bind_transceiver: one connection sends and receives.
    Transceiver,
    /// A bind_transmitter and a bind_receiver per bind (two connections).
    TransmitterReceiver,
}

/// One SMSC account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmppAccount {
    /// The SMSC's host name or address.
    pub host: String,
    /// The SMSC's port (2775 by convention, 3550 for TLS at some operators).
    pub port: u16,
    /// system_id, at most 15 characters (SMPP v3.4 5.2.1).
    pub system_id: String,
    /// The password, at most 8 characters (v3.4 5.2.2); prefer the
    /// environment.
    pub password: Secret,
    /// system_type, at most 12 characters, often empty (v3.4 5.2.3).
    pub system_type: String,
    /// Transceiver, or transmitter plus receiver.
    pub bind_mode: BindMode,
    /// Binds this instance tries to hold.
    pub binds: u32,
    /// The SMSC's limit of binds for the account over all instances.
    pub max_binds: u32,
    /// Requests outstanding per bind (SMSCs grant 10-64).
    pub window: usize,
    /// Messages per second the SMSC allows per bind; 0 for no limit.
    pub tps_per_bind: f64,
    /// Messages per second for the account on this instance; 0 for no limit.
    pub tps_per_account: f64,
    /// How long a request may wait for its response.
    #[serde(with = "humantime_serde")]
    pub response_timeout: Duration,
    /// enquire_link after this long without traffic from the SMSC.
    #[serde(with = "humantime_serde")]
    pub enquire_link_interval: Duration,
    /// TCP (and TLS) connect timeout.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// First reconnect delay; doubles with jitter up to `reconnect_max`.
    #[serde(with = "humantime_serde")]
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    #[serde(with = "humantime_serde")]
    pub reconnect_max: Duration,
    /// Wait after ESME_RALYBND: the SMSC still holds an old session until
    /// its own timeout, and binding again sooner only renews the refusal.
    #[serde(with = "humantime_serde")]
    pub already_bound_wait: Duration,
    /// Delay before a part answered ESME_RTHROTTLED or ESME_RMSGQFUL is
    /// sent again.
    #[serde(with = "humantime_serde")]
    pub throttle_retry: Duration,
    /// How long a part may wait for a usable bind before it fails.
    #[serde(with = "humantime_serde")]
    pub submit_give_up: Duration,
    /// Send a part again on another bind when its bind dropped before the
    /// SMSC answered (the SMSC may have taken it: a duplicate is possible).
    pub resubmit_after_drop: bool,
    /// How long after its response timeout a submit_sm_resp is still
    /// matched to its part (the part then gets its SMSC id and leaves
    /// `unknown`); the last 4096 timeouts per bind are kept. Zero: never.
    #[serde(with = "humantime_serde")]
    pub late_response_window: Duration,
    /// Whether the SMSC writes a message's id in one base in submit_sm_resp
    /// and another in its receipts (hex `1a` then decimal `26`). Off: ids
    /// match by one normalised spelling (case and leading zeros ignored).
    /// On: the other base's readings match too, which can confuse two
    /// messages whose ids read alike across bases (docs/smpp-binds.md).
    pub receipt_ids_switch_base: bool,
    /// TLS to the SMSC.
    pub tls: bool,
    /// PEM file of the CAs to trust; the built-in roots when absent.
    pub tls_ca_file: Option<PathBuf>,
    /// Name to verify in the SMSC's certificate; `host` when absent.
    pub tls_server_name: Option<String>,
}

impl Default for SmppAccount {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 2775,
            system_id: String::new(),
            password: Secret::default(),
            system_type: String::new(),
            bind_mode: BindMode::Transceiver,
            binds: 1,
            max_binds: 1,
            window: 10,
            tps_per_bind: 0.0,
            tps_per_account: 0.0,
            response_timeout: Duration::from_secs(10),
            enquire_link_interval: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
            already_bound_wait: Duration::from_secs(60),
            throttle_retry: Duration::from_millis(500),
            submit_give_up: Duration::from_secs(60),
            resubmit_after_drop: true,
            late_response_window: Duration::from_secs(600),
            receipt_ids_switch_base: false,
            tls: false,
            tls_ca_file: None,
            tls_server_name: None,
        }
    }
}

impl SmppSettings {
    /// Checks every account; the error names the key.
    pub(super) fn validate(&self) -> Result<(), super::SettingsError> {
        use super::SettingsError as E;
        for (name, a) in &self.accounts {
            let key = |k: &str| format!("smpp.accounts.{name}.{k}");
            if name.is_empty()
                || name.len() > 32
                || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(E::new(format!("smpp.accounts.{name}"), "name: 1-32 of a-z, 0-9, _"));
            }
            if a.host.is_empty() {
                return Err(E::new(key("host"), "must not be empty"));
            }
            if a.port == 0 {
                return Err(E::new(key("port"), "must not be 0"));
            }
            // SMPP v3.4 5.2.1-5.2.3: C-octet strings of 16, 9 and 13 octets
            // with their NUL.
            if a.system_id.is_empty() || a.system_id.len() > 15 {
                return Err(E::new(key("system_id"), "1-15 characters (SMPP v3.4 5.2.1)"));
            }
            if a.password.expose().len() > 8 {
                return Err(E::new(key("password"), "at most 8 characters (SMPP v3.4 5.2.2)"));
            }
            if a.system_type.len() > 12 {
                return Err(E::new(key("system_type"), "at most 12 characters (SMPP v3.4 5.2.3)"));
            }
            if a.max_binds == 0 || a.max_binds > 64 {
                return Err(E::new(key("max_binds"), "1-64"));
            }
            if a.binds == 0 || a.binds > a.max_binds {
                return Err(E::new(key("binds"), format!("1-{} (max_binds)", a.max_binds)));
            }
            if a.window == 0 || a.window > 1024 {
                return Err(E::new(key("window"), "1-1024"));
            }
            for (k, v) in [("tps_per_bind", a.tps_per_bind), ("tps_per_account", a.tps_per_account)] {
                if !v.is_finite() || v < 0.0 {
                    return Err(E::new(key(k), "0 (no limit) or a positive number"));
                }
            }
            for (k, d) in [
                ("response_timeout", a.response_timeout),
                ("enquire_link_interval", a.enquire_link_interval),
                ("connect_timeout", a.connect_timeout),
                ("reconnect_min", a.reconnect_min),
                ("submit_give_up", a.submit_give_up),
            ] {
                if d.is_zero() {
                    return Err(E::new(key(k), "must be above zero"));
                }
            }
            if a.late_response_window > Duration::from_secs(24 * 3600) {
                return Err(E::new(key("late_response_window"), "at most 1day"));
            }
            if a.reconnect_max < a.reconnect_min {
                return Err(E::new(key("reconnect_max"), "must not be below reconnect_min"));
            }
            if a.tls_ca_file.as_ref().is_some_and(|p| !p.is_file()) {
                return Err(E::new(key("tls_ca_file"), "file not found"));
            }
        }
        if self.lease_ttl < Duration::from_secs(3) {
            return Err(E::new("smpp.lease_ttl", "at least 3s (renewed every third of it)"));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_pdu_len) {
            return Err(E::new("smpp.max_pdu_len", "1024-16777216 octets"));
        }
        Ok(())
    }
}
