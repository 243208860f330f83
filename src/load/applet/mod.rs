//! `simgate load applet`: load on the applet endpoint (TCP 9506,
//! docs/applet-protocol.md) with the applet swarm of
//! [`crate::applet_sim`] and real keys from a SIM set file. It opens
//! sessions at a fixed rate (open loop: a slow gateway shows up as
//! handshake latency, not as a lower offered rate), holds them, answers
//! the commands the gateway sends, and measures sessions opened per
//! second, concurrent sessions, handshake latency, the command round trip
//! (command arrival to the gateway's proof of receipt of the result) and
//! close reasons (docs/load-testing.md).
//!
//! Each applet opens one session and does not reconnect, so "opened" counts
//! sessions, not retries. `--count` sets how many; `--duration` bounds the
//! whole run; after the last opening the run holds the sessions for
//! `hold`, then closes them (reason normal) and reports.

mod probe;
mod summary;

pub use probe::{CONNECT_FAILED, LoadProbe, OPENED, SessionCounts};
pub use summary::AppletSummary;

use crate::applet_sim::{AppletSwarm, SimRecord, SwarmConfig};
use crate::load::progress::Progress;
use crate::load::stats::lock;
use crate::load::{Bounds, LoadError, Recorder, Report};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The most sessions one run opens (the swarm's bound).
pub const MAX_SESSIONS: usize = crate::applet_sim::config::MAX_SESSIONS;
/// How long the reachability check before the run may take.
const CONNECT_CHECK: Duration = Duration::from_secs(5);
/// How often the run looks at its counters.
const TICK: Duration = Duration::from_millis(50);
/// Beyond the last due opening and its timeouts, how long a run bounded by
/// count only waits for stragglers.
const MARGIN: Duration = Duration::from_secs(5);

/// One `load applet` run.
#[derive(Debug, Clone)]
pub struct AppletLoad {
    /// The applet endpoint.
    pub target: SocketAddr,
    /// The SIMs; session `i` is SIM `i`.
    pub sims: Vec<SimRecord>,
    /// When the run ends: `count` sessions to open (else one per SIM),
    /// `duration` for the whole run.
    pub bounds: Bounds,
    /// Sessions opened per second.
    pub rate: f64,
    /// After the last opening, how long sessions are held.
    pub hold: Duration,
    /// Connect to the gateway's hello, at most.
    pub handshake_timeout: Duration,
    /// Heartbeat after this long without sending.
    pub heartbeat_interval: Duration,
    /// Close after this long without receiving.
    pub idle_timeout: Duration,
    /// How long an applet takes to answer a command.
    pub result_latency: Duration,
    /// The payload of every result.
    pub result_payload: Vec<u8>,
    /// The counter the cards hold at start (openings use the next one);
    /// `None`: derived from the clock, so runs against a gateway that
    /// remembers counters are not refused as replays.
    pub counter_start: Option<u64>,
}

impl AppletLoad {
    /// Sessions this run opens.
    pub fn sessions(&self) -> usize {
        self.bounds.count.map_or(self.sims.len(), |c| usize::try_from(c).unwrap_or(usize::MAX))
    }

    fn validate(&self) -> Result<(), LoadError> {
        let usage = |s: String| Err(LoadError::Usage(s));
        let n = self.sessions();
        if n == 0 || n > MAX_SESSIONS {
            return usage(format!("--count must be 1 to {MAX_SESSIONS}"));
        }
        if n > self.sims.len() {
            return usage(format!("{n} sessions need as many SIMs; the SIM file has {}", self.sims.len()));
        }
        let max_rate = crate::applet_sim::config::MAX_RATE;
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= max_rate) {
            return usage(format!("--rate must be above 0 and at most {max_rate}"));
        }
        Ok(())
    }
}

/// A counter start from the clock: unix seconds times 256 fits the 40-bit
/// counter (TS 102 225 5.1.1) until 2106 and moves faster than a run's
/// sessions use counters, so a later run always starts higher.
fn clock_counter_start() -> u64 {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    secs.saturating_mul(256).min((1 << 40) - 1_000_000)
}

/// Runs the load and reports. Errors: bad settings (exit 64), target
/// unreachable, every handshake refused (exit 1).
pub async fn run(load: AppletLoad) -> Result<Report, LoadError> {
    load.validate()?;
    let target = load.target.to_string();
    check_reachable(load.target, &target).await?;
    let sessions = load.sessions();
    let start = Instant::now();
    let rec = Arc::new(Mutex::new(Recorder::new(start)));
    let probe = Arc::new(LoadProbe::new(rec.clone()));
    let mut config = SwarmConfig::new(load.target, load.sims[..sessions].to_vec());
    config.rate = load.rate;
    config.reconnect = false;
    config.probe = Some(probe.clone());
    config.handshake_timeout = load.handshake_timeout;
    config.heartbeat_interval = load.heartbeat_interval;
    config.idle_timeout = load.idle_timeout;
    config.connect_timeout = load.handshake_timeout;
    config.result_latency = load.result_latency;
    config.result_payload = load.result_payload.clone();
    config.counter_start = load.counter_start.unwrap_or_else(clock_counter_start);
    let swarm = AppletSwarm::start(config).map_err(|e| LoadError::Usage(e.to_string()))?;

    let progress = Progress::new(Some(sessions as u64));
    let deadline = match load.bounds.duration {
        Some(d) => start + d,
        // Count only: the last opening is due at (n-1)/rate; give it its
        // timeouts, the hold and a margin.
        None => {
            start
                + Duration::from_secs_f64((sessions as f64 - 1.0) / load.rate)
                + load.handshake_timeout * 2
                + load.hold
                + MARGIN
        }
    };
    let mut all_done_at: Option<Instant> = None;
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        let now = Instant::now();
        let (attempts, finished, errors) = {
            let r = lock(&rec);
            (r.sent, r.ok + r.errors, r.errors)
        };
        let secs = now.saturating_duration_since(start).as_secs_f64().max(0.001);
        progress.update(attempts, finished.saturating_sub(errors) as f64 / secs, errors);
        if now >= deadline {
            break;
        }
        if attempts >= sessions as u64 && finished >= sessions as u64 {
            let done = *all_done_at.get_or_insert(now);
            if now >= done + load.hold {
                break;
            }
        }
    }
    let ended = Instant::now();
    let summary = swarm.stop().await;
    progress.finish();
    let elapsed = ended.saturating_duration_since(start);
    let counts = probe.counts();
    let r = lock(&rec);
    if r.ok == 0 {
        return Err(nothing_opened(&target, &r, &counts));
    }
    let sending = counts
        .last_opened
        .zip(counts.first_attempt)
        .map_or(elapsed, |(last, first)| last.saturating_duration_since(first));
    let pace = format!("{sessions} sessions at {}/s", load.rate);
    let mut report = Report::from_recorder("applet", target, pace, &r, sending, elapsed);
    report.applet = Some(AppletSummary::new(sessions, &r, &counts, sending, summary.commands_answered));
    Ok(report)
}

/// One TCP connect before the run, so an unreachable target is one clear
/// error rather than a run of failed attempts. (The gateway sees it as a
/// connection closed before its opening.)
async fn check_reachable(addr: SocketAddr, target: &str) -> Result<(), LoadError> {
    match tokio::time::timeout(CONNECT_CHECK, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(source)) => Err(LoadError::Connect { target: target.to_owned(), source }),
        Err(_) => Err(LoadError::Connect {
            target: target.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
        }),
    }
}

/// The error of a run in which no session opened: every connect failed,
/// or every handshake was refused (with the reasons).
fn nothing_opened(target: &str, rec: &Recorder, counts: &SessionCounts) -> LoadError {
    if counts.refused.is_empty() {
        return LoadError::Connect {
            target: target.to_owned(),
            source: std::io::Error::other(format!("{} connection attempts, none connected", rec.sent)),
        };
    }
    let reasons: Vec<String> = counts.refused.iter().map(|(k, v)| format!("{k}={v}")).collect();
    LoadError::Protocol {
        target: target.to_owned(),
        problem: format!(
            "every handshake was refused ({}); are the SIMs known to the gateway with these keys?",
            reasons.join(", ")
        ),
    }
}
