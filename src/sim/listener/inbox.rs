//! What a session's task is asked to do from outside: the commands its
//! [`super::SessionHandle`]s send (a bounded queue) and a request to close
//! with a reason. It is the one allocation a session shares with its
//! handles, and it holds no buffer while the session is idle: the queue
//! takes memory only while commands wait in it (docs/benchmarks.md,
//! "Applet endpoint").

use super::handle::{CommandError, SendCommand};
use crate::sim::applet::CloseReason;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use tokio::sync::Notify;

/// The inbox of one session, shared (`Arc`) by its task and its handles.
#[derive(Debug)]
pub(crate) struct Inbox {
    queue: Mutex<Queue>,
    /// Woken on every command queued and on the close request; a wake-up
    /// with nobody waiting is kept for the next wait (`notify_one`).
    wake: Notify,
    /// The first close reason asked for.
    close: OnceLock<CloseReason>,
}

#[derive(Debug)]
struct Queue {
    /// Commands not yet taken by the task, oldest first, at most
    /// `capacity`; released to no allocation whenever it runs empty.
    commands: VecDeque<SendCommand>,
    capacity: usize,
    /// Set once the task stops taking commands (or is gone).
    closed: bool,
}

/// What the task's wait returned.
#[derive(Debug)]
pub(crate) enum Wake {
    /// A handle asked the session to close.
    Close(CloseReason),
    /// The oldest queued command.
    Command(SendCommand),
}

impl Inbox {
    /// An open inbox taking at most `capacity` commands (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let queue = Queue { commands: VecDeque::new(), capacity: capacity.max(1), closed: false };
        Self { queue: Mutex::new(queue), wake: Notify::new(), close: OnceLock::new() }
    }

    /// A panic while the lock was held cannot leave the queue half
    /// changed (every change is one `VecDeque` call), so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `command` for the task; never waits.
    pub(crate) fn push(&self, command: SendCommand) -> Result<(), CommandError> {
        {
            let mut queue = self.lock();
            if queue.closed {
                return Err(CommandError::Closed);
            }
            if queue.commands.len() >= queue.capacity {
                return Err(CommandError::Busy);
            }
            queue.commands.push_back(command);
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the task to close with `reason`; the first reason wins.
    pub(crate) fn request_close(&self, reason: CloseReason) {
        let _ = self.close.set(reason);
        self.wake.notify_one();
    }

    /// The close reason asked for, if any.
    pub(crate) fn close_requested(&self) -> Option<CloseReason> {
        self.close.get().copied()
    }

    /// Whether the task has stopped taking commands.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Commands waiting (for tests and the queue bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().commands.len()
    }

    fn pop(&self) -> Option<SendCommand> {
        let mut queue = self.lock();
        let command = queue.commands.pop_front();
        if queue.commands.is_empty() && queue.commands.capacity() > 0 {
            queue.commands = VecDeque::new();
        }
        command
    }

    /// Waits for the next thing to do: the close request first (unless
    /// the task is `closing` already), then the oldest command. The queue
    /// is looked at before every wait, so nothing pushed is missed; the
    /// future can be dropped at any point without losing a command.
    pub(crate) async fn next(&self, closing: bool) -> Wake {
        loop {
            if !closing && let Some(reason) = self.close_requested() {
                return Wake::Close(reason);
            }
            if let Some(command) = self.pop() {
                return Wake::Command(command);
            }
            self.wake.notified().await;
        }
    }

    /// Stops taking commands and gives back those still queued, so the
    /// task answers them (dropping one answers its sender `Closed`).
    pub(crate) fn shut(&self) -> VecDeque<SendCommand> {
        let mut queue = self.lock();
        queue.closed = true;
        std::mem::take(&mut queue.commands)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sim::applet::{CommandId, CommandType};
    use std::time::Duration;
    use tokio::sync::oneshot;

    fn command(n: u8) -> (SendCommand, oneshot::Receiver<Result<(), CommandError>>) {
        let (reply, answer) = oneshot::channel();
        let kind = CommandType::new("ping").unwrap();
        (SendCommand { id: CommandId([n; 16]), kind, payload: vec![n], reply }, answer)
    }

    #[tokio::test]
    async fn bounded_in_order_and_released_when_drained() {
        let inbox = Inbox::new(2);
        let (a, _ra) = command(1);
        let (b, _rb) = command(2);
        let (c, _rc) = command(3);
        inbox.push(a).unwrap();
        inbox.push(b).unwrap();
        assert_eq!(inbox.push(c).err(), Some(CommandError::Busy), "the bound holds");
        for n in [1, 2] {
            let Wake::Command(got) = inbox.next(false).await else { panic!("a command") };
            assert_eq!(got.id, CommandId([n; 16]), "oldest first");
        }
        assert_eq!(inbox.lock().commands.capacity(), 0, "an empty queue holds no allocation");
        let waiting = tokio::time::timeout(Duration::from_millis(20), inbox.next(false)).await;
        assert!(waiting.is_err(), "nothing to do: the wait goes on");
    }

    #[tokio::test]
    async fn a_wait_wakes_on_a_push_and_on_a_close_request() {
        let inbox = std::sync::Arc::new(Inbox::new(4));
        let waiter = tokio::spawn({
            let inbox = inbox.clone();
            async move { inbox.next(false).await }
        });
        tokio::task::yield_now().await;
        let (a, _ra) = command(7);
        inbox.push(a).unwrap();
        let woke = tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
        assert!(matches!(woke, Wake::Command(c) if c.id == CommandId([7; 16])));

        inbox.request_close(CloseReason::Superseded);
        inbox.request_close(CloseReason::Normal);
        assert!(matches!(inbox.next(false).await, Wake::Close(CloseReason::Superseded)), "first reason wins");
        let (b, _rb) = command(8);
        inbox.push(b).unwrap();
        assert!(
            matches!(inbox.next(true).await, Wake::Command(_)),
            "once closing, only commands are handed out"
        );
    }

    #[tokio::test]
    async fn a_shut_inbox_refuses_and_hands_back_what_waited() {
        let inbox = Inbox::new(4);
        let (a, answer) = command(1);
        inbox.push(a).unwrap();
        assert!(!inbox.is_closed());
        let left = inbox.shut();
        assert!(inbox.is_closed());
        assert_eq!(left.len(), 1);
        assert_eq!(inbox.len(), 0);
        let (b, _rb) = command(2);
        assert_eq!(inbox.push(b).err(), Some(CommandError::Closed));
        drop(left);
        assert!(answer.await.is_err(), "a command dropped unanswered tells its sender");
    }
}
