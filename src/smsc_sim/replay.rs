//! `simgate smsc-sim --replay DIR`: the simulator sends deliver_sm and
//! data_sm PDUs read from fixtures (the formats of
//! [`crate::load::fixtures`]) to the bound receivers at a fixed rate, so a
//! gateway's receive path can be loaded with captured MO and receipt
//! traffic. Each PDU goes out as read except its sequence number, written
//! when it is sent (v3.4 5.1.4); the deliver_sm window, retries on
//! temporary errors and routing are those of receipts and MO
//! ([`super::outbound`], [`super::scheduler`]). Responses are counted by
//! command_status.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::SmscSim;
use super::connection::now;
use super::deliver::{DeliveryJob, JobKind};
use super::random::Dice;
use super::state::lock;
use crate::smpp::pdu::{CommandId, CommandStatus};

/// Longest wait between two wakeups of the replay task.
const TICK: Duration = Duration::from_millis(10);

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    /// Encoded PDUs (deliver_sm or data_sm), sent in turn.
    pub pdus: Vec<Bytes>,
    /// PDUs per second.
    pub rate: f64,
    /// PDUs to send in all, cycling through `pdus`.
    pub count: u64,
}

/// The replay's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayCounts {
    /// PDUs handed to the scheduler.
    pub scheduled: u64,
    /// Responses of the receivers by command_status (a retried PDU counts
    /// each answer).
    pub responses: BTreeMap<CommandStatus, u64>,
}

impl ReplayCounts {
    /// `scheduled=N ESME_ROK=M ...` for the CLI's final line.
    pub fn line(&self) -> String {
        let mut line = format!("replay scheduled={}", self.scheduled);
        for (status, n) in &self.responses {
            line.push_str(&format!(" {status}={n}"));
        }
        line
    }
}

/// Whether the simulator may replay this command: SMSC-to-ESME messages.
pub const fn replayable(command: CommandId) -> bool {
    matches!(command, CommandId::DeliverSm | CommandId::DataSm)
}

impl SmscSim {
    /// Starts replaying `plan` once a receiving bind is up; it stops after
    /// `plan.count` PDUs or at shutdown.
    pub fn replay(&self, plan: ReplayPlan) {
        let hub = self.hub.clone();
        self.tasks.spawn(async move {
            if plan.pdus.is_empty() || !(plan.rate.is_finite() && plan.rate > 0.0) {
                return;
            }
            let mut dice = Dice::new(hub.state.config.seed, 0x5245_504c);
            // Wait for a receiver: a replay into no bind would only be
            // dropped after its retries.
            loop {
                if lock(&hub.state.registry).pick_receiver(None, None, false, &mut dice).is_some() {
                    break;
                }
                tokio::select! {
                    () = hub.cancel.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
            let period = Duration::from_secs_f64(1.0 / plan.rate).min(TICK);
            let mut ticker = tokio::time::interval(period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let start = tokio::time::Instant::now();
            let mut sent = 0u64;
            while sent < plan.count {
                tokio::select! {
                    () = hub.cancel.cancelled() => break,
                    _ = ticker.tick() => {}
                }
                let due = super::mo::due_count(plan.rate, start.elapsed(), sent).min(plan.count - sent);
                let at = now().at;
                for _ in 0..due {
                    let i = usize::try_from(sent % plan.pdus.len() as u64).unwrap_or(0);
                    sent += 1;
                    let Some(pdu) = plan.pdus.get(i) else { continue };
                    let job = DeliveryJob {
                        kind: JobKind::Replay,
                        account: None,
                        origin: None,
                        other_bind: false,
                        attempts: 0,
                        pdu: pdu.clone(),
                    };
                    lock(&hub.state.replay).scheduled += 1;
                    hub.schedule(at, job);
                }
            }
        });
    }

    /// The replay's counters so far.
    pub fn replay_counts(&self) -> ReplayCounts {
        lock(&self.hub.state.replay).clone()
    }
}
