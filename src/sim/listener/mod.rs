//! The applet listener on TCP 9506 (docs/applet-listener.md): it accepts
//! under a connection limit (one semaphore permit per socket; over the
//! limit a connection is accepted and closed at once), runs one task per
//! connection around the sans-IO [`crate::sim::session::AppletSession`],
//! keeps the open sessions by ICCID in [`Sessions`], and drains in one
//! order: stop listening first (so the load balancer's health check on the
//! port fails over), then ask every session to close with "server
//! draining", wait up to a grace, then drop what is left.
//!
//! The peer's address is logged in the session's span and never trusted:
//! behind carrier NAT it proves nothing; identity comes from the protocol.

mod config;
mod credentials;
mod driver;
mod handle;
mod inbox;
mod metrics;
mod socket;

pub use config::{DEFAULT_DRAIN_GRACE, DEFAULT_MAX_SESSIONS, DEFAULT_PORT, ListenerConfig};
pub use credentials::{CredentialError, CredentialFuture, CredentialSource, MemoryCredentials};
pub use handle::{AppletEvent, CommandError, SessionHandle, Sessions};
pub use metrics::AppletMetrics;

use crate::sim::keys::AesKey;
use crate::sim::session::{MIN_PEER_FRAME, ServerConfig};
use driver::SessionContext;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Pause after a failed accept (out of file descriptors, for example).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Why the listener did not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The configuration cannot work (said which field and why).
    #[error("applet listener config: {0}")]
    Config(&'static str),
    /// No random decoy key could be drawn from the system.
    #[error("applet listener: the system random source failed")]
    Random,
    /// The address could not be bound.
    #[error("applet listener: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The running listener.
#[derive(Debug)]
pub struct AppletListener {
    local_addr: SocketAddr,
    sessions: Sessions,
    task: JoinHandle<()>,
}

impl AppletListener {
    /// Binds `config.listen` and serves until `shutdown` is cancelled, then
    /// drains. Sessions look SIMs up in `credentials` and report to
    /// `events` (bounded; a session waits a few seconds for room, then
    /// drops the event with an ERROR log).
    pub async fn start(
        config: ListenerConfig,
        credentials: Arc<dyn CredentialSource>,
        events: mpsc::Sender<AppletEvent>,
        metrics: AppletMetrics,
        shutdown: CancellationToken,
    ) -> Result<Self, ListenerError> {
        let server = Arc::new(server_config(&config, draw_decoy_key()?)?);
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ListenerError::Bind { addr: config.listen, source })?;
        let local_addr =
            listener.local_addr().map_err(|source| ListenerError::Bind { addr: config.listen, source })?;
        let sessions = Sessions::default();
        let ctx = Arc::new(SessionContext {
            config: server,
            credentials,
            events,
            sessions: sessions.clone(),
            metrics,
        });
        let limit = Arc::new(Semaphore::new(config.max_sessions));
        tracing::info!(addr = %local_addr, max_sessions = config.max_sessions, "applet listener started");
        let task = tokio::spawn(accept_loop(listener, ctx, limit, shutdown, config.drain_grace));
        Ok(Self { local_addr, sessions, task })
    }

    /// The address actually bound (the port, when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The sessions open on this listener.
    pub fn sessions(&self) -> Sessions {
        self.sessions.clone()
    }

    /// Waits until the listener has stopped and drained (after the
    /// shutdown token is cancelled).
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

/// The session settings from the listener's, validated.
fn server_config(config: &ListenerConfig, decoy: AesKey) -> Result<ServerConfig, ListenerError> {
    if config.max_sessions == 0 {
        return Err(ListenerError::Config("max_sessions must be at least 1"));
    }
    if config.max_sessions > Semaphore::MAX_PERMITS {
        return Err(ListenerError::Config("max_sessions is too large"));
    }
    if config.max_frame < MIN_PEER_FRAME {
        return Err(ListenerError::Config("max_frame must be at least 64"));
    }
    if config.heartbeat_interval.is_zero() || config.idle_timeout <= config.heartbeat_interval {
        return Err(ListenerError::Config("idle_timeout must be longer than a non-zero heartbeat_interval"));
    }
    if config.handshake_timeout.is_zero() {
        return Err(ListenerError::Config("handshake_timeout must not be zero"));
    }
    let mut server = ServerConfig::new(decoy);
    server.max_frame = config.max_frame;
    server.handshake_timeout = config.handshake_timeout;
    server.heartbeat_interval = config.heartbeat_interval;
    server.idle_timeout = config.idle_timeout;
    server.max_pending_frames = config.max_pending_frames.max(1);
    server.max_pending_commands = config.max_pending_commands.max(1);
    Ok(server)
}

/// A fresh random key that unknown SIMs are verified against; it lives in
/// memory only and is never logged (`AesKey`'s Debug redacts it).
fn draw_decoy_key() -> Result<AesKey, ListenerError> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut octets = zeroize::Zeroizing::new([0u8; 16]);
    SystemRandom::new().fill(octets.as_mut()).map_err(|_| ListenerError::Random)?;
    AesKey::new(octets.as_ref()).map_err(|_| ListenerError::Random)
}

async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<SessionContext>,
    limit: Arc<Semaphore>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let sessions_token = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut next_id: u64 = 0;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = limit.clone().try_acquire_owned() else {
                        ctx.metrics.refused();
                        tracing::debug!(%peer, "connection over max_sessions closed");
                        drop(stream);
                        continue;
                    };
                    next_id += 1;
                    let _ = stream.set_nodelay(true);
                    let span = tracing::info_span!("applet_session", %peer);
                    let session = driver::serve(stream, next_id, ctx.clone(), sessions_token.clone(), permit);
                    tasks.spawn(session.instrument(span));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "applet listener accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    // First the port: the load balancer's health check fails over.
    drop(listener);
    tracing::info!(sessions = tasks.len(), "applet listener closed; draining sessions");
    sessions_token.cancel();
    let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(left = tasks.len(), "applet sessions dropped at the end of the drain grace");
        tasks.shutdown().await;
    }
    tracing::info!("applet listener drained");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn config_is_checked_and_mapped() {
        let key = || AesKey::new(&[7; 16]).unwrap();
        let ok = ListenerConfig::default();
        let mapped = server_config(&ok, key()).unwrap();
        assert_eq!(mapped.max_frame, ok.max_frame);
        assert_eq!(mapped.idle_timeout, ok.idle_timeout);
        assert_eq!(ok.listen.port(), DEFAULT_PORT);
        for bad in [
            ListenerConfig { max_sessions: 0, ..ok.clone() },
            ListenerConfig { max_frame: 10, ..ok.clone() },
            ListenerConfig { idle_timeout: ok.heartbeat_interval, ..ok.clone() },
            ListenerConfig { handshake_timeout: Duration::ZERO, ..ok.clone() },
        ] {
            assert!(matches!(server_config(&bad, key()), Err(ListenerError::Config(_))), "{bad:?}");
        }
        let a = draw_decoy_key().unwrap();
        let b = draw_decoy_key().unwrap();
        assert_ne!(a.expose(), b.expose(), "a fresh decoy key per start");
        assert!(format!("{a:?}").contains("redacted"), "never printed");
    }
}
