//! The pure half of `simgate ota decode` and `simgate ota encode`: a TS
//! 102 225 command or response packet, bare or in its SMS user data (TS
//! 31.115), to and from the JSON the tools print and read. The CLI
//! (`src/cli/ota_cmd.rs`) only reads arguments, finds the keys and prints.
//!
//! - [`input`]: hex parts in, the packet's octets and kind out (the UDH
//!   IEI 0x70 or 0x71 tells an SMS from a bare packet).
//! - [`json`]: the JSON shape, one struct per packet kind.
//! - [`decode`]: open (decipher, verify) and describe.
//! - [`encode`]: build and seal from JSON.
//!
//! The checksum's associated data is the OTA one of [`crate::sim::ota`]
//! (none for a command, `02 71 00` for a response) unless the caller gives
//! another (a packet carried by another bearer).

pub mod decode;
pub mod encode;
pub mod input;
pub mod json;

pub use decode::{ResponseSecurity, decode};
pub use encode::{Encoded, Unsealed, encode};
pub use input::{Form, KindHint, PacketInput, PacketKind, read_input};
pub use json::{CommandJson, PacketJson, ResponseJson};

use crate::sim::ota::OtaError;
use crate::sim::secured::{SecuredError, SuiteError};
use crate::smpp::json::HexError;

/// Why a tool run failed; [`OtaToolError::is_usage`] tells the command
/// line's mistakes (exit 64) from bad or unverifiable input (exit 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtaToolError {
    /// The packet or SMS hex does not parse.
    #[error("bad hex: {0}")]
    Hex(#[from] HexError),
    /// The SMS headers do not fit together.
    #[error("SMS user data: {0}")]
    Ota(#[from] OtaError),
    /// The packet does not parse, decipher or verify.
    #[error("{0}")]
    Secured(#[from] SecuredError),
    /// A key does not fit its algorithm, or the algorithm is unknown.
    #[error("key: {0}")]
    Key(#[from] SuiteError),
    /// The JSON is not a packet in the shape `decode` prints.
    #[error("JSON: {0}")]
    Json(String),
    /// No input at all.
    #[error("no packet given")]
    Empty,
    /// Options that do not go together.
    #[error("{0}")]
    Usage(&'static str),
}

impl OtaToolError {
    /// Whether the operator's command line is at fault (a key of the wrong
    /// length or not hex, an unknown algorithm, a key the packet needs and
    /// that was not given), rather than the packet or JSON.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            OtaToolError::Key(_)
                | OtaToolError::Empty
                | OtaToolError::Usage(_)
                | OtaToolError::Secured(SecuredError::NoChecksumKey | SecuredError::NoCipheringKey)
        )
    }
}

#[cfg(test)]
mod tests;
