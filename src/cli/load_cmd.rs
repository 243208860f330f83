//! `simgate load api|smpp|applet`: the load generators of [`crate::load`]
//! (docs/load-testing.md). Prints a summary table on stdout at the end,
//! writes `--json` and `--plot` when asked. Exit statuses: 0 the run
//! completed (whatever the target answered), 1 the target could not be
//! used (unreachable, bind refused), 64 bad arguments or input files.

use crate::load::api::{ApiLoad, ApiTarget, message_text};
use crate::load::{Bounds, Destinations, LoadError, Pace, Report};
use crate::settings::Secret;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Environment variable holding the API key of `load api`.
pub const API_KEY_ENV: &str = "SIMGATE_LOAD_API_KEY";
/// Environment variable holding the SMPP password of `load smpp`.
pub const SMPP_PASSWORD_ENV: &str = "SIMGATE_LOAD_SMPP_PASSWORD";

/// The load generators.
#[derive(Debug, Subcommand)]
pub enum LoadCommand {
    /// MT load through simgate's HTTP API (POST /v1/messages).
    Api(ApiArgs),
    /// An ESME that binds to an SMSC (or gateway) and replays PDU fixtures.
    Smpp(SmppArgs),
    /// Applet sessions on the applet endpoint (TCP 9506), with SIMs and
    /// keys from a SIM set file (`simgate applet-sim generate`).
    Applet(AppletArgs),
}

/// Flags of `simgate load applet`.
#[derive(Debug, Args)]
pub struct AppletArgs {
    /// The applet endpoint: HOST:PORT (an IP literal, as applets dial).
    #[arg(long)]
    pub target: String,
    /// The SIM set file (CSV with keys, as `simgate applet-sim generate`
    /// writes it).
    #[arg(long)]
    pub sims: PathBuf,
    /// Sessions to open (default: one per SIM in the file).
    #[arg(long)]
    pub count: Option<u64>,
    /// Sessions opened per second (open loop).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Stop after this long, whatever is still opening (e.g. 60s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// After the last session opened, hold them this long.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub hold: Duration,
    /// Connect to the gateway's hello, at most.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub handshake_timeout: Duration,
    /// Heartbeat after this long without sending.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub heartbeat: Duration,
    /// Close after this long without receiving.
    #[arg(long, default_value = "150s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// How long an applet takes to answer a command.
    #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
    pub result_latency: Duration,
    /// The payload of every result (text).
    #[arg(long, default_value = "ok")]
    pub result_payload: String,
    /// The counter every card holds at start (default: from the clock, so
    /// a gateway that remembers counters does not refuse a second run).
    #[arg(long)]
    pub counter_start: Option<u64>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw sessions opened and handshake latency over time to this PNG
    /// (feature `plot`).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Bind types on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BindArg {
    /// bind_transmitter.
    Transmitter,
    /// bind_receiver (no sending; bounded by --duration).
    Receiver,
    /// bind_transceiver.
    Transceiver,
}

/// Flags of `simgate load smpp`.
#[derive(Debug, Args)]
pub struct SmppArgs {
    /// The SMSC: HOST:PORT.
    #[arg(long)]
    pub target: String,
    /// The account to bind as.
    #[arg(long)]
    pub system_id: String,
    /// File holding the password (else the SIMGATE_LOAD_SMPP_PASSWORD
    /// variable).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// system_type of the binds.
    #[arg(long, default_value = "")]
    pub system_type: String,
    /// Bind type of the sending sessions.
    #[arg(long = "bind", value_enum, default_value = "transceiver")]
    pub bind_kind: BindArg,
    /// Sessions to bind.
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Extra receiver binds (for receipts when sending as transmitter).
    #[arg(long, default_value_t = 0)]
    pub receivers: usize,
    /// Fixture files or directories (hex: one PDU per file or per line).
    #[arg(long = "fixtures", num_args = 1..)]
    pub fixtures: Vec<PathBuf>,
    /// Rewrite destination_addr of submit_sm and data_sm from
    /// --destinations or --destinations-csv.
    #[arg(long)]
    pub template_destinations: bool,
    /// Closed loop: requests outstanding per session.
    #[arg(long)]
    pub window: Option<usize>,
    /// How long a request may wait for its response.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub response_timeout: Duration,
    /// After the last response, wait up to this long for receipts.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub wait_receipts: Duration,
    /// Pacing, bounds and outputs.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Pacing, bounds and outputs shared by every load generator.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Open loop: messages per second on a fixed timeline (instead of the
    /// closed-loop --concurrency or --window).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Open loop: the most requests outstanding at once; a send that finds
    /// them all busy waits and counts as "target saturated".
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,
    /// Stop after this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop sending after this long (e.g. 30s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Destination numbers FIRST..LAST (both included), taken in turn.
    #[arg(long, default_value = "46700000000..46700009999", conflicts_with = "destinations_csv")]
    pub destinations: String,
    /// Destination numbers from the first column of a CSV file.
    #[arg(long)]
    pub destinations_csv: Option<PathBuf>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw throughput and latency over time to this PNG (feature `plot`).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Flags of `simgate load api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The gateway, plain HTTP: http://HOST:PORT[/prefix]. Any host is
    /// accepted: point it at loopback unless you mean to load a remote one.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: String,
    /// File holding the API key (else the SIMGATE_LOAD_API_KEY variable).
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,
    /// Closed loop: this many requests outstanding, each answer frees one.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// The sender of every message.
    #[arg(long, default_value = "SIMGATE")]
    pub source: String,
    /// The message text (GSM-7).
    #[arg(long, default_value = "simgate load test")]
    pub text: String,
    /// Repeat or cut the text so that each message takes K parts.
    #[arg(long, value_name = "K")]
    pub parts: Option<u16>,
    /// Ask for delivery receipts.
    #[arg(long)]
    pub registered_delivery: bool,
    /// After sending, poll each accepted message until it is final or this
    /// long has passed (e.g. 30s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub wait_final: Option<Duration>,
    /// Concurrent polls during --wait-final.
    #[arg(long, default_value_t = 8)]
    pub poll_concurrency: usize,
    /// Timeout of one HTTP request.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Pacing, bounds and outputs.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Entry point of `simgate load`.
pub fn run(command: LoadCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("simgate load: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            LoadCommand::Api(args) => run_api(args).await,
            LoadCommand::Smpp(args) => run_smpp(args).await,
            LoadCommand::Applet(args) => run_applet(args).await,
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("simgate load: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Reads a secret from a file (trimmed) or else from `env`.
pub fn read_secret(file: Option<&Path>, env: &str, what: &str) -> Result<Secret, LoadError> {
    let value = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|source| LoadError::Read { path: path.to_owned(), source })?
            .trim()
            .to_owned(),
        None => std::env::var(env).unwrap_or_default(),
    };
    if value.is_empty() {
        return Err(LoadError::Usage(format!("no {what}: give a file or set {env}")));
    }
    Ok(Secret::new(value))
}

/// The pace from `--rate` / `--max-in-flight` or a closed-loop window.
pub fn pace(run: &RunArgs, window: Option<usize>, default_window: usize) -> Result<Pace, LoadError> {
    match (run.rate, window) {
        (Some(_), Some(_)) => Err(LoadError::Usage("give either --rate or a closed-loop window".into())),
        (Some(r), None) if !(r.is_finite() && r > 0.0) => {
            Err(LoadError::Usage(format!("--rate {r}: must be above zero")))
        }
        (Some(r), None) if run.max_in_flight == 0 => {
            let _ = r;
            Err(LoadError::Usage("--max-in-flight must be at least 1".into()))
        }
        (Some(per_second), None) => Ok(Pace::Rate { per_second, max_in_flight: run.max_in_flight }),
        (None, Some(0)) => Err(LoadError::Usage("the window must be at least 1".into())),
        (None, w) => Ok(Pace::Window(w.unwrap_or(default_window))),
    }
}

/// Destinations from `--destinations` or `--destinations-csv`.
pub fn destinations(run: &RunArgs) -> Result<Destinations, LoadError> {
    match &run.destinations_csv {
        Some(path) => Destinations::read_csv(path),
        None => Destinations::parse_range(&run.destinations),
    }
}

/// Prints the summary and writes the JSON and plot asked for.
pub fn finish(run: &RunArgs, report: &Report) -> Result<(), LoadError> {
    write_outputs(report, run.json.as_deref(), run.plot.as_deref())
}

fn write_outputs(report: &Report, json: Option<&Path>, png: Option<&Path>) -> Result<(), LoadError> {
    print!("{}", report.table());
    if let Some(path) = json {
        report.write_json(path)?;
    }
    if let Some(path) = png {
        plot(report, path)?;
    }
    Ok(())
}

#[cfg(feature = "plot")]
fn plot(report: &Report, path: &Path) -> Result<(), LoadError> {
    crate::load::plot::draw(report, path)
}

#[cfg(not(feature = "plot"))]
fn plot(_report: &Report, _path: &Path) -> Result<(), LoadError> {
    Err(LoadError::Usage("--plot needs simgate built with the `plot` feature".into()))
}

fn check_plot(run: &RunArgs) -> Result<(), LoadError> {
    check_plot_path(run.plot.as_deref())
}

fn check_plot_path(plot: Option<&Path>) -> Result<(), LoadError> {
    if plot.is_some() && !cfg!(feature = "plot") {
        return Err(LoadError::Usage("--plot needs simgate built with the `plot` feature".into()));
    }
    Ok(())
}

async fn run_api(args: ApiArgs) -> Result<(), LoadError> {
    check_plot(&args.run)?;
    let target = ApiTarget::parse(&args.target)?;
    let api_key = read_secret(args.api_key_file.as_deref(), API_KEY_ENV, "API key")?;
    let pace = pace(&args.run, args.concurrency, 16)?;
    let bounds = Bounds::new(args.run.count, args.run.duration)?;
    if args.parts == Some(0) || args.parts.is_some_and(|p| p > 255) {
        return Err(LoadError::Usage("--parts must be 1 to 255".into()));
    }
    let load = ApiLoad {
        target,
        api_key,
        pace,
        bounds,
        destinations: destinations(&args.run)?,
        source: args.source,
        text: message_text(&args.text, args.parts),
        registered_delivery: args.registered_delivery,
        wait_final: args.wait_final,
        poll_concurrency: args.poll_concurrency,
        request_timeout: args.timeout,
    };
    let report = crate::load::api::run(load).await?;
    finish(&args.run, &report)
}

async fn run_smpp(args: SmppArgs) -> Result<(), LoadError> {
    use crate::load::smpp::{SmppLoad, replayable};
    use crate::smpp::session::BindKind;
    check_plot(&args.run)?;
    let password = read_secret(args.password_file.as_deref(), SMPP_PASSWORD_ENV, "SMPP password")?;
    let pace = pace(&args.run, args.window, 10)?;
    let bounds = Bounds::new(args.run.count, args.run.duration)?;
    if args.sessions == 0 || args.sessions > 64 || args.receivers > 64 {
        return Err(LoadError::Usage("--sessions must be 1 to 64 and --receivers at most 64".into()));
    }
    let bind_kind = match args.bind_kind {
        BindArg::Transmitter => BindKind::Transmitter,
        BindArg::Receiver => BindKind::Receiver,
        BindArg::Transceiver => BindKind::Transceiver,
    };
    if args.fixtures.is_empty() && bind_kind.transmits() {
        return Err(LoadError::Usage("give --fixtures: the PDUs to replay".into()));
    }
    let set = crate::load::fixtures::load(&args.fixtures, replayable)?;
    if set.fixtures.is_empty() && bind_kind.transmits() {
        return Err(LoadError::Usage(format!(
            "no replayable request among the fixtures ({} responses, binds or SMSC requests left out)",
            set.skipped
        )));
    }
    if set.skipped > 0 {
        eprintln!("simgate load: {} fixtures left out (responses, binds, SMSC requests)", set.skipped);
    }
    let destinations = if args.template_destinations { Some(destinations(&args.run)?) } else { None };
    let load = SmppLoad {
        target: args.target,
        system_id: args.system_id,
        password,
        system_type: args.system_type,
        bind_kind,
        sessions: args.sessions,
        receivers: args.receivers,
        fixtures: set.fixtures,
        destinations,
        pace,
        bounds,
        response_timeout: args.response_timeout,
        wait_receipts: args.wait_receipts,
    };
    let report = crate::load::smpp::run(load).await?;
    finish(&args.run, &report)
}

async fn run_applet(args: AppletArgs) -> Result<(), LoadError> {
    use crate::load::applet::{AppletLoad, run};
    check_plot_path(args.plot.as_deref())?;
    let bounds = Bounds::new(args.count, args.duration)?;
    let target = resolve(&args.target).await?;
    let sims = crate::applet_sim::simset::read_file(&args.sims).map_err(|e| match e {
        crate::applet_sim::SimSetError::Io(source) => LoadError::Read { path: args.sims.clone(), source },
        other => LoadError::Format { path: args.sims.clone(), line: 0, problem: other.to_string() },
    })?;
    if sims.is_empty() {
        return Err(LoadError::Format { path: args.sims, line: 0, problem: "no SIMs in the file".into() });
    }
    if args.result_payload.len() > crate::applet_sim::config::MAX_RESULT_PAYLOAD {
        return Err(LoadError::Usage(format!(
            "--result-payload is at most {} octets",
            crate::applet_sim::config::MAX_RESULT_PAYLOAD
        )));
    }
    let timers = [args.handshake_timeout, args.heartbeat, args.idle_timeout];
    if timers.iter().any(Duration::is_zero) || args.idle_timeout <= args.heartbeat {
        return Err(LoadError::Usage(
            "--handshake-timeout, --heartbeat and --idle-timeout must be above zero, the idle timeout \
             longer than the heartbeat"
                .into(),
        ));
    }
    let load = AppletLoad {
        target,
        sims,
        bounds,
        rate: args.rate,
        hold: args.hold,
        handshake_timeout: args.handshake_timeout,
        heartbeat_interval: args.heartbeat,
        idle_timeout: args.idle_timeout,
        result_latency: args.result_latency,
        result_payload: args.result_payload.into_bytes(),
        counter_start: args.counter_start,
    };
    let report = run(load).await?;
    write_outputs(&report, args.json.as_deref(), args.plot.as_deref())
}

/// `HOST:PORT` to one socket address (the first the resolver gives).
async fn resolve(target: &str) -> Result<std::net::SocketAddr, LoadError> {
    let bad = |why: String| LoadError::Usage(format!("--target {target:?}: {why}"));
    let mut addrs = tokio::net::lookup_host(target).await.map_err(|e| bad(e.to_string()))?;
    addrs.next().ok_or_else(|| bad("no address".into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }
}
