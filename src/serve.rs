//! `simgate serve`: the composition root. It builds every component from the
//! validated settings, binds the listeners, reports ready, and on SIGTERM or
//! SIGINT runs the shutdown order of shared/STYLE.md rule 8.

use crate::backends::Backends;
use crate::http::{AppState, HttpMetrics, router};
use crate::lifecycle::{Health, Phase, Shutdown, Signals, remaining};
use crate::settings::Settings;
use crate::telemetry::{BUILD, METRIC_PREFIX, new_registry};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::time::Instant;

/// How a served process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeOutcome {
    /// Everything drained within the grace period.
    Drained,
    /// The grace period ended with work still running.
    GraceExpired,
    /// A second signal arrived during the drain and cut it short.
    Forced,
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listener could not bind its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A backend client could not be created from its settings.
    #[error(transparent)]
    Backend(#[from] crate::backends::BackendError),
    /// The SMS side could not be set up from its settings.
    #[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
    #[error(transparent)]
    Sms(#[from] crate::sms::service::SmsError),
    /// The events producer could not be created from its settings.
    #[cfg(all(feature = "kafka", feature = "mongo"))]
    #[error(transparent)]
    Events(#[from] crate::events::EventError),
    /// The SIM side (applet listener, commands) could not start.
    #[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
    #[error(transparent)]
    Sim(#[from] crate::sim::service::SimError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
}

impl ServeError {
    /// Whether serving did not start because of a setting (exit status 64,
    /// like the settings checks): for example a SIM master key that does
    /// not parse or whose file cannot be read.
    pub fn is_config(&self) -> bool {
        match self {
            #[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
            ServeError::Sim(err) => err.is_config(),
            _ => false,
        }
    }
}

/// Runs the gateway until a shutdown signal, then drains.
pub async fn serve(settings: Settings) -> Result<ServeOutcome, ServeError> {
    let instance = settings.instance_id();
    tracing::info!(
        version = BUILD.version,
        revision = BUILD.revision,
        instance = %instance,
        region = %settings.instance.region,
        role = ?settings.instance.role,
        "simgate starting"
    );
    let mut registry = new_registry();
    let shutdown = Shutdown::new();
    let health = Health::register(registry.sub_registry_with_prefix(METRIC_PREFIX));

    let backends =
        Backends::start(&settings, &health, registry.sub_registry_with_prefix(METRIC_PREFIX), &shutdown)
            .await?;
    // Events (docs/events.md): the sink is for the SMPP and API components;
    // its relay runs under `shutdown`, which drains it.
    #[cfg(all(feature = "kafka", feature = "mongo"))]
    let events = crate::events::start(
        &settings,
        &backends,
        registry.sub_registry_with_prefix(METRIC_PREFIX),
        &shutdown,
    )?;
    // The SMS side: binds, MT worker, MO and receipts (docs/smpp-binds.md).
    #[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
    let sms = crate::sms::service::SmsService::start(
        &settings,
        &backends,
        events.clone(),
        registry.sub_registry_with_prefix(METRIC_PREFIX),
        &health,
        &shutdown,
    )
    .await?;
    // The SIM side: applet listener on 9506 and commands (docs/sim-commands.md).
    // Its listener watches `shutdown`, so it stops with the HTTP listener
    // and its sessions close within the drain. SIMs with no session are
    // woken by SMS through the SMS side's MT path (docs/applet-protocol.md,
    // "Wake-up"), which shares its SIM registry.
    #[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
    let sim = {
        let wake: Arc<dyn crate::sim::wake::WakeUp> = match sms.waker.clone() {
            Some(waker) => waker,
            None => Arc::new(crate::sim::wake::NoWakeUp),
        };
        crate::sim::service::SimService::start(
            &settings,
            &backends,
            events.clone(),
            registry.sub_registry_with_prefix(METRIC_PREFIX),
            &shutdown,
            wake,
            sms.sims.clone(),
            sms.state.clone(),
        )
        .await?
    };

    let http_listener = TcpListener::bind(settings.http.listen)
        .await
        .map_err(|source| ServeError::Bind { addr: settings.http.listen, source })?;
    let http_addr = http_listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr: settings.http.listen, source })?;
    tracing::info!(local_addr = %http_addr, "http listener bound");

    // Install the handlers before reporting ready, so a signal that arrives
    // right after readiness is never missed.
    let mut signals = Signals::install().map_err(ServeError::Signals)?;
    let http_metrics = HttpMetrics::register(
        registry.sub_registry_with_prefix(METRIC_PREFIX).sub_registry_with_prefix("http"),
    );
    let keys = settings.api.load_keys().unwrap_or_else(|err| {
        tracing::error!(%err, "API keys unreadable: every /v1 request is refused");
        Vec::new()
    });
    let keys = crate::http::api::ApiKeys::new(&keys, http_metrics.auth_failures.clone());
    #[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
    let v1 = crate::http::api::routes(keys, sms.messages.clone(), sim.map(|s| s.commands));
    #[cfg(not(all(feature = "kafka", feature = "mongo", feature = "redis")))]
    let v1 = crate::http::api::routes(keys);
    let state = AppState { health: health.clone(), registry: Arc::new(registry) };
    let app = router(state, &settings.http, http_metrics, v1);
    let stop_accepting = shutdown.token();
    shutdown.spawn(async move {
        let served = axum::serve(http_listener, app)
            .with_graceful_shutdown(async move { stop_accepting.cancelled().await })
            .await;
        if let Err(err) = served {
            tracing::error!(%err, "http listener failed");
        }
    });

    health.set_phase(Phase::Ready);
    tracing::info!("simgate ready");

    let name = signals.recv().await;
    let deadline = Instant::now() + settings.shutdown.grace_period;
    health.set_phase(Phase::Draining);
    tracing::info!(
        signal = name,
        drain_delay = %humantime::format_duration(settings.shutdown.drain_delay),
        grace_period = %humantime::format_duration(settings.shutdown.grace_period),
        "shutdown: reporting not-ready"
    );
    let drain = async {
        tokio::time::sleep(settings.shutdown.drain_delay.min(remaining(deadline))).await;
        tracing::info!("shutdown: closing listeners, draining");
        shutdown.drain(deadline).await
    };
    let left = tokio::select! {
        left = drain => left,
        second = signals.recv() => {
            tracing::error!(signal = second, "shutdown: second signal, exiting without finishing the drain");
            return Ok(ServeOutcome::Forced);
        }
    };
    drop(backends);
    if left > 0 {
        tracing::error!(tasks = left, "shutdown: grace period over with work still running");
        return Ok(ServeOutcome::GraceExpired);
    }
    tracing::info!("shutdown: complete");
    Ok(ServeOutcome::Drained)
}
