//! What `POST /v1/sims/{iccid}/commands` accepts: `{"type", "payload",
//! "ttl"}`, unknown fields refused. [`CommandRequest::validate`] names the
//! field of the first problem: a type of 1 to 32 of `A-Z a-z 0-9 . _ -`,
//! a payload of hex digits that fits one applet frame once sealed, a
//! time-to-live such as `"10m"` from 1 s up to `sim.max_command_ttl`.

use crate::sim::applet::channel::{message_spi, seal_message};
use crate::sim::applet::{AppletMessage, CommandType};
use crate::sim::secured::{Counter, CounterMode};
use crate::sim::{AesKey, KeySet, Kvn, Tar};
use serde::Deserialize;
use std::time::Duration;

/// The request body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    /// The command type the applet knows it by.
    #[serde(rename = "type")]
    pub kind: String,
    /// The command's octets as hex (may be empty).
    #[serde(default)]
    pub payload: String,
    /// How long the command may wait for a session and a result, e.g.
    /// `"10m"`; `sim.command_ttl` when absent.
    #[serde(default)]
    pub ttl: Option<String>,
}

/// The bounds a request is checked against, from `[sim]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandLimits {
    /// `sim.command_ttl`.
    pub default_ttl: Duration,
    /// `sim.max_command_ttl`.
    pub max_ttl: Duration,
    /// `sim.max_frame`: the sealed command must fit one frame.
    pub max_frame: usize,
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCommand {
    /// The type.
    pub kind: CommandType,
    /// The octets.
    pub payload: Vec<u8>,
    /// The time-to-live.
    pub ttl: Duration,
}

/// The first problem of a request: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InvalidField {
    /// `type`, `payload` or `ttl`.
    pub field: &'static str,
    /// One line.
    pub problem: String,
}

fn invalid(field: &'static str, problem: impl Into<String>) -> InvalidField {
    InvalidField { field, problem: problem.into() }
}

impl CommandRequest {
    /// Checks every field against `limits`.
    pub fn validate(&self, limits: &CommandLimits) -> Result<ValidCommand, InvalidField> {
        let kind = CommandType::new(&self.kind).map_err(|e| invalid("type", e.to_string()))?;
        let payload = decode_hex(&self.payload)
            .ok_or_else(|| invalid("payload", "must be an even number of hex digits"))?;
        if !command_fits(&kind, payload.len(), limits.max_frame) {
            return Err(invalid(
                "payload",
                format!(
                    "{} octets do not fit one applet frame of {} octets",
                    payload.len(),
                    limits.max_frame
                ),
            ));
        }
        let ttl = match self.ttl.as_deref() {
            None => limits.default_ttl,
            Some(text) => humantime::parse_duration(text)
                .map_err(|e| invalid("ttl", format!("not a duration such as \"10m\": {e}")))?,
        };
        if ttl < Duration::from_secs(1) {
            return Err(invalid("ttl", "must be at least 1s"));
        }
        if ttl > limits.max_ttl {
            return Err(invalid(
                "ttl",
                format!("must be at most {}", humantime::format_duration(limits.max_ttl)),
            ));
        }
        Ok(ValidCommand { kind, payload, ttl })
    }
}

/// Hex digits (either case) to octets; `None` for an odd count or another
/// character.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    digits.chunks_exact(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

/// Octets to lower-case hex.
pub fn encode_hex(octets: &[u8]) -> String {
    octets.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a command of `kind` with `payload_len` octets, sealed the way
/// sessions seal it (ciphered, AES-CMAC, PoR asked: the largest form,
/// docs/applet-protocol.md "Command"), fits a frame of `max_frame` octets.
/// Sealed with a throw-away key: only the length matters.
pub fn command_fits(kind: &CommandType, payload_len: usize, max_frame: usize) -> bool {
    if payload_len > max_frame {
        return false;
    }
    let (Ok(key), Ok(kvn), Ok(counter)) = (AesKey::new(&[0; 16]), Kvn::new(1), Counter::new(1)) else {
        return false;
    };
    let keys = KeySet { kvn, kic: Some(key.clone()), kid: key };
    let message = AppletMessage::Command {
        id: crate::sim::applet::CommandId([0; 16]),
        kind: kind.clone(),
        payload: vec![0; payload_len],
    };
    let spi = message_spi(true, CounterMode::ProcessIfOneHigher, true);
    seal_message(&keys, Tar([0; 3]), spi, counter, &[], &message)
        .is_ok_and(|sealed| sealed.len() <= max_frame)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const LIMITS: CommandLimits = CommandLimits {
        default_ttl: Duration::from_secs(3600),
        max_ttl: Duration::from_secs(86_400),
        max_frame: 1024,
    };

    fn request(kind: &str, payload: &str, ttl: Option<&str>) -> CommandRequest {
        CommandRequest { kind: kind.into(), payload: payload.into(), ttl: ttl.map(str::to_owned) }
    }

    #[test]
    fn a_good_request_gets_its_ttl_or_the_default() {
        let ok = request("read.imei", "00A4ff", Some("10m")).validate(&LIMITS).unwrap();
        assert_eq!(ok.payload, vec![0x00, 0xA4, 0xFF]);
        assert_eq!(ok.ttl, Duration::from_secs(600));
        assert_eq!(request("ping", "", None).validate(&LIMITS).unwrap().ttl, LIMITS.default_ttl);
    }

    #[test]
    fn each_problem_names_its_field() {
        let big = "00".repeat(1024);
        for (r, field) in [
            (request("", "", None), "type"),
            (request("has space", "", None), "type"),
            (request("ping", "abc", None), "payload"),
            (request("ping", "zz", None), "payload"),
            (request("ping", &big, None), "payload"),
            (request("ping", "", Some("soon")), "ttl"),
            (request("ping", "", Some("0s")), "ttl"),
            (request("ping", "", Some("2d")), "ttl"),
        ] {
            assert_eq!(r.validate(&LIMITS).unwrap_err().field, field, "{r:?}");
        }
    }

    #[test]
    fn the_frame_bound_is_exact() {
        let kind = CommandType::new("ping").unwrap();
        let largest = (0..=1024).rev().find(|n| command_fits(&kind, *n, 1024)).unwrap();
        assert!(largest > 900 && largest < 1024, "{largest}");
        assert!(!command_fits(&kind, largest + 1, 1024));
        assert_eq!(decode_hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(encode_hex(&[0x0a, 0xff]), "0aff");
    }
}
