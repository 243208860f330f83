//! How a swarm behaves: [`SwarmConfig`], validated before any socket is
//! opened, and the misbehaviour modes a share of its applets take on.

use super::probe::SwarmProbe;
use super::simset::SimRecord;
use crate::sim::session::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_IDLE_TIMEOUT};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The most applets one swarm runs (one task each).
pub const MAX_SESSIONS: usize = 100_000;
/// The fastest opening rate, sessions per second.
pub const MAX_RATE: f64 = 10_000.0;
/// The largest result payload.
pub const MAX_RESULT_PAYLOAD: usize = 512;
/// The shortest pause between two storm reconnections of one applet.
pub const MIN_STORM_INTERVAL: Duration = Duration::from_millis(1);

/// Why a swarm was not started.
#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    /// A setting is out of range or a flag is malformed.
    #[error("{0}")]
    Config(String),
    /// `AppletSwarm::start` was called outside a tokio runtime.
    #[error("no tokio runtime to run the swarm on")]
    NoRuntime,
}

fn config_error<T>(text: impl Into<String>) -> Result<T, SwarmError> {
    Err(SwarmError::Config(text.into()))
}

/// How a misbehaving applet goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MisbehaviourMode {
    /// Writes every frame one octet at a time (the gateway must reassemble).
    Fragment,
    /// Once open, sends nothing more but keeps the socket and keeps reading
    /// (the gateway's idle timeout must close it).
    Silent,
    /// Once open, sends a heartbeat under its last counter again (the
    /// gateway must close with "replayed counter", TS 102 225 5.1.1).
    Replay,
    /// Once open, sends a frame of random octets (the gateway must close
    /// with "protocol error").
    Garbage,
    /// Closes as soon as it is open and reconnects after the storm interval,
    /// again and again.
    Storm,
}

impl MisbehaviourMode {
    /// Every mode.
    pub const ALL: [MisbehaviourMode; 5] = [
        MisbehaviourMode::Fragment,
        MisbehaviourMode::Silent,
        MisbehaviourMode::Replay,
        MisbehaviourMode::Garbage,
        MisbehaviourMode::Storm,
    ];

    /// The flag name.
    pub const fn as_str(self) -> &'static str {
        match self {
            MisbehaviourMode::Fragment => "fragment",
            MisbehaviourMode::Silent => "silent",
            MisbehaviourMode::Replay => "replay",
            MisbehaviourMode::Garbage => "garbage",
            MisbehaviourMode::Storm => "storm",
        }
    }
}

impl FromStr for MisbehaviourMode {
    type Err = SwarmError;
    fn from_str(s: &str) -> Result<Self, SwarmError> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).map_or_else(
            || config_error(format!("unknown misbehaviour {s:?} (fragment, silent, replay, garbage, storm)")),
            Ok,
        )
    }
}

/// A share of the swarm's applets that misbehave in one way: `MODE:SHARE`,
/// the share from 0 to 1 (`replay:0.1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MisbehaviourShare {
    /// How.
    pub mode: MisbehaviourMode,
    /// Which fraction of the applets.
    pub share: f64,
}

impl FromStr for MisbehaviourShare {
    type Err = SwarmError;
    fn from_str(s: &str) -> Result<Self, SwarmError> {
        let Some((mode, share)) = s.split_once(':') else {
            return config_error(format!("misbehaviour {s:?} is not MODE:SHARE"));
        };
        let share: f64 =
            share.parse().map_err(|_| SwarmError::Config(format!("share {share:?} is not a number")))?;
        if !(0.0..=1.0).contains(&share) {
            return config_error(format!("share {share} is not between 0 and 1"));
        }
        Ok(Self { mode: mode.parse()?, share })
    }
}

/// Everything a swarm needs. Build with [`SwarmConfig::new`], adjust the
/// fields, and `AppletSwarm::start` validates it.
#[derive(Debug, Clone)]
pub struct SwarmConfig {
    /// The gateway's applet endpoint; the only address the swarm connects
    /// to (tests use loopback).
    pub target: SocketAddr,
    /// The SIMs; applet `i` is SIM `i`.
    pub sims: Vec<SimRecord>,
    /// How many applets (1 to [`MAX_SESSIONS`], at most one per SIM).
    pub sessions: usize,
    /// Applets started per second (each opens its first session at once).
    pub rate: f64,
    /// The misbehaving shares; their sum is at most 1.
    pub misbehaviour: Vec<MisbehaviourShare>,
    /// The payload of every result.
    pub result_payload: Vec<u8>,
    /// Answer each command with its own payload instead (cut to
    /// [`MAX_RESULT_PAYLOAD`]), so a test can tell which result answers
    /// which command.
    pub echo_commands: bool,
    /// How long an applet takes to answer a command.
    pub result_latency: Duration,
    /// Heartbeat after this long without sending (the protocol's 60 s).
    pub heartbeat_interval: Duration,
    /// Connect to gateway hello, at most.
    pub handshake_timeout: Duration,
    /// Close after this long without receiving.
    pub idle_timeout: Duration,
    /// TCP connect, at most.
    pub connect_timeout: Duration,
    /// First reconnection delay; doubled per failed attempt, jittered.
    pub backoff_min: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
    /// Pause between the reconnections of a storming applet.
    pub storm_interval: Duration,
    /// The counter every applet's card holds at start: openings use the
    /// next one. A gateway that remembers counters from an earlier run
    /// needs a higher start.
    pub counter_start: u64,
    /// On stop, how long the applets get to write their close frames.
    pub close_grace: Duration,
    /// Seeds the spread of misbehaving applets and the jitter.
    pub seed: u64,
    /// Whether an applet connects again after its session ends (a swarm
    /// does; a load run that counts sessions opened does not).
    pub reconnect: bool,
    /// Told of connects, handshakes, round trips and closes as they
    /// happen.
    pub probe: Option<Arc<dyn SwarmProbe>>,
}

impl SwarmConfig {
    /// One applet per SIM against `target`, 50 per second, well-behaved.
    pub fn new(target: SocketAddr, sims: Vec<SimRecord>) -> Self {
        Self {
            target,
            sessions: sims.len(),
            sims,
            rate: 50.0,
            misbehaviour: Vec::new(),
            result_payload: b"ok".to_vec(),
            echo_commands: false,
            result_latency: Duration::ZERO,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            storm_interval: Duration::from_millis(10),
            counter_start: 0,
            close_grace: Duration::from_secs(2),
            seed: 0,
            reconnect: true,
            probe: None,
        }
    }

    /// Checks every bound.
    pub fn validate(&self) -> Result<(), SwarmError> {
        if !(1..=MAX_SESSIONS).contains(&self.sessions) {
            return config_error(format!("sessions must be 1 to {MAX_SESSIONS}"));
        }
        if self.sessions > self.sims.len() {
            return config_error(format!(
                "{} sessions need as many SIMs, the set has {}",
                self.sessions,
                self.sims.len()
            ));
        }
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= MAX_RATE) {
            return config_error(format!("rate must be above 0 and at most {MAX_RATE} per second"));
        }
        let total: f64 = self.misbehaviour.iter().map(|m| m.share).sum();
        if total > 1.0 + 1e-9 || self.misbehaviour.iter().any(|m| !(0.0..=1.0).contains(&m.share)) {
            return config_error("misbehaviour shares must be 0 to 1 and add up to at most 1");
        }
        if self.result_payload.len() > MAX_RESULT_PAYLOAD {
            return config_error(format!("result payload is at most {MAX_RESULT_PAYLOAD} octets"));
        }
        let timers =
            [self.heartbeat_interval, self.handshake_timeout, self.idle_timeout, self.connect_timeout];
        if timers.iter().any(Duration::is_zero) {
            return config_error("heartbeat interval and timeouts must be above zero");
        }
        if self.backoff_min.is_zero() || self.backoff_min > self.backoff_max {
            return config_error("backoff must be above zero, its minimum at most its maximum");
        }
        if self.storm_interval < MIN_STORM_INTERVAL {
            return config_error("storm interval must be at least 1ms");
        }
        if crate::sim::secured::Counter::new(self.counter_start).is_err() {
            return config_error("counter start must be below 2^40");
        }
        Ok(())
    }

    /// The mode of each applet: each share's count rounded, spread over
    /// the swarm by a shuffle seeded with `seed`.
    pub fn assign_modes(&self) -> Vec<Option<MisbehaviourMode>> {
        let mut modes = Vec::with_capacity(self.sessions);
        for m in &self.misbehaviour {
            let n = (m.share * self.sessions as f64).round() as usize;
            modes.extend(std::iter::repeat_n(Some(m.mode), n.min(self.sessions - modes.len())));
        }
        modes.resize(self.sessions, None);
        fastrand::Rng::with_seed(self.seed).shuffle(&mut modes);
        modes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn shares_parse_and_are_bounded() {
        let s: MisbehaviourShare = "replay:0.25".parse().unwrap();
        assert_eq!((s.mode, s.share), (MisbehaviourMode::Replay, 0.25));
        for bad in ["replay", "replay:x", "replay:1.5", "loud:0.1"] {
            assert!(bad.parse::<MisbehaviourShare>().is_err(), "{bad}");
        }
    }

    #[test]
    fn modes_are_assigned_by_share() {
        let mut c = SwarmConfig::new("127.0.0.1:9".parse().unwrap(), Vec::new());
        c.sessions = 10;
        c.misbehaviour = vec!["garbage:0.2".parse().unwrap(), "storm:0.5".parse().unwrap()];
        let modes = c.assign_modes();
        let count = |m| modes.iter().filter(|x| **x == Some(m)).count();
        assert_eq!((count(MisbehaviourMode::Garbage), count(MisbehaviourMode::Storm)), (2, 5));
        assert_eq!(modes.iter().filter(|m| m.is_none()).count(), 3);
        assert!(c.validate().is_err(), "ten sessions, no SIMs");
    }
}
