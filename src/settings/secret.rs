//! Secret values in settings: API keys, passwords, master keys.
//!
//! A [`Secret`] can be read by the code that needs it through
//! [`Secret::expose`], and by nothing else: its `Debug`, `Display` and
//! `Serialize` forms are a fixed placeholder, so a secret never reaches a log
//! line or the output of `simgate config check`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What secrets print as, everywhere.
pub const REDACTED: &str = "<redacted>";

/// A string that must never be printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value read from a file or the environment.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that uses it (a driver option,
    /// a constant-time comparison).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "<empty>" } else { REDACTED })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { REDACTED })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// A connection URL that may carry a password in its user-info part
/// (`mongodb://user:pass@host`, `redis://:pass@host`).
///
/// It prints with the password replaced, so operators still see which host
/// a setting points at.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The full URL, password included, for the driver.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password in its user-info replaced by the placeholder.
    pub fn redacted(&self) -> String {
        redact_userinfo(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretUrl)
    }
}

/// Replaces the password of `scheme://user:password@host...` with the
/// placeholder. A URL without user-info, or with a user name only, is
/// returned unchanged.
fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    // The authority ends at the first '/', '?' or '#'; the user-info ends at
    // the last '@' inside it (passwords may contain '@' when not escaped).
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!("{}{}:{}{}", &url[..scheme_end + 3], &userinfo[..colon], REDACTED, &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{REDACTED}\""));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn url_password_is_redacted() {
        let cases = [
            ("mongodb://app:s3cr%40t@db:27017/x", "mongodb://app:<redacted>@db:27017/x"),
            ("redis://:pw@127.0.0.1:6379", "redis://:<redacted>@127.0.0.1:6379"),
            ("rediss://user:p@ss@host/0", "rediss://user:<redacted>@host/0"),
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            ("mongodb://onlyuser@db/x", "mongodb://onlyuser@db/x"),
            ("not a url", "not a url"),
        ];
        for (input, want) in cases {
            assert_eq!(SecretUrl::new(input).redacted(), want, "{input}");
            assert!(!format!("{:?}", SecretUrl::new(input)).contains("s3cr"));
        }
    }
}
