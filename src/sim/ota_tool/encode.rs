//! Building a packet for `simgate ota encode` from the JSON `decode`
//! prints: parse and check the fields ([`Unsealed::from_json`]), then seal
//! with keys the caller resolved for the packet's algorithms.

use super::OtaToolError;
use super::json::{CommandJson, PacketJson, ResponseJson};
use crate::sim::ids::{Kvn, Tar};
use crate::sim::ota::{COMMAND_AAD, RESPONSE_AAD, command_sms_parts, por_sms_octets};
use crate::sim::secured::suite::{kic_algorithm_by_name, kid_algorithm_by_name};
use crate::sim::secured::{
    ChecksumKind, CommandPacket, Counter, Kic, Kid, PacketKeys, PorSecurity, ResponsePacket, ResponseStatus,
    Spi,
};
use crate::smpp::json::{HexError, parse_hex};

/// A packet read from JSON, not yet sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsealed {
    /// A command packet.
    Command(CommandPacket),
    /// A response packet with how to secure it.
    Response {
        /// The packet.
        packet: ResponsePacket,
        /// Checksum kind and ciphering (KIc and KID give the algorithms).
        security: PorSecurity,
    },
}

/// A sealed packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoded {
    /// A command packet's octets.
    Command(Vec<u8>),
    /// A response packet's octets.
    Response(Vec<u8>),
}

impl Encoded {
    /// The packet's octets.
    pub fn octets(&self) -> &[u8] {
        match self {
            Encoded::Command(o) | Encoded::Response(o) => o,
        }
    }

    /// The SMS user data carrying it (TS 31.115): a command cut into
    /// concatenated parts under `reference` when it needs more than one,
    /// a response always in one.
    pub fn sms(&self, reference: u8) -> Result<Vec<Vec<u8>>, OtaToolError> {
        Ok(match self {
            Encoded::Command(o) => command_sms_parts(o, reference)?,
            Encoded::Response(o) => vec![por_sms_octets(o)?],
        })
    }
}

fn field(name: &str, text: &str, len: Option<usize>) -> Result<Vec<u8>, OtaToolError> {
    let parsed = match parse_hex(text) {
        Err(HexError::Empty) => Ok(Vec::new()),
        other => other,
    };
    let octets = parsed.map_err(|e| OtaToolError::Json(format!("{name}: {e}")))?;
    match len {
        Some(n) if octets.len() != n => {
            Err(OtaToolError::Json(format!("{name}: {} octets, must be {n}", octets.len())))
        }
        _ => Ok(octets),
    }
}

fn octet(name: &str, text: &str) -> Result<u8, OtaToolError> {
    Ok(field(name, text, Some(1))?.first().copied().unwrap_or(0))
}

fn tar(text: &str) -> Result<Tar, OtaToolError> {
    let o = field("tar", text, Some(3))?;
    Tar::from_slice(&o).map_err(|e| OtaToolError::Json(format!("tar: {e}")))
}

fn counter(text: &str) -> Result<Counter, OtaToolError> {
    let o = field("counter", text, Some(5))?;
    let mut c = [0; 5];
    c.copy_from_slice(&o);
    Ok(Counter::from_octets(c))
}

fn command(j: &CommandJson) -> Result<CommandPacket, OtaToolError> {
    let spi = match (&j.spi, j.spi_fields) {
        (Some(hex), _) => {
            let o = field("spi", hex, Some(2))?;
            Spi::decode([o[0], o[1]]).map_err(|e| OtaToolError::Json(format!("spi: {e}")))?
        }
        (None, Some(fields)) => Spi::from(fields),
        (None, None) => return Err(OtaToolError::Json("spi: missing (give spi or spi_fields)".to_owned())),
    };
    Ok(CommandPacket {
        spi,
        kic: Kic(octet("kic", &j.kic)?),
        kid: Kid(octet("kid", &j.kid)?),
        tar: tar(&j.tar)?,
        counter: counter(&j.counter)?,
        data: field("data", &j.data, None)?,
    })
}

fn response(j: &ResponseJson) -> Result<(ResponsePacket, PorSecurity), OtaToolError> {
    let kic = kic_algorithm_by_name(&j.security.kic_algorithm).ok_or_else(|| {
        OtaToolError::Json(format!("security.kic_algorithm: unknown {:?}", j.security.kic_algorithm))
    })?;
    let kid = kid_algorithm_by_name(&j.security.kid_algorithm).ok_or_else(|| {
        OtaToolError::Json(format!("security.kid_algorithm: unknown {:?}", j.security.kid_algorithm))
    })?;
    let packet = ResponsePacket {
        tar: tar(&j.tar)?,
        counter: counter(&j.counter)?,
        status: ResponseStatus::from_octet(octet("status", &j.status)?),
        data: field("data", &j.data, None)?,
    };
    let security = PorSecurity {
        checksum: ChecksumKind::from(j.security.checksum),
        ciphered: j.security.ciphered,
        kic: Kic::new(kic, 0),
        kid: Kid::new(kid, 0),
    };
    Ok((packet, security))
}

impl Unsealed {
    /// Reads and checks the fields.
    pub fn from_json(json: &PacketJson) -> Result<Self, OtaToolError> {
        Ok(match json {
            PacketJson::Command(j) => Unsealed::Command(command(j)?),
            PacketJson::Response(j) => {
                let (packet, security) = response(j)?;
                Unsealed::Response { packet, security }
            }
        })
    }

    /// The KIc and KID whose algorithms the keys must be resolved for (a
    /// response's carry the algorithms of its `security`, key version 0).
    pub fn algorithms(&self) -> (Kic, Kid) {
        match self {
            Unsealed::Command(p) => (p.kic, p.kid),
            Unsealed::Response { security, .. } => (security.kic, security.kid),
        }
    }

    /// The key version a registry lookup needs: a command's KID version
    /// when it is checksummed, else its KIc's; `None` for a response (the
    /// caller asks for it) or version 0.
    pub fn key_version(&self) -> Option<Kvn> {
        match self {
            Unsealed::Command(p) if p.spi.checksum == ChecksumKind::None => {
                Kvn::new(p.kic.key_version()).ok()
            }
            Unsealed::Command(p) => Kvn::new(p.kid.key_version()).ok(),
            Unsealed::Response { .. } => None,
        }
    }

    /// Seals with `keys` under `aad` (the OTA one when `None`).
    pub fn seal(&self, keys: &PacketKeys, aad: Option<&[u8]>) -> Result<Encoded, OtaToolError> {
        Ok(match self {
            Unsealed::Command(p) => Encoded::Command(p.seal_with(keys, aad.unwrap_or(&COMMAND_AAD))?),
            Unsealed::Response { packet, security } => {
                Encoded::Response(packet.seal_with(security, keys, aad.unwrap_or(&RESPONSE_AAD))?)
            }
        })
    }
}

/// Reads `json` and seals it with `keys`, a shortcut for tests and tools
/// whose keys do not depend on the packet.
pub fn encode(json: &PacketJson, keys: &PacketKeys, aad: Option<&[u8]>) -> Result<Encoded, OtaToolError> {
    Unsealed::from_json(json)?.seal(keys, aad)
}
