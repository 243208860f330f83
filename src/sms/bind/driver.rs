//! The task that owns one SMPP connection: it feeds the sans-IO
//! [`EsmeSession`] with frames from the socket and with the time, writes
//! what the session produces, and turns session events into outcomes for
//! the [`super::BindHandle`]s waiting on them. One `select!` loop reads,
//! writes, takes commands and wakes on the session's next deadline, so a
//! full socket in one direction never stops the other.
//!
//! A submit that timed out keeps its late-answer sender while the session
//! keeps its sequence number (its late-response window): a submit_sm_resp
//! that comes then still reaches the submitter as a [`LateAnswer`].

use super::handle::{
    BindId, Command, InboundRequest, LateAnswer, QueryOutcome, Responder, Shared, SubmitError, SubmitOutcome,
};
use super::metrics::BindMetrics;
use crate::smpp::frame::{FrameError, next_frame};
use crate::smpp::pdu::{Body, CommandId, CommandStatus, Pdu, Tlvs};
use crate::smpp::receipt::MessageState;
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

/// Who waits for a request's outcome.
enum Reply {
    Submit { reply: oneshot::Sender<Result<SubmitOutcome, SubmitError>>, late: oneshot::Sender<LateAnswer> },
    Query(oneshot::Sender<Result<QueryOutcome, SubmitError>>),
}

struct InFlight {
    reply: Reply,
    _permit: OwnedSemaphorePermit,
    sent_at: Instant,
}

/// The requests of one connection by tag: written and unanswered, and
/// timed out with a late answer still possible. Both are bounded by the
/// session (its window, its late-response window).
#[derive(Default)]
struct Requests {
    in_flight: HashMap<u64, InFlight>,
    late: HashMap<u64, oneshot::Sender<LateAnswer>>,
    next_tag: u64,
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
    let mut requests = Requests::default();
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
        drain_events(&mut parts, &id, &mut requests, &mut end);
        if let Some(end) = end.take().or_else(|| closed_end(&parts.session)) {
            // Flush what the session still has to say (an unbind_resp).
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                writer.write_all(&wbuf).await?;
                writer.flush().await
            })
            .await;
            finish(&parts, requests);
            return end;
        }
        let deadline = parts.session.poll_timeout().map(Instant::from_std);
        let take_commands = wbuf.len() < MAX_UNWRITTEN;
        tokio::select! {
            read = reader.read_buf(&mut rbuf) => match read {
                Ok(0) => end = Some(BindEnd::Dropped("connection closed by the SMSC".to_owned())),
                Ok(_) => {
                    if let Err(err) = handle_frames(&mut parts, &mut rbuf, &mut requests) {
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
                Some(command) => handle_command(&mut parts, command, &mut requests),
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
    requests: &mut Requests,
) -> Result<(), FrameError> {
    while let Some(len) = next_frame(rbuf, parts.max_frame)? {
        let frame = rbuf.split_to(len).freeze();
        let now = Instant::now();
        match parts.session.handle_frame(&frame, now.into_std()) {
            Some(Inbound::Response { tag, pdu, late: true }) => {
                let Some(waiting) = requests.late.remove(&tag.0) else { continue };
                let status = pdu.command_status;
                tracing::debug!(bind = %parts.shared.id, %status, "late response to a timed-out submit");
                let _ = waiting.send(LateAnswer { status, message_id: response_message_id(&pdu) });
            }
            Some(Inbound::Response { tag, pdu, late: false }) => {
                let Some(done) = requests.in_flight.remove(&tag.0) else { continue };
                let status = pdu.command_status;
                parts.metrics.observe_response(&parts.shared.id, status, now - done.sent_at);
                match done.reply {
                    Reply::Submit { reply, .. } => {
                        let message_id = response_message_id(&pdu);
                        let _ = reply.send(Ok(SubmitOutcome::Answered { status, message_id }));
                    }
                    Reply::Query(reply) => {
                        let (state, error_code) = match &pdu.body {
                            Body::QuerySmResp(r) => (MessageState::from_u8(r.message_state), r.error_code),
                            _ => (None, 0),
                        };
                        let _ = reply.send(Ok(QueryOutcome::Answered { status, state, error_code }));
                    }
                }
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
    parts.metrics.set_in_flight(&parts.shared.id, requests.in_flight.len());
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

fn handle_command(parts: &mut DriverParts, command: Command, requests: &mut Requests) {
    match command {
        Command::Submit { part, reply, permit, late } => match part.to_body() {
            Ok((body, tlvs)) => {
                let reply = Reply::Submit { reply, late };
                send_request(parts, body, tlvs, reply, permit, requests);
            }
            Err(err) => {
                let _ = reply.send(Err(err.into()));
            }
        },
        Command::Query { query, reply, permit } => match query.to_body() {
            Ok(body) => send_request(parts, body, Tlvs::new(), Reply::Query(reply), permit, requests),
            Err(err) => {
                let _ = reply.send(Err(err.into()));
            }
        },
        Command::Respond { sequence, status } => {
            if let Err(err) = parts.session.respond(sequence, status) {
                tracing::debug!(bind = %parts.shared.id, %err, "response not sent");
            }
        }
    }
}

/// Hands one application request to the session; a refusal goes back to
/// the caller as "not bound" (nothing was written, another bind may take it).
fn send_request(
    parts: &mut DriverParts,
    body: Body<'_>,
    tlvs: Tlvs<'_>,
    reply: Reply,
    permit: OwnedSemaphorePermit,
    requests: &mut Requests,
) {
    let not_bound = |reply: Reply, id: &BindId| match reply {
        Reply::Submit { reply, .. } => {
            let _ = reply.send(Err(SubmitError::NotBound(id.clone())));
        }
        Reply::Query(reply) => {
            let _ = reply.send(Err(SubmitError::NotBound(id.clone())));
        }
    };
    if !parts.session.can_submit() {
        not_bound(reply, &parts.shared.id);
        return;
    }
    requests.next_tag += 1;
    let tag = requests.next_tag;
    let now = Instant::now();
    match parts.session.submit(body, tlvs, RequestTag(tag), now.into_std()) {
        Ok(_) => {
            if matches!(reply, Reply::Submit { .. }) {
                parts.metrics.submitted(&parts.shared.id);
            }
            requests.in_flight.insert(tag, InFlight { reply, _permit: permit, sent_at: now });
            parts.metrics.set_in_flight(&parts.shared.id, requests.in_flight.len());
        }
        Err(err) => {
            tracing::debug!(bind = %parts.shared.id, %err, "request refused by the session");
            not_bound(reply, &parts.shared.id);
        }
    }
}

fn drain_events(parts: &mut DriverParts, id: &BindId, requests: &mut Requests, end: &mut Option<BindEnd>) {
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
            SessionEvent::TimedOut { tag, awaiting_late, .. } => {
                settle(parts, requests, tag, SubmitOutcome::TimedOut, awaiting_late);
            }
            SessionEvent::LateForgotten { tag } => {
                // Dropping the sender tells the submitter no answer comes.
                requests.late.remove(&tag.0);
            }
            SessionEvent::Abandoned { tag, .. } => {
                settle(parts, requests, tag, SubmitOutcome::Abandoned, false);
            }
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

/// Ends a request that got no response; a timed-out submit the session
/// still watches for keeps its late-answer sender.
fn settle(
    parts: &DriverParts,
    requests: &mut Requests,
    tag: RequestTag,
    outcome: SubmitOutcome,
    awaiting_late: bool,
) {
    let Some(done) = requests.in_flight.remove(&tag.0) else { return };
    parts.metrics.unanswered(&parts.shared.id, &outcome);
    match done.reply {
        Reply::Submit { reply, late } => {
            if awaiting_late {
                requests.late.insert(tag.0, late);
            }
            let _ = reply.send(Ok(outcome));
        }
        Reply::Query(reply) => {
            let outcome = match outcome {
                SubmitOutcome::TimedOut => QueryOutcome::TimedOut,
                _ => QueryOutcome::Abandoned,
            };
            let _ = reply.send(Ok(outcome));
        }
    }
}

/// Every request still waiting was written and never answered; no late
/// answer can come on a closed connection.
fn finish(parts: &DriverParts, requests: Requests) {
    parts.shared.bound.store(false, Ordering::Release);
    parts.metrics.set_bound(&parts.shared.id, false);
    parts.metrics.set_in_flight(&parts.shared.id, 0);
    for (_, done) in requests.in_flight {
        parts.metrics.unanswered(&parts.shared.id, &SubmitOutcome::Abandoned);
        match done.reply {
            Reply::Submit { reply, .. } => {
                let _ = reply.send(Ok(SubmitOutcome::Abandoned));
            }
            Reply::Query(reply) => {
                let _ = reply.send(Ok(QueryOutcome::Abandoned));
            }
        }
    }
}
