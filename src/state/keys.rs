//! The Redis key names of the shared state, in one place.
//!
//! Every key is `<prefix>:<kind>:{<tag>}<rest>`, the prefix being
//! `simgate` in production. The part in braces is the Redis Cluster hash
//! tag: every key one script touches has the same tag, so the script stays
//! on one slot in Redis Cluster and Redis Enterprise. `docs/state.md` lists
//! every key with its type, TTL and users.
//!
//! Parts that go into the tag are checked here: visible ASCII, bounded,
//! and never a brace, so one part can never end or open a tag early.

use super::error::StateError;
use super::metrics::Op;

/// Longest key prefix.
const MAX_PREFIX_LEN: usize = 32;

/// The key prefix all shared-state keys start with. Tests give each test
/// its own prefix so they can run in parallel on one Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpace {
    /// `[a-z0-9_.-]{1,32}`: no `:` or braces, so it cannot fake a kind or
    /// a tag.
    prefix: String,
}

impl Default for KeySpace {
    fn default() -> Self {
        Self { prefix: "simgate".to_owned() }
    }
}

impl KeySpace {
    /// A key space with its own prefix: 1 to 32 of `a-z 0-9 _ . -`.
    pub fn new(prefix: &str) -> Result<Self, StateError> {
        let ok = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        if !ok {
            return Err(StateError::InvalidKeyPrefix);
        }
        Ok(Self { prefix: prefix.to_owned() })
    }

    /// The prefix, e.g. `simgate`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Bind slot `slot` of SMSC account `account`: `<p>:lease:{<account>}:<slot>`.
    pub(crate) fn lease(&self, account: &str, slot: u32) -> String {
        format!("{}:lease:{{{account}}}:{slot}", self.prefix)
    }

    /// Set while some instance of `region` holds a bound bind of
    /// `account`: `<p>:bound:{<account>}:<region>`.
    pub(crate) fn region_bound(&self, account: &str, region: &str) -> String {
        format!("{}:bound:{{{account}}}:{region}", self.prefix)
    }

    /// Receipt map entry: `<p>:rcpt:{<account>}:map:<key>`.
    pub(crate) fn receipt_map(&self, account: &str, key: &str) -> String {
        format!("{}:rcpt:{{{account}}}:map:{key}", self.prefix)
    }

    /// Receipts parked under an id: `<p>:rcpt:{<account>}:parked:<key>`.
    pub(crate) fn receipt_parked(&self, account: &str, key: &str) -> String {
        format!("{}:rcpt:{{{account}}}:parked:{key}", self.prefix)
    }

    /// The deadlines of the parked ids of an account: `<p>:rcpt:{<account>}:due`.
    pub(crate) fn receipt_due(&self, account: &str) -> String {
        format!("{}:rcpt:{{{account}}}:due", self.prefix)
    }

    /// An idempotency key: `<p>:idem:{<key>}`.
    pub(crate) fn idempotency(&self, key: &str) -> String {
        format!("{}:idem:{{{key}}}", self.prefix)
    }

    /// The last OTA wake-up of a SIM: `<p>:wake:{<iccid>}`.
    pub(crate) fn wake(&self, iccid: &str) -> String {
        format!("{}:wake:{{{iccid}}}", self.prefix)
    }

    /// The instance holding a SIM's newest applet session:
    /// `<p>:simsess:{<iccid>}`.
    pub(crate) fn sim_session(&self, iccid: &str) -> String {
        format!("{}:simsess:{{{iccid}}}", self.prefix)
    }

    /// An instance's inbox of SIMs with new commands:
    /// `<p>:siminbox:{<instance>}`.
    pub(crate) fn sim_inbox(&self, instance: &str) -> String {
        format!("{}:siminbox:{{{instance}}}", self.prefix)
    }

    /// The parts of one concatenated MO message:
    /// `<p>:mo:{<source>|<destination>|<reference>|<total>}:parts`.
    pub(crate) fn mo_parts(&self, tag: &str) -> String {
        format!("{}:mo:{{{tag}}}:parts", self.prefix)
    }

    /// Marks an incomplete MO message as a proof of receipt (its first
    /// part said so): `<p>:mo:{<source>|<destination>|<reference>|<total>}:por`.
    pub(crate) fn mo_por(&self, tag: &str) -> String {
        format!("{}:mo:{{{tag}}}:por", self.prefix)
    }

    /// Marks a completed MO message so late duplicates are recognised:
    /// `<p>:mo:{<source>|<destination>|<reference>|<total>}:done`.
    pub(crate) fn mo_done(&self, tag: &str) -> String {
        format!("{}:mo:{{{tag}}}:done", self.prefix)
    }
}

/// Checks one key part or stored value: 1 to `max` octets of visible
/// ASCII, none of them in `forbidden`.
pub(crate) fn check_part(
    op: Op,
    what: &'static str,
    value: &str,
    max: usize,
    forbidden: &[u8],
) -> Result<(), StateError> {
    let invalid = |reason| Err(StateError::InvalidInput { op, what, reason });
    if value.is_empty() {
        return invalid("empty");
    }
    if value.len() > max {
        return invalid("too long");
    }
    if !value.bytes().all(|b| b.is_ascii_graphic() && !forbidden.contains(&b)) {
        return invalid("only visible ASCII, no braces");
    }
    Ok(())
}

/// Braces would end or open a hash tag early.
pub(crate) const TAG_FORBIDDEN: &[u8] = b"{}";

/// Longest SMSC account name (SMPP system_id is at most 15 octets, v3.4
/// 5.2.1; the room is for a region or environment suffix).
pub(crate) const MAX_ACCOUNT_LEN: usize = 64;

/// Longest correlation key (`MessageId` keys are at most 66 octets).
pub(crate) const MAX_CORRELATION_KEY_LEN: usize = 80;

/// Longest simgate message id stored as a value.
pub(crate) const MAX_MESSAGE_ID_LEN: usize = 128;

pub(crate) fn check_account(op: Op, account: &str) -> Result<(), StateError> {
    check_part(op, "account", account, MAX_ACCOUNT_LEN, TAG_FORBIDDEN)
}

pub(crate) fn check_correlation_key(op: Op, key: &str) -> Result<(), StateError> {
    check_part(op, "correlation key", key, MAX_CORRELATION_KEY_LEN, TAG_FORBIDDEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_account_share_their_hash_tag() {
        let ks = KeySpace::default();
        let tag = |k: &str| {
            let open = k.find('{').unwrap();
            let close = k[open..].find('}').unwrap() + open;
            k[open + 1..close].to_owned()
        };
        assert_eq!(tag(&ks.receipt_map("acme", "d:12")), "acme");
        assert_eq!(tag(&ks.receipt_parked("acme", "x:1f")), "acme");
        assert_eq!(tag(&ks.receipt_due("acme")), "acme");
        assert_eq!(ks.lease("acme", 3), "simgate:lease:{acme}:3");
        assert_eq!(ks.mo_parts("a|b|7|3"), "simgate:mo:{a|b|7|3}:parts");
        assert_eq!(ks.mo_por("a|b|7|3"), "simgate:mo:{a|b|7|3}:por");
        assert_eq!(tag(&ks.mo_done("a|b|7|3")), "a|b|7|3");
        let other = KeySpace::new("t1").unwrap();
        assert_eq!(other.sim_session("8949000000000000001"), "t1:simsess:{8949000000000000001}");
        assert_eq!(other.sim_inbox("pod-a"), "t1:siminbox:{pod-a}");
    }

    #[test]
    fn prefixes_and_parts_are_checked() {
        assert!(KeySpace::new("t-1.x_y").is_ok());
        for bad in ["", "Has-Upper", "a:b", "a{b", &"x".repeat(33)] {
            assert!(matches!(KeySpace::new(bad), Err(StateError::InvalidKeyPrefix)), "{bad:?}");
        }
        assert!(check_account(Op::LeaseAcquire, "smsc_1").is_ok());
        for bad in ["", "a}b", "a{b", "a b", "é", &"a".repeat(65)] {
            assert!(check_account(Op::LeaseAcquire, bad).is_err(), "{bad:?}");
        }
    }
}
