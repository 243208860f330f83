//! One simulated applet for the life of the swarm: connect, run a session,
//! keep the card's counter, wait a jittered back-off (or the storm
//! interval), and connect again, until the swarm stops (or, without
//! `reconnect`, after its one session).

use super::config::{MisbehaviourMode, SwarmConfig};
use super::connection::Connection;
use super::simset::SimRecord;
use super::stats::SwarmStats;
use crate::sim::applet::CloseReason;
use crate::sim::secured::Counter;
use crate::sim::session::{AppletClient, ClientConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// What one applet task needs.
pub(crate) struct Applet {
    pub sim: SimRecord,
    pub mode: Option<MisbehaviourMode>,
    pub config: Arc<SwarmConfig>,
    pub stats: Arc<SwarmStats>,
    pub rng: fastrand::Rng,
}

impl Applet {
    /// Runs until `cancel`.
    pub async fn run(mut self, cancel: CancellationToken) {
        self.stats.applet_started();
        let config = Arc::clone(&self.config);
        let Ok(mut counter) = Counter::new(config.counter_start) else {
            return;
        };
        let mut failures: u32 = 0;
        let mut first = true;
        while !cancel.is_cancelled() {
            if !std::mem::take(&mut first) {
                self.stats.reconnecting();
            }
            let opened = match self.session(&config, &mut counter, &cancel).await {
                Some(Outcome::Stopped) => return,
                Some(Outcome::CounterExhausted) => {
                    tracing::warn!(iccid = %self.sim.iccid, "applet counter exhausted; applet stops");
                    return;
                }
                Some(Outcome::Ended { opened }) => opened,
                None => false,
            };
            if !config.reconnect {
                return;
            }
            failures = if opened { 0 } else { failures.saturating_add(1) };
            let pause = if opened && self.mode == Some(MisbehaviourMode::Storm) {
                config.storm_interval
            } else {
                self.backoff(failures)
            };
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One connection; `None` when it could not be made.
    async fn session(
        &mut self,
        config: &SwarmConfig,
        counter: &mut Counter,
        cancel: &CancellationToken,
    ) -> Option<Outcome> {
        let started = Instant::now();
        if let Some(probe) = &config.probe {
            probe.connecting(started);
        }
        let connect = tokio::time::timeout(config.connect_timeout, TcpStream::connect(config.target));
        let stream = tokio::select! {
            () = cancel.cancelled() => return Some(Outcome::Stopped),
            r = connect => match r {
                Ok(Ok(stream)) => stream,
                Ok(Err(_)) | Err(_) => {
                    self.stats.connect_failed();
                    if let Some(probe) = &config.probe {
                        probe.connect_failed(Instant::now());
                    }
                    return None;
                }
            },
        };
        self.stats.connected();
        let _ = stream.set_nodelay(true);
        let mut client_config =
            ClientConfig::new(self.sim.iccid.clone(), self.sim.tar, self.sim.keys.clone(), *counter);
        client_config.heartbeat_interval = config.heartbeat_interval;
        client_config.handshake_timeout = config.handshake_timeout;
        client_config.idle_timeout = config.idle_timeout;
        let Ok(client) = AppletClient::new(client_config, Instant::now()) else {
            return Some(Outcome::CounterExhausted);
        };
        *counter = client.counter();
        let connection = Connection {
            stream,
            client,
            mode: self.mode,
            config,
            stats: &self.stats,
            rng: &mut self.rng,
            counter,
            started,
        };
        let mut end = connection.run(cancel).await;
        if end.stopped {
            // The swarm closed it (reason normal): not a lost connection.
            (end.reason, end.by_gateway) = (Some(CloseReason::Normal), false);
        }
        self.stats.ended(end.opened, end.reason, end.by_gateway);
        if let Some(probe) = &config.probe {
            let reason = end.reason.map_or(super::stats::CONNECTION_LOST, CloseReason::as_str);
            let now = Instant::now();
            if end.opened {
                probe.closed(now, reason, end.by_gateway || end.reason.is_none());
            } else {
                probe.refused(now, reason);
            }
        }
        Some(if end.stopped { Outcome::Stopped } else { Outcome::Ended { opened: end.opened } })
    }

    /// `backoff_min` doubled per failure up to `backoff_max`, then a
    /// random point in its upper half, so applets do not come back in step.
    fn backoff(&mut self, failures: u32) -> Duration {
        let config = &self.config;
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        let full = config.backoff_min.saturating_mul(factor).min(config.backoff_max);
        full.mul_f64(0.5 + 0.5 * self.rng.f64())
    }
}

enum Outcome {
    Stopped,
    CounterExhausted,
    Ended { opened: bool },
}
