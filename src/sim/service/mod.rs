//! The sim-service composition (docs/sim-commands.md): from the `[sim]`
//! settings and the backends, the master keyring, the SIM registry behind
//! the applet listener on TCP 9506, the session registry in Redis
//! ([`crate::state::SessionPresence`]), the commands store and their
//! [`Dispatcher`], the task that consumes the listener's [`AppletEvent`]s,
//! and the periodic sweeps (`sweeps.rs`, `rewake.rs`).
//! [`SimService::start`] returns what the HTTP router mounts under `/v1`.
//!
//! Shutdown: the listener watches the shutdown token, so it stops
//! listening as the HTTP side stops accepting, then closes its sessions
//! with "server draining" within its drain grace; their `Closed` events
//! still reach the event task (which ends when the listener has dropped
//! its sender), so unanswered commands are queued again and Redis entries
//! removed before the process exits.

mod credentials;
mod dispatch;
mod metrics;
mod rewake;
mod sweeps;
mod tasks;

pub use credentials::RegistryCredentials;
pub use dispatch::{DELIVERY_BATCH, Dispatcher};
pub use metrics::{SimServiceMetrics, WakeTrigger};
pub use rewake::{REWAKE_BATCH, WakePolicy};
pub use sweeps::{CHANGE_SETTLE, SWEEP_BATCH, SWEEP_PAGES};

use crate::backends::Backends;
use crate::events::{EventOrigin, EventSink};
use crate::http::api::sims::SimCommandsApi;
use crate::lifecycle::Shutdown;
use crate::settings::{Settings, SettingsError, SimSettings};
use crate::sim::commands::{CommandLimits, CommandStore};
use crate::sim::listener::{AppletListener, AppletMetrics, ListenerConfig, ListenerError};
use crate::sim::registry::{SimRegistry, SimRegistryMetrics};
use crate::sim::wake::WakeUp;
use crate::state::{SessionPresence, StateError, StateMetrics, StateStore};
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Applet events waiting for the commands layer (a session waits a few
/// seconds for room, then drops the event with an ERROR log).
const APPLET_EVENTS: usize = 1024;

/// Why the SIM side cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A setting cannot work (the master key does not parse or its file
    /// is unreadable, a backend the SIM side needs is off): exit 64.
    #[error(transparent)]
    Config(#[from] SettingsError),
    /// The listener's settings are refused, or its port cannot be bound.
    #[error(transparent)]
    Listener(#[from] ListenerError),
    /// The session registry cannot be set up (the instance id).
    #[error("session registry: {0}")]
    Presence(#[from] StateError),
}

impl SimError {
    /// Whether this is a configuration mistake (exit status 64).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            SimError::Config(_)
                | SimError::Listener(ListenerError::Config(_))
                | SimError::Presence(StateError::InvalidInput { .. })
        )
    }
}

/// What the HTTP side and the process need from the SIM side.
#[derive(Debug, Clone)]
pub struct SimService {
    /// The `/v1/sims` and `/v1/commands` handlers' state.
    pub commands: SimCommandsApi,
    /// Where the applet listener is bound.
    pub applet_addr: SocketAddr,
}

/// The listener's settings from `[sim]`.
pub fn listener_config(sim: &SimSettings) -> ListenerConfig {
    ListenerConfig {
        listen: sim.listen,
        max_sessions: sim.max_sessions,
        max_frame: u16::try_from(sim.max_frame).unwrap_or(u16::MAX),
        handshake_timeout: sim.handshake_timeout,
        heartbeat_interval: sim.heartbeat_interval,
        idle_timeout: sim.idle_timeout,
        ..ListenerConfig::default()
    }
}

impl SimService {
    /// Starts the SIM side when `sim.enabled` (`None` otherwise). `wake`
    /// sends wake-up SMS to SIMs with no session anywhere
    /// ([`crate::sim::wake::NoWakeUp`] where none is configured). `sims`:
    /// the process's SIM registry when the SMS side already made one (its
    /// metrics are registered once); made here otherwise. `state`: the
    /// process's shared state in Redis, likewise (made here on the
    /// `redis` backend when `None`).
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        settings: &Settings,
        backends: &Backends,
        events: Option<EventSink>,
        registry: &mut Registry,
        shutdown: &Shutdown,
        wake: Arc<dyn WakeUp>,
        sims: Option<SimRegistry>,
        state: Option<StateStore>,
    ) -> Result<Option<Self>, SimError> {
        let sim = &settings.sim;
        if !sim.enabled {
            return Ok(None);
        }
        let keyring = Arc::new(sim.keyring()?);
        let needs = |what: &str| SettingsError::new("sim.enabled", format!("the SIM side needs {what}"));
        let mongo = backends.mongo.clone().ok_or_else(|| needs("mongo.enabled"))?;
        let redis = backends.redis.clone().ok_or_else(|| needs("redis.enabled"))?;
        let events = events.ok_or_else(|| needs("events (events.enabled with kafka and mongo)"))?;
        let instance = settings.instance_id();
        let sims = sims.unwrap_or_else(|| {
            SimRegistry::new(
                &mongo,
                keyring,
                SimRegistryMetrics::register(registry.sub_registry_with_prefix("sim_registry")),
            )
        });
        spawn_indexes(sims.clone(), CommandStore::new(&mongo, &instance, sim.command_retention));
        let (events_tx, events_rx) = mpsc::channel(APPLET_EVENTS);
        let listener = AppletListener::start(
            listener_config(sim),
            Arc::new(RegistryCredentials::new(sims.clone())),
            events_tx,
            AppletMetrics::register(registry),
            shutdown.token(),
        )
        .await?;
        let applet_addr = listener.local_addr();
        let state = state.unwrap_or_else(|| {
            StateStore::new(redis, StateMetrics::register(registry.sub_registry_with_prefix("state")))
        });
        let presence = SessionPresence::new(state, &instance, sim.session_ttl)?;
        let wakes = WakePolicy { rewake_interval: sim.rewake_interval, max_wakes: sim.max_wakes };
        let dispatcher = Arc::new(Dispatcher {
            store: CommandStore::new(&mongo, &instance, sim.command_retention),
            presence,
            sessions: listener.sessions(),
            registry: sims.clone(),
            wake,
            events,
            origin: EventOrigin { region: settings.instance.region.clone(), instance },
            metrics: SimServiceMetrics::register(registry),
            local: Mutex::new(Default::default()),
            wakes,
            changes: sweeps::first_mark(),
        });
        shutdown.spawn(listener.join());
        shutdown.spawn(tasks::consume_events(dispatcher.clone(), events_rx));
        tasks::spawn_sweeps(shutdown, &dispatcher, refresh_period(sim), wakes.sweep_period());
        let limits = CommandLimits {
            default_ttl: sim.command_ttl,
            max_ttl: sim.max_command_ttl,
            max_frame: sim.max_frame,
        };
        Ok(Some(Self { commands: SimCommandsApi { dispatcher, registry: sims, limits }, applet_addr }))
    }
}

/// How often Redis entries are refreshed: a third of their TTL, at most
/// the heartbeat interval.
fn refresh_period(sim: &SimSettings) -> Duration {
    (sim.session_ttl / 3).min(sim.heartbeat_interval).max(Duration::from_millis(100))
}

/// Ensures the registry's and the commands' indexes, retried until
/// MongoDB answers (writes work meanwhile).
fn spawn_indexes(sims: SimRegistry, commands: CommandStore) {
    tokio::spawn(async move {
        while let Err(err) = sims.ensure_indexes().await {
            tracing::warn!(%err, "SIM registry indexes not ensured yet");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        while let Err(err) = commands.ensure_indexes().await {
            tracing::warn!(%err, "command indexes not ensured yet");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
}
