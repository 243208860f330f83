//! [`BindHandle`]: the cheap, cloneable side of one bind that the rest of
//! simgate talks to, and what a submit comes back with. The connection
//! itself belongs to the driver task ([`super::driver`]), which owns the
//! socket, the sans-IO session, the `tag -> reply` map and the timers
//! (shared/STYLE.md rule 6).
//!
//! A submit whose response timed out may still be answered late, within
//! the account's `late_response_window`: [`BindHandle::submit_watching`]
//! returns a [`LateWait`] with the timeout that yields that
//! [`LateAnswer`]. query_sm goes through [`BindHandle::query`].

use super::request::{MtPart, PartError, QuerySmRequest};
use crate::smpp::pdu::CommandStatus;
use crate::smpp::receipt::MessageState;
use bytes::Bytes;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Which bind: the account's name and the lease slot it holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindId {
    /// The account's name in the settings.
    pub account: Arc<str>,
    /// The slot leased for it, `0..max_binds`.
    pub slot: u32,
}

impl fmt::Display for BindId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.slot)
    }
}

/// How a submitted part ended on this bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// The SMSC answered. With ESME_ROK `message_id` is the SMSC's id.
    Answered {
        /// The response's command_status.
        status: CommandStatus,
        /// message_id of submit_sm_resp, when it had one.
        message_id: Option<String>,
    },
    /// No response within the response timeout: the SMSC may have taken
    /// it. Never resend blindly; a receipt or query_sm settles it.
    TimedOut,
    /// The bind closed (dropped connection, unbind) with the part written
    /// and unanswered.
    Abandoned,
}

/// A submit_sm_resp that came after its submit timed out
/// ([`SubmitOutcome::TimedOut`]), matched by its sequence number within
/// the late-response window (SMPP v3.4 2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateAnswer {
    /// The response's command_status.
    pub status: CommandStatus,
    /// message_id of the submit_sm_resp, when it had one.
    pub message_id: Option<String>,
}

/// The late answer of one timed-out submit, if it comes.
#[derive(Debug)]
pub struct LateWait(pub(crate) oneshot::Receiver<LateAnswer>);

impl LateWait {
    /// Resolves with the late answer, or `None` once none can come any
    /// more (the window closed, the bind ended, late matching is off).
    pub async fn answer(self) -> Option<LateAnswer> {
        self.0.await.ok()
    }
}

/// How a query_sm (SMPP v3.4 4.8) ended on this bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// The SMSC answered query_sm_resp (or generic_nack).
    Answered {
        /// The response's command_status; ESME_RQUERYFAIL when the SMSC
        /// does not know the message.
        status: CommandStatus,
        /// message_state (v3.4 5.2.28), when the response had a known one.
        state: Option<MessageState>,
        /// error_code (v3.4 5.2.31), 0 when none.
        error_code: u8,
    },
    /// No response within the response timeout.
    TimedOut,
    /// The bind closed with the query unanswered.
    Abandoned,
}

/// Why a part was not sent on this bind. Nothing reached the SMSC, so
/// another bind may take it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The bind is not bound (yet, or any more).
    #[error("bind {0} is not bound")]
    NotBound(BindId),
    /// The part breaks a limit of the specification; no bind will take it.
    #[error(transparent)]
    Invalid(#[from] PartError),
}

/// What the driver is asked to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send a part; the window permit travels with it and is released when
    /// the outcome is known.
    Submit {
        part: Box<MtPart>,
        reply: oneshot::Sender<Result<SubmitOutcome, SubmitError>>,
        permit: OwnedSemaphorePermit,
        /// Gets the response should it come after the timeout.
        late: oneshot::Sender<LateAnswer>,
    },
    /// Send a query_sm; the window permit as for a submit.
    Query {
        query: Box<QuerySmRequest>,
        reply: oneshot::Sender<Result<QueryOutcome, SubmitError>>,
        permit: OwnedSemaphorePermit,
    },
    /// Answer the SMSC's deliver_sm or data_sm `sequence`.
    Respond { sequence: u32, status: CommandStatus },
}

/// State the driver shares with its handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) id: BindId,
    /// True between bind_resp and the first sign of the end.
    pub(crate) bound: AtomicBool,
    /// One permit per window slot (SMPP v3.4 2.6: outstanding requests).
    pub(crate) window: Arc<Semaphore>,
    pub(crate) window_size: usize,
    pub(crate) can_transmit: bool,
}

/// The application's side of one bind.
#[derive(Debug, Clone)]
pub struct BindHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::Sender<Command>,
}

impl BindHandle {
    /// Which bind this is.
    pub fn id(&self) -> &BindId {
        &self.shared.id
    }

    /// True while bound.
    pub fn is_bound(&self) -> bool {
        self.shared.bound.load(Ordering::Acquire) && !self.commands.is_closed()
    }

    /// Whether this bind may send submit_sm (transmitter or transceiver).
    pub fn can_transmit(&self) -> bool {
        self.shared.can_transmit
    }

    /// Requests outstanding now.
    pub fn in_flight(&self) -> usize {
        self.shared.window_size.saturating_sub(self.shared.window.available_permits())
    }

    /// Sends `part` once a window slot is free and waits for its outcome.
    pub async fn submit(&self, part: MtPart) -> Result<SubmitOutcome, SubmitError> {
        self.submit_watching(part).await.map(|(outcome, _)| outcome)
    }

    /// As [`BindHandle::submit`]; with [`SubmitOutcome::TimedOut`] also
    /// the wait for a late submit_sm_resp.
    pub async fn submit_watching(
        &self,
        part: MtPart,
    ) -> Result<(SubmitOutcome, Option<LateWait>), SubmitError> {
        part.to_body()?;
        let permit = self.permit().await?;
        let (reply, outcome) = oneshot::channel();
        let (late, late_rx) = oneshot::channel();
        self.send(Command::Submit { part: Box::new(part), reply, permit, late }).await?;
        // A dropped reply means the driver ended before writing the part.
        let outcome = outcome.await.map_err(|_| self.not_bound())??;
        let late = matches!(outcome, SubmitOutcome::TimedOut).then_some(LateWait(late_rx));
        Ok((outcome, late))
    }

    /// Sends a query_sm (SMPP v3.4 4.8.1) once a window slot is free and
    /// waits for its outcome.
    pub async fn query(&self, query: QuerySmRequest) -> Result<QueryOutcome, SubmitError> {
        query.to_body()?;
        let permit = self.permit().await?;
        let (reply, outcome) = oneshot::channel();
        self.send(Command::Query { query: Box::new(query), reply, permit }).await?;
        outcome.await.map_err(|_| self.not_bound())?
    }

    fn not_bound(&self) -> SubmitError {
        SubmitError::NotBound(self.shared.id.clone())
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, SubmitError> {
        let permit = self.shared.window.clone().acquire_owned().await.map_err(|_| self.not_bound())?;
        if !self.is_bound() {
            return Err(self.not_bound());
        }
        Ok(permit)
    }

    async fn send(&self, command: Command) -> Result<(), SubmitError> {
        self.commands.send(command).await.map_err(|_| self.not_bound())
    }
}

/// A deliver_sm or data_sm from the SMSC, to be answered once its content
/// is safe (SMPP v3.4 4.6.2: the SMSC resends what is not acknowledged).
#[derive(Debug)]
pub struct InboundRequest {
    /// The bind it arrived on.
    pub bind: BindId,
    /// The whole PDU as received; decode it with [`crate::smpp::pdu::decode`].
    pub frame: Bytes,
    /// Answers it on the bind it came from.
    pub responder: Responder,
}

/// Answers one SMSC request on its own bind.
#[derive(Debug)]
pub struct Responder {
    pub(crate) sequence: u32,
    pub(crate) commands: mpsc::Sender<Command>,
}

impl Responder {
    /// Sends the response with `status`. `false` when the bind has closed
    /// meanwhile: the SMSC will deliver the PDU again.
    pub async fn respond(self, status: CommandStatus) -> bool {
        self.commands.send(Command::Respond { sequence: self.sequence, status }).await.is_ok()
    }
}
