//! The gateway the API load goes to: `http://HOST:PORT[/prefix]`.
//!
//! Plain HTTP/1.1 only; for TLS, run the tool next to the gateway (or
//! through a local TLS-terminating proxy). Any host is accepted; point it
//! at loopback unless you mean to load a remote instance.

use crate::load::LoadError;

/// Where `POST /v1/messages` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTarget {
    /// `host:port`, also the `Host` header.
    pub authority: String,
    /// Path prefix without a trailing slash (empty for none).
    pub prefix: String,
}

impl ApiTarget {
    /// Parses `http://host[:port][/prefix]` (port 80 when absent).
    pub fn parse(url: &str) -> Result<Self, LoadError> {
        let bad = |why: &str| LoadError::Usage(format!("--target {url:?}: {why}"));
        let rest =
            url.strip_prefix("http://").ok_or_else(|| bad("expected http://HOST:PORT (plain HTTP)"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("no host"));
        }
        let has_port = match authority.rfind(':') {
            Some(i) => !authority[i..].contains(']'),
            None => false,
        };
        let authority = if has_port { authority.to_owned() } else { format!("{authority}:80") };
        Ok(Self { authority, prefix: path.trim_end_matches('/').to_owned() })
    }

    /// The path of `POST /v1/messages`.
    pub fn messages(&self) -> String {
        format!("{}/v1/messages", self.prefix)
    }

    /// The path of `GET /v1/messages/{id}`.
    pub fn message(&self, id: &str) -> String {
        format!("{}/v1/messages/{id}", self.prefix)
    }

    /// The URL as shown in reports.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.authority, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_targets() {
        let t = ApiTarget::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((t.authority.as_str(), t.messages().as_str()), ("127.0.0.1:8080", "/v1/messages"));
        let t = ApiTarget::parse("http://gw/base/").unwrap();
        assert_eq!((t.authority.as_str(), t.message("x").as_str()), ("gw:80", "/base/v1/messages/x"));
        let t = ApiTarget::parse("http://[::1]:9").unwrap();
        assert_eq!(t.authority, "[::1]:9");
        assert!(ApiTarget::parse("https://x").is_err());
        assert!(ApiTarget::parse("http:///v1").is_err());
    }
}
