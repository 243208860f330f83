//! The task that owns one SMPP connection: it feeds the sans-IO
//! [`EsmeSession`] with frames from the socket and with the time, writes
//! what the session produces, and turns session events into outcomes for
//! the [`super::BindHandle`]s waiting on them. One `select!` loop reads,
//! writes, takes commands and wakes on the session's next deadline, so a
//! full socket in one direction never stops the other.

use super::handle::{BindId, Command, InboundRequest, Responder, Shared, SubmitError, SubmitOutcome};
use super::metrics::BindMetrics;
use crate::smpp::frame::{FrameError, next_frame};
use crate::smpp::pdu::{Body, CommandId, CommandStatus, Pdu};
use crate::smpp::session::{EsmeSession, Inbound, RequestTag, SessionEvent, SessionState};
use bytes::{Buf, BytesMut};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Most octets waiting to be written before the driver stops taking new
/// submits; the SMSC reading slowly then slows the application down.
const MAX_UNWRITTEN: usize = 1 << 20;

/// Why a connection's session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindEnd {
    /// The SMSC refused the bind with this status.
    Refused(CommandStatus),
    /// The bind got no answer in time.
    BindTimedOut,
    /// An enquire_link went unanswered.
    LinkDead,
    /// The unbind handshake completed (either side asked).
    Unbound {
        /// True when the SMSC asked.
        by_peer: bool,
    },
    /// The socket closed or failed without an unbind.
    Dropped(String),
    /// A frame could not be cut from the stream (bad command_length).
    BadFrame(String),
}

/// What one driver needs besides the socket.
pub(crate) struct DriverParts {
    pub(crate) session: EsmeSession,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) inbound: mpsc::Sender<InboundRequest>,
    /// Kept to build [`Responder`]s for inbound requests.
    pub(crate) commands_tx: mpsc::Sender<Command>,
    pub(crate) shared: std::sync::Arc<Shared>,
    pub(crate) metrics: BindMetrics,
    pub(crate) max_frame: u32,
    /// Bound: send unbind, wait for unbind_resp or the response timeout.
    pub(crate) stop: CancellationToken,
    /// Told once when the bind is up.
    pub(crate) on_bound: Option<oneshot::Sender<()>>,
}

struct InFlight {
    reply: oneshot::Sender<Result<SubmitOutcome, SubmitError>>,
    _permit: OwnedSemaphorePermit,
    sent_at: Instant,
}

/// Binds over `io`, then serves until the session ends.
pub(crate) async fn drive<S>(io: S, mut parts: DriverParts) -> BindEnd
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(io);
    let id = parts.shared.id.clone();
    let mut rbuf = BytesMut::with_capacity(8 * 1024);
    let mut wbuf = BytesMut::with_capacity(8 * 1024);
    let mut in_flight: HashMap<u64, InFlight> = HashMap::new();
    let mut next_tag: u64 = 0;
    let mut end: Option<BindEnd> = None;
    let mut unbinding = false;
    let stop = parts.stop.clone();

    if let Err(err) = parts.session.bind(Instant::now().into_std()) {
        return BindEnd::BadFrame(format!("bind not encodable: {err}"));
    }
    loop {
        while let Some(out) = parts.session.take_outgoing() {
            wbuf.extend_from_slice(&out);
        }
        drain_events(&mut parts, &id, &mut in_flight, &mut end);
        if let Some(end) = end.take().or_else(|| closed_end(&parts.session)) {
            // Flush what the session still has to say (an unbind_resp).
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                writer.write_all(&wbuf).await?;
                writer.flush().await
            })
            .await;
            finish(&parts, in_flight);
            return end;
        }
        let deadline = parts.session.poll_timeout().map(Instant::from_std);
        let take_commands = wbuf.len() < MAX_UNWRITTEN;
        tokio::select! {
            read = reader.read_buf(&mut rbuf) => match read {
                Ok(0) => end = Some(BindEnd::Dropped("connection closed by the SMSC".to_owned())),
                Ok(_) => {
                    if let Err(err) = handle_frames(&mut parts, &mut rbuf, &mut in_flight) {
                        end = Some(BindEnd::BadFrame(err.to_string()));
                    }
                }
                Err(err) => end = Some(BindEnd::Dropped(err.to_string())),
            },
            written = writer.write(&wbuf), if !wbuf.is_empty() => match written {
                Ok(0) => end = Some(BindEnd::Dropped("socket refused writes".to_owned())),
                Ok(n) => {
                    wbuf.advance(n);
                    if wbuf.is_empty() && let Err(err) = writer.flush().await {
                        end = Some(BindEnd::Dropped(err.to_string()));
                    }
                }
                Err(err) => end = Some(BindEnd::Dropped(err.to_string())),
            },
            command = parts.commands.recv(), if take_commands => match command {
                Some(command) => handle_command(&mut parts, command, &mut in_flight, &mut next_tag),
                // Every handle is gone: nobody can use the bind any more.
                None => begin_unbind(&mut parts.session, &mut unbinding),
            },
            () = sleep_until(deadline) => parts.session.handle_timeout(Instant::now().into_std()),
            () = stop.cancelled(), if !unbinding => begin_unbind(&mut parts.session, &mut unbinding),
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn begin_unbind(session: &mut EsmeSession, unbinding: &mut bool) {
    *unbinding = true;
    // Refused only when not bound (binding, or already closing): then
    // there is nothing to unbind and the session closes by itself.
    if session.unbind(Instant::now().into_std()).is_err() && !session.state().is_bound() {
        tracing::debug!(state = session.state().as_str(), "stop requested before the bind completed");
    }
}

fn closed_end(session: &EsmeSession) -> Option<BindEnd> {
    (session.state() == SessionState::Closed).then_some(BindEnd::Unbound { by_peer: false })
}

/// Cuts every whole frame out of `rbuf` and hands it to the session.
fn handle_frames(
    parts: &mut DriverParts,
    rbuf: &mut BytesMut,
    in_flight: &mut HashMap<u64, InFlight>,
) -> Result<(), FrameError> {
    while let Some(len) = next_frame(rbuf, parts.max_frame)? {
        let frame = rbuf.split_to(len).freeze();
        let now = Instant::now();
        match parts.session.handle_frame(&frame, now.into_std()) {
            Some(Inbound::Response { tag, pdu }) => {
                let Some(done) = in_flight.remove(&tag.0) else { continue };
                parts.metrics.observe_response(&parts.shared.id, pdu.command_status, now - done.sent_at);
                let message_id = response_message_id(&pdu);
                let _ =
                    done.reply.send(Ok(SubmitOutcome::Answered { status: pdu.command_status, message_id }));
            }
            Some(Inbound::Request(pdu)) => {
                let command = pdu.command_id();
                let sequence = pdu.sequence_number;
                if command == CommandId::AlertNotification {
                    continue;
                }
                let request = InboundRequest {
                    bind: parts.shared.id.clone(),
                    frame: frame.clone(),
                    responder: Responder { sequence, commands: parts.commands_tx.clone() },
                };
                if parts.inbound.try_send(request).is_err() {
                    // The application is behind: a temporary error makes the
                    // SMSC deliver it again later (v3.4 5.1.3).
                    parts.metrics.inbound_refused(&parts.shared.id);
                    let _ = parts.session.respond(sequence, CommandStatus::ESME_RX_T_APPN);
                }
            }
            None => {}
        }
    }
    parts.metrics.set_in_flight(&parts.shared.id, in_flight.len());
    Ok(())
}

fn response_message_id(pdu: &Pdu<'_>) -> Option<String> {
    let id = match &pdu.body {
        Body::SubmitSmResp(r) => r.message_id.as_bytes(),
        Body::DataSmResp(r) => r.message_id.as_bytes(),
        _ => return None,
    };
    (!id.is_empty()).then(|| String::from_utf8_lossy(id).into_owned())
}

fn handle_command(
    parts: &mut DriverParts,
    command: Command,
    in_flight: &mut HashMap<u64, InFlight>,
    next_tag: &mut u64,
) {
    match command {
        Command::Submit { part, reply, permit } => {
            if !parts.session.can_submit() {
                let _ = reply.send(Err(SubmitError::NotBound(parts.shared.id.clone())));
                return;
            }
            let (body, tlvs) = match part.to_body() {
                Ok(b) => b,
                Err(err) => {
                    let _ = reply.send(Err(err.into()));
                    return;
                }
            };
            *next_tag += 1;
            let now = Instant::now();
            match parts.session.submit(body, tlvs, RequestTag(*next_tag), now.into_std()) {
                Ok(_) => {
                    parts.metrics.submitted(&parts.shared.id);
                    in_flight.insert(*next_tag, InFlight { reply, _permit: permit, sent_at: now });
                    parts.metrics.set_in_flight(&parts.shared.id, in_flight.len());
                }
                Err(err) => {
                    tracing::debug!(bind = %parts.shared.id, %err, "submit refused by the session");
                    let _ = reply.send(Err(SubmitError::NotBound(parts.shared.id.clone())));
                }
            }
        }
        Command::Respond { sequence, status } => {
            if let Err(err) = parts.session.respond(sequence, status) {
                tracing::debug!(bind = %parts.shared.id, %err, "response not sent");
            }
        }
    }
}

fn drain_events(
    parts: &mut DriverParts,
    id: &BindId,
    in_flight: &mut HashMap<u64, InFlight>,
    end: &mut Option<BindEnd>,
) {
    while let Some(event) = parts.session.poll_event() {
        match event {
            SessionEvent::Bound { kind, smsc_system_id } => {
                parts.shared.bound.store(true, Ordering::Release);
                parts.metrics.set_bound(id, true);
                tracing::info!(bind = %id, ?kind, smsc = %smsc_system_id, "bound");
                if let Some(tx) = parts.on_bound.take() {
                    let _ = tx.send(());
                }
            }
            SessionEvent::BindRefused { status } => *end = Some(BindEnd::Refused(status)),
            SessionEvent::BindTimedOut => *end = Some(BindEnd::BindTimedOut),
            SessionEvent::LinkDead => *end = Some(BindEnd::LinkDead),
            SessionEvent::Closed { by_peer } => {
                parts.shared.bound.store(false, Ordering::Release);
                end.get_or_insert(BindEnd::Unbound { by_peer });
            }
            SessionEvent::TimedOut { tag, .. } => settle(parts, in_flight, tag, SubmitOutcome::TimedOut),
            SessionEvent::Abandoned { tag, .. } => settle(parts, in_flight, tag, SubmitOutcome::Abandoned),
            SessionEvent::Rejected { status, command } => {
                parts.metrics.rejected(id);
                tracing::debug!(bind = %id, %status, ?command, "answered a PDU from the SMSC with an error");
            }
            SessionEvent::UnmatchedResponse { command, sequence } => {
                tracing::debug!(bind = %id, %command, sequence, "response matched no request");
            }
            SessionEvent::OutbindReceived => {
                tracing::debug!(bind = %id, "outbind on an ESME connection ignored");
            }
        }
    }
}

fn settle(
    parts: &DriverParts,
    in_flight: &mut HashMap<u64, InFlight>,
    tag: RequestTag,
    outcome: SubmitOutcome,
) {
    if let Some(done) = in_flight.remove(&tag.0) {
        parts.metrics.unanswered(&parts.shared.id, &outcome);
        let _ = done.reply.send(Ok(outcome));
    }
}

/// Every request still waiting was written and never answered.
fn finish(parts: &DriverParts, in_flight: HashMap<u64, InFlight>) {
    parts.shared.bound.store(false, Ordering::Release);
    parts.metrics.set_bound(&parts.shared.id, false);
    parts.metrics.set_in_flight(&parts.shared.id, 0);
    for (_, done) in in_flight {
        parts.metrics.unanswered(&parts.shared.id, &SubmitOutcome::Abandoned);
        let _ = done.reply.send(Ok(SubmitOutcome::Abandoned));
    }
}
