//! SMSC message ids and how simgate correlates them.
//!
//! The id an SMSC returns in `submit_sm_resp` (v3.4 4.4.2) and the id it
//! later quotes in a receipt (`id:` in the text, or the
//! `receipted_message_id` TLV, v3.4 5.3.2.12) name the same message but are
//! not always the same string. SMSCs in the field change case (`abc1` /
//! `ABC1`), add or drop leading zeros (`000123` / `123`), and switch base:
//! hex in one place and decimal in the other (`0A1B2C3D` / `169552957`).
//!
//! # Forms
//!
//! A [`MessageId`] is the received string trimmed of ASCII whitespace and
//! NULs, 1 to 64 octets (v3.4 5.2.23: 65 with the NUL). It has one of three
//! forms:
//!
//! - [`IdForm::Decimal`]: only the digits `0-9`. Ambiguous: `"1234"` may be
//!   the decimal number 1234 or the hex number 0x1234.
//! - [`IdForm::Hex`]: only hex digits, at least one of them `a-f`/`A-F`.
//!   Read as a hex number only.
//! - [`IdForm::Text`]: anything else (UUIDs with dashes, alphanumeric
//!   ids). Not a number; compared as text.
//!
//! # Keys
//!
//! Each id has one [`CorrelationKey`], its canonical spelling in its own
//! form, and no more than three lookup keys:
//!
//! | form | correlation key | extra lookup keys |
//! |---|---|---|
//! | Decimal | `d:` + digits without leading zeros | the key of its value written in hex; `d:` + its hex reading written in decimal |
//! | Hex | `x:` + lower-case hex without leading zeros | `d:` + its value written in decimal |
//! | Text | `t:` + ASCII-lower-cased text | none |
//!
//! "The key of a value written in hex" is `d:` + the hex digits when they
//! happen to be all decimal digits, and `x:` + the hex digits otherwise.
//! Zero is `d:0`. Conversions that do not fit in a `u128` (more than 38
//! decimal or 32 hex significant digits) are left out: such ids only ever
//! match their own spelling. A 32-digit hex id (a UUID without dashes)
//! still converts.
//!
//! The correlation key is the first lookup key; the others follow in
//! preference order (same spelling, then "the text is decimal of a hex
//! id", then the reverse).
//!
//! # How to correlate
//!
//! Whichever side arrives first (usually the `submit_sm_resp`; sometimes the
//! receipt, which can overtake it on another bind) is indexed under its
//! single [`MessageId::correlation_key`]. The other side probes its
//! [`MessageId::lookup_keys`] in order and takes the first hit. One index
//! entry per message, at most three probes per lookup.
//!
//! The rule is symmetric: `b.lookup_keys()` contains `a.correlation_key()`
//! exactly when `a.lookup_keys()` contains `b.correlation_key()`
//! ([`MessageId::may_match`]), so it does not matter which side was
//! indexed. Two ids match exactly when they share a reading: some number
//! that is a reading of both (a Decimal id has two readings, its decimal and
//! its hex value; a Hex id has one), or the same lower-cased text.
//!
//! # When two different messages collide
//!
//! `MessageId` equality (`==`, `Hash`) is equality of correlation keys: the
//! same form and the same canonical spelling. That is an equivalence.
//! [`MessageId::may_match`] is wider and not transitive (`"10"` matches
//! `"16"`, `"16"` matches `"22"`, `"10"` does not match `"22"`), which is
//! why it is not `PartialEq`.
//!
//! Two ids of different messages can be confused in two ways, and only
//! these:
//!
//! 1. They differ only in ASCII case, or (for Decimal and Hex ids) only in
//!    leading zeros. simgate assumes an SMSC never issues two live ids that
//!    differ only that way; this is the normalisation asked for.
//! 2. Cross-base: one id is Decimal and its decimal value equals the other
//!    id's hex value (`"16"` and `"10"`, `"26"` and `"1a"`). A given id has
//!    at most two such partners: the decimal spelling of its hex reading,
//!    and (when it is Decimal) the hex spelling of its decimal value. Hex
//!    and Text ids never collide with each other, Text ids never collide
//!    with numbers, and two Hex ids collide only when they are the same
//!    number.
//!
//! Case 2 needs both messages to be pending in the same index at once. For
//! an SMSC that numbers messages with a counter, an id with `n`
//! significant digits and its partner are the same digits read in the two
//! bases, so one number is more than 1.6^(n-1)/2 times the other (over 20
//! times for 9 digits): a counter issues them far apart in time. With
//! random ids out of a space of `S` values and `W` messages pending, a
//! lookup finds a false partner with probability about `2W/S`.
//! To keep that small, index per SMSC account, and treat more than one hit
//! among the lookup keys as ambiguous (the same-spelling key comes first,
//! so a false cross-base hit never hides an exact one).

use std::fmt;

use super::error::MessageIdError;

/// Longest message id in octets: the `message_id` C-octet string is at most
/// 65 octets with its NUL (v3.4 5.2.23).
pub const MAX_MESSAGE_ID_LEN: usize = 64;

/// Longest input `from_c_octets` copies before trimming; anything longer
/// cannot trim down to a valid id in practice and is refused unread.
const MAX_UNTRIMMED_LEN: usize = 256;

/// Which numbers an id can be read as. See the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdForm {
    /// Only `0-9`: read both as a decimal and as a hex number.
    Decimal,
    /// Only hex digits with at least one letter: read as a hex number.
    Hex,
    /// Anything else: compared as ASCII-lower-cased text.
    Text,
}

/// The canonical spelling of an id under which it is indexed: `d:`, `x:` or
/// `t:` followed by the normalised id (see the module doc). At most 66
/// octets; safe to use in a Redis or MongoDB key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorrelationKey(String);

impl CorrelationKey {
    /// The key as text, e.g. `x:a1b2c3d`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key of a number written in hex: `d:` when the hex digits are all
    /// decimal digits, `x:` otherwise.
    fn of_hex_value(value: u128) -> Self {
        let digits = format!("{value:x}");
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            CorrelationKey(format!("d:{digits}"))
        } else {
            CorrelationKey(format!("x:{digits}"))
        }
    }

    /// The key of a number written in decimal.
    fn of_decimal_value(value: u128) -> Self {
        CorrelationKey(format!("d:{value}"))
    }
}

impl fmt::Display for CorrelationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message id assigned by the SMSC, as received, with its correlation
/// key. Equality and hashing use the key, so ids that differ only in case
/// or leading zeros are equal; use [`MessageId::may_match`] to also match
/// across bases.
///
/// The forms, keys, correlation protocol and collision analysis are stated
/// in the doc of this type's module, `smpp/receipt/message_id.rs`. In
/// short: index the first side seen under [`MessageId::correlation_key`],
/// probe with the other side's [`MessageId::lookup_keys`] in order.
#[derive(Debug, Clone)]
pub struct MessageId {
    /// The id as received, trimmed; 1 to 64 octets.
    raw: String,
    form: IdForm,
    /// Computed once from `raw`.
    key: CorrelationKey,
}

impl MessageId {
    /// An id from text, trimmed of ASCII whitespace and NULs at both ends.
    pub fn new(raw: &str) -> Result<Self, MessageIdError> {
        let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
        if raw.is_empty() {
            return Err(MessageIdError::Empty);
        }
        if raw.len() > MAX_MESSAGE_ID_LEN {
            return Err(MessageIdError::TooLong { len: raw.len() });
        }
        let form = if raw.bytes().all(|b| b.is_ascii_digit()) {
            IdForm::Decimal
        } else if raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            IdForm::Hex
        } else {
            IdForm::Text
        };
        let key = match form {
            IdForm::Decimal => CorrelationKey(format!("d:{}", strip_zeros(raw))),
            IdForm::Hex => CorrelationKey(format!("x:{}", strip_zeros(raw).to_ascii_lowercase())),
            IdForm::Text => CorrelationKey(format!("t:{}", raw.to_ascii_lowercase())),
        };
        Ok(MessageId { raw: raw.to_owned(), form, key })
    }

    /// An id from a C-octet string such as the `message_id` of
    /// `submit_sm_resp` or the `receipted_message_id` TLV: everything from
    /// the first NUL on is ignored, and bytes that are not UTF-8 are
    /// replaced (ids are ASCII in practice).
    pub fn from_c_octets(bytes: &[u8]) -> Result<Self, MessageIdError> {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let bytes = bytes.get(..end).unwrap_or_default();
        if bytes.len() > MAX_UNTRIMMED_LEN {
            // Far too long to be an id even after trimming: do not copy it.
            return Err(MessageIdError::TooLong { len: bytes.len() });
        }
        MessageId::new(&String::from_utf8_lossy(bytes))
    }

    /// The id as received (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Which numbers the id can be read as.
    pub fn form(&self) -> IdForm {
        self.form
    }

    /// The single key to index this id under.
    pub fn correlation_key(&self) -> &CorrelationKey {
        &self.key
    }

    /// The keys to probe, best first: the correlation key, then the keys of
    /// the same number written in the other base. One key for a Text id,
    /// up to two for a Hex id, up to three for a Decimal id.
    pub fn lookup_keys(&self) -> Vec<CorrelationKey> {
        let mut keys = Vec::with_capacity(3);
        keys.push(self.key.clone());
        let digits = strip_zeros(&self.raw);
        let mut add = |key: CorrelationKey| {
            if !keys.contains(&key) {
                keys.push(key);
            }
        };
        match self.form {
            IdForm::Decimal => {
                if let Ok(value) = digits.parse::<u128>() {
                    add(CorrelationKey::of_hex_value(value));
                }
                if let Ok(value) = u128::from_str_radix(digits, 16) {
                    add(CorrelationKey::of_decimal_value(value));
                }
            }
            IdForm::Hex => {
                if let Ok(value) = u128::from_str_radix(digits, 16) {
                    add(CorrelationKey::of_decimal_value(value));
                }
            }
            IdForm::Text => {}
        }
        keys
    }

    /// True when the two ids may name the same message: they share a
    /// reading (see the module doc). Symmetric, not transitive.
    pub fn may_match(&self, other: &MessageId) -> bool {
        other.lookup_keys().contains(&self.key)
    }
}

impl PartialEq for MessageId {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for MessageId {}

impl std::hash::Hash for MessageId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for MessageId {
    type Err = MessageIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageId::new(s)
    }
}

/// `digits` without leading zeros, or `"0"` when it is all zeros.
fn strip_zeros(digits: &str) -> &str {
    match digits.trim_start_matches('0') {
        "" => "0",
        rest => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> MessageId {
        MessageId::new(s).unwrap()
    }

    fn keys(s: &str) -> Vec<String> {
        id(s).lookup_keys().iter().map(|k| k.as_str().to_owned()).collect()
    }

    #[test]
    fn forms_and_keys() {
        let table: [(&str, IdForm, &[&str]); 10] = [
            ("0A1B2C3D", IdForm::Hex, &["x:a1b2c3d", "d:169552957"]),
            ("169552957", IdForm::Decimal, &["d:169552957", "x:a1b2c3d", "d:6062156119"]),
            ("000123", IdForm::Decimal, &["d:123", "x:7b", "d:291"]),
            ("12", IdForm::Decimal, &["d:12", "x:c", "d:18"]),
            ("7", IdForm::Decimal, &["d:7"]),
            ("000", IdForm::Decimal, &["d:0"]),
            ("abc1", IdForm::Hex, &["x:abc1", "d:43969"]),
            (
                "550E8400-E29B-41D4-A716-446655440000",
                IdForm::Text,
                &["t:550e8400-e29b-41d4-a716-446655440000"],
            ),
            ("Msg_42z", IdForm::Text, &["t:msg_42z"]),
            ("0x1F", IdForm::Text, &["t:0x1f"]),
        ];
        for (raw, form, expected) in table {
            assert_eq!(id(raw).form(), form, "{raw}");
            assert_eq!(keys(raw), expected, "{raw}");
        }
    }

    #[test]
    fn trims_and_bounds() {
        assert_eq!(id("  abc \0").as_str(), "abc");
        assert_eq!(MessageId::new(" \t\0 "), Err(MessageIdError::Empty));
        let max = "f".repeat(64);
        assert_eq!(id(&max).as_str(), max);
        assert_eq!(MessageId::new(&"f".repeat(65)), Err(MessageIdError::TooLong { len: 65 }));
        assert_eq!(MessageId::from_c_octets(b"abc\0junk").unwrap().as_str(), "abc");
        assert_eq!(MessageId::from_c_octets(b"\0abc"), Err(MessageIdError::Empty));
        assert!(MessageId::from_c_octets(&[b'1'; 4096]).is_err());
        assert_eq!(MessageId::from_c_octets(&[0xff, b'1']).unwrap().form(), IdForm::Text);
    }

    #[test]
    fn ids_of_one_message_match() {
        let pairs = [
            ("0A1B2C3D", "169552957"),
            ("169552957", "0a1b2c3d"),
            ("000123", "123"),
            ("abc1", "ABC1"),
            ("ABC1", "000abc1"),
            ("12345678", "305419896"),
            ("305419896", "12345678"),
            ("Msg-ABC-1", "msg-abc-1"),
            ("ffffffffffffffffffffffffffffffff", "340282366920938463463374607431768211455"),
            ("0", "000"),
        ];
        for (a, b) in pairs {
            assert!(id(a).may_match(&id(b)), "{a} ~ {b}");
            assert!(id(b).may_match(&id(a)), "{b} ~ {a}");
        }
    }

    #[test]
    fn equality_is_canonical_spelling_only() {
        assert_eq!(id("000123"), id("123"));
        assert_eq!(id("ABC1"), id("abc1"));
        assert_eq!(id("00ABC1"), id("abc1"));
        assert_eq!(id("Msg-X"), id("msg-x"));
        assert_ne!(id("0A1B2C3D"), id("169552957"));
        assert_ne!(id("0123-x"), id("123-x"));
    }

    #[test]
    fn unrelated_ids_do_not_match() {
        let pairs = [
            ("123", "124"),
            ("abc1", "abc2"),
            ("a", "11"),
            ("10", "22"),
            ("0a1b2c3d", "a1b2c3e"),
            ("msg-1", "msg-01"),
            ("uuid-like-a", "uuid-like-b"),
            ("abc", "t:abc"),
            ("123", "x123"),
            // Over u128 in both readings: only the same spelling matches.
            (&"9".repeat(64), &"9".repeat(63)),
        ];
        for (a, b) in pairs {
            assert!(!id(a).may_match(&id(b)), "{a} !~ {b}");
            assert!(!id(b).may_match(&id(a)), "{b} !~ {a}");
        }
    }

    #[test]
    fn the_documented_cross_base_collisions() {
        // "10" read as hex is 16; "16" read as decimal is 16.
        assert!(id("10").may_match(&id("16")));
        assert!(id("1a").may_match(&id("26")));
        assert!(id("a").may_match(&id("10")));
        // Not transitive.
        assert!(id("16").may_match(&id("22")));
        assert!(!id("10").may_match(&id("22")));
    }

    #[test]
    fn long_ids_convert_when_they_fit() {
        let long = "9".repeat(64);
        assert_eq!(keys(&long), [format!("d:{long}")]);
        // 38 decimal digits fit a u128; its hex reading does not.
        let dec38 = "1".repeat(38);
        assert_eq!(id(&dec38).lookup_keys().len(), 2);
    }
}
