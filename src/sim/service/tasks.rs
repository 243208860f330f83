//! The SIM side's long-lived tasks: the consumer of the listener's
//! [`AppletEvent`]s (in order, one at a time, until the listener has
//! drained and dropped its sender; only the deliveries to a newly opened
//! session run beside it, at most 64 at once) and the periodic sweeps
//! (Redis entry refresh, inbox, waiting commands, re-wakes, expiry), which
//! stop at shutdown.

use super::dispatch::Dispatcher;
use crate::lifecycle::Shutdown;
use crate::sim::listener::AppletEvent;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// Deliveries to newly opened sessions running at once.
const OPENING_DELIVERIES: usize = 64;
/// How often the inbox is read.
const INBOX_PERIOD: Duration = Duration::from_millis(250);
/// How often waiting commands of the sessions here are swept.
const WAITING_PERIOD: Duration = Duration::from_secs(2);
/// How often expired commands are marked.
const EXPIRY_PERIOD: Duration = Duration::from_secs(1);

/// Applies every applet event to the commands.
pub(crate) async fn consume_events(dispatcher: Arc<Dispatcher>, mut events: mpsc::Receiver<AppletEvent>) {
    let deliveries = Arc::new(Semaphore::new(OPENING_DELIVERIES));
    let mut running = JoinSet::new();
    while let Some(event) = events.recv().await {
        while running.try_join_next().is_some() {}
        match event {
            AppletEvent::Opened { session, applet_version } => {
                let iccid = session.iccid().clone();
                dispatcher.on_opened(session, applet_version).await;
                // Off this task: a delivery waits for the session's task,
                // which may itself be waiting for room in `events`.
                let Ok(permit) = deliveries.clone().acquire_owned().await else { continue };
                let dispatcher = dispatcher.clone();
                running.spawn(async move {
                    dispatcher.deliver_waiting(&iccid).await;
                    drop(permit);
                });
            }
            AppletEvent::ProofOfReceipt { command_id, status, .. } => {
                tracing::debug!(%command_id, ?status, "applet proof of receipt");
            }
            AppletEvent::Result { iccid, command_id, status, payload } => {
                dispatcher.on_result(&iccid, command_id, status, &payload).await;
            }
            AppletEvent::Closed { iccid, reason, by_peer, unanswered } => {
                dispatcher.on_closed(&iccid, reason, by_peer, &unanswered).await;
            }
        }
    }
    while running.join_next().await.is_some() {}
    tracing::debug!("applet events ended");
}

/// Starts the periodic sweeps under `shutdown`.
pub(crate) fn spawn_sweeps(
    shutdown: &Shutdown,
    dispatcher: &Arc<Dispatcher>,
    refresh: Duration,
    rewake: Duration,
) {
    spawn_every(shutdown, dispatcher, refresh, |d| Box::pin(async move { d.refresh_presence().await }));
    spawn_every(shutdown, dispatcher, INBOX_PERIOD, |d| {
        Box::pin(async move { d.take_notifications().await })
    });
    spawn_every(shutdown, dispatcher, WAITING_PERIOD, |d| Box::pin(async move { d.sweep_waiting().await }));
    spawn_every(shutdown, dispatcher, rewake, |d| Box::pin(async move { d.rewake_due().await }));
    spawn_every(shutdown, dispatcher, EXPIRY_PERIOD, |d| Box::pin(async move { d.expire_due().await }));
}

type Job = fn(Arc<Dispatcher>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn spawn_every(shutdown: &Shutdown, dispatcher: &Arc<Dispatcher>, period: Duration, job: Job) {
    let token = shutdown.token();
    let dispatcher = dispatcher.clone();
    shutdown.spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = token.cancelled() => return,
            }
            tokio::select! {
                () = job(dispatcher.clone()) => {}
                () = token.cancelled() => return,
            }
        }
    });
}
