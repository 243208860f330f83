//! The re-wake sweep: a wake-up SMS is only a nudge and may be lost, or
//! refused because the SIM was woken moments before (for another command,
//! or by another instance). A command still waiting (`queued` or `woken`)
//! whose `wake_due_at` has passed (a `sim.rewake_interval` after its
//! acceptance or its latest wake-up attempt) has its SIM woken again, if
//! its SIM has no session anywhere, until it has had `sim.max_wakes`
//! wake-ups (index `state_wake_due`, at most [`REWAKE_BATCH`] per sweep).
//! A waiting command stored without `wake_due_at` (before the field
//! existed) is due at once (`CommandStore::due_for_wake`).
//!
//! Every instance runs the sweep; the wake-up limit in Redis
//! (`state::WakeLimits`, one wake-up per SIM per `sim.wake_min_interval`)
//! lets exactly one of them send the SMS, the others are refused as
//! recently woken and look again an interval later. One wake-up counts for
//! every due command of its SIM in the batch.

use super::dispatch::Dispatcher;
use super::metrics::WakeTrigger;
use super::sweeps::future;
use crate::sim::Iccid;
use crate::sim::commands::CommandDocument;
use std::time::Duration;

/// Most due commands one re-wake sweep reads.
pub const REWAKE_BATCH: i64 = 64;

/// When SIMs are woken again (`[sim]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakePolicy {
    /// `sim.rewake_interval`: from a command's acceptance or its latest
    /// wake-up attempt to the next.
    pub rewake_interval: Duration,
    /// `sim.max_wakes`: most wake-ups per command, the first included.
    pub max_wakes: u32,
}

impl WakePolicy {
    /// How often the sweep looks: a quarter of the interval, within
    /// 250 ms and 15 s.
    pub fn sweep_period(&self) -> Duration {
        (self.rewake_interval / 4).clamp(Duration::from_millis(250), Duration::from_secs(15))
    }
}

/// `commands` grouped by SIM, in the order their SIMs first appear.
fn by_sim(commands: Vec<CommandDocument>) -> Vec<(Iccid, Vec<CommandDocument>)> {
    let mut sims: Vec<(Iccid, Vec<CommandDocument>)> = Vec::new();
    for command in commands {
        let Ok(iccid) = Iccid::new(&command.iccid) else { continue };
        match sims.iter_mut().find(|(i, _)| *i == iccid) {
            Some((_, list)) => list.push(command),
            None => sims.push((iccid, vec![command])),
        }
    }
    sims
}

impl Dispatcher {
    /// Wakes the SIMs of due commands again (see the module doc).
    pub async fn rewake_due(&self) {
        let due = match self.store.due_for_wake(self.wakes.max_wakes, REWAKE_BATCH).await {
            Ok(due) => due,
            Err(err) => {
                self.metrics.error("store");
                tracing::warn!(error = %err, "commands due for a wake-up not read");
                return;
            }
        };
        for (iccid, commands) in by_sim(due) {
            if self.session(&iccid).is_some() {
                self.deliver_waiting(&iccid).await;
                continue;
            }
            match self.presence.holder(&iccid).await {
                Ok(Some(holder)) if holder != self.presence.instance() => {
                    // The session is elsewhere: remind its holder.
                    if let Err(err) = self.presence.notify(&holder, &iccid).await {
                        self.metrics.error("presence");
                        tracing::debug!(error = %err, %holder, "holder of the session not reminded");
                    }
                    self.postpone(&commands).await;
                    continue;
                }
                Ok(_) => {}
                Err(err) => {
                    self.metrics.error("presence");
                    tracing::warn!(error = %err, "session registry unreadable; no re-wake this time");
                    return;
                }
            }
            let first = commands.first().map(|c| c.id.as_str()).unwrap_or_default();
            match self.send_wake(&iccid, first, WakeTrigger::Sweep).await {
                Some(sent) => {
                    for command in &commands {
                        self.record_wake(command, &sent).await;
                    }
                }
                None => self.postpone(&commands).await,
            }
        }
    }

    /// The next wake-up attempt for `commands` a `sim.rewake_interval`
    /// from now.
    async fn postpone(&self, commands: &[CommandDocument]) {
        let due = future(self.wakes.rewake_interval);
        for command in commands {
            if let Err(err) = self.store.postpone_wake(command, due).await {
                self.metrics.error("store");
                tracing::warn!(error = %err, command_id = %command.id, "next wake-up not postponed");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_period_follows_the_interval_within_bounds() {
        let policy = |secs| WakePolicy { rewake_interval: Duration::from_secs(secs), max_wakes: 3 };
        assert_eq!(policy(1).sweep_period(), Duration::from_millis(250));
        assert_eq!(policy(20).sweep_period(), Duration::from_secs(5));
        assert_eq!(policy(3600).sweep_period(), Duration::from_secs(15));
    }
}
