//! What every ESME driver of the SMPP comparison shares: the command line
//! (the same flags for every implementation, also taken by the node and
//! python drivers in `benches/compare/`), the per-request latency record and
//! the one JSON line a run prints.
//!
//! The workload is fixed by the harness: `count` submit_sm carrying `text`
//! (GSM 7-bit default alphabet, data_coding 0, unpacked), split over `binds`
//! transmitter binds, with at most `window` requests outstanding per bind
//! (SMPP v3.4 2.6: a window of outstanding requests), then unbind.
//! Latency is per request, from just before the request is handed to the
//! implementation to just after its response is handed back, on the
//! monotonic clock; percentiles are exact (all samples kept, sorted).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// The source address of every submit.
pub const SOURCE_ADDR: &str = "simgate";
/// The destination address of every submit.
pub const DESTINATION_ADDR: &str = "46700000001";
/// The most requests one run may ask for (latency samples are kept).
pub const MAX_COUNT: u64 = 10_000_000;
/// The largest window a driver accepts.
pub const MAX_WINDOW: usize = 1024;
/// The most binds a driver opens.
pub const MAX_BINDS: usize = 64;

/// Why a driver could not run.
#[derive(Debug)]
pub enum DriverError {
    /// A flag is missing, unknown or malformed; exit 64.
    Usage(String),
    /// The target did not accept the connection or the bind.
    Bind(String),
    /// The run did not finish within `--timeout`.
    TimedOut(Duration),
    /// The connection failed mid-run.
    Io(std::io::Error),
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "usage: {m}"),
            Self::Bind(m) => write!(f, "bind failed: {m}"),
            Self::TimedOut(d) => write!(f, "run did not finish within {}s", d.as_secs()),
            Self::Io(e) => write!(f, "i/o: {e}"),
        }
    }
}

impl std::error::Error for DriverError {}

impl From<std::io::Error> for DriverError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl DriverError {
    /// The process exit code for this error (64: bad usage, as sysexits).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 64,
            _ => 1,
        }
    }
}

/// The common command line of every driver.
#[derive(Debug, Clone)]
pub struct DriverArgs {
    /// `host:port` of the SMSC.
    pub target: String,
    /// The account.
    pub system_id: String,
    /// Its password (a benchmark account on loopback; never printed).
    pub password: String,
    /// Transmitter binds.
    pub binds: usize,
    /// Outstanding requests at most, per bind.
    pub window: usize,
    /// submit_sm in all, over all binds.
    pub count: u64,
    /// The short message text.
    pub text: String,
    /// The whole run stops (exit 1) after this long.
    pub timeout: Duration,
}

const USAGE: &str = "--target HOST:PORT --system-id ID --password PW --binds N --window W --count N --text TEXT [--timeout SECS]";

impl DriverArgs {
    /// Parses `args` (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, DriverError> {
        let mut out = DriverArgs {
            target: String::new(),
            system_id: String::new(),
            password: String::new(),
            binds: 1,
            window: 1,
            count: 0,
            text: String::new(),
            timeout: Duration::from_secs(300),
        };
        let mut it = args.into_iter();
        while let Some(flag) = it.next() {
            let value =
                it.next().ok_or_else(|| DriverError::Usage(format!("{flag} needs a value; {USAGE}")))?;
            let bad = |what: &str| DriverError::Usage(format!("{flag} {value:?}: {what}"));
            match flag.as_str() {
                "--target" => out.target = value.clone(),
                "--system-id" => out.system_id = value.clone(),
                "--password" => out.password = value.clone(),
                "--binds" => out.binds = value.parse().map_err(|_| bad("not a number"))?,
                "--window" => out.window = value.parse().map_err(|_| bad("not a number"))?,
                "--count" => out.count = value.parse().map_err(|_| bad("not a number"))?,
                "--text" => out.text = value.clone(),
                "--timeout" => {
                    out.timeout = Duration::from_secs(value.parse().map_err(|_| bad("not seconds"))?)
                }
                _ => return Err(DriverError::Usage(format!("unknown flag {flag}; {USAGE}"))),
            }
        }
        if out.target.is_empty() || out.system_id.is_empty() {
            return Err(DriverError::Usage(format!("--target and --system-id are required; {USAGE}")));
        }
        if !(1..=MAX_BINDS).contains(&out.binds) {
            return Err(DriverError::Usage(format!("--binds must be 1..={MAX_BINDS}")));
        }
        if !(1..=MAX_WINDOW).contains(&out.window) {
            return Err(DriverError::Usage(format!("--window must be 1..={MAX_WINDOW}")));
        }
        if !(1..=MAX_COUNT).contains(&out.count) {
            return Err(DriverError::Usage(format!("--count must be 1..={MAX_COUNT}")));
        }
        if out.text.is_empty() || out.text.len() > 160 || !out.text.is_ascii() {
            return Err(DriverError::Usage("--text must be 1..=160 ASCII characters".into()));
        }
        Ok(out)
    }

    /// From the process's arguments.
    pub fn from_env() -> Result<Self, DriverError> {
        Self::parse(std::env::args().skip(1))
    }

    /// How many of the `count` submits bind `index` sends: an even split,
    /// the remainder on the first binds.
    pub fn share(&self, index: usize) -> u64 {
        let binds = self.binds as u64;
        self.count / binds + u64::from((index as u64) < self.count % binds)
    }

    /// `(host, port)` of the target.
    pub fn host_port(&self) -> Result<(String, u16), DriverError> {
        let (host, port) = self
            .target
            .rsplit_once(':')
            .ok_or_else(|| DriverError::Usage(format!("--target {:?}: not HOST:PORT", self.target)))?;
        let port =
            port.parse().map_err(|_| DriverError::Usage(format!("--target {:?}: bad port", self.target)))?;
        Ok((host.to_owned(), port))
    }
}

/// What one bind (or the whole run) measured.
#[derive(Debug, Default)]
pub struct Tally {
    /// Latency of every answered request, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Requests answered with a status other than ESME_ROK, timed out or
    /// lost.
    pub errors: u64,
}

impl Tally {
    /// With room for `n` samples.
    pub fn with_capacity(n: u64) -> Self {
        Self { latencies_us: Vec::with_capacity(usize::try_from(n).unwrap_or(0)), errors: 0 }
    }

    /// Records one answered request sent at `sent`.
    pub fn answered(&mut self, sent: Instant, ok: bool) {
        let us = sent.elapsed().as_micros();
        self.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
        if !ok {
            self.errors += 1;
        }
    }

    /// Adds another bind's tally.
    pub fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
    }
}

/// Exact percentile `p` (0..=100) of sorted samples, nearest rank.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Prints the run's one JSON line on standard output.
pub fn report(implementation: &str, args: &DriverArgs, mut tally: Tally, seconds: f64, pipelined: bool) {
    tally.latencies_us.sort_unstable();
    let line = serde_json::json!({
        "impl": implementation,
        "binds": args.binds,
        "window": args.window,
        "pipelined": pipelined,
        "messages": tally.latencies_us.len(),
        "errors": tally.errors,
        "seconds": seconds,
        "p50_us": percentile(&tally.latencies_us, 50.0),
        "p99_us": percentile(&tally.latencies_us, 99.0),
    });
    println!("{line}");
}

/// What one bind measured: its tally, when its first submit left and when
/// its last response came.
#[derive(Debug)]
pub struct BindRun {
    /// The bind's latencies and errors.
    pub tally: Tally,
    /// Just before its first submit.
    pub started: Instant,
    /// Just after its last response.
    pub finished: Instant,
}

/// The driver's whole run: `one_bind(args, share, barrier)` once per bind
/// in its own task (each waits on `barrier` so all start together), all of
/// them within `args.timeout`, then the one JSON line for
/// `implementation`, timed from the first submit to the last response.
pub async fn run_binds<F, Fut>(implementation: &str, one_bind: F) -> Result<(), DriverError>
where
    F: Fn(Arc<DriverArgs>, u64, Arc<Barrier>) -> Fut,
    Fut: Future<Output = Result<BindRun, DriverError>> + Send + 'static,
{
    let args = Arc::new(DriverArgs::from_env()?);
    let barrier = Arc::new(Barrier::new(args.binds));
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..args.binds {
        tasks.spawn(one_bind(args.clone(), args.share(index), barrier.clone()));
    }
    let runs = tokio::time::timeout(args.timeout, async {
        let mut runs = Vec::with_capacity(args.binds);
        while let Some(joined) = tasks.join_next().await {
            runs.push(joined.map_err(|e| DriverError::Io(std::io::Error::other(e)))??);
        }
        Ok::<_, DriverError>(runs)
    })
    .await
    .map_err(|_| DriverError::TimedOut(args.timeout))??;
    let started = runs.iter().map(|r| r.started).min();
    let finished = runs.iter().map(|r| r.finished).max();
    let seconds = started.zip(finished).map_or(0.0, |(s, f)| f.duration_since(s).as_secs_f64());
    let mut tally = Tally::default();
    for r in runs {
        tally.merge(r.tally);
    }
    report(implementation, &args, tally, seconds, true);
    Ok(())
}

/// Runs `main`, printing its error on standard error and exiting with its
/// code.
pub fn exit_on_error(result: Result<(), DriverError>) {
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Result<DriverArgs, DriverError> {
        let base =
            ["--target", "127.0.0.1:2775", "--system-id", "bench", "--password", "pw", "--text", "hello"];
        DriverArgs::parse(base.iter().chain(extra).map(|s| (*s).to_owned()))
    }

    #[test]
    fn shares_add_up_to_the_count() {
        let a = args(&["--binds", "4", "--count", "10"]).expect("valid");
        let shares: Vec<u64> = (0..4).map(|i| a.share(i)).collect();
        assert_eq!(shares, [3, 3, 2, 2]);
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        for extra in [&["--count", "0"][..], &["--window", "x"], &["--bogus", "1"], &["--binds"]] {
            let err = args(extra).expect_err("refused");
            assert_eq!(err.exit_code(), 64, "{extra:?}: {err}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 99.0), 0);
    }
}
