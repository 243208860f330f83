//! The task that owns one applet connection: a thin driver around the
//! sans-IO [`AppletSession`] (shared/STYLE.md rule 1). One `select!` loop
//! reads (any fragmentation: the session's frame reader reassembles and
//! refuses an oversized length before buffering), writes one queued frame
//! at a time, takes commands from the [`SessionHandle`]'s bounded channel,
//! wakes on the session's next deadline and on a close request. Session
//! events become registry calls and [`AppletEvent`]s.

use super::credentials::CredentialSource;
use super::handle::{AppletEvent, CloseSignal, CommandError, SendCommand, SessionHandle, Sessions};
use super::metrics::AppletMetrics;
use crate::sim::applet::CloseReason;
use crate::sim::ids::{Iccid, Kvn};
use crate::sim::secured::Counter;
use crate::sim::session::{AppletSession, ServerConfig, SessionEvent};
use bytes::{Buf, Bytes};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::{Instant, timeout};

/// Octets read per call; a SIM sends about 160 at a time.
const READ_CHUNK: usize = 512;
/// How long the last frames (the close) get to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);
/// After the close, how long unread input is discarded before the socket
/// is dropped (dropping it with unread input would reset the connection
/// and could destroy the close frame in flight), and how much at most.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_MAX: usize = 16 * 1024;
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
    close: Arc<CloseSignal>,
    /// The SIM and key version the opening named (not yet proven).
    claimed: Option<(Iccid, Kvn)>,
    /// Set once the session opened.
    open: Option<SessionHandle>,
    /// Accept plus the handshake timeout: the registry lookup counts in it.
    handshake_deadline: Instant,
    commands_tx: mpsc::Sender<Box<SendCommand>>,
    commands_rx: mpsc::Receiver<Box<SendCommand>>,
    end: Option<End>,
}

/// Serves one accepted connection until its session ends; returns why.
pub(crate) async fn serve<S>(
    io: S,
    id: u64,
    ctx: Arc<SessionContext>,
    close: Arc<CloseSignal>,
    _permit: OwnedSemaphorePermit,
) -> CloseReason
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (commands_tx, commands_rx) = mpsc::channel(ctx.config.max_pending_commands.max(1));
    let accepted = Instant::now();
    let session = AppletSession::new(ctx.config.clone(), accepted.into_std());
    let handshake_deadline = accepted + ctx.config.handshake_timeout;
    let mut driver = Driver {
        id,
        session,
        ctx,
        close,
        claimed: None,
        open: None,
        handshake_deadline,
        commands_tx,
        commands_rx,
        end: None,
    };
    let (mut rd, mut wr) = tokio::io::split(io);
    let mut buf = [0u8; READ_CHUNK];
    let mut out: Option<Bytes> = None;
    let mut closing = false;
    let end = loop {
        driver.process_events().await;
        if out.as_ref().is_none_or(|b| b.is_empty()) {
            out = driver.session.poll_transmit();
        }
        if let Some(end) = driver.end {
            break end;
        }
        let deadline = driver.session.poll_timeout().map(Instant::from_std);
        tokio::select! {
            read = rd.read(&mut buf) => match read {
                Ok(0) | Err(_) => driver.peer_gone(),
                Ok(n) => driver.session.handle_bytes(Instant::now().into_std(), &buf[..n]),
            },
            written = write_some(&mut wr, out.as_mut()), if out.is_some() => {
                if written.is_err() {
                    driver.peer_gone();
                }
            },
            Some(command) = driver.commands_rx.recv() => driver.on_command(*command),
            () = sleep_until(deadline) => driver.session.handle_timeout(Instant::now().into_std()),
            () = driver.close.token.cancelled(), if !closing => {
                closing = true;
                let reason = driver.close.reason.get().copied().unwrap_or(CloseReason::ServerDraining);
                driver.session.begin_close(reason);
            },
        }
    };
    // Counted and reported before the goodbye is written, so whoever sees
    // the close frame can already see the metrics and the event.
    driver.finish(end).await;
    if end.flush {
        let _ = timeout(FLUSH_TIMEOUT, async {
            if let Some(rest) = out.take() {
                wr.write_all(&rest).await?;
            }
            while let Some(frame) = driver.session.poll_transmit() {
                wr.write_all(&frame).await?;
            }
            wr.flush().await?;
            wr.shutdown().await
        })
        .await;
        let _ = timeout(LINGER, async {
            let mut discarded = 0;
            while discarded < LINGER_MAX {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => discarded += n,
                }
            }
        })
        .await;
    }
    end.reason
}

/// Writes some of `out`, advancing it.
async fn write_some<W: AsyncWrite + Unpin>(
    wr: &mut WriteHalf<W>,
    out: Option<&mut Bytes>,
) -> std::io::Result<()> {
    let Some(out) = out else { return Ok(()) };
    let n = wr.write(out).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    out.advance(n);
    if out.is_empty() {
        wr.flush().await?;
    }
    Ok(())
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

    async fn process_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match event {
                SessionEvent::NeedKeys { iccid, kvn } => self.look_up(iccid, kvn).await,
                SessionEvent::CounterAccepted(counter) => self.accept_counter(counter).await,
                SessionEvent::Opened { iccid, applet_version, .. } => {
                    self.on_opened(iccid, applet_version).await
                }
                SessionEvent::ProofOfReceipt { command_id, status } => {
                    if let Some(iccid) = self.open.as_ref().map(|h| h.iccid().clone()) {
                        self.emit(AppletEvent::ProofOfReceipt { iccid, command_id, status }).await;
                    }
                }
                SessionEvent::Result { command_id, status, payload } => {
                    self.ctx.metrics.result(status);
                    if let Some(iccid) = self.open.as_ref().map(|h| h.iccid().clone()) {
                        self.emit(AppletEvent::Result { iccid, command_id, status, payload }).await;
                    }
                }
                SessionEvent::Closed { reason, by_peer } => {
                    self.end.get_or_insert(End { reason, by_peer, flush: true });
                }
            }
        }
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
        let handle = SessionHandle::new(self.id, iccid.clone(), self.commands_tx.clone(), self.close.clone());
        self.ctx.sessions.insert(handle.clone());
        self.ctx.metrics.opened();
        tracing::debug!(%iccid, applet_version, "applet session opened");
        self.open = Some(handle.clone());
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
        self.commands_rx.close();
        let was_open = self.open.is_some();
        self.ctx.metrics.closed(end.reason, end.by_peer, was_open);
        tracing::debug!(
            reason = end.reason.as_str(),
            by_peer = end.by_peer,
            was_open,
            "applet session ended"
        );
        if let Some(handle) = self.open.take() {
            self.ctx.sessions.remove(handle.iccid(), self.id);
            let unanswered = self.session.unanswered_commands();
            let iccid = handle.iccid().clone();
            drop(handle);
            self.emit(AppletEvent::Closed { iccid, reason: end.reason, by_peer: end.by_peer, unanswered })
                .await;
        }
        // Commands that raced the end are answered, not left waiting.
        while let Ok(command) = self.commands_rx.try_recv() {
            let _ = command.reply.send(Err(CommandError::Closed));
        }
    }
}
