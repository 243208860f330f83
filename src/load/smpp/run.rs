//! The scheduler of `load smpp`: hands requests to the sessions on the
//! run's timeline (open loop) or as window slots free up (closed loop),
//! then waits for the last answers and receipts and unbinds.

use super::driver::{BoundSession, Job, RunShared, bind};
use super::feed::{Claim, Feed};
use super::receipts::{ReceiptBook, lock as lock_book};
use crate::load::api::pace_label;
use crate::load::fixtures::Fixture;
use crate::load::progress::Progress;
use crate::load::stats::lock;
use crate::load::{Bounds, Destinations, LoadError, Pace, Recorder, Report};
use crate::settings::Secret;
use crate::smpp::pdu::CommandId;
use crate::smpp::session::{BindKind, SessionConfig};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// One `load smpp` run.
#[derive(Debug, Clone)]
pub struct SmppLoad {
    /// `host:port`.
    pub target: String,
    /// The account.
    pub system_id: String,
    /// Its password; never printed.
    pub password: Secret,
    /// system_type of the binds.
    pub system_type: String,
    /// The kind of the sending sessions.
    pub bind_kind: BindKind,
    /// Sending sessions (receivers when `bind_kind` is receiver).
    pub sessions: usize,
    /// Extra receiver binds, for receipts when the senders are
    /// transmitters.
    pub receivers: usize,
    /// The PDUs, replayed in turn.
    pub fixtures: Vec<Fixture>,
    /// destination_addr of submit_sm and data_sm from here, when set.
    pub destinations: Option<Destinations>,
    /// Open or closed loop; the window (or in-flight bound) is per session.
    pub pace: Pace,
    /// When sending stops.
    pub bounds: Bounds,
    /// How long a request may wait for its response.
    pub response_timeout: Duration,
    /// After the last response, wait this long at most for receipts.
    pub wait_receipts: Duration,
}

/// Whether an ESME may replay this command: an application request an
/// ESME sends (not a response, not a bind, enquire_link or unbind, not an
/// SMSC's deliver_sm or alert_notification).
pub fn replayable(command: CommandId) -> bool {
    !command.is_response()
        && !matches!(
            command,
            CommandId::BindTransmitter
                | CommandId::BindReceiver
                | CommandId::BindTransceiver
                | CommandId::Outbind
                | CommandId::EnquireLink
                | CommandId::Unbind
                | CommandId::DeliverSm
                | CommandId::AlertNotification
                | CommandId::GenericNack
        )
}

/// Binds, runs the load, unbinds, and returns the report.
pub async fn run(load: SmppLoad) -> Result<Report, LoadError> {
    let window = load.pace.max_in_flight();
    let config = |kind: BindKind| SessionConfig {
        bind_kind: kind,
        system_id: load.system_id.clone(),
        password: load.password.expose().to_owned(),
        system_type: load.system_type.clone(),
        window,
        response_timeout: load.response_timeout,
        ..SessionConfig::default()
    };
    let connect_within = load.response_timeout.min(Duration::from_secs(10));
    let mut senders: Vec<BoundSession> = Vec::new();
    let mut listeners: Vec<BoundSession> = Vec::new();
    for _ in 0..load.sessions {
        let s = bind(&load.target, config(load.bind_kind), connect_within).await?;
        if load.bind_kind.transmits() { senders.push(s) } else { listeners.push(s) }
    }
    for _ in 0..load.receivers {
        listeners.push(bind(&load.target, config(BindKind::Receiver), connect_within).await?);
    }
    if senders.is_empty() && load.bounds.duration.is_none() {
        return Err(LoadError::Usage("receiver-only runs are bounded by --duration".into()));
    }

    let start = Instant::now();
    let shared = Arc::new(RunShared {
        rec: Mutex::new(Recorder::new(start)),
        book: Mutex::new(ReceiptBook::default()),
        fixtures: load.fixtures.clone(),
        destinations: load.destinations.clone(),
        track_receipts: load.bind_kind.receives() || load.receivers > 0,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for session in listeners {
        tasks.spawn(session.run(load.target.clone(), Feed::Listen, stop_rx.clone(), shared.clone()));
    }

    let progress = Progress::new(load.bounds.count);
    let ticker = spawn_shared_ticker(shared.clone(), progress.clone());

    let sending = if senders.is_empty() {
        if let Some(end) = load.bounds.deadline(start) {
            tokio::time::sleep_until(end.into()).await;
        }
        start.elapsed()
    } else if let Pace::Window(_) = load.pace {
        closed_loop(&load, start, senders, &mut tasks, &stop_rx, &shared).await
    } else {
        open_loop(&load, start, window, senders, &mut tasks, &stop_rx, &shared).await
    };
    let receipts_by = Instant::now() + load.wait_receipts;
    while Instant::now() < receipts_by && !lock_book(&shared.book).all_matched() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = start.elapsed();
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(super::driver::UNBIND_WAIT + Duration::from_secs(1), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    ticker.abort();
    progress.finish();

    let mut report = {
        let rec = lock(&shared.rec);
        Report::from_recorder("smpp", load.target.clone(), pace_label(&load.pace), &rec, sending, elapsed)
    };
    report.receipts = Some(lock_book(&shared.book).report());
    Ok(report)
}

/// Closed loop: every session claims the next index itself as its window
/// frees (no scheduler between a response and the next request). Returns
/// the length of the sending phase, once every session has its answers.
async fn closed_loop(
    load: &SmppLoad,
    start: Instant,
    senders: Vec<BoundSession>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
    shared: &Arc<RunShared>,
) -> Duration {
    let claim = Arc::new(Claim::new(load.bounds.count, load.bounds.deadline(start)));
    // Never sent on: each session drops its sender when it is drained.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    for session in senders {
        let feed = Feed::Claim { claim: claim.clone(), done: done_tx.clone() };
        tasks.spawn(session.run(load.target.clone(), feed, stop.clone(), shared.clone()));
    }
    drop(done_tx);
    // Bounded: every request is answered or times out, and a duration
    // bound stops the claims.
    let drained = done_rx.recv();
    match load.bounds.deadline(start) {
        Some(end) => {
            let by = end + load.response_timeout + Duration::from_secs(1);
            let _ = tokio::time::timeout_at(by.into(), drained).await;
        }
        None => {
            let _ = drained.await;
        }
    }
    claim.ended().unwrap_or_else(Instant::now).saturating_duration_since(start)
}

/// Open loop: the scheduler hands requests to the sessions on the run's
/// timeline, then waits for every slot to come back (nothing in flight).
async fn open_loop(
    load: &SmppLoad,
    start: Instant,
    window: usize,
    senders: Vec<BoundSession>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
    shared: &Arc<RunShared>,
) -> Duration {
    let mut slots: Vec<Arc<Semaphore>> = Vec::new();
    let mut queues: Vec<mpsc::Sender<Job>> = Vec::new();
    for session in senders {
        let sem = Arc::new(Semaphore::new(window));
        let (tx, rx) = mpsc::channel(window);
        slots.push(sem.clone());
        queues.push(tx);
        let feed = Feed::Jobs { jobs: rx, slots: sem };
        tasks.spawn(session.run(load.target.clone(), feed, stop.clone(), shared.clone()));
    }
    schedule(load, start, &slots, &queues, shared).await;
    let sending = start.elapsed();
    drop(queues);
    // Every answer returns its slot: all slots back means nothing in flight.
    let drain_by = Instant::now() + load.response_timeout + Duration::from_secs(1);
    for sem in &slots {
        let left = drain_by.saturating_duration_since(Instant::now());
        let n = u32::try_from(window).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(left, sem.acquire_many(n)).await;
    }
    sending
}

fn spawn_shared_ticker(shared: Arc<RunShared>, progress: Progress) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            let (sent, errors, rate) = {
                let r = lock(&shared.rec);
                let secs = r.start().elapsed().as_secs_f64().max(0.001);
                (r.sent, r.errors, r.ok as f64 / secs)
            };
            progress.update(sent, rate, errors);
        }
    })
}

/// Hands out requests until the bounds say stop or every session is gone.
async fn schedule(
    load: &SmppLoad,
    start: Instant,
    slots: &[Arc<Semaphore>],
    queues: &[mpsc::Sender<Job>],
    shared: &RunShared,
) {
    let n = slots.len();
    let mut next_session = 0usize;
    let mut index: u64 = 0;
    let fixtures = load.fixtures.len().max(1) as u64;
    loop {
        let due = load.pace.due(start, index);
        if !load.bounds.allows(index, start, due.unwrap_or_else(Instant::now)) {
            return;
        }
        if let Some(due) = due {
            tokio::time::sleep_until(due.into()).await;
        }
        // The first session with a free slot, starting after the last one
        // used; when none has one, wait for the next in turn.
        let mut chosen = None;
        for k in 0..n {
            let s = (next_session + k) % n;
            if let Ok(permit) = slots[s].clone().try_acquire_owned() {
                chosen = Some((s, permit));
                break;
            }
        }
        let (s, permit) = match chosen {
            Some(c) => c,
            None => {
                if matches!(load.pace, Pace::Rate { .. }) {
                    lock(&shared.rec).saturated += 1;
                }
                let mut got = None;
                for k in 0..n {
                    let s = (next_session + k) % n;
                    if let Ok(p) = slots[s].clone().acquire_owned().await {
                        got = Some((s, p));
                        break;
                    }
                }
                match got {
                    Some(g) => g,
                    None => return,
                }
            }
        };
        next_session = (s + 1) % n;
        let now = Instant::now();
        if due.is_none() && !load.bounds.allows(index, start, now) {
            return;
        }
        let job = Job {
            index,
            fixture: usize::try_from(index % fixtures).unwrap_or(0),
            due: due.unwrap_or(now),
            permit: Some(permit),
        };
        if queues[s].send(job).await.is_err() && slots.iter().all(|s| s.is_closed()) {
            return;
        }
        index += 1;
    }
}
