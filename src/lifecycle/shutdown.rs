//! The one shutdown order (shared/STYLE.md rule 8): a signal arrives, the
//! instance reports not-ready and keeps serving for the drain delay so load
//! balancers move away, then listeners stop accepting, tasks are told to
//! finish (a [`CancellationToken`]), in-flight work drains within the grace
//! period, and the process exits.

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Tells long-lived tasks to finish, and waits for them.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Shutdown {
    /// A fresh shutdown handle with no tasks.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token tasks watch; cancelled when draining starts.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// True once draining has started.
    pub fn is_draining(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Spawns a task that shutdown waits for. The task must end soon after
    /// [`Shutdown::token`] is cancelled.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Cancels the token and waits until every spawned task has ended or
    /// `deadline` passes. Returns the number of tasks still running at the
    /// deadline (0 on a clean drain).
    pub async fn drain(&self, deadline: Instant) -> usize {
        self.token.cancel();
        self.tracker.close();
        if tokio::time::timeout_at(deadline, self.tracker.wait()).await.is_ok() {
            0
        } else {
            self.tracker.len()
        }
    }
}

/// The shutdown signals, SIGTERM and SIGINT, caught from the moment
/// [`Signals::install`] returns.
#[derive(Debug)]
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers; from now on these signals no longer kill the
    /// process.
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
    }

    /// Waits for the next signal and returns its name.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// The time left until `deadline`, zero when passed.
pub fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn drain_waits_for_tasks_that_honour_the_token() {
        let shutdown = Shutdown::new();
        let token = shutdown.token();
        shutdown.spawn(async move {
            token.cancelled().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
        let started = Instant::now();
        let left = shutdown.drain(Instant::now() + Duration::from_secs(10)).await;
        assert_eq!(left, 0);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn drain_gives_up_at_the_deadline() {
        let shutdown = Shutdown::new();
        shutdown.spawn(async { tokio::time::sleep(Duration::from_secs(3600)).await });
        let started = Instant::now();
        let left = shutdown.drain(Instant::now() + Duration::from_secs(5)).await;
        assert_eq!(left, 1);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }
}
