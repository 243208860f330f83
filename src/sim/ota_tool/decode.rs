//! Opening a packet for `simgate ota decode`: decipher, verify the
//! checksum, and describe every field ([`super::json`]).

use super::OtaToolError;
use super::input::{PacketInput, PacketKind};
use super::json::{AlgorithmJson, ChecksumJson, CommandJson, PacketJson, ResponseJson, ResponseSecurityJson};
use crate::sim::ota::{COMMAND_AAD, RESPONSE_AAD};
use crate::sim::secured::suite::{kic_algorithm_name, kid_algorithm_name};
use crate::sim::secured::{
    ChecksumKind, CommandPacketView, Kic, KicAlgorithm, Kid, KidAlgorithm, PacketKeys, PorSecurity,
    ResponsePacketView, ResponseStatus,
};
use crate::smpp::json::to_hex;

/// What a response packet does not say about itself: whether it is
/// ciphered, and the algorithms of the command it answers (its KIc and
/// KID). Whether it has a checksum is read from RHL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseSecurity {
    /// Whether the PoR is ciphered (the command's SPI asked for it).
    pub ciphered: bool,
    /// The ciphering algorithm.
    pub kic_algorithm: KicAlgorithm,
    /// The checksum algorithm.
    pub kid_algorithm: KidAlgorithm,
}

impl Default for ResponseSecurity {
    fn default() -> Self {
        Self { ciphered: false, kic_algorithm: KicAlgorithm::AesCbc, kid_algorithm: KidAlgorithm::AesCmac }
    }
}

/// The name of a status code as printed (`por_ok`, `counter_low`, ...).
pub fn status_name(s: ResponseStatus) -> String {
    match s {
        ResponseStatus::PorOk => "por_ok".to_owned(),
        ResponseStatus::Other(o) => format!("other_{o:02x}"),
        named => named.label().to_owned(),
    }
}

/// Opens `input` with `keys` and the associated data `aad` (the OTA one
/// when `None`) and describes it.
pub fn decode(
    input: &PacketInput,
    keys: &PacketKeys,
    response: &ResponseSecurity,
    aad: Option<&[u8]>,
) -> Result<PacketJson, OtaToolError> {
    match input.kind {
        PacketKind::Command => {
            let view = CommandPacketView::parse(&input.octets)?;
            let opened = view.open_with(keys, aad.unwrap_or(&COMMAND_AAD))?;
            let p = opened.packet;
            Ok(PacketJson::Command(CommandJson {
                spi: Some(to_hex(&p.spi.encode())),
                spi_fields: Some(p.spi.into()),
                kic: format!("{:02x}", p.kic.0),
                kic_fields: Some(AlgorithmJson {
                    algorithm: kic_algorithm_name(p.kic.algorithm()),
                    key_version: p.kic.key_version(),
                }),
                kid: format!("{:02x}", p.kid.0),
                kid_fields: Some(AlgorithmJson {
                    algorithm: kid_algorithm_name(p.kid.algorithm()),
                    key_version: p.kid.key_version(),
                }),
                tar: to_hex(&p.tar.0),
                counter: to_hex(&p.counter.to_octets()),
                padding: Some(opened.padding),
                checksum: Some(to_hex(&opened.checksum)),
                data: to_hex(&p.data),
                sms: input.sms.clone(),
            }))
        }
        PacketKind::Response => {
            let view = ResponsePacketView::parse(&input.octets)?;
            let checksum =
                if view.checksum_len() > 0 { ChecksumKind::Cryptographic } else { ChecksumKind::None };
            let security = PorSecurity {
                checksum,
                ciphered: response.ciphered,
                kic: Kic::new(response.kic_algorithm, 0),
                kid: Kid::new(response.kid_algorithm, 0),
            };
            let opened = view.open_with(&security, keys, aad.unwrap_or(&RESPONSE_AAD))?;
            let p = opened.packet;
            Ok(PacketJson::Response(ResponseJson {
                security: ResponseSecurityJson {
                    checksum: ChecksumJson::from(checksum),
                    ciphered: response.ciphered,
                    kic_algorithm: kic_algorithm_name(response.kic_algorithm),
                    kid_algorithm: kid_algorithm_name(response.kid_algorithm),
                },
                tar: to_hex(&p.tar.0),
                counter: to_hex(&p.counter.to_octets()),
                status: format!("{:02x}", p.status.octet()),
                status_name: Some(status_name(p.status)),
                padding: Some(opened.padding),
                checksum: Some(to_hex(&opened.checksum)),
                data: to_hex(&p.data),
                sms: input.sms.clone(),
            }))
        }
    }
}
