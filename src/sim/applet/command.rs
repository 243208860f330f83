//! The parts of a command and its result as the applet channel carries
//! them: the command id, the command type, and the result status.

use std::fmt;

/// The longest command type.
pub const MAX_COMMAND_TYPE_LEN: usize = 32;

/// Why a command field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommandFieldError {
    /// A command type is 1 to 32 octets of letters, digits, '.', '_', '-'.
    #[error("command type must be 1 to 32 of A-Z a-z 0-9 . _ -")]
    CommandType,
}

/// A command id: 16 octets, so the HTTP API's UUIDs fit as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub [u8; 16]);

impl fmt::Debug for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandId({self})")
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// What a command asks the applet to do, named as the API names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommandType(String);

impl CommandType {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<Self, CommandFieldError> {
        let ok = (1..=MAX_COMMAND_TYPE_LEN).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok { Ok(Self(name.to_owned())) } else { Err(CommandFieldError::CommandType) }
    }

    /// From wire octets.
    pub fn from_octets(octets: &[u8]) -> Result<Self, CommandFieldError> {
        std::str::from_utf8(octets).map_err(|_| CommandFieldError::CommandType).and_then(Self::new)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the applet says a command went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultStatus {
    /// '00': done; the payload is the answer.
    Ok,
    /// '01': tried and failed; the payload may say why.
    Failed,
    /// '02': the applet does not know this command type.
    Unsupported,
    /// '03': the applet cannot take it now.
    Busy,
    /// Any other octet, kept as received.
    Other(u8),
}

impl ResultStatus {
    /// From the octet.
    pub const fn from_octet(o: u8) -> Self {
        match o {
            0 => ResultStatus::Ok,
            1 => ResultStatus::Failed,
            2 => ResultStatus::Unsupported,
            3 => ResultStatus::Busy,
            other => ResultStatus::Other(other),
        }
    }

    /// The octet.
    pub const fn octet(self) -> u8 {
        match self {
            ResultStatus::Ok => 0,
            ResultStatus::Failed => 1,
            ResultStatus::Unsupported => 2,
            ResultStatus::Busy => 3,
            ResultStatus::Other(o) => o,
        }
    }

    /// Its name in the API, in events and as a metric label; `other` for
    /// every octet without a name.
    pub const fn label(self) -> &'static str {
        match self {
            ResultStatus::Ok => "ok",
            ResultStatus::Failed => "failed",
            ResultStatus::Unsupported => "unsupported",
            ResultStatus::Busy => "busy",
            ResultStatus::Other(_) => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_type_rules() {
        assert_eq!(CommandType::new("read.imei").map(|t| t.as_str().to_owned()), Ok("read.imei".to_owned()));
        assert!(CommandType::new(&"a".repeat(32)).is_ok());
        for bad in ["", "has space", "ü", &"a".repeat(33)] {
            assert_eq!(CommandType::new(bad), Err(CommandFieldError::CommandType), "{bad}");
        }
        assert_eq!(CommandType::from_octets(&[0xFF]), Err(CommandFieldError::CommandType));
        for o in 0..=255u8 {
            assert_eq!(ResultStatus::from_octet(o).octet(), o);
        }
        assert_eq!(CommandId([0xAB; 16]).to_string(), "ab".repeat(16));
    }
}
