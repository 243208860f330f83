//! MT commands: the one accept path of an MT request ([`MtAcceptor`]),
//! which `POST /v1/messages` and the Kafka command topic both use, and the
//! consumer of that topic ([`CommandConsumer`], docs/events.md "Inbound:
//! MT commands").

mod accept;
pub mod consumer;
mod metrics;
pub mod parse;

pub use accept::{AcceptError, Accepted, MtAcceptor};
pub use consumer::{CommandConsumer, derived_key};
pub use metrics::CommandMetrics;

/// The command topic's name after `events.topic_prefix`.
pub const COMMAND_TOPIC_SUFFIX: &str = "sms.mt.command";

/// The command topic under `prefix`.
pub fn command_topic(prefix: &str) -> String {
    format!("{prefix}{COMMAND_TOPIC_SUFFIX}")
}

/// The field serde named in an "unknown field `x`" or "missing field `x`"
/// message.
pub(crate) fn named_field(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_stack_creates_the_command_topic() {
        let prefix = crate::settings::EventSettings::default().topic_prefix;
        let want = command_topic(&prefix);
        let listed = include_str!("../../../config/kafka-topics.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .any(|l| l.split_whitespace().next() == Some(want.as_str()));
        assert!(listed, "{want} missing from config/kafka-topics.txt");
    }

    #[test]
    fn derived_keys_are_unique_per_record_and_fit() {
        assert_eq!(derived_key("simgate.sms.mt.command", 2, 17), "kafka:simgate.sms.mt.command:2:17");
        assert_ne!(derived_key("t", 0, 1), derived_key("t", 1, 0));
        let long = "t".repeat(200);
        let key = derived_key(&long, 1, i64::MAX);
        assert!(key.len() <= crate::sms::mt::request::MAX_IDEMPOTENCY_KEY, "{key}");
        assert_ne!(key, derived_key(&"u".repeat(200), 1, i64::MAX));
    }

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(named_field("unknown field `colour`, expected one of").as_deref(), Some("colour"));
        assert_eq!(named_field("expected value"), None);
    }
}
