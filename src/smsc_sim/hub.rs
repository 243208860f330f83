//! [`Hub`]: what the tasks of one sim share beyond [`SimState`]: the
//! connections' delivery queues and drop switches, the scheduler's input
//! and the shutdown token. A source of deliveries (the MO generator, the
//! fixture replay) calls [`Hub::schedule`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::deliver::{BindId, DeliveryJob};
use super::state::{SimState, lock};

/// Deliveries one connection may have waiting in its channel.
pub const CONNECTION_QUEUE: usize = 4096;

/// Handles on one connection task.
#[derive(Debug, Clone)]
pub struct ConnectionHandle {
    /// Jobs routed to this connection.
    pub deliveries: mpsc::Sender<DeliveryJob>,
    /// Cancelled to close the socket at once (no unbind).
    pub drop: CancellationToken,
}

/// Shared by the acceptor, the connections, the scheduler and the MO task.
#[derive(Debug)]
pub struct Hub {
    /// Settings, counters, registry.
    pub state: Arc<SimState>,
    /// Open connections, bound or not.
    pub conns: Mutex<HashMap<BindId, ConnectionHandle>>,
    /// The scheduler's input, bounded.
    pub scheduler: mpsc::Sender<(Instant, DeliveryJob)>,
    /// Cancelled on shutdown: stop accepting, unbind, stop the tasks.
    pub cancel: CancellationToken,
}

impl Hub {
    /// Hands a job to the scheduler, due at `due`; a full scheduler queue
    /// drops it (counted).
    pub fn schedule(&self, due: Instant, job: DeliveryJob) {
        if self.scheduler.try_send((due, job)).is_err() {
            self.state.metrics.deliveries_dropped.inc();
        }
    }

    /// Closes, without unbind, every connection `pick` selects.
    pub fn drop_where(&self, pick: impl Fn(BindId) -> bool) -> usize {
        let conns = lock(&self.conns);
        let mut n = 0;
        for (id, c) in conns.iter() {
            if pick(*id) {
                c.drop.cancel();
                n += 1;
            }
        }
        n
    }
}
