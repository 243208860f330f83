//! How the rest of the gateway reaches an open applet session: a cheap
//! [`SessionHandle`] per session (its [`Inbox`]: a bounded command queue
//! and a close request), the local registry [`Sessions`] (ICCID to handle,
//! one session per SIM), and the [`AppletEvent`]s the sessions report.

use super::inbox::Inbox;
use crate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use crate::sim::ids::Iccid;
use crate::sim::secured::ResponseStatus;
use crate::sim::session::SendError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Why a command did not reach the session's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The session has ended (or ends before it took the command).
    #[error("applet session closed")]
    Closed,
    /// The session's command queue is full: keep the command queued.
    #[error("applet session busy")]
    Busy,
    /// The session refused it (not open, queue full, too large, counter
    /// exhausted).
    #[error("applet session refused the command: {0}")]
    Refused(SendError),
}

/// A command on its way to a session's task, in its [`Inbox`] (which
/// allocates room for commands only while some are waiting).
#[derive(Debug)]
pub(crate) struct SendCommand {
    pub(crate) id: CommandId,
    pub(crate) kind: CommandType,
    pub(crate) payload: Vec<u8>,
    pub(crate) reply: oneshot::Sender<Result<(), CommandError>>,
}

/// One open session, as the commands layer holds it.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    /// Unique in this process, so a closing session never removes its
    /// successor from [`Sessions`].
    id: u64,
    iccid: Iccid,
    inbox: Arc<Inbox>,
}

impl SessionHandle {
    pub(crate) fn new(id: u64, iccid: Iccid, inbox: Arc<Inbox>) -> Self {
        Self { id, iccid, inbox }
    }

    /// The SIM this session authenticated as.
    pub fn iccid(&self) -> &Iccid {
        &self.iccid
    }

    /// Whether the session's task has ended.
    pub fn is_closed(&self) -> bool {
        self.inbox.is_closed()
    }

    /// Sends a command; `Ok` once the session sealed and queued it. Its
    /// proof of receipt and result come as [`AppletEvent`]s. Waits at most
    /// for the session's task to take it; never when its queue is full.
    pub async fn send_command(
        &self,
        id: CommandId,
        kind: CommandType,
        payload: Vec<u8>,
    ) -> Result<(), CommandError> {
        let (reply, answer) = oneshot::channel();
        self.inbox.push(SendCommand { id, kind, payload, reply })?;
        answer.await.unwrap_or(Err(CommandError::Closed))
    }

    /// Asks the session to close with `reason` (a close frame, then the
    /// socket); the first reason asked for wins.
    pub fn close(&self, reason: CloseReason) {
        self.inbox.request_close(reason);
    }
}

/// The sessions open on this instance, by ICCID.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<Iccid, SessionHandle>>>,
}

impl Sessions {
    /// The open session of `iccid`, if this instance holds one.
    pub fn get(&self, iccid: &Iccid) -> Option<SessionHandle> {
        self.inner.lock().ok()?.get(iccid).cloned()
    }

    /// How many sessions are open.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers a newly opened session; an older session of the same SIM
    /// is closed as superseded.
    pub(crate) fn insert(&self, handle: SessionHandle) {
        let old = match self.inner.lock() {
            Ok(mut map) => map.insert(handle.iccid.clone(), handle),
            Err(_) => None,
        };
        if let Some(old) = old {
            old.close(CloseReason::Superseded);
        }
    }

    /// Forgets the session `id` of `iccid`, unless a newer one took its
    /// place.
    pub(crate) fn remove(&self, iccid: &Iccid, id: u64) {
        if let Ok(mut map) = self.inner.lock()
            && map.get(iccid).is_some_and(|h| h.id == id)
        {
            map.remove(iccid);
        }
    }
}

/// What the sessions report to the commands layer, in order per session.
#[derive(Debug, Clone)]
pub enum AppletEvent {
    /// A SIM authenticated; queued commands can go to `session`.
    Opened {
        /// The session.
        session: SessionHandle,
        /// The applet's version from its hello.
        applet_version: u16,
    },
    /// The applet acknowledged a command.
    ProofOfReceipt {
        /// The SIM.
        iccid: Iccid,
        /// The command.
        command_id: CommandId,
        /// PoR OK, or why the applet did not process it.
        status: ResponseStatus,
    },
    /// The applet's result of a command (possibly of an earlier session).
    Result {
        /// The SIM.
        iccid: Iccid,
        /// The command.
        command_id: CommandId,
        /// How it went.
        status: ResultStatus,
        /// The answer.
        payload: Vec<u8>,
    },
    /// An open session ended (sessions refused before opening report only
    /// in metrics: they have no identity).
    Closed {
        /// The SIM.
        iccid: Iccid,
        /// Why.
        reason: CloseReason,
        /// Whether the applet said so.
        by_peer: bool,
        /// Commands sent in this session and never answered, oldest first:
        /// queue them again.
        unanswered: Vec<CommandId>,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn iccid() -> Iccid {
        let body = "894400000000004242";
        Iccid::new(&format!("{body}{}", Iccid::check_digit(body).unwrap())).unwrap()
    }

    fn handle(id: u64) -> SessionHandle {
        SessionHandle::new(id, iccid(), Arc::new(Inbox::new(1)))
    }

    #[tokio::test]
    async fn a_newer_session_supersedes_and_an_old_one_never_removes_it() {
        let sessions = Sessions::default();
        let old = handle(1);
        let new = handle(2);
        sessions.insert(old.clone());
        sessions.insert(new.clone());
        assert_eq!(old.inbox.close_requested(), Some(CloseReason::Superseded));
        assert_eq!(new.inbox.close_requested(), None);
        sessions.remove(&iccid(), 1);
        assert_eq!(sessions.get(&iccid()).map(|h| h.id), Some(2), "the old session's end keeps the new one");
        sessions.remove(&iccid(), 2);
        assert!(sessions.is_empty());
    }

    #[tokio::test]
    async fn commands_to_a_full_or_gone_session_fail_at_once() {
        let h = handle(1);
        let kind = || CommandType::new("ping").unwrap();
        // Nobody takes the first one: the queue (capacity 1) is then full.
        let pending = tokio::spawn({
            let h = h.clone();
            async move { h.send_command(CommandId([1; 16]), kind(), Vec::new()).await }
        });
        for _ in 0..100 {
            if h.inbox.len() == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(h.inbox.len(), 1, "the first command waits in the queue");
        assert_eq!(h.send_command(CommandId([2; 16]), kind(), Vec::new()).await, Err(CommandError::Busy));
        drop(h.inbox.shut());
        assert_eq!(pending.await.unwrap(), Err(CommandError::Closed), "dropped unanswered");
        assert!(h.is_closed());
        assert_eq!(h.send_command(CommandId([3; 16]), kind(), Vec::new()).await, Err(CommandError::Closed));
        h.close(CloseReason::Normal);
        h.close(CloseReason::Overloaded);
        assert_eq!(h.inbox.close_requested(), Some(CloseReason::Normal), "the first reason wins");
    }
}
