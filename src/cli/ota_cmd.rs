//! `simgate ota decode` and `simgate ota encode`: operator tools for ETSI
//! TS 102 225 command and response packets, bare or as the SMS user data
//! that carries them (TS 31.115), with AES, DES or triple DES keys given as
//! hex or taken from the SIM registry by ICCID (docs/ota-tool.md). The
//! packet work is [`crate::sim::ota_tool`]; this module reads arguments,
//! finds the keys and prints.
//!
//! Exit statuses: 0 done; 1 the packet or JSON is bad or does not verify
//! (bad hex, truncated, failed checksum, SIM not in the registry); 64 the
//! command line is (a key of the wrong length or not hex, an unknown
//! algorithm, a key the packet needs and that was not given, bad
//! settings). Every failure is one line on standard error, never with key
//! material.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::settings::EX_CONFIG;
use crate::sim::Kvn;
use crate::sim::ota_tool::{
    Form, KindHint, OtaToolError, PacketInput, PacketJson, PacketKind, ResponseSecurity, Unsealed, decode,
    read_input,
};
use crate::sim::secured::suite::{kic_algorithm_by_name, kid_algorithm_by_name};
use crate::sim::secured::{
    ChecksumKind, CommandPacketView, Kic, KicAlgorithm, Kid, KidAlgorithm, PacketKeys, ResponsePacketView,
    SecuredError,
};
use crate::smpp::json::{parse_hex, to_hex};

/// Most input read from standard input (hex lines or JSON).
const MAX_STDIN: u64 = 1024 * 1024;

/// What to do with OTA packets.
#[derive(Debug, Subcommand)]
pub enum OtaCommand {
    /// Decipher and verify a command or response packet and print every
    /// field as JSON.
    Decode(DecodeArgs),
    /// Build and seal a packet from the JSON `decode` prints; print its
    /// hex (or its SMS user data with --sms, one part per line).
    Encode(EncodeArgs),
}

/// Arguments of `ota decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The packet, or the SMS user data with its header, as hex; several
    /// arguments are the parts of a concatenated SMS. Without any, one part
    /// per line on standard input.
    pub hex: Vec<String>,
    /// The input is a bare packet (CPL or RPL first), whatever it looks like.
    #[arg(long, conflicts_with = "sms")]
    pub packet: bool,
    /// The input is SMS user data with a header.
    #[arg(long)]
    pub sms: bool,
    /// A bare packet is a response packet (an SMS says so by its IEI 0x71).
    #[arg(long)]
    pub response: bool,
    /// The response packet is ciphered (its command's SPI asked for it;
    /// the response does not say).
    #[arg(long)]
    pub por_ciphered: bool,
    /// Indent the JSON.
    #[arg(long)]
    pub pretty: bool,
    /// The keys.
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// Arguments of `ota encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// The JSON object; without it, read from standard input.
    pub json: Option<String>,
    /// Print the SMS user data (header included), one part per line, cut
    /// into concatenated parts when one SMS is not enough.
    #[arg(long)]
    pub sms: bool,
    /// Concatenation reference of the parts.
    #[arg(long, default_value_t = 0)]
    pub reference: u8,
    /// The keys.
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// Where the keys come from.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Ciphering key (KIc) as hex: AES 16/24/32 octets, DES 8, 3DES 16 or 24.
    #[arg(long, value_name = "HEX", env = "SIMGATE_OTA_KIC", hide_env_values = true)]
    pub kic: Option<String>,
    /// Checksum key (KID) as hex.
    #[arg(long, value_name = "HEX", env = "SIMGATE_OTA_KID", hide_env_values = true)]
    pub kid: Option<String>,
    /// Ciphering algorithm instead of the one the KIc octet names:
    /// aes-cbc, des-cbc, 3des-2key, 3des-3key, des-ecb.
    #[arg(long, value_name = "ALG")]
    pub kic_alg: Option<String>,
    /// Checksum algorithm instead of the one the KID octet names: aes-cmac,
    /// des-cbc-mac, 3des-2key-mac, 3des-3key-mac.
    #[arg(long, value_name = "ALG")]
    pub kid_alg: Option<String>,
    /// Take the keys from the SIM registry (MongoDB and the master key of
    /// the settings) for this ICCID, key set of the packet's key version.
    #[arg(long, conflicts_with_all = ["kic", "kid", "kic_alg", "kid_alg"])]
    pub iccid: Option<String>,
    /// With --iccid: the key set of a response packet (which names none).
    #[arg(long, requires = "iccid")]
    pub kvn: Option<u8>,
    /// Settings file for --iccid; SIMGATE__SECTION__KEY variables override it.
    #[arg(long, short = 'c', env = "SIMGATE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Associated data under the checksum, as hex, instead of the SMS-PP
    /// one (none for a command, 02 71 00 for a response); "" for none.
    #[arg(long, value_name = "HEX")]
    pub aad: Option<String>,
}

/// A failure: its line and whether the command line is at fault.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Exit 64.
    Usage(String),
    /// Exit 1.
    Check(String),
}

impl From<OtaToolError> for Failure {
    fn from(e: OtaToolError) -> Self {
        let hint = match &e {
            OtaToolError::Secured(SecuredError::NoCipheringKey) => "the packet is ciphered: give --kic",
            OtaToolError::Secured(SecuredError::NoChecksumKey) => "the packet has a checksum: give --kid",
            _ => "",
        };
        let line = if hint.is_empty() { e.to_string() } else { format!("{e}; {hint}") };
        if e.is_usage() { Failure::Usage(line) } else { Failure::Check(line) }
    }
}

impl Failure {
    fn exit(self) -> ExitCode {
        match self {
            Failure::Usage(line) => {
                eprintln!("simgate: {line}");
                ExitCode::from(EX_CONFIG)
            }
            Failure::Check(line) => {
                eprintln!("simgate: {line}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs an `ota` subcommand.
pub(super) fn run(command: OtaCommand) -> ExitCode {
    let result = match command {
        OtaCommand::Decode(args) => run_decode(&args),
        OtaCommand::Encode(args) => run_encode(&args),
    };
    let written = result.and_then(|text| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Check(format!("cannot write: {e}")))
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.exit(),
    }
}

fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    match std::io::stdin().take(MAX_STDIN + 1).read_to_string(&mut text) {
        Ok(n) if n as u64 > MAX_STDIN => {
            Err(Failure::Check(format!("more than {MAX_STDIN} octets on standard input")))
        }
        Ok(_) => Ok(text),
        Err(e) => Err(Failure::Check(format!("cannot read standard input: {e}"))),
    }
}

/// The forced algorithms, refusing unknown names.
fn forced(keys: &KeyArgs) -> Result<(Option<KicAlgorithm>, Option<KidAlgorithm>), Failure> {
    let kic = keys
        .kic_alg
        .as_deref()
        .map(|n| {
            kic_algorithm_by_name(n)
                .ok_or_else(|| Failure::Usage(format!("--kic-alg: unknown algorithm {n:?}")))
        })
        .transpose()?;
    let kid = keys
        .kid_alg
        .as_deref()
        .map(|n| {
            kid_algorithm_by_name(n)
                .ok_or_else(|| Failure::Usage(format!("--kid-alg: unknown algorithm {n:?}")))
        })
        .transpose()?;
    Ok((kic, kid))
}

fn aad(keys: &KeyArgs) -> Result<Option<Vec<u8>>, Failure> {
    match keys.aad.as_deref() {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(Some(Vec::new())),
        Some(t) => parse_hex(t).map(Some).map_err(|e| Failure::Usage(format!("--aad: bad hex: {e}"))),
    }
}

/// What the keys are needed for: the packet's KIc and KID (for the
/// algorithms), whether it is ciphered and checksummed, its key version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Needs {
    /// The KIc whose algorithm a `--kic` key is paired with.
    pub kic: Kic,
    /// The KID whose algorithm a `--kid` key is paired with.
    pub kid: Kid,
    /// Whether a ciphering key is needed at all.
    pub ciphered: bool,
    /// Whether a checksum key is needed at all (a CC).
    pub checksummed: bool,
    /// The key set a registry lookup takes.
    pub kvn: Option<Kvn>,
    /// Whether `kic` and `kid` are named by the input (a command's octets,
    /// the JSON's algorithms): a registry key set of another algorithm is
    /// then refused. A response to decode names none; with `--iccid` the
    /// key set's algorithm is taken.
    pub named: bool,
}

/// The keys for `needs` from the command line or the registry.
fn keys_for(args: &KeyArgs, needs: Needs) -> Result<PacketKeys, Failure> {
    if let Some(iccid) = args.iccid.as_deref() {
        return registry::keys(args, iccid, needs);
    }
    let (force_kic, force_kid) = forced(args)?;
    let kic_hex = args.kic.as_deref().filter(|_| needs.ciphered);
    let kid_hex = args.kid.as_deref().filter(|_| needs.checksummed);
    PacketKeys::resolve(needs.kic, needs.kid, kic_hex, kid_hex, force_kic, force_kid)
        .map_err(|e| Failure::from(OtaToolError::from(e)))
}

fn run_decode(args: &DecodeArgs) -> Result<String, Failure> {
    let texts = if args.hex.is_empty() {
        read_stdin()?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    } else {
        args.hex.clone()
    };
    let parts = texts
        .iter()
        .map(|t| parse_hex(t).map_err(|e| Failure::Check(format!("bad hex: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let form = if args.packet {
        Form::Packet
    } else if args.sms {
        Form::Sms
    } else {
        Form::Auto
    };
    let hint = if args.response { KindHint::Response } else { KindHint::Auto };
    let input = read_input(&parts, form, hint)?;
    let (needs, mut security) = decode_needs(&input, args)?;
    let keys = keys_for(&args.keys, needs)?;
    if input.kind == PacketKind::Response && args.keys.iccid.is_some() {
        // A response names no algorithm: the registry key set's are the
        // command's (--kic-alg and --kid-alg do not go with --iccid).
        if let Some(c) = &keys.ciphering {
            security.kic_algorithm = c.algorithm();
        }
        if let Some(c) = &keys.checksum {
            security.kid_algorithm = c.algorithm();
        }
    }
    let json = decode(&input, &keys, &security, aad(&args.keys)?.as_deref())?;
    print_json(&json, args.pretty)
}

fn print_json(json: &PacketJson, pretty: bool) -> Result<String, Failure> {
    let printed = if pretty { serde_json::to_string_pretty(json) } else { serde_json::to_string(json) };
    printed.map_err(|e| Failure::Check(format!("cannot print JSON: {e}")))
}

fn decode_needs(input: &PacketInput, args: &DecodeArgs) -> Result<(Needs, ResponseSecurity), Failure> {
    let (force_kic, force_kid) = forced(&args.keys)?;
    match input.kind {
        PacketKind::Command => {
            let view = CommandPacketView::parse(&input.octets).map_err(OtaToolError::from)?;
            let needs = Needs {
                kic: view.kic,
                kid: view.kid,
                ciphered: view.spi.ciphered,
                checksummed: view.spi.checksum == ChecksumKind::Cryptographic,
                kvn: view.key_version(),
                named: true,
            };
            Ok((needs, ResponseSecurity::default()))
        }
        PacketKind::Response => {
            let view = ResponsePacketView::parse(&input.octets).map_err(OtaToolError::from)?;
            let security = ResponseSecurity {
                ciphered: args.por_ciphered,
                kic_algorithm: force_kic.unwrap_or(KicAlgorithm::AesCbc),
                kid_algorithm: force_kid.unwrap_or(KidAlgorithm::AesCmac),
            };
            let needs = Needs {
                kic: Kic::new(security.kic_algorithm, 0),
                kid: Kid::new(security.kid_algorithm, 0),
                ciphered: args.por_ciphered,
                checksummed: view.checksum_len() > 0,
                kvn: args.keys.kvn.and_then(|v| Kvn::new(v).ok()),
                named: false,
            };
            Ok((needs, security))
        }
    }
}

fn run_encode(args: &EncodeArgs) -> Result<String, Failure> {
    let text = match &args.json {
        Some(t) => t.clone(),
        None => read_stdin()?,
    };
    let json: PacketJson = serde_json::from_str(&text).map_err(|e| Failure::Check(format!("JSON: {e}")))?;
    let unsealed = Unsealed::from_json(&json)?;
    let (kic, kid) = unsealed.algorithms();
    let needs = match &unsealed {
        Unsealed::Command(p) => Needs {
            kic,
            kid,
            ciphered: p.spi.ciphered,
            checksummed: p.spi.checksum == ChecksumKind::Cryptographic,
            kvn: unsealed.key_version(),
            named: true,
        },
        Unsealed::Response { security, .. } => Needs {
            kic,
            kid,
            ciphered: security.ciphered,
            checksummed: security.checksum == ChecksumKind::Cryptographic,
            kvn: args.keys.kvn.and_then(|v| Kvn::new(v).ok()),
            named: true,
        },
    };
    let keys = keys_for(&args.keys, needs)?;
    let sealed = unsealed.seal(&keys, aad(&args.keys)?.as_deref())?;
    if args.sms {
        let parts = sealed.sms(args.reference).map_err(Failure::from)?;
        Ok(parts.iter().map(|p| to_hex(p)).collect::<Vec<_>>().join("\n"))
    } else {
        Ok(to_hex(sealed.octets()))
    }
}

/// The registry key lookup (feature `mongo`).
mod registry {
    use super::{Failure, KeyArgs, Needs};
    #[cfg(feature = "mongo")]
    use crate::sim::RegistryKeys;
    use crate::sim::secured::PacketKeys;
    #[cfg(feature = "mongo")]
    use crate::sim::secured::suite::{kic_algorithm_name, kid_algorithm_name};

    /// The key set a registry lookup takes: the packet's key version (or
    /// `--kvn` for a response).
    pub(crate) fn check_needs(needs: Needs) -> Result<crate::sim::Kvn, Failure> {
        needs.kvn.ok_or_else(|| {
            Failure::Usage(
                "no key version: the packet names version 0 (or give --kvn for a response)".to_owned(),
            )
        })
    }

    /// The packet keys of a registry key set, refusing one whose algorithm
    /// is not the one the packet's KIc (when ciphered) or KID (when
    /// checksummed) names.
    #[cfg(feature = "mongo")]
    pub(crate) fn keys_of(needs: Needs, keys: &RegistryKeys) -> Result<PacketKeys, Failure> {
        let algorithm = keys.algorithm();
        let kvn = keys.kvn().get();
        if needs.named && needs.ciphered && needs.kic.algorithm() != algorithm.kic_algorithm() {
            return Err(Failure::Usage(format!(
                "the packet's KIc names {}, key set {kvn} in the registry is {algorithm}: give --kic",
                kic_algorithm_name(needs.kic.algorithm())
            )));
        }
        if needs.named && needs.checksummed && needs.kid.algorithm() != algorithm.kid_algorithm() {
            return Err(Failure::Usage(format!(
                "the packet's KID names {}, key set {kvn} in the registry is {algorithm}: give --kid",
                kid_algorithm_name(needs.kid.algorithm())
            )));
        }
        Ok(keys.packet_keys())
    }

    #[cfg(feature = "mongo")]
    pub(super) fn keys(args: &KeyArgs, iccid: &str, needs: Needs) -> Result<PacketKeys, Failure> {
        use crate::backends::mongo::MongoHandle;
        use crate::sim::Iccid;
        use crate::sim::registry::{SimRegistry, SimRegistryMetrics};
        use std::sync::Arc;
        use std::time::Duration;

        let kvn = check_needs(needs)?;
        let iccid = Iccid::new(iccid).map_err(|e| Failure::Usage(format!("--iccid: {e}")))?;
        let settings = crate::settings::Settings::load(args.config.as_deref())
            .map_err(|e| Failure::Usage(format!("invalid configuration: {e}")))?;
        if !settings.mongo.enabled {
            return Err(Failure::Usage("--iccid needs MongoDB: mongo.enabled is false".to_owned()));
        }
        let keyring =
            settings.sim.keyring().map_err(|e| Failure::Usage(format!("invalid configuration: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Check(format!("cannot start the runtime: {e}")))?;
        let found = runtime.block_on(async {
            let lookup = async {
                let handle =
                    MongoHandle::new(&settings.mongo, &settings.health).await.map_err(|e| e.to_string())?;
                let registry = SimRegistry::new(&handle, Arc::new(keyring), SimRegistryMetrics::default());
                registry.credentials(&iccid, kvn).await.map_err(|e| e.to_string())
            };
            tokio::time::timeout(Duration::from_secs(30), lookup)
                .await
                .unwrap_or_else(|_| Err("the SIM registry did not answer within 30 s".to_owned()))
        });
        match found {
            Ok(Some(credentials)) => keys_of(needs, &credentials.keys),
            Ok(None) => {
                Err(Failure::Check(format!("SIM {iccid} has no key set {} in the registry", kvn.get())))
            }
            Err(e) => Err(Failure::Check(format!("SIM registry: {e}"))),
        }
    }

    #[cfg(not(feature = "mongo"))]
    pub(super) fn keys(_: &KeyArgs, _: &str, needs: Needs) -> Result<PacketKeys, Failure> {
        check_needs(needs)?;
        Err(Failure::Usage("--iccid needs a simgate built with the mongo feature".to_owned()))
    }
}

#[cfg(all(test, feature = "mongo"))]
mod tests {
    //! The registry adapter without MongoDB: credentials as the registry
    //! returns them open the packets sealed under their key set, AES or
    //! DES, and a key set of another algorithm than the packet names is
    //! refused.
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sim::registry::{KeyAlgorithm, SimCredentials, SimStatus};
    use crate::sim::secured::{CommandPacket, Counter, CounterMode, Spi};
    use crate::sim::{AesKey, Iccid, KeySet, RegistryKeys, Tar};

    fn credentials() -> SimCredentials {
        let body = "898820000000000001";
        let check = Iccid::check_digit(body).unwrap();
        SimCredentials {
            iccid: Iccid::new(&format!("{body}{check}")).unwrap(),
            tar: Tar([0xB0, 0, 0x10]),
            keys: RegistryKeys::from(KeySet {
                kvn: Kvn::new(2).unwrap(),
                kic: Some(AesKey::new(&[1; 16]).unwrap()),
                kid: AesKey::new(&[2; 16]).unwrap(),
            }),
            counter: 4,
            status: SimStatus::Active,
        }
    }

    fn needs_of(packet: &CommandPacket) -> Needs {
        Needs {
            kic: packet.kic,
            kid: packet.kid,
            ciphered: packet.spi.ciphered,
            checksummed: true,
            kvn: Some(packet.kid.key_version()).and_then(|v| Kvn::new(v).ok()),
            named: true,
        }
    }

    #[test]
    fn registry_keys_open_what_the_key_set_sealed() {
        let des =
            RegistryKeys::new(KeyAlgorithm::TripleDes2Key, Kvn::new(2).unwrap(), Some(&[5; 16]), &[6; 16])
                .unwrap();
        for keys in [credentials().keys, des] {
            let packet = CommandPacket {
                spi: Spi::checksummed(true, CounterMode::ProcessIfHigher),
                kic: keys.kic(),
                kid: keys.kid(),
                tar: Tar([0xB0, 0, 0x10]),
                counter: Counter::new(5).unwrap(),
                data: vec![1, 2, 3],
            };
            let sealed = keys.seal_command(&packet, &crate::sim::ota::COMMAND_AAD).unwrap();
            let input = read_input(&[sealed], Form::Packet, KindHint::Command).unwrap();
            let packet_keys = registry::keys_of(needs_of(&packet), &keys).unwrap();
            let json = crate::sim::ota_tool::decode(&input, &packet_keys, &ResponseSecurity::default(), None)
                .unwrap();
            let PacketJson::Command(c) = json else { panic!("not a command") };
            assert_eq!((c.data.as_str(), c.tar.as_str()), ("010203", "b00010"), "{}", keys.algorithm());
            let named = c.kid_fields.map(|f| f.algorithm);
            let expected = if keys.aes().is_some() { "aes-cmac" } else { "3des-2key-mac" };
            assert_eq!(named.as_deref(), Some(expected));
        }
    }

    #[test]
    fn a_registry_key_set_of_another_algorithm_is_refused() {
        let kvn = Kvn::new(2).unwrap();
        let aes = credentials().keys;
        let des = RegistryKeys::new(KeyAlgorithm::DesCbc, kvn, None, &[6; 8]).unwrap();
        let des_packet = Needs {
            kic: Kic(0),
            kid: des.kid(),
            ciphered: false,
            checksummed: true,
            kvn: Some(kvn),
            named: true,
        };
        let Err(Failure::Usage(line)) = registry::keys_of(des_packet, &aes) else { panic!("accepted") };
        assert!(line.contains("des-cbc-mac") && line.contains("is aes"), "{line}");
        assert!(registry::keys_of(des_packet, &des).is_ok());
        // A response names nothing: the key set's algorithm is taken.
        assert!(registry::keys_of(Needs { kid: aes.kid(), named: false, ..des_packet }, &des).is_ok());
    }

    #[test]
    fn registry_lookups_need_a_key_version() {
        let kvn = Kvn::new(2).unwrap();
        let aes = Needs {
            kic: Kic::aes_cbc(kvn),
            kid: Kid::aes_cmac(kvn),
            ciphered: true,
            checksummed: true,
            kvn: Some(kvn),
            named: true,
        };
        assert_eq!(registry::check_needs(aes).ok(), Some(kvn));
        assert_eq!(registry::check_needs(Needs { kid: Kid(0x25), ..aes }).ok(), Some(kvn));
        assert!(matches!(registry::check_needs(Needs { kvn: None, ..aes }), Err(Failure::Usage(_))));
    }
}
