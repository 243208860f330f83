//! `simgate smsc-sim`: an SMPP server (SMSC simulator) for tests, demos
//! and load tests, built on simgate's own codec (docs/smsc-sim.md).
//!
//! It takes binds for configured accounts (a limit of binds each), answers
//! submit_sm, submit_multi, data_sm, query_sm, enquire_link and unbind,
//! throttles by window and rate with ESME_RTHROTTLED, draws a latency per
//! response, injects errors at a rate, sends delivery receipts after a
//! delay with a mix of final states (on another bind or before the
//! response when asked), generates MO messages at a rate, and can drop
//! connections on command. It counts accepted submits and duplicates,
//! keeps the last few submits for tests, and delivers an MO a test gives
//! ([`inspect`]).
//!
//! Layout: the protocol decisions are pure, taking `now` ([`rules`],
//! [`session`] with `submit.rs` and [`outbound`], [`throttle`],
//! [`registry`], [`book`], [`deliver`], [`scheduler::PendingDeliveries`]);
//! the tokio tasks are thin drivers: one per connection
//! ([`connection`]), one scheduler for receipts and MO ([`scheduler`]),
//! one MO generator ([`mo`]), and the acceptor here. Every queue is
//! bounded (see each module). The fixture replay ([`replay`]) is another
//! source calling [`hub::Hub::schedule`], like the MO generator.

pub mod book;
pub mod config;
pub mod connection;
pub mod deliver;
pub mod error;
pub mod hub;
pub mod inspect;
pub mod mo;
pub mod outbound;
pub mod random;
pub mod registry;
pub mod replay;
pub mod rules;
pub mod scheduler;
pub mod session;
pub mod state;
pub mod stats;
mod submit;
pub mod throttle;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{
    DelayRange, IdVariant, Latency, MessageIdStyle, MoPlan, ReceiptPlan, SimAccount, SimConfig, StatusMix,
};
pub use error::SimError;
pub use inspect::{MoMessage, ReceivedSubmit};
pub use stats::{AccountBinds, SimMetrics, SimStats};

use hub::{CONNECTION_QUEUE, ConnectionHandle, Hub};
use state::{SimState, lock};

/// Capacity of the scheduler's input channel.
const SCHEDULER_QUEUE: usize = 65_536;

/// A running simulator. Dropping it leaves the tasks running until the
/// runtime ends; call [`SmscSim::shutdown`] to stop it in order.
#[derive(Debug)]
pub struct SmscSim {
    local_addr: SocketAddr,
    hub: Arc<Hub>,
    tasks: TaskTracker,
}

impl SmscSim {
    /// Validates `config`, binds the listener and starts serving, with
    /// counters that are not registered anywhere.
    pub async fn start(config: SimConfig) -> Result<SmscSim, SimError> {
        Self::start_with_metrics(config, SimMetrics::default()).await
    }

    /// As [`SmscSim::start`], counting into `metrics` (registered by the
    /// caller with [`SimMetrics::register`]).
    pub async fn start_with_metrics(config: SimConfig, metrics: SimMetrics) -> Result<SmscSim, SimError> {
        config.validate()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Listen { addr: config.listen, source })?;
        let local_addr =
            listener.local_addr().map_err(|source| SimError::Listen { addr: config.listen, source })?;
        let (scheduler_tx, scheduler_rx) = mpsc::channel(SCHEDULER_QUEUE);
        let mo = config.mo.clone();
        let limit = Arc::new(Semaphore::new(config.max_connections));
        let hub = Arc::new(Hub {
            state: Arc::new(SimState::new(config, metrics)),
            conns: Mutex::new(HashMap::new()),
            scheduler: scheduler_tx,
            cancel: CancellationToken::new(),
        });
        let tasks = TaskTracker::new();
        tasks.spawn(scheduler::run(hub.clone(), scheduler_rx));
        if let Some(plan) = mo {
            tasks.spawn(mo::run(hub.clone(), plan));
        }
        tasks.spawn(accept_loop(listener, hub.clone(), limit, tasks.clone()));
        tracing::info!(%local_addr, "smsc-sim listening");
        Ok(SmscSim { local_addr, hub, tasks })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SimStats {
        self.hub.state.stats()
    }

    /// The last submit_sm accepted (at most [`inspect::RECENT_SUBMITS`]),
    /// oldest first.
    pub fn recent_submits(&self) -> Vec<ReceivedSubmit> {
        lock(&self.hub.state.recent_submits).snapshot()
    }

    /// Delivers `mo` now on a receiving bind of any account, retried like
    /// every MO; counted as dropped when the scheduler is full.
    pub fn send_mo(&self, mo: &MoMessage) -> Result<(), crate::smpp::pdu::PduError> {
        let job = deliver::DeliveryJob {
            kind: deliver::JobKind::Mo,
            account: None,
            origin: None,
            other_bind: false,
            attempts: 0,
            pdu: mo.pdu()?,
        };
        self.hub.schedule(connection::now().at, job);
        Ok(())
    }

    /// Closes every connection bound to account `system_id` at once: no
    /// unbind, requests left unanswered. Returns how many were closed.
    pub fn drop_binds(&self, system_id: &str) -> usize {
        let st = &self.hub.state;
        let Some(account) = st.config.accounts.iter().position(|a| a.system_id == system_id) else {
            return 0;
        };
        let binds = lock(&st.registry).binds_of(account);
        self.hub.drop_where(|id| binds.contains(&id))
    }

    /// Closes every connection at once, bound or not.
    pub fn drop_all(&self) -> usize {
        self.hub.drop_where(|_| true)
    }

    /// Stops accepting, unbinds every session, waits up to
    /// `shutdown_grace` for the unbind_resp, then closes everything.
    pub async fn shutdown(self) {
        self.hub.cancel.cancel();
        self.tasks.close();
        let grace = self.hub.state.config.shutdown_grace + Duration::from_millis(500);
        if tokio::time::timeout(grace, self.tasks.wait()).await.is_err() {
            // Peers that neither answer nor read: cut them off.
            self.drop_all();
            let _ = tokio::time::timeout(Duration::from_millis(500), self.tasks.wait()).await;
        }
    }
}

async fn accept_loop(listener: TcpListener, hub: Arc<Hub>, limit: Arc<Semaphore>, tasks: TaskTracker) {
    let mut next_id: u64 = 1;
    loop {
        let (stream, peer) = tokio::select! {
            () = hub.cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(%err, "smsc-sim: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            hub.state.metrics.connections_refused.inc();
            drop(stream);
            continue;
        };
        hub.state.metrics.connections.inc();
        let id = next_id;
        next_id += 1;
        spawn_connection(stream, peer, id, &hub, permit, &tasks);
    }
}

fn spawn_connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    hub: &Arc<Hub>,
    permit: tokio::sync::OwnedSemaphorePermit,
    tasks: &TaskTracker,
) {
    let _ = stream.set_nodelay(true);
    let (tx, rx) = mpsc::channel(CONNECTION_QUEUE);
    let kill = CancellationToken::new();
    lock(&hub.conns).insert(id, ConnectionHandle { deliveries: tx, drop: kill.clone() });
    let hub = hub.clone();
    tasks.spawn(async move {
        connection::run(stream, id, peer.to_string(), hub, rx, kill).await;
        drop(permit);
    });
}
