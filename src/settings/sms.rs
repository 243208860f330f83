//! `[sms]`: the MT, MO and receipt pipelines on top of the binds.

use crate::sms::mt::ConcatMode;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The SMS pipelines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// The `[smpp.accounts.NAME]` MT messages go out on.
    pub mt_account: String,
    /// How long parts are tied: `udh8`, `udh16`, `sar` or `payload`.
    pub concat: ConcatMode,
    /// Messages one instance works on at once.
    pub mt_concurrency: usize,
    /// How long an SMSC message id maps to its MT part, for receipts.
    /// Receipts come within the validity period (at most days).
    #[serde(with = "humantime_serde")]
    pub correlation_ttl: Duration,
    /// How long a receipt that matches no MT part is held and retried
    /// before it is published as `sms.dr.unmatched`.
    #[serde(with = "humantime_serde")]
    pub receipt_hold: Duration,
    /// How long MO parts wait for the rest of their message.
    #[serde(with = "humantime_serde")]
    pub mo_part_ttl: Duration,
    /// How long an idempotency key returns its first message.
    #[serde(with = "humantime_serde")]
    pub idempotency_ttl: Duration,

    // Settling parts whose outcome is not known (docs/smpp-binds.md,
    // "Settling unknown parts").
    /// How long after its submission a part that asked for a receipt may
    /// go without one before query_sm asks the SMSC.
    #[serde(with = "humantime_serde")]
    pub receipt_wait: Duration,
    /// The same for a message with registered_delivery 0: no receipt will
    /// come, so query_sm asks sooner.
    #[serde(with = "humantime_serde")]
    pub no_receipt_wait: Duration,
    /// query_sm without an answer (ESME_RQUERYFAIL, an error, no response)
    /// this many times: the part ends `unknown` for good.
    pub query_attempts: u32,
    /// Wait before asking again when the SMSC said the message is not
    /// final yet (ENROUTE, ACCEPTED, UNKNOWN) or did not answer; doubles
    /// each round, at most 64 times this.
    #[serde(with = "humantime_serde")]
    pub query_interval: Duration,
    /// How often each instance looks for parts to settle and messages
    /// past their validity.
    #[serde(with = "humantime_serde")]
    pub resolver_interval: Duration,

    /// Consume MT commands from `{events.topic_prefix}sms.mt.command`.
    /// Takes effect only with Kafka, MongoDB and Redis enabled, and only
    /// on an instance that sends MT traffic (role active, or
    /// `smpp.passive_takes_traffic`).
    pub command_topic_enabled: bool,
    /// The consumer group of the command topic; every instance of a
    /// deployment uses the same one, so each command is taken once.
    pub command_group: String,
    /// How long the MT account may have no bind up before the `smpp`
    /// health component reports down (counted from start-up too).
    #[serde(with = "humantime_serde")]
    pub bind_down_grace: Duration,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            mt_account: "primary".to_owned(),
            concat: ConcatMode::Udh8,
            mt_concurrency: 256,
            correlation_ttl: Duration::from_secs(3 * 24 * 3600),
            receipt_hold: Duration::from_secs(60),
            mo_part_ttl: Duration::from_secs(3600),
            idempotency_ttl: Duration::from_secs(24 * 3600),
            receipt_wait: Duration::from_secs(15 * 60),
            no_receipt_wait: Duration::from_secs(60),
            query_attempts: 3,
            query_interval: Duration::from_secs(5 * 60),
            resolver_interval: Duration::from_secs(5),
            command_topic_enabled: true,
            command_group: "simgate-mt".to_owned(),
            bind_down_grace: Duration::from_secs(30),
        }
    }
}

impl SmsSettings {
    pub(super) fn validate(&self, smpp: &super::SmppSettings) -> Result<(), super::SettingsError> {
        use super::SettingsError as E;
        if !smpp.accounts.is_empty() && !smpp.accounts.contains_key(&self.mt_account) {
            return Err(E::new("sms.mt_account", format!("no [smpp.accounts.{}]", self.mt_account)));
        }
        if self.mt_concurrency == 0 || self.mt_concurrency > 10_000 {
            return Err(E::new("sms.mt_concurrency", "1-10000"));
        }
        let group = &self.command_group;
        if group.is_empty() || group.len() > 255 || !group.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(E::new("sms.command_group", "1-255 printable ASCII characters"));
        }
        if self.bind_down_grace < Duration::from_secs(1) || self.bind_down_grace > Duration::from_secs(3600) {
            return Err(E::new("sms.bind_down_grace", "between 1s and 1h"));
        }
        for (key, d, min) in [
            ("sms.correlation_ttl", self.correlation_ttl, Duration::from_secs(60)),
            ("sms.receipt_hold", self.receipt_hold, Duration::from_secs(1)),
            ("sms.mo_part_ttl", self.mo_part_ttl, Duration::from_secs(10)),
            ("sms.idempotency_ttl", self.idempotency_ttl, Duration::from_secs(60)),
            ("sms.receipt_wait", self.receipt_wait, Duration::from_secs(1)),
            ("sms.no_receipt_wait", self.no_receipt_wait, Duration::from_millis(100)),
            ("sms.query_interval", self.query_interval, Duration::from_millis(100)),
            ("sms.resolver_interval", self.resolver_interval, Duration::from_millis(100)),
        ] {
            if d < min {
                return Err(E::new(key, format!("at least {}", humantime::format_duration(min))));
            }
        }
        if self.query_attempts == 0 || self.query_attempts > 100 {
            return Err(E::new("sms.query_attempts", "1-100"));
        }
        Ok(())
    }
}
