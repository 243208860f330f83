//! The periodic sweeps of the commands layer that keep the sessions here
//! and their commands moving: the Redis session entries refreshed in
//! pipelines, the inbox other instances write to, the waiting commands of
//! the sessions here, and expiry. (Re-waking SIMs is in `rewake.rs`.)
//!
//! The waiting sweep reads changes, not SIMs: the waiting commands changed
//! after a [`ChangeMark`] (index `state_changes`), at most
//! [`SWEEP_BATCH`] per page and [`SWEEP_PAGES`] pages per sweep, and keeps
//! those whose SIM has a session here. Commands that waited before a
//! session opened are delivered when it opens
//! ([`Dispatcher::deliver_waiting`]); the sweep covers what changed after
//! (a lost notification, a delivery that failed). The mark never passes
//! [`CHANGE_SETTLE`] before the sweep's start, so a change written by an
//! instance whose clock is a little behind, or committed a little late, is
//! still read; the commands within that window are read again by the next
//! sweep, which costs a read (the delivery claim makes it idempotent).

use super::dispatch::Dispatcher;
use crate::events::EventData;
use crate::sim::Iccid;
use crate::sim::applet::CloseReason;
use crate::sim::commands::{ChangeMark, CommandState};
use crate::state::{REFRESH_PIPELINE, Refreshed};
use mongodb::bson::{DateTime, doc};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Most commands one page of a sweep reads.
pub const SWEEP_BATCH: i64 = 256;
/// Most pages the waiting sweep reads in one go, while pages come full.
pub const SWEEP_PAGES: usize = 4;
/// How far behind its start the waiting sweep's mark stays: the clock
/// difference between instances plus a write's time to become visible,
/// with a wide margin.
pub const CHANGE_SETTLE: Duration = Duration::from_secs(5);
/// Notifications taken from the inbox in one go.
const INBOX_TAKE: usize = 64;

/// `now + after` as a document time.
pub(crate) fn future(after: Duration) -> DateTime {
    DateTime::from_system_time(SystemTime::now() + after)
}

/// Where the waiting sweep starts in a new process: the settle window
/// before now (older commands are delivered when their session opens).
pub(crate) fn first_mark() -> Mutex<ChangeMark> {
    let start = SystemTime::now().checked_sub(CHANGE_SETTLE).unwrap_or(SystemTime::UNIX_EPOCH);
    Mutex::new(ChangeMark::from_time(DateTime::from_system_time(start)))
}

/// Where the mark goes after a page read from `after` at `started`: past
/// the page's last command if the page was full (there is more to read),
/// else to the settle horizon; never past the horizon, never back.
pub(crate) fn next_mark(
    after: &ChangeMark,
    last: Option<ChangeMark>,
    full: bool,
    started: SystemTime,
) -> ChangeMark {
    let horizon = started.checked_sub(CHANGE_SETTLE).unwrap_or(SystemTime::UNIX_EPOCH);
    let horizon = ChangeMark::from_time(DateTime::from_system_time(horizon));
    let next = match last {
        Some(last) if full => last.min(horizon),
        _ => horizon,
    };
    next.max(after.clone())
}

impl Dispatcher {
    fn mark(&self) -> ChangeMark {
        match self.changes.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_mark(&self, mark: ChangeMark) {
        match self.changes.lock() {
            Ok(mut m) => *m = mark,
            Err(poisoned) => *poisoned.into_inner() = mark,
        }
    }

    /// Extends the Redis entries of the sessions here, [`REFRESH_PIPELINE`]
    /// per round trip; a SIM whose entry now names another instance has a
    /// newer session there, so the one here is closed as superseded.
    pub async fn refresh_presence(&self) {
        let iccids = self.local_iccids();
        for chunk in iccids.chunks(REFRESH_PIPELINE) {
            let live: Vec<_> = chunk.iter().filter_map(|i| self.session(i).map(|s| (i.clone(), s))).collect();
            if live.is_empty() {
                continue;
            }
            let sims: Vec<Iccid> = live.iter().map(|(i, _)| i.clone()).collect();
            let found = match self.presence.refresh_all(&sims).await {
                Ok(found) => found,
                Err(err) => {
                    self.metrics.error("presence");
                    tracing::warn!(error = %err, "session entries not refreshed");
                    return;
                }
            };
            for ((_, session), outcome) in live.iter().zip(found) {
                match outcome {
                    Refreshed::Refreshed => {}
                    Refreshed::Reclaimed => tracing::debug!("session entry had lapsed; registered again"),
                    Refreshed::HeldBy(holder) => {
                        tracing::info!(%holder, "a newer session of the SIM is on another instance");
                        session.close(CloseReason::Superseded);
                    }
                }
            }
        }
    }

    /// Delivers the waiting commands changed since the last sweep whose SIM
    /// has a session here (covers lost notifications and commands queued
    /// again while a delivery failed).
    pub async fn sweep_waiting(&self) {
        for _ in 0..SWEEP_PAGES {
            let started = SystemTime::now();
            let after = self.mark();
            let page = match self.store.waiting_changed_after(&after, SWEEP_BATCH).await {
                Ok(page) => page,
                Err(err) => {
                    self.metrics.error("store");
                    tracing::warn!(error = %err, "waiting commands not swept");
                    return;
                }
            };
            for command in &page {
                let Ok(iccid) = Iccid::new(&command.iccid) else { continue };
                if let Some(session) = self.session(&iccid) {
                    self.deliver(&session, command).await;
                }
            }
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= SWEEP_BATCH;
            self.set_mark(next_mark(&after, page.last().map(ChangeMark::of), full, started));
            if !full {
                return;
            }
        }
    }

    /// Delivers for the SIMs other instances told this one about.
    pub async fn take_notifications(&self) {
        match self.presence.take_notifications(INBOX_TAKE).await {
            Ok(iccids) => {
                for iccid in iccids {
                    self.deliver_waiting(&iccid).await;
                }
            }
            Err(err) => {
                self.metrics.error("presence");
                tracing::debug!(error = %err, "inbox not read");
            }
        }
    }

    /// Marks commands past their time-to-live `expired`.
    pub async fn expire_due(&self) {
        let due = match self.store.due_to_expire(SWEEP_BATCH).await {
            Ok(d) => d,
            Err(err) => {
                self.metrics.error("store");
                tracing::warn!(error = %err, "expired commands not swept");
                return;
            }
        };
        for command in due {
            match self
                .store
                .transition(
                    &command,
                    &CommandState::OPEN,
                    CommandState::Expired,
                    doc! {},
                    None,
                    Some("time-to-live over"),
                )
                .await
            {
                Ok(true) => {
                    self.metrics.entered(CommandState::Expired);
                    self.publish_state(&command, EventData::SimCommandExpired).await;
                }
                Ok(false) => {}
                Err(err) => {
                    self.metrics.error("store");
                    tracing::warn!(error = %err, "command not expired");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(ms: i64) -> DateTime {
        DateTime::from_millis(ms)
    }

    fn mark(ms: i64, id: &str) -> ChangeMark {
        ChangeMark { at: at(ms), id: id.to_owned() }
    }

    #[test]
    fn the_mark_follows_full_pages_and_stops_at_the_settle_horizon() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let horizon = 95_000;
        let from = mark(10_000, "a");
        // A full page ending before the horizon: continue after its last.
        assert_eq!(next_mark(&from, Some(mark(20_000, "k")), true, started), mark(20_000, "k"));
        // A full page reaching past the horizon: stop at the horizon, so
        // what lies after it is read again.
        assert_eq!(next_mark(&from, Some(mark(99_000, "z")), true, started), mark(horizon, ""));
        // The end of the changes: the horizon.
        assert_eq!(next_mark(&from, Some(mark(20_000, "k")), false, started), mark(horizon, ""));
        assert_eq!(next_mark(&from, None, false, started), mark(horizon, ""));
        // Never back.
        let ahead = mark(97_000, "q");
        assert_eq!(next_mark(&ahead, None, false, started), ahead);
        // Same time, ordered by id.
        assert!(mark(5, "b") > mark(5, "a") && mark(5, "a") > mark(5, ""));
    }
}
