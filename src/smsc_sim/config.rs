//! [`SimConfig`]: everything `simgate smsc-sim` can be told, with defaults
//! that give a usable simulator on `127.0.0.1:0`, read from TOML (unknown
//! keys refused, durations in humantime form such as `250ms`) and checked
//! by [`SimConfig::validate`] before any port is bound.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::smpp::frame::DEFAULT_MAX_PDU_LEN;
use crate::smpp::pdu::CommandStatus;

use super::error::SimError;

/// The simulator's settings. See docs/smsc-sim.md for every key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one ([`super::SmscSim::local_addr`]).
    pub listen: SocketAddr,
    /// The system_id the sim answers binds with (at most 15 characters).
    pub system_id: String,
    /// The accounts that may bind. At least one.
    pub accounts: Vec<SimAccount>,
    /// Connections held at once, bound or not; more are closed on accept.
    pub max_connections: usize,
    /// Requests a bind may have unanswered; one more is ESME_RTHROTTLED.
    pub window: usize,
    /// submit_sm, submit_multi and data_sm per second per bind (token
    /// bucket, burst of one second); over it is ESME_RTHROTTLED.
    pub tps_per_bind: Option<u32>,
    /// How long a submit waits for its response.
    pub latency: Latency,
    /// Share (0..=1) of submits answered with `error_status` instead.
    pub error_rate: f64,
    /// The status injected errors carry.
    pub error_status: CommandStatus,
    /// Delivery receipts.
    pub receipts: ReceiptPlan,
    /// Mobile-originated traffic; none when absent.
    pub mo: Option<MoPlan>,
    /// How message ids are written in submit_sm_resp.
    pub message_ids: MessageIdStyle,
    /// The first message id handed out (a counter from there).
    pub first_message_id: u64,
    /// Seed of every random choice, so a run can be repeated.
    pub seed: u64,
    /// Largest command_length accepted; a larger one ends the connection.
    pub max_frame: u32,
    /// A connection that has not bound within this is closed.
    #[serde(with = "humantime_serde")]
    pub bind_timeout: Duration,
    /// A bound connection that sends nothing for this long is closed
    /// (ESMEs keep binds alive with enquire_link, v3.4 4.11).
    #[serde(with = "humantime_serde")]
    pub inactivity_timeout: Duration,
    /// deliver_sm the sim may have unanswered per bind.
    pub deliver_window: usize,
    /// A deliver_sm unanswered for this long is sent again later.
    #[serde(with = "humantime_serde")]
    pub deliver_timeout: Duration,
    /// How long shutdown waits for the ESMEs' unbind_resp.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Receipts and MO messages waiting for their time or for a bind;
    /// when full the one due soonest is dropped and counted.
    pub max_pending_deliveries: usize,
    /// Digests of accepted submits remembered for duplicate detection;
    /// the oldest is forgotten first.
    pub duplicate_memory: usize,
    /// Messages remembered for query_sm; the oldest is forgotten first.
    pub message_memory: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            system_id: "SMSCSIM".into(),
            accounts: vec![SimAccount::default()],
            max_connections: 1024,
            window: 100,
            tps_per_bind: None,
            latency: Latency::default(),
            error_rate: 0.0,
            error_status: CommandStatus::ESME_RSYSERR,
            receipts: ReceiptPlan::default(),
            mo: None,
            message_ids: MessageIdStyle::default(),
            first_message_id: 1,
            seed: 1,
            max_frame: DEFAULT_MAX_PDU_LEN,
            bind_timeout: Duration::from_secs(30),
            inactivity_timeout: Duration::from_secs(300),
            deliver_window: 10,
            deliver_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(2),
            max_pending_deliveries: 100_000,
            duplicate_memory: 2_000_000,
            message_memory: 1_000_000,
        }
    }
}

/// One account: the credentials a bind must present and how many binds
/// it may hold at once. `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimAccount {
    /// system_id, at most 15 characters (v3.4 4.1.1).
    pub system_id: String,
    /// Password, at most 8 characters (v3.4 4.1.1). Never logged.
    pub password: String,
    /// Binds held at once; one more is refused with ESME_RBINDFAIL.
    pub max_binds: usize,
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("system_id", &self.system_id)
            .field("password", &"<redacted>")
            .field("max_binds", &self.max_binds)
            .finish()
    }
}

impl Default for SimAccount {
    fn default() -> Self {
        SimAccount { system_id: "simgate".into(), password: "simgate".into(), max_binds: 8 }
    }
}

impl SimAccount {
    /// Parses `ID:PASSWORD:MAXBINDS` (the CLI's `--account`).
    pub fn parse_flag(value: &str) -> Result<Self, SimError> {
        // The value holds a password: the error does not repeat it.
        let bad = || SimError::Config("--account: expected ID:PASSWORD:MAXBINDS".into());
        let mut parts = value.splitn(3, ':');
        let (Some(id), Some(password), Some(max)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let max_binds = max.parse().map_err(|_| bad())?;
        Ok(SimAccount { system_id: id.into(), password: password.into(), max_binds })
    }
}

/// The delay before a submit's response.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Always the same (0: answer in the same write as the request's read).
    Fixed {
        /// The delay.
        #[serde(with = "humantime_serde")]
        delay: Duration,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Shortest.
        #[serde(with = "humantime_serde")]
        min: Duration,
        /// Longest.
        #[serde(with = "humantime_serde")]
        max: Duration,
    },
    /// Log-normal with this median and 99th percentile; capped at 10 times
    /// the p99 so one draw cannot stall a window.
    LogNormal {
        /// Half the responses are faster.
        #[serde(with = "humantime_serde")]
        median: Duration,
        /// 99 % are faster.
        #[serde(with = "humantime_serde")]
        p99: Duration,
    },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed { delay: Duration::ZERO }
    }
}

/// A delay drawn uniformly from `min..=max` (equal for a fixed delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayRange {
    /// Shortest.
    #[serde(with = "humantime_serde")]
    pub min: Duration,
    /// Longest.
    #[serde(with = "humantime_serde")]
    pub max: Duration,
}

/// Delivery receipts: when, with which outcome, and on which bind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptPlan {
    /// Send receipts at all. Even then, only for submits that asked for
    /// one in registered_delivery (v3.4 5.2.17).
    pub enabled: bool,
    /// Time from the submit to the receipt (the message's done date).
    pub delay: DelayRange,
    /// Weights of the final states.
    pub mix: StatusMix,
    /// Share (0..=1) of receipts sent on another receiving bind of the
    /// same account, when there is one.
    pub other_bind_ratio: f64,
    /// Share (0..=1) of receipts sent before the submit_sm_resp.
    pub before_resp_ratio: f64,
    /// How the id is written in the receipt text.
    pub id_variant: IdVariant,
    /// Carry receipted_message_id and message_state TLVs (v3.4 5.3.2.12,
    /// 5.3.2.35) besides the text.
    pub tlvs: bool,
    /// Tries per receipt (no receiving bind, temporary error, no answer)
    /// before it is given up and counted.
    pub max_attempts: u32,
    /// Wait between tries.
    #[serde(with = "humantime_serde")]
    pub retry_delay: Duration,
}

impl Default for ReceiptPlan {
    fn default() -> Self {
        ReceiptPlan {
            enabled: true,
            delay: DelayRange { min: Duration::from_millis(50), max: Duration::from_millis(200) },
            mix: StatusMix::default(),
            other_bind_ratio: 0.0,
            before_resp_ratio: 0.0,
            id_variant: IdVariant::Same,
            tlvs: true,
            max_attempts: 5,
            retry_delay: Duration::from_secs(1),
        }
    }
}

/// Relative weights of the final states a message reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusMix {
    /// DELIVRD.
    pub delivered: u32,
    /// UNDELIV.
    pub undeliverable: u32,
    /// EXPIRED.
    pub expired: u32,
    /// REJECTD.
    pub rejected: u32,
}

impl Default for StatusMix {
    fn default() -> Self {
        StatusMix { delivered: 1, undeliverable: 0, expired: 0, rejected: 0 }
    }
}

/// How the receipt text writes the id, compared with submit_sm_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum IdVariant {
    /// Exactly as in the response.
    #[default]
    Same,
    /// The counter in decimal, zero-padded to `width` digits (a response
    /// in hex then differs in base, as some SMSCs do).
    Decimal {
        /// Digits, at most 64.
        width: usize,
    },
    /// Upper case.
    Upper,
    /// Lower case.
    Lower,
}

/// How message ids are written in submit_sm_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MessageIdStyle {
    /// `1234`.
    Decimal,
    /// `4d2`.
    #[default]
    Hex,
    /// `4D2`.
    HexUpper,
}

/// Mobile-originated messages generated at a steady rate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MoPlan {
    /// Messages per second over all receiving binds.
    pub rate: f64,
    /// Only to binds of this account; any account when absent.
    pub account: Option<String>,
    /// source_addr of the messages (the subscriber).
    pub source_addr: String,
    /// destination_addr (the service number).
    pub destination_addr: String,
    /// Text; `{n}` is replaced by the message's number. GSM 7-bit default
    /// alphabet characters only (sent unpacked, data_coding 0).
    pub text: String,
    /// Concatenated parts each message is sent in (1: a single
    /// deliver_sm). Above 1 the text is cut into that many pieces, each
    /// behind a UDH with IEI 0x00 (TS 23.040 9.2.3.24.1, esm_class UDHI
    /// 0x40, SMPP v3.4 5.2.12); the parts leave together and may take
    /// different binds.
    pub parts: u8,
}

impl Default for MoPlan {
    fn default() -> Self {
        MoPlan {
            rate: 1.0,
            account: None,
            source_addr: "447700900001".into(),
            destination_addr: "12345".into(),
            text: "MO {n}".into(),
            parts: 1,
        }
    }
}

impl SimConfig {
    /// Reads a TOML file's text (unknown keys refused).
    /// The error gives the parser's message and the line, never the
    /// line's text (it may hold a password).
    pub fn from_toml(text: &str) -> Result<Self, SimError> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text.get(..s.start).map_or(1, |t| t.matches('\n').count() + 1));
            // serde echoes a bad value; on a password line, say only why.
            let on_password = e.span().and_then(|s| text.get(..s.start)).is_some_and(|t| {
                t.rsplit('\n').next().is_some_and(|l| l.trim_start().starts_with("password"))
            });
            let message = if on_password {
                "password: a string of at most 8 characters".to_owned()
            } else {
                e.message().replace('\n', " ")
            };
            SimError::Config(match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            })
        })
    }

    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, why: &str| Err(SimError::Config(format!("{key}: {why}")));
        if self.system_id.is_empty() || self.system_id.len() > 15 {
            return bad("system_id", "1 to 15 characters (v3.4 4.1.2)");
        }
        if self.accounts.is_empty() {
            return bad("accounts", "at least one account");
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if a.system_id.is_empty() || a.system_id.len() > 15 || a.system_id.contains('\0') {
                return bad(&format!("accounts[{i}].system_id"), "1 to 15 characters (v3.4 4.1.1)");
            }
            if a.password.len() > 8 || a.password.contains('\0') {
                return bad(&format!("accounts[{i}].password"), "at most 8 characters (v3.4 4.1.1)");
            }
            if a.max_binds == 0 {
                return bad(&format!("accounts[{i}].max_binds"), "at least 1");
            }
            if self.accounts.iter().take(i).any(|b| b.system_id == a.system_id) {
                return bad(&format!("accounts[{i}].system_id"), "listed twice");
            }
        }
        for (key, value, min) in [
            ("max_connections", self.max_connections, 1),
            ("window", self.window, 1),
            ("deliver_window", self.deliver_window, 1),
            ("max_pending_deliveries", self.max_pending_deliveries, 1),
            ("duplicate_memory", self.duplicate_memory, 1),
            ("message_memory", self.message_memory, 1),
        ] {
            if value < min {
                return bad(key, "at least 1");
            }
        }
        if self.tps_per_bind == Some(0) {
            return bad("tps_per_bind", "at least 1, or leave it out");
        }
        if !(self.max_frame >= 64 && self.max_frame <= 1 << 24) {
            return bad("max_frame", "64 to 16777216 octets");
        }
        for (key, ratio) in [
            ("error_rate", self.error_rate),
            ("receipts.other_bind_ratio", self.receipts.other_bind_ratio),
            ("receipts.before_resp_ratio", self.receipts.before_resp_ratio),
        ] {
            if !(0.0..=1.0).contains(&ratio) {
                return bad(key, "between 0 and 1");
            }
        }
        if self.error_status.is_ok() {
            return bad("error_status", "must not be ESME_ROK (0)");
        }
        match self.latency {
            Latency::Uniform { min, max } if min > max => return bad("latency", "min above max"),
            Latency::LogNormal { median, p99 } if median.is_zero() || p99 < median => {
                return bad("latency", "median above 0 and p99 at least the median");
            }
            _ => {}
        }
        let r = &self.receipts;
        if r.delay.min > r.delay.max {
            return bad("receipts.delay", "min above max");
        }
        let m = r.mix;
        if u64::from(m.delivered) + u64::from(m.undeliverable) + u64::from(m.expired) + u64::from(m.rejected)
            == 0
        {
            return bad("receipts.mix", "at least one weight above 0");
        }
        if let IdVariant::Decimal { width } = r.id_variant {
            if width > 64 {
                return bad("receipts.id_variant.width", "at most 64 digits");
            }
        }
        if r.max_attempts == 0 {
            return bad("receipts.max_attempts", "at least 1");
        }
        if let Some(mo) = &self.mo {
            if !(mo.rate > 0.0 && mo.rate <= 1_000_000.0) {
                return bad("mo.rate", "above 0 and at most 1000000 per second");
            }
            if mo.source_addr.is_empty() || mo.source_addr.len() > 20 {
                return bad("mo.source_addr", "1 to 20 characters");
            }
            if mo.destination_addr.is_empty() || mo.destination_addr.len() > 20 {
                return bad("mo.destination_addr", "1 to 20 characters");
            }
            if mo.parts == 0 {
                return bad("mo.parts", "at least 1");
            }
            // Each part carries a 6-octet UDH; unpacked septets take an
            // octet each, so a part holds 134 (140 without a UDH).
            let room = if mo.parts == 1 { 140 } else { usize::from(mo.parts) * 134 };
            let chars = mo.text.chars().count();
            if crate::smpp::text::gsm7::septet_len(&mo.text).is_none_or(|n| n > room)
                || chars < usize::from(mo.parts)
            {
                return bad(
                    "mo.text",
                    "GSM 7-bit characters, at least one a part and short enough for mo.parts",
                );
            }
            if let Some(account) = &mo.account {
                if !self.accounts.iter().any(|a| &a.system_id == account) {
                    return bad("mo.account", "not one of the accounts");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_toml_reads_every_section() {
        SimConfig::default().validate().unwrap();
        let c = SimConfig::from_toml(
            r#"
            listen = "127.0.0.1:2775"
            window = 10
            tps_per_bind = 50
            latency = { kind = "log_normal", median = "5ms", p99 = "40ms" }
            error_rate = 0.01
            error_status = 0x58
            message_ids = "decimal"
            [[accounts]]
            system_id = "a"
            password = "pw"
            max_binds = 2
            [receipts]
            delay = { min = "1s", max = "2s" }
            mix = { delivered = 8, undeliverable = 2 }
            id_variant = { decimal = { width = 12 } }
            [mo]
            rate = 5.0
            parts = 3
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.tps_per_bind, Some(50));
        assert_eq!(c.error_status, CommandStatus::ESME_RTHROTTLED);
        assert_eq!(c.receipts.id_variant, IdVariant::Decimal { width: 12 });
        assert_eq!(c.receipts.mix.undeliverable, 2);
        let mo = c.mo.unwrap();
        assert_eq!((mo.rate, mo.parts), (5.0, 3));
        let bad = SimConfig { mo: Some(MoPlan { parts: 0, ..MoPlan::default() }), ..SimConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("mo.parts"));
        let short = SimConfig {
            mo: Some(MoPlan { parts: 9, text: "MO".into(), ..MoPlan::default() }),
            ..SimConfig::default()
        };
        assert!(short.validate().unwrap_err().to_string().contains("mo.text"));
    }

    #[test]
    fn the_example_file_is_valid_and_matches_the_defaults() {
        let c = SimConfig::from_toml(include_str!("../../config/smsc-sim.example.toml")).unwrap();
        c.validate().unwrap();
        let d = SimConfig::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:2775");
        assert_eq!((c.window, c.max_frame, c.duplicate_memory), (d.window, d.max_frame, d.duplicate_memory));
        assert_eq!(c.receipts, d.receipts);
        assert_eq!(c.accounts, d.accounts);
        assert_eq!((c.latency, c.mo), (d.latency, None));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let err = SimConfig::from_toml("window = 3\nwindw = 3").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("windw"), "{err}");
        let err = SimConfig::from_toml("[[accounts]]\nsystem_id = \"a\"\npassword = 12345678\nmax_binds = 1")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("12345678"), "no password echoed: {err}");
        assert!(!format!("{:?}", SimConfig::default()).contains("password: \"simgate\""));
        let c = SimConfig { error_rate: 1.5, ..SimConfig::default() };
        assert!(c.validate().unwrap_err().to_string().contains("error_rate"));
        let mut c = SimConfig::default();
        c.accounts[0].password = "far-too-long".into();
        assert!(c.validate().unwrap_err().to_string().contains("accounts[0].password"));
        assert!(SimAccount::parse_flag("a:b").is_err());
        assert_eq!(SimAccount::parse_flag("a:b:3").unwrap().max_binds, 3);
    }
}
