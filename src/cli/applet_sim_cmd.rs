//! `simgate applet-sim generate` writes a SIM set for `simgate sims import`
//! and the swarm; `simgate applet-sim run` runs a swarm of simulated
//! applets ([`crate::applet_sim`]) against one target until `--duration`
//! or SIGTERM/SIGINT. `run` prints `running N applets against ADDR` on
//! standard output once started, a stats line on standard error every
//! `--stats-interval` and a final one, and writes the final counters as
//! JSON with `--json`. A bad flag or SIM set exits 64 with one line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::applet_sim::simset::{self, DEFAULT_ICCID_PREFIX, DEFAULT_MSISDN_START};
use crate::applet_sim::{AppletSwarm, GenerateConfig, MisbehaviourShare, SwarmConfig};
use crate::lifecycle::Signals;
use crate::settings::{EX_CONFIG, LogFormat, LogSettings};
use crate::sim::ids::Tar;
use crate::telemetry::init_logging;

/// What `simgate applet-sim` does.
#[derive(Debug, Subcommand)]
pub enum AppletSimCommand {
    /// Write a SIM set (CSV for `simgate sims import` and `run`).
    Generate(GenerateArgs),
    /// Run a swarm of applets against the applet endpoint.
    Run(RunArgs),
}

/// Flags of `simgate applet-sim generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many SIMs.
    #[arg(long)]
    pub count: usize,
    /// Seed for reproducible keys: predictable, for tests only.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where to write the CSV (the keys are in it: keep it private).
    #[arg(long)]
    pub out: PathBuf,
    /// The ICCIDs' leading digits (89...).
    #[arg(long, default_value = DEFAULT_ICCID_PREFIX)]
    pub iccid_prefix: String,
    /// The first MSISDN (E.164 digits); the others follow by one.
    #[arg(long, default_value = DEFAULT_MSISDN_START)]
    pub msisdn_start: String,
    /// The applets' TAR, 6 hex digits.
    #[arg(long, default_value = "B00010", value_parser = parse_tar)]
    pub tar: Tar,
}

/// Flags of `simgate applet-sim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The applet endpoint to connect to, `IP:PORT` or `HOST:PORT` (a
    /// name is resolved once at start, as a compose service name needs;
    /// real applets dial an IP literal). Only its first address is used.
    #[arg(long, value_parser = resolve_target)]
    pub target: SocketAddr,
    /// The SIM set (from `generate`, or an import file).
    #[arg(long)]
    pub sims: PathBuf,
    /// How many applets (default: one per SIM).
    #[arg(long)]
    pub sessions: Option<usize>,
    /// Applets started per second.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Stop after this long (e.g. 30s); run until a signal when absent.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// A share of misbehaving applets, MODE:SHARE (fragment, silent,
    /// replay, garbage, storm; share 0 to 1); repeat for more.
    #[arg(long = "misbehave", value_name = "MODE:SHARE")]
    pub misbehave: Vec<MisbehaviourShare>,
    /// The payload of every result (text).
    #[arg(long, default_value = "ok")]
    pub result_payload: String,
    /// How long an applet takes to answer a command.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub result_latency: Duration,
    /// Heartbeat after this long without sending.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub heartbeat_interval: Duration,
    /// Pause between the reconnections of a storming applet.
    #[arg(long, default_value = "10ms", value_parser = humantime::parse_duration)]
    pub storm_interval: Duration,
    /// The counter every card holds at start (raise it against a gateway
    /// that remembers an earlier run's counters).
    #[arg(long, default_value_t = 0)]
    pub counter_start: u64,
    /// Seeds the spread of misbehaving applets and the back-off jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print a stats line to standard error this often (0s: never).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub stats_interval: Duration,
    /// Write the final counters to this file as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

fn parse_tar(text: &str) -> Result<Tar, String> {
    let octets = (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or("TAR must be 6 hex digits")?;
    Tar::from_slice(&octets).map_err(|e| e.to_string())
}

/// Runs the command.
pub fn run(command: AppletSimCommand) -> ExitCode {
    match command {
        AppletSimCommand::Generate(args) => generate(&args),
        AppletSimCommand::Run(args) => run_swarm(args),
    }
}

fn usage(err: impl std::fmt::Display) -> ExitCode {
    eprintln!("simgate applet-sim: {err}");
    ExitCode::from(EX_CONFIG)
}

fn generate(args: &GenerateArgs) -> ExitCode {
    let config = GenerateConfig {
        count: args.count,
        seed: args.seed,
        iccid_prefix: args.iccid_prefix.clone(),
        msisdn_start: args.msisdn_start.clone(),
        tar: args.tar,
    };
    let sims = match simset::generate(&config) {
        Ok(sims) => sims,
        Err(err) => return usage(err),
    };
    let written = std::fs::File::create(&args.out)
        .and_then(|file| simset::write_csv(&sims, std::io::BufWriter::new(file)));
    if let Err(err) = written {
        eprintln!("simgate applet-sim: cannot write {}: {err}", args.out.display());
        return ExitCode::FAILURE;
    }
    if args.seed.is_some() {
        eprintln!("simgate applet-sim: seeded keys are predictable: for tests only");
    }
    println!("generated {} SIMs in {}", sims.len(), args.out.display());
    ExitCode::SUCCESS
}

/// `--target`: an address, or a name resolved once.
fn resolve_target(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    text.to_socket_addrs()
        .map_err(|e| format!("{text:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{text:?}: the name has no address"))
}

/// Builds the swarm's settings from the flags and the SIM set.
pub fn build_config(args: &RunArgs) -> Result<SwarmConfig, String> {
    let sims = simset::read_file(&args.sims).map_err(|e| format!("{}: {e}", args.sims.display()))?;
    let mut config = SwarmConfig::new(args.target, sims);
    if let Some(n) = args.sessions {
        config.sessions = n;
    }
    config.rate = args.rate;
    config.misbehaviour = args.misbehave.clone();
    config.result_payload = args.result_payload.as_bytes().to_vec();
    config.result_latency = args.result_latency;
    config.heartbeat_interval = args.heartbeat_interval;
    config.storm_interval = args.storm_interval;
    config.counter_start = args.counter_start;
    config.seed = args.seed;
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

fn run_swarm(args: RunArgs) -> ExitCode {
    let config = match build_config(&args) {
        Ok(c) => c,
        Err(err) => return usage(err),
    };
    init_logging(&LogSettings { level: "info".into(), format: LogFormat::Text });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("simgate applet-sim: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(drive(config, &args));
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

async fn drive(config: SwarmConfig, args: &RunArgs) -> ExitCode {
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("simgate applet-sim: cannot install signal handlers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (sessions, target) = (config.sessions, config.target);
    let swarm = match AppletSwarm::start(config) {
        Ok(s) => s,
        Err(err) => return usage(err),
    };
    println!("running {sessions} applets against {target}");
    super::foreground::until_stopped(&mut signals, args.duration, args.stats_interval, "applet-sim", || {
        swarm.stats().line()
    })
    .await;
    let summary = swarm.stop().await;
    eprintln!("applet-sim: final {}", summary.line());
    if let Some(path) = &args.json {
        let written = serde_json::to_vec_pretty(&summary)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(path, json));
        if let Err(err) = written {
            eprintln!("simgate applet-sim: cannot write {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::cli::Cli;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_parse_and_bad_ones_are_refused() {
        Cli::command().debug_assert();
        let ok = ["simgate", "applet-sim", "run", "--target", "127.0.0.1:9506", "--sims", "s.csv"];
        assert!(Cli::try_parse_from(ok).is_ok());
        let with = |extra: &[&str]| Cli::try_parse_from([&ok[..], extra].concat());
        assert!(with(&["--misbehave", "replay:0.5", "--misbehave", "storm:0.1"]).is_ok());
        assert!(with(&["--misbehave", "shout:0.5"]).is_err());
        assert!(with(&["--rate", "fast"]).is_err());
        // A name is resolved once (compose service names); an empty one is refused.
        let named = ["simgate", "applet-sim", "run", "--target", "localhost:9506", "--sims", "s.csv"];
        assert!(Cli::try_parse_from(named).is_ok());
        let bad = ["simgate", "applet-sim", "run", "--target", "no-port", "--sims", "s.csv"];
        assert!(Cli::try_parse_from(bad).is_err());
        assert!(
            Cli::try_parse_from([
                "simgate",
                "applet-sim",
                "generate",
                "--count",
                "1",
                "--out",
                "x",
                "--tar",
                "B0"
            ])
            .is_err()
        );
    }
}
