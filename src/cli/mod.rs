//! The command line: `simgate serve`, `simgate config check`, and the
//! operator tools (`simgate healthcheck`, `simgate pdu decode|encode`,
//! `simgate smsc-sim`, `simgate load api|smpp`, `simgate sims import|reseal`,
//! `simgate applet-sim generate|run`, `simgate ota decode|encode`).
//!
//! Exit statuses: 0 success, 1 runtime failure, 64 bad configuration or
//! usage (sysexits.h `EX_USAGE`).

pub mod applet_sim_cmd;
mod config_cmd;
mod foreground;
mod healthcheck;
pub mod load_cmd;
mod ota_cmd;
mod pdu_cmd;
#[cfg(feature = "mongo")]
mod sims_cmd;
pub mod smsc_sim_cmd;

use crate::serve::{ServeOutcome, serve};
use crate::settings::{EX_CONFIG, Settings};
use crate::telemetry::{BuildInfo, init_logging};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// simgate: SMS/SIM gateway.
#[derive(Debug, Parser)]
#[command(name = "simgate", version = BuildInfo::long_version(), about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway until SIGTERM or SIGINT.
    Serve {
        /// TOML settings file; SIMGATE__SECTION__KEY variables override it.
        #[arg(long, short = 'c', env = "SIMGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Exit 0 when a running instance's /health answers 200 (for container
    /// HEALTHCHECKs).
    Healthcheck {
        /// Address of the instance's HTTP listener.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Connect and read timeout.
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Run the SMSC simulator: an SMPP server for tests, demos and load
    /// tests (docs/smsc-sim.md).
    SmscSim(smsc_sim_cmd::SmscSimArgs),
    /// Load generators: MT through the HTTP API, or an ESME replaying PDU
    /// fixtures (docs/load-testing.md).
    Load {
        /// Which load to generate.
        #[command(subcommand)]
        command: load_cmd::LoadCommand,
    },
    /// Generate SIM sets and run a swarm of simulated SIM applets against
    /// the applet endpoint (docs/applet-sim.md).
    AppletSim {
        /// What to do.
        #[command(subcommand)]
        command: applet_sim_cmd::AppletSimCommand,
    },
    /// Inspect settings.
    Config {
        /// What to do with them.
        #[command(subcommand)]
        command: config_cmd::ConfigCommand,
    },
    /// Decode SMPP PDUs from hex to JSON, or encode that JSON back to hex.
    Pdu {
        /// What to do with them.
        #[command(subcommand)]
        command: pdu_cmd::PduCommand,
    },
    /// Decipher, verify and print TS 102 225 OTA packets as JSON, or build
    /// them from JSON, with AES, DES or 3DES keys (docs/ota-tool.md).
    Ota {
        /// What to do.
        #[command(subcommand)]
        command: ota_cmd::OtaCommand,
    },
    /// Manage the SIM registry: `simgate sims import <csv>`.
    #[cfg(feature = "mongo")]
    Sims {
        /// What to do.
        #[command(subcommand)]
        command: sims_cmd::SimsCommand,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(EX_CONFIG),
            };
        }
    };
    match cli.command {
        Command::Serve { config } => run_serve(config),
        Command::Config { command } => config_cmd::run(command),
        Command::Healthcheck { addr, timeout } => healthcheck::run(addr, timeout),
        Command::Pdu { command } => pdu_cmd::run(command),
        Command::Ota { command } => ota_cmd::run(command),
        Command::SmscSim(args) => smsc_sim_cmd::run(args),
        #[cfg(feature = "mongo")]
        Command::Sims { command } => sims_cmd::run(command),
        Command::Load { command } => load_cmd::run(command),
        Command::AppletSim { command } => applet_sim_cmd::run(command),
    }
}

/// Loads settings or prints the one-line reason and returns `EX_CONFIG`.
pub(crate) fn load_settings(file: Option<&std::path::Path>) -> Result<Settings, ExitCode> {
    Settings::load(file).map_err(|err| {
        eprintln!("simgate: invalid configuration: {err}");
        ExitCode::from(EX_CONFIG)
    })
}

fn run_serve(config: Option<PathBuf>) -> ExitCode {
    let settings = match load_settings(config.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    init_logging(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("simgate: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(serve(settings));
    // Tasks that ignored the drain are abandoned here, not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match outcome {
        Ok(ServeOutcome::Drained) => ExitCode::SUCCESS,
        Ok(ServeOutcome::GraceExpired | ServeOutcome::Forced) => ExitCode::FAILURE,
        Err(err) => {
            tracing::error!(%err, "simgate cannot serve");
            eprintln!("simgate: {err}");
            if err.is_config() { ExitCode::from(EX_CONFIG) } else { ExitCode::FAILURE }
        }
    }
}
