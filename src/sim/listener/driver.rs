//! The task that owns one applet connection: a thin driver around the
//! sans-IO [`AppletSession`] (shared/STYLE.md rule 1). One `select!` loop
//! polls the socket (reads of any fragmentation: the session's frame reader
//! reassembles and refuses an oversized length before buffering; writes of
//! one queued frame at a time), takes commands and the close request from
//! the session's [`Inbox`], wakes on the session's next deadline and on the
//! listener's drain. Session events become registry calls and
//! [`AppletEvent`]s.
//!
//! An idle session is mostly this task, so its state is kept small
//! (docs/benchmarks.md, "Applet endpoint"): no read buffer and no split of
//! the socket live in it ([`super::socket`] reads into the stack of each
//! poll), and the futures of the rare steps (registry calls, events, the
//! end) are boxed while they run instead of sizing every session's task.

use super::credentials::CredentialSource;
use super::handle::{AppletEvent, CommandError, SendCommand, SessionHandle, Sessions};
use super::inbox::{Inbox, Wake};
use super::metrics::AppletMetrics;
use super::socket::{self, Outgoing};
use crate::sim::applet::CloseReason;
use crate::sim::ids::{Iccid, Kvn};
use crate::sim::secured::Counter;
use crate::sim::session::{AppletSession, ServerConfig, SessionEvent};
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

/// How long a session waits for the commands layer to take an event.
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

/// What every session of a listener shares.
pub(crate) struct SessionContext {
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) credentials: Arc<dyn CredentialSource>,
    pub(crate) events: mpsc::Sender<AppletEvent>,
    pub(crate) sessions: Sessions,
    pub(crate) metrics: AppletMetrics,
}

/// How a session ended.
#[derive(Debug, Clone, Copy)]
struct End {
    reason: CloseReason,
    by_peer: bool,
    /// Whether the socket is still worth writing the last frames to.
    flush: bool,
}

struct Driver {
    id: u64,
    session: AppletSession,
    ctx: Arc<SessionContext>,
    /// Shared with the session's handles.
    inbox: Arc<Inbox>,
    /// The SIM and key version the opening named (proven once `open`).
    claimed: Option<(Iccid, Kvn)>,
    /// Whether the session opened (and is in [`Sessions`]).
    open: bool,
    /// Accept plus the handshake timeout: the registry lookup counts in it.
    handshake_deadline: Instant,
    end: Option<End>,
}

/// Serves one accepted connection until its session ends; returns why.
/// `drain` is the listener's: cancelled, the session closes with "server
/// draining" (or the reason a handle asked for first).
pub(crate) async fn serve<S>(
    mut io: S,
    id: u64,
    ctx: Arc<SessionContext>,
    drain: CancellationToken,
    _permit: OwnedSemaphorePermit,
) -> CloseReason
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let accepted = Instant::now();
    let mut driver = Driver {
        id,
        session: AppletSession::new(ctx.config.clone(), accepted.into_std()),
        inbox: Arc::new(Inbox::new(ctx.config.max_pending_commands)),
        handshake_deadline: accepted + ctx.config.handshake_timeout,
        ctx,
        claimed: None,
        open: false,
        end: None,
    };
    let mut out = Outgoing::default();
    let mut closing = false;
    let end = loop {
        while let Some(event) = driver.session.poll_event() {
            Box::pin(driver.on_event(event)).await;
        }
        if out.is_idle() {
            out.set(driver.session.poll_transmit());
        }
        if let Some(end) = driver.end {
            break end;
        }
        let deadline = driver.session.poll_timeout().map(Instant::from_std);
        tokio::select! {
            alive = poll_fn(|cx| socket::poll_io(cx, &mut io, &mut out, &mut driver.session)) => {
                if !alive {
                    driver.peer_gone();
                }
            },
            wake = driver.inbox.next(closing) => match wake {
                Wake::Command(command) => driver.on_command(command),
                Wake::Close(reason) => {
                    closing = true;
                    driver.session.begin_close(reason);
                }
            },
            () = sleep_until(deadline) => driver.session.handle_timeout(Instant::now().into_std()),
            () = drain.cancelled(), if !closing => {
                closing = true;
                driver.session.begin_close(driver.inbox.close_requested().unwrap_or(CloseReason::ServerDraining));
            },
        }
    };
    // Counted and reported before the goodbye is written, so whoever sees
    // the close frame can already see the metrics and the event.
    Box::pin(driver.finish(end)).await;
    if end.flush {
        Box::pin(socket::goodbye(&mut io, out, &mut driver.session)).await;
    }
    end.reason
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    /// The peer closed or reset the socket without a close message.
    fn peer_gone(&mut self) {
        self.end.get_or_insert(End { reason: CloseReason::Normal, by_peer: true, flush: false });
    }

    async fn on_event(&mut self, event: SessionEvent) {
        match event {
            SessionEvent::NeedKeys { iccid, kvn } => self.look_up(iccid, kvn).await,
            SessionEvent::CounterAccepted(counter) => self.accept_counter(counter).await,
            SessionEvent::Opened { iccid, applet_version, .. } => self.on_opened(iccid, applet_version).await,
            SessionEvent::ProofOfReceipt { command_id, status } => {
                if let Some(iccid) = self.open_iccid() {
                    self.emit(AppletEvent::ProofOfReceipt { iccid, command_id, status }).await;
                }
            }
            SessionEvent::Result { command_id, status, payload } => {
                self.ctx.metrics.result(status);
                if let Some(iccid) = self.open_iccid() {
                    self.emit(AppletEvent::Result { iccid, command_id, status, payload }).await;
                }
            }
            SessionEvent::Closed { reason, by_peer } => {
                self.end.get_or_insert(End { reason, by_peer, flush: true });
            }
        }
    }

    /// The SIM, once the session is open.
    fn open_iccid(&self) -> Option<Iccid> {
        self.claimed.as_ref().filter(|_| self.open).map(|(iccid, _)| iccid.clone())
    }

    /// Asks the registry for the claimed SIM's keys. Unknown SIMs go to the
    /// session as `None` (it then verifies against the decoy key), so
    /// nothing here answers earlier for them.
    async fn look_up(&mut self, iccid: Iccid, kvn: Kvn) {
        let lookup =
            tokio::time::timeout_at(self.handshake_deadline, self.ctx.credentials.credentials(&iccid, kvn))
                .await;
        match lookup {
            Ok(Ok(found)) => {
                self.claimed = Some((iccid, kvn));
                self.session.provide_keys(Instant::now().into_std(), found);
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "SIM registry lookup failed; session refused");
                self.session.begin_close(CloseReason::ServerDraining);
            }
            Err(_) => {
                tracing::warn!("SIM registry lookup timed out; session refused");
                self.session.begin_close(CloseReason::HandshakeTimeout);
            }
        }
    }

    /// Persists the SIM's last accepted counter; a lost race is a replay.
    /// The registry gets as long as a handshake to answer.
    async fn accept_counter(&mut self, counter: Counter) {
        let Some((iccid, kvn)) = &self.claimed else { return };
        let stored = timeout(
            self.ctx.config.handshake_timeout,
            self.ctx.credentials.accept_counter(iccid, *kvn, counter),
        )
        .await;
        match stored {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                tracing::debug!("counter already accepted elsewhere: replay");
                self.session.begin_close(CloseReason::ReplayedCounter);
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "SIM registry did not store the counter; session closed");
                self.session.begin_close(CloseReason::ServerDraining);
            }
            Err(_) => {
                tracing::warn!("SIM registry timed out storing the counter; session closed");
                self.session.begin_close(CloseReason::ServerDraining);
            }
        }
    }

    async fn on_opened(&mut self, iccid: Iccid, applet_version: u16) {
        if self.session.is_closed() {
            // Closed while its opening was persisted (a lost counter race).
            return;
        }
        let handle = SessionHandle::new(self.id, iccid.clone(), self.inbox.clone());
        self.ctx.sessions.insert(handle.clone());
        self.ctx.metrics.opened();
        tracing::debug!(%iccid, applet_version, "applet session opened");
        self.open = true;
        self.emit(AppletEvent::Opened { session: handle, applet_version }).await;
    }

    fn on_command(&mut self, command: SendCommand) {
        let SendCommand { id, kind, payload, reply } = command;
        let sent = self
            .session
            .send_command(Instant::now().into_std(), id, kind, payload)
            .map_err(CommandError::Refused);
        if sent.is_ok() {
            self.ctx.metrics.command_sent();
        }
        let _ = reply.send(sent);
    }

    async fn emit(&self, event: AppletEvent) {
        use tokio::sync::mpsc::error::SendTimeoutError;
        match self.ctx.events.send_timeout(event, EVENT_TIMEOUT).await {
            Ok(()) => {}
            Err(SendTimeoutError::Closed(_)) => tracing::debug!("applet event not taken: no receiver"),
            Err(SendTimeoutError::Timeout(_)) => {
                tracing::error!("applet event dropped: the commands layer is behind");
            }
        }
    }

    async fn finish(&mut self, end: End) {
        let raced = self.inbox.shut();
        let was_open = self.open;
        self.ctx.metrics.closed(end.reason, end.by_peer, was_open);
        tracing::debug!(
            reason = end.reason.as_str(),
            by_peer = end.by_peer,
            was_open,
            "applet session ended"
        );
        // Commands that raced the end are answered, not left waiting.
        for command in raced {
            let _ = command.reply.send(Err(CommandError::Closed));
        }
        if let Some(iccid) = self.open_iccid() {
            self.open = false;
            self.ctx.sessions.remove(&iccid, self.id);
            let unanswered = self.session.unanswered_commands();
            self.emit(AppletEvent::Closed { iccid, reason: end.reason, by_peer: end.by_peer, unanswered })
                .await;
        }
    }
}

impl Drop for Driver {
    /// A task dropped before its end (the drain grace ran out) still tells
    /// its handles: they see it closed, and queued commands are answered.
    fn drop(&mut self) {
        drop(self.inbox.shut());
        if let Some(iccid) = self.open_iccid() {
            self.ctx.sessions.remove(&iccid, self.id);
        }
    }
}
