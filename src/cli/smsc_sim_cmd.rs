//! `simgate smsc-sim`: runs the SMSC simulator ([`crate::smsc_sim`]) until
//! SIGTERM or SIGINT, or for `--duration`. Prints `listening on ADDR` on
//! standard output once bound (scripts read it), then `metrics on ADDR` when
//! `--metrics-listen` is given (port 0 picks a free one, so callers never
//! race for a probed port), a stats line on standard error every
//! `--stats-interval`; with `--replay` it sends fixture PDUs to
//! bound receivers ([`crate::smsc_sim::replay`]). A bad flag, setting or
//! fixture exits 64 with one line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use prometheus_client::registry::Registry;

use crate::lifecycle::Signals;
use crate::settings::{EX_CONFIG, LogFormat, LogSettings};
use crate::smsc_sim::replay::{ReplayPlan, replayable};
use crate::smsc_sim::{MoPlan, SimAccount, SimConfig, SimError, SimMetrics, SmscSim};
use crate::telemetry::{Exposition, init_logging, new_registry, render};

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Flags of `simgate smsc-sim`; they override the file's values.
#[derive(Debug, Args)]
pub struct SmscSimArgs {
    /// TOML file of simulator settings (config/smsc-sim.example.toml).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0: any free port).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// An account; repeat for more. Replaces the file's accounts.
    #[arg(long = "account", value_name = "ID:PASSWORD:MAXBINDS")]
    pub accounts: Vec<String>,
    /// Delivery receipts on or off.
    #[arg(long, value_enum)]
    pub receipts: Option<Switch>,
    /// MO messages per second (0 turns MO off).
    #[arg(long)]
    pub mo_rate: Option<f64>,
    /// Stop after this long (e.g. 30s); run until a signal when absent.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Print a stats line to standard error this often (0s: never).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub stats_interval: Duration,
    /// Serve Prometheus metrics on http://ADDR/metrics.
    #[arg(long)]
    pub metrics_listen: Option<SocketAddr>,
    /// Send the deliver_sm and data_sm PDUs of these fixture files or
    /// directories (hex, one PDU per file or per line) to bound receivers.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub replay: Vec<PathBuf>,
    /// Replayed PDUs per second.
    #[arg(long, default_value_t = 10.0)]
    pub replay_rate: f64,
    /// Replayed PDUs in all, cycling through the fixtures (default: each
    /// once).
    #[arg(long)]
    pub replay_count: Option<u64>,
}

/// The replay the flags ask for, if any; a fixture in an unknown format
/// is refused naming its file and line.
pub fn build_replay(args: &SmscSimArgs) -> Result<Option<ReplayPlan>, String> {
    if args.replay.is_empty() {
        return Ok(None);
    }
    if !(args.replay_rate.is_finite() && args.replay_rate > 0.0) {
        return Err(format!("--replay-rate {}: must be above zero", args.replay_rate));
    }
    let set = crate::load::fixtures::load(&args.replay, replayable).map_err(|e| e.to_string())?;
    if set.fixtures.is_empty() {
        return Err(format!("no deliver_sm or data_sm among the replay fixtures ({} others)", set.skipped));
    }
    let count = args.replay_count.unwrap_or(set.fixtures.len() as u64);
    let pdus = set.fixtures.into_iter().map(|f| bytes::Bytes::from(f.octets)).collect();
    Ok(Some(ReplayPlan { pdus, rate: args.replay_rate, count }))
}

/// Builds the settings from the file and the flags.
pub fn build_config(args: &SmscSimArgs) -> Result<SimConfig, SimError> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SimError::Config(format!("cannot read {}: {e}", path.display())))?;
            SimConfig::from_toml(&text)?
        }
        None => SimConfig::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if !args.accounts.is_empty() {
        config.accounts =
            args.accounts.iter().map(|a| SimAccount::parse_flag(a)).collect::<Result<_, _>>()?;
    }
    if let Some(switch) = args.receipts {
        config.receipts.enabled = switch == Switch::On;
    }
    match args.mo_rate {
        Some(0.0) => config.mo = None,
        Some(rate) => config.mo = Some(MoPlan { rate, ..config.mo.take().unwrap_or_default() }),
        None => {}
    }
    config.validate()?;
    Ok(config)
}

/// Runs the command.
pub fn run(args: SmscSimArgs) -> ExitCode {
    let config = match build_config(&args) {
        Ok(c) => c,
        Err(err) => {
            eprintln!("simgate smsc-sim: {err}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    let replay = match build_replay(&args) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("simgate smsc-sim: {err}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    init_logging(&LogSettings { level: "info".into(), format: LogFormat::Text });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("simgate smsc-sim: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(serve(config, replay, &args));
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

async fn serve(config: SimConfig, replay: Option<ReplayPlan>, args: &SmscSimArgs) -> ExitCode {
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("simgate smsc-sim: cannot install signal handlers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut registry = new_registry();
    let metrics = SimMetrics::register(registry.sub_registry_with_prefix(crate::telemetry::METRIC_PREFIX));
    let sim = match SmscSim::start_with_metrics(config, metrics).await {
        Ok(sim) => sim,
        Err(err) => {
            eprintln!("simgate smsc-sim: {err}");
            return ExitCode::FAILURE;
        }
    };
    let metrics_addr = match args.metrics_listen {
        Some(addr) => match serve_metrics(addr, Arc::new(registry)).await {
            Ok(bound) => Some(bound),
            Err(err) => {
                eprintln!("simgate smsc-sim: cannot serve metrics on {addr}: {err}");
                sim.shutdown().await;
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let replaying = replay.is_some();
    if let Some(plan) = replay {
        sim.replay(plan);
    }
    println!("listening on {}", sim.local_addr());
    if let Some(bound) = metrics_addr {
        println!("metrics on {bound}");
    }
    super::foreground::until_stopped(&mut signals, args.duration, args.stats_interval, "smsc-sim", || {
        sim.stats().line()
    })
    .await;
    let stats = sim.stats();
    let replayed = sim.replay_counts();
    sim.shutdown().await;
    eprintln!("smsc-sim: final {}", stats.line());
    if replaying {
        eprintln!("smsc-sim: final {}", replayed.line());
    }
    ExitCode::SUCCESS
}

/// Serves `/metrics` on `addr` and returns the address actually bound.
async fn serve_metrics(addr: SocketAddr, registry: Arc<Registry>) -> std::io::Result<SocketAddr> {
    use axum::http::header::{ACCEPT, CONTENT_TYPE};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        get(move |headers: HeaderMap| {
            let registry = registry.clone();
            async move {
                let format = Exposition::negotiate(headers.get(ACCEPT).and_then(|v| v.to_str().ok()));
                match render(&registry, format) {
                    Ok(body) => (StatusCode::OK, [(CONTENT_TYPE, format.content_type())], body),
                    Err(_) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, [(CONTENT_TYPE, "text/plain")], String::new())
                    }
                }
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::warn!(%err, "smsc-sim metrics server stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::{CommandFactory, Parser};

    fn args(flags: &[&str]) -> SmscSimArgs {
        let cli = Cli::try_parse_from([&["simgate", "smsc-sim"], flags].concat()).unwrap();
        match cli.command {
            Command::SmscSim(args) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_override_the_defaults() {
        Cli::command().debug_assert();
        let a = args(&["--listen", "127.0.0.1:2775", "--account", "x:y:3", "--account", "z:w:1"]);
        let c = build_config(&args(&["--receipts", "off", "--mo-rate", "2.5"])).unwrap();
        assert!(!c.receipts.enabled);
        assert_eq!(c.mo.map(|m| m.rate), Some(2.5));
        let c = build_config(&a).unwrap();
        assert_eq!(c.listen.port(), 2775);
        assert_eq!(c.accounts.iter().map(|a| a.max_binds).collect::<Vec<_>>(), vec![3, 1]);
        assert!(build_config(&args(&["--account", "too:long-password:1"])).is_err());
        assert!(Cli::try_parse_from(["simgate", "smsc-sim", "--receipts", "maybe"]).is_err());
    }
}
