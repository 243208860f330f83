//! The JSON of a secured packet, as `simgate ota decode` prints it and
//! `simgate ota encode` reads it. Octet fields are lowercase hex strings.
//! Fields `decode` derives (the decoded SPI, KIc and KID, `padding`,
//! `checksum`, `status_name`, `sms`) are accepted by `encode` and not
//! needed: it recomputes them, except that `spi_fields` stands in for
//! `spi` when `spi` is absent. Unknown fields are refused, so a typo does
//! not silently build another packet.

use serde::{Deserialize, Serialize};

/// One packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "packet", rename_all = "snake_case")]
pub enum PacketJson {
    /// A command packet (TS 102 225 5.1).
    Command(CommandJson),
    /// A response packet (5.2).
    Response(ResponseJson),
}

/// A command packet's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandJson {
    /// The two SPI octets (5.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spi: Option<String>,
    /// The SPI decoded into its parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spi_fields: Option<SpiJson>,
    /// The KIc octet (5.1.2).
    pub kic: String,
    /// The KIc decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kic_fields: Option<AlgorithmJson>,
    /// The KID octet (5.1.3).
    pub kid: String,
    /// The KID decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid_fields: Option<AlgorithmJson>,
    /// The three TAR octets.
    pub tar: String,
    /// The five CNTR octets.
    pub counter: String,
    /// PCNTR, as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<u8>,
    /// The RC/CC/DS field as received; empty when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The secured data in the clear, padding removed.
    pub data: String,
    /// How the packet was carried, when it came as SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsJson>,
}

/// A response packet's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseJson {
    /// How it is secured: from the command's SPI, KIc and KID.
    #[serde(default)]
    pub security: ResponseSecurityJson,
    /// The three TAR octets.
    pub tar: String,
    /// The five CNTR octets (the command's).
    pub counter: String,
    /// The response status code octet (5.2).
    pub status: String,
    /// The status code's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_name: Option<String>,
    /// PCNTR, as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<u8>,
    /// The RC/CC/DS field as received; empty when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The additional response data, padding removed.
    pub data: String,
    /// How the packet was carried, when it came as SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsJson>,
}

/// The security of a response packet, which the packet does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSecurityJson {
    /// The PoR's integrity field (the command's SPI, second octet b4-b3).
    pub checksum: ChecksumJson,
    /// Whether the PoR is ciphered (second octet b5).
    pub ciphered: bool,
    /// The ciphering algorithm (from the command's KIc).
    pub kic_algorithm: String,
    /// The checksum algorithm (from the command's KID).
    pub kid_algorithm: String,
}

impl Default for ResponseSecurityJson {
    fn default() -> Self {
        Self {
            checksum: ChecksumJson::Cryptographic,
            ciphered: false,
            kic_algorithm: "aes-cbc".to_owned(),
            kid_algorithm: "aes-cmac".to_owned(),
        }
    }
}

/// The SPI in parts (TS 102 225 5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpiJson {
    /// First octet b2-b1.
    pub checksum: ChecksumJson,
    /// First octet b3.
    pub ciphered: bool,
    /// First octet b5-b4.
    pub counter: CounterJson,
    /// Second octet b2-b1.
    pub por: PorJson,
    /// Second octet b4-b3.
    pub por_checksum: ChecksumJson,
    /// Second octet b5.
    pub por_ciphered: bool,
    /// Second octet b6.
    pub por_via_submit: bool,
}

/// A checksum kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumJson {
    /// No RC, CC or DS.
    None,
    /// RC.
    Redundancy,
    /// CC.
    Cryptographic,
    /// DS.
    Signature,
}

/// A counter mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterJson {
    /// No counter.
    None,
    /// Counter available, not checked.
    Available,
    /// Process if higher.
    ProcessIfHigher,
    /// Process if one higher.
    ProcessIfOneHigher,
}

/// A PoR request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PorJson {
    /// No PoR.
    None,
    /// Always.
    Always,
    /// On error only.
    OnError,
}

/// A KIc or KID decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmJson {
    /// The algorithm's name (`aes-cbc`, `3des-2key`, `aes-cmac`,
    /// `des-cbc-mac`, `implicit-0`...).
    pub algorithm: String,
    /// The key version number (b8-b5).
    pub key_version: u8,
}

/// How a packet was carried by SMS (TS 31.115).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsJson {
    /// The packet identifier's IEI: `70` command, `71` response.
    pub iei: String,
    /// Each part's user data, header included, in the order given.
    pub parts: Vec<String>,
}

mod conv {
    //! Between the JSON enums and the secured-packet types.
    use super::*;
    use crate::sim::secured::{ChecksumKind, CounterMode, PorRequest, Spi};

    impl From<ChecksumKind> for ChecksumJson {
        fn from(k: ChecksumKind) -> Self {
            match k {
                ChecksumKind::None => Self::None,
                ChecksumKind::Redundancy => Self::Redundancy,
                ChecksumKind::Cryptographic => Self::Cryptographic,
                ChecksumKind::Signature => Self::Signature,
            }
        }
    }

    impl From<ChecksumJson> for ChecksumKind {
        fn from(k: ChecksumJson) -> Self {
            match k {
                ChecksumJson::None => Self::None,
                ChecksumJson::Redundancy => Self::Redundancy,
                ChecksumJson::Cryptographic => Self::Cryptographic,
                ChecksumJson::Signature => Self::Signature,
            }
        }
    }

    impl From<Spi> for SpiJson {
        fn from(s: Spi) -> Self {
            Self {
                checksum: s.checksum.into(),
                ciphered: s.ciphered,
                counter: match s.counter {
                    CounterMode::None => CounterJson::None,
                    CounterMode::Available => CounterJson::Available,
                    CounterMode::ProcessIfHigher => CounterJson::ProcessIfHigher,
                    CounterMode::ProcessIfOneHigher => CounterJson::ProcessIfOneHigher,
                },
                por: match s.por {
                    PorRequest::None => PorJson::None,
                    PorRequest::Always => PorJson::Always,
                    PorRequest::OnError => PorJson::OnError,
                },
                por_checksum: s.por_checksum.into(),
                por_ciphered: s.por_ciphered,
                por_via_submit: s.por_via_submit,
            }
        }
    }

    impl From<SpiJson> for Spi {
        fn from(s: SpiJson) -> Self {
            Self {
                checksum: s.checksum.into(),
                ciphered: s.ciphered,
                counter: match s.counter {
                    CounterJson::None => CounterMode::None,
                    CounterJson::Available => CounterMode::Available,
                    CounterJson::ProcessIfHigher => CounterMode::ProcessIfHigher,
                    CounterJson::ProcessIfOneHigher => CounterMode::ProcessIfOneHigher,
                },
                por: match s.por {
                    PorJson::None => PorRequest::None,
                    PorJson::Always => PorRequest::Always,
                    PorJson::OnError => PorRequest::OnError,
                },
                por_checksum: s.por_checksum.into(),
                por_ciphered: s.por_ciphered,
                por_via_submit: s.por_via_submit,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::secured::Spi;

    #[test]
    fn spi_fields_round_trip_for_every_valid_spi() {
        for first in 0..=0x1Fu8 {
            for second in 0..=0x3Fu8 {
                let Ok(spi) = Spi::decode([first, second]) else { continue };
                assert_eq!(Spi::from(SpiJson::from(spi)), spi);
            }
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let ok = r#"{"packet":"response","tar":"000000","counter":"0000000000","status":"00","data":""}"#;
        assert!(matches!(serde_json::from_str::<PacketJson>(ok), Ok(PacketJson::Response(_))));
        let typo = r#"{"packet":"response","tar":"000000","countr":"0000000000","status":"00","data":""}"#;
        assert!(serde_json::from_str::<PacketJson>(typo).is_err());
    }
}
