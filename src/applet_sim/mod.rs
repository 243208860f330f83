//! `simgate applet-sim`: a swarm of simulated SIM Toolkit applets for tests,
//! demos and load tests of the applet endpoint (TCP 9506,
//! docs/applet-protocol.md), and the SIM sets they run with
//! (docs/applet-sim.md).
//!
//! - [`simset`]: generates a SIM set (ICCIDs, MSISDNs, AES keys) in the
//!   format `simgate sims import` reads, and reads one back.
//! - [`AppletSwarm`]: one tokio task per applet, each driving the sans-IO
//!   [`crate::sim::session::AppletClient`] over a TCP connection to the one
//!   target it is given; sessions opened at a set rate, commands answered,
//!   heartbeats, reconnection with jittered back-off, and misbehaviour
//!   ([`MisbehaviourMode`]) for a share of the applets.
//! - [`SwarmProbe`]: hooks that time handshakes and command round trips
//!   as they happen (`simgate load applet` uses them).
//!
//! Bounded: `sessions` tasks (at most [`config::MAX_SESSIONS`]), one
//! connection each, the client's bounded outbox, at most 16 commands
//! waiting for their result latency per applet.

mod applet;
pub mod config;
mod connection;
pub mod probe;
pub mod simset;
pub mod stats;

pub use config::{MisbehaviourMode, MisbehaviourShare, SwarmConfig, SwarmError};
pub use probe::SwarmProbe;
pub use simset::{GenerateConfig, SimRecord, SimSetError};
pub use stats::{SwarmStats, SwarmSummary};

use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// A running swarm. Dropping it without [`AppletSwarm::stop`] cancels the
/// applets without waiting for their close frames.
#[derive(Debug)]
pub struct AppletSwarm {
    stats: Arc<SwarmStats>,
    cancel: CancellationToken,
    launcher: JoinHandle<()>,
}

impl AppletSwarm {
    /// Validates `config` and starts the applets, `config.rate` per second,
    /// on the current tokio runtime.
    pub fn start(config: SwarmConfig) -> Result<Self, SwarmError> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SwarmError::NoRuntime)?;
        let stats = Arc::new(SwarmStats::new());
        let cancel = CancellationToken::new();
        let launcher = runtime.spawn(launch(Arc::new(config), Arc::clone(&stats), cancel.clone()));
        tracing::info!("applet swarm started");
        Ok(Self { stats, cancel, launcher })
    }

    /// The counters now.
    pub fn stats(&self) -> SwarmSummary {
        self.stats.summary()
    }

    /// Stops: no more applets start, every open session sends a close
    /// frame (reason normal) within the close grace, then the tasks end.
    /// Returns the final counters.
    pub async fn stop(mut self) -> SwarmSummary {
        self.cancel.cancel();
        let _ = (&mut self.launcher).await;
        self.stats.summary()
    }
}

impl Drop for AppletSwarm {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts applet `i` at `i / rate` seconds, then waits for all of them
/// after the cancel (bounded by the close grace and a margin).
async fn launch(config: Arc<SwarmConfig>, stats: Arc<SwarmStats>, cancel: CancellationToken) {
    let modes = config.assign_modes();
    let period = Duration::from_secs_f64(1.0 / config.rate);
    let mut tasks = JoinSet::new();
    let start = tokio::time::Instant::now();
    for (i, (sim, mode)) in config.sims.iter().zip(modes).enumerate() {
        let at = start + period.mul_f64(i as f64);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep_until(at) => {}
        }
        let applet = applet::Applet {
            sim: sim.clone(),
            mode,
            config: Arc::clone(&config),
            stats: Arc::clone(&stats),
            rng: fastrand::Rng::with_seed(config.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        };
        tasks.spawn(applet.run(cancel.child_token()));
    }
    cancel.cancelled().await;
    let grace = config.close_grace + Duration::from_millis(500);
    if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await.is_err() {
        tasks.abort_all();
    }
}
