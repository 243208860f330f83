//! One load session: a thin tokio driver around the sans-IO
//! [`EsmeSession`] (shared/STYLE.md rule 1), which binds, rewrites sequence
//! numbers (every replayed request gets the session's next one), keeps the
//! window and the response deadlines, answers enquire_link and unbinds.
//!
//! The bind engine's [`crate::sms::bind`] handle takes composed MT parts
//! and hands receipts to the inbound pipeline, so it cannot replay an
//! arbitrary fixture or report raw responses; this driver gives the session
//! the fixture's own body and TLVs instead.

use super::feed::{Feed, next_job};
use super::receipts::{ReceiptBook, lock as lock_book};
use crate::load::fixtures::Fixture;
use crate::load::stats::{Recorder, lock};
use crate::load::{Destinations, LoadError};
use crate::smpp::frame::{DEFAULT_MAX_PDU_LEN, next_frame};
use crate::smpp::pdu::{Address, Body, CommandStatus, LongAddress, Pdu, decode};
use crate::smpp::receipt::{CarriedReceipt, MessageId};
use crate::smpp::session::{EsmeSession, Inbound, RequestTag, SessionConfig, SessionEvent, SessionState};
use bytes::BytesMut;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, watch};

/// How long a session waits for unbind_resp when the run ends.
pub const UNBIND_WAIT: Duration = Duration::from_secs(2);

/// One request to send: which fixture, its run-wide index (the tag) and
/// when it was due; the permit, open loop, holds its scheduler slot.
#[derive(Debug)]
pub struct Job {
    /// Run-wide index: the tag and the destination's index.
    pub index: u64,
    /// Which fixture.
    pub fixture: usize,
    /// When it was due (open loop) or handed out (closed loop).
    pub due: Instant,
    /// Open loop: released when the answer (or timeout) is in, so the
    /// scheduler sees the slot free. Closed loop: none, the session keeps
    /// its own window.
    pub permit: Option<OwnedSemaphorePermit>,
}

/// Requests outstanding on one session: tag -> (due, scheduler slot).
type InFlight = HashMap<u64, (Instant, Option<OwnedSemaphorePermit>)>;

/// What every session of a run shares.
#[derive(Debug)]
pub struct RunShared {
    /// Responses and latency.
    pub rec: Mutex<Recorder>,
    /// Receipts.
    pub book: Mutex<ReceiptBook>,
    /// The PDUs to replay.
    pub fixtures: Vec<Fixture>,
    /// destination_addr templating, when asked for.
    pub destinations: Option<Destinations>,
    /// Whether any session of the run can receive a receipt (a receiver
    /// or transceiver bind); if none can, the message ids of the
    /// responses are not indexed.
    pub track_receipts: bool,
}

impl RunShared {
    /// Which fixture request `index` replays: in turn.
    pub fn fixture_of(&self, index: u64) -> usize {
        let n = self.fixtures.len().max(1) as u64;
        usize::try_from(index % n).unwrap_or(0)
    }
}

/// A bound session, ready to run.
#[derive(Debug)]
pub struct BoundSession {
    session: EsmeSession,
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    buf: BytesMut,
}

fn protocol(target: &str, problem: impl Into<String>) -> LoadError {
    LoadError::Protocol { target: target.to_owned(), problem: problem.into() }
}

/// Connects to `target` and binds; the bind refusal names its status.
pub async fn bind(target: &str, config: SessionConfig, within: Duration) -> Result<BoundSession, LoadError> {
    let connect_err = |source| LoadError::Connect { target: target.to_owned(), source };
    let stream = tokio::time::timeout(within, TcpStream::connect(target))
        .await
        .map_err(|_| connect_err(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")))?
        .map_err(connect_err)?;
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut s = BoundSession {
        session: EsmeSession::new(config, Instant::now()),
        read,
        write,
        buf: BytesMut::with_capacity(16 * 1024),
    };
    s.session.bind(Instant::now()).map_err(|e| LoadError::Usage(format!("bind settings: {e}")))?;
    loop {
        s.flush().await.map_err(|e| protocol(target, format!("write: {e}")))?;
        while let Some(event) = s.session.poll_event() {
            match event {
                SessionEvent::Bound { .. } => return Ok(s),
                SessionEvent::BindRefused { status } => {
                    return Err(LoadError::BindRefused {
                        target: target.to_owned(),
                        status: format!("{status} (0x{:08X})", status.0),
                    });
                }
                SessionEvent::BindTimedOut => return Err(protocol(target, "no answer to the bind")),
                SessionEvent::Closed { .. } | SessionEvent::LinkDead => {
                    return Err(protocol(target, "the session closed while binding"));
                }
                _ => {}
            }
        }
        let deadline = s.session.poll_timeout().unwrap_or_else(|| Instant::now() + within);
        tokio::select! {
            read = s.read.read_buf(&mut s.buf) => match read {
                Ok(0) => return Err(protocol(target, "connection closed while binding")),
                Ok(_) => {
                    while let Some(n) = next_frame(&s.buf, DEFAULT_MAX_PDU_LEN)
                        .map_err(|e| protocol(target, e.to_string()))?
                    {
                        let frame = s.buf.split_to(n);
                        let _ = s.session.handle_frame(&frame, Instant::now());
                    }
                }
                Err(e) => return Err(protocol(target, format!("read: {e}"))),
            },
            () = tokio::time::sleep_until(deadline.into()) => s.session.handle_timeout(Instant::now()),
        }
    }
}

impl BoundSession {
    async fn flush(&mut self) -> std::io::Result<()> {
        while let Some(bytes) = self.session.take_outgoing() {
            self.write.write_all(&bytes).await?;
        }
        Ok(())
    }

    /// Runs until the peer closes or, after `stop`, the unbind completes.
    /// Requests come from `feed`: jobs handed out by the open-loop
    /// scheduler, or, closed loop, indices the session claims itself
    /// whenever its window has room (no task hop between a response and
    /// the next request).
    pub async fn run(
        mut self,
        target: String,
        feed: Feed,
        mut stop: watch::Receiver<bool>,
        shared: Arc<RunShared>,
    ) {
        let mut in_flight: InFlight = HashMap::new();
        let (mut jobs, slots, claim, mut done) = match feed {
            Feed::Jobs { jobs, slots } => (Some(jobs), Some(slots), None, None),
            Feed::Claim { claim, done } => (None, None, Some(claim), Some(done)),
            Feed::Listen => (None, None, None, None),
        };
        let mut unbind_by: Option<Instant> = None;
        // One timer for the whole session, re-armed only when the next
        // deadline moves earlier or it fired: most submits move the
        // response deadline later, and a timer that fires early costs one
        // handle_timeout that finds nothing due.
        let timer = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(timer);
        let mut armed = timer.deadline().into_std();
        let mut fired = false;
        loop {
            if let (Some(claim), true) = (&claim, unbind_by.is_none()) {
                while self.session.can_submit() {
                    let now = Instant::now();
                    let Some(index) = claim.next(now) else { break };
                    let job = Job { index, fixture: shared.fixture_of(index), due: now, permit: None };
                    if !self.submit(job, &mut in_flight, &shared) {
                        // Try the next one after the next event, not in a
                        // tight loop.
                        break;
                    }
                }
                if in_flight.is_empty() && claim.exhausted() {
                    // Everything this session sent is answered.
                    done = None;
                }
            }
            if let Err(err) = self.flush().await {
                tracing::debug!(%target, %err, "load session write failed");
                break;
            }
            if self.events(&mut in_flight, &shared) || self.session.state() == SessionState::Closed {
                break;
            }
            let now = Instant::now();
            if unbind_by.is_some_and(|t| now >= t) {
                break;
            }
            let deadline = [self.session.poll_timeout(), unbind_by]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(|| now + Duration::from_secs(1));
            if fired || deadline < armed {
                timer.as_mut().reset(deadline.into());
                armed = deadline;
                fired = false;
            }
            let can_take = jobs.is_some() && unbind_by.is_none() && self.session.can_submit();
            tokio::select! {
                read = self.read.read_buf(&mut self.buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if !self.frames(&mut in_flight, &shared) {
                            break;
                        }
                    }
                },
                job = next_job(&mut jobs), if can_take => match job {
                    Some(job) => {
                        let _ = self.submit(job, &mut in_flight, &shared);
                    }
                    None => jobs = None,
                },
                changed = stop.changed(), if unbind_by.is_none() => {
                    let _ = changed;
                    unbind_by = Some(Instant::now() + UNBIND_WAIT);
                    if self.session.unbind(Instant::now()).is_err() {
                        break;
                    }
                },
                () = &mut timer => {
                    fired = true;
                    self.session.handle_timeout(Instant::now());
                }
            }
        }
        if let Some(slots) = slots {
            slots.close();
        }
        drop(done);
        let now = Instant::now();
        let mut rec = lock(&shared.rec);
        for _ in in_flight.drain() {
            rec.answered(now, "abandoned", false, None);
        }
    }

    /// Acts on session events; true when the session is over.
    fn events(&mut self, in_flight: &mut InFlight, shared: &RunShared) -> bool {
        let mut over = false;
        while let Some(event) = self.session.poll_event() {
            match event {
                SessionEvent::TimedOut { tag, .. } => {
                    if in_flight.remove(&tag.0).is_some() {
                        lock(&shared.rec).answered(Instant::now(), "timeout", false, None);
                    }
                }
                SessionEvent::Abandoned { tag, .. } => {
                    if in_flight.remove(&tag.0).is_some() {
                        lock(&shared.rec).answered(Instant::now(), "abandoned", false, None);
                    }
                }
                SessionEvent::Closed { .. } | SessionEvent::LinkDead => over = true,
                other => tracing::debug!(?other, "load session event"),
            }
        }
        over
    }

    /// Handles the whole frames read; false on a stream that cannot be
    /// framed any more.
    fn frames(&mut self, in_flight: &mut InFlight, shared: &RunShared) -> bool {
        loop {
            let n = match next_frame(&self.buf, DEFAULT_MAX_PDU_LEN) {
                Ok(Some(n)) => n,
                Ok(None) => return true,
                Err(err) => {
                    tracing::warn!(%err, "load session: target sent an unframeable stream");
                    return false;
                }
            };
            let frame = self.buf.split_to(n);
            let now = Instant::now();
            match self.session.handle_frame(&frame, now) {
                Some(Inbound::Response { tag, pdu, .. }) => {
                    let Some((due, permit)) = in_flight.remove(&tag.0) else { continue };
                    drop(permit);
                    let status = pdu.command_status;
                    lock(&shared.rec).answered(now, &status_name(status), status.is_ok(), Some(now - due));
                    if shared.track_receipts
                        && status.is_ok()
                        && let Some(id) = response_id(&pdu)
                    {
                        lock_book(&shared.book).submitted(&id, now);
                    }
                }
                Some(Inbound::Request(pdu)) => {
                    let sequence = pdu.sequence_number;
                    let is_message = matches!(pdu.body, Body::DeliverSm(_) | Body::DataSm(_));
                    if is_message {
                        let mut book = lock_book(&shared.book);
                        match CarriedReceipt::of(&pdu).map(|r| r.parse()) {
                            Some(Ok(receipt)) => book.receipt(&receipt.message_id, now),
                            Some(Err(_)) => {
                                book.received += 1;
                                book.unparsed += 1;
                            }
                            None => book.mo += 1,
                        }
                        drop(book);
                        let _ = self.session.respond(sequence, CommandStatus::ESME_ROK);
                    }
                }
                None => {}
            }
        }
    }

    /// Sends one request; false when it could not be sent (counted as
    /// `not_sent`).
    fn submit(&mut self, job: Job, in_flight: &mut InFlight, shared: &RunShared) -> bool {
        let now = Instant::now();
        let Some(fixture) = shared.fixtures.get(job.fixture) else { return false };
        let destination = shared.destinations.as_ref().map(|d| d.get(job.index));
        let result = decode(&fixture.octets).map_err(|e| e.to_string()).and_then(|mut pdu| {
            if let Some(dest) = &destination {
                template(&mut pdu, dest)?;
            }
            self.session.submit(pdu.body, pdu.tlvs, RequestTag(job.index), now).map_err(|e| e.to_string())
        });
        let mut rec = lock(&shared.rec);
        rec.sent(now);
        match result {
            Ok(_) => {
                in_flight.insert(job.index, (job.due, job.permit));
                true
            }
            Err(problem) => {
                tracing::debug!(origin = %fixture.origin, %problem, "fixture not sent");
                rec.answered(now, "not_sent", false, None);
                false
            }
        }
    }
}

/// Puts `dest` in destination_addr of a submit_sm or data_sm.
fn template<'a>(pdu: &mut Pdu<'a>, dest: &'a str) -> Result<(), String> {
    match &mut pdu.body {
        Body::SubmitSm(b) => b.destination_addr = Address::new(dest.as_bytes()).map_err(|e| e.to_string())?,
        Body::DataSm(b) => {
            b.destination_addr = LongAddress::new(dest.as_bytes()).map_err(|e| e.to_string())?
        }
        _ => {}
    }
    Ok(())
}

/// The SMSC's message id in submit_sm_resp or data_sm_resp.
fn response_id(pdu: &Pdu<'_>) -> Option<MessageId> {
    let raw = match &pdu.body {
        Body::SubmitSmResp(b) => b.message_id.as_bytes(),
        Body::DataSmResp(b) => b.message_id.as_bytes(),
        _ => return None,
    };
    MessageId::from_c_octets(raw).ok()
}

/// The name a command_status is counted under (no allocation for the
/// statuses v3.4 5.1.3 names).
pub fn status_name(status: CommandStatus) -> Cow<'static, str> {
    match status.name() {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(status.to_string()),
    }
}
