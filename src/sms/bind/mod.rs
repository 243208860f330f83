//! The bind engine: warm SMPP binds to every configured SMSC account.
//!
//! Per account it runs one task per bind slot it wants. A slot task leases
//! a slot ([`leases`]: the SMSC's bind limit holds across instances),
//! connects ([`connect`], TLS when configured), binds and serves through the
//! connection's driver ([`driver`]) while renewing the lease, and after the
//! session ends waits (jittered exponential back-off, or the SMSC's session
//! timeout after ESME_RALYBND) before trying again. Bound binds join the
//! account's [`AccountPool`], which routes parts to them.

pub mod backoff;
pub mod connect;
pub mod driver;
pub mod handle;
pub mod leases;
pub mod metrics;
pub mod observer;
pub mod pool;
pub mod rate;
#[cfg(feature = "redis")]
pub mod redis_slots;
pub mod request;
mod slot;
#[cfg(test)]
mod tests;

pub use driver::BindEnd;
pub use handle::{BindHandle, BindId, InboundRequest, Responder, SubmitError, SubmitOutcome};
pub use leases::{Lease, LeaseError, LocalSlots, SlotLeases};
pub use metrics::BindMetrics;
pub use observer::{BindChange, BindObserver, BindState};
pub use pool::{AccountPool, PoolPolicy, RouteError, is_throttle};
#[cfg(feature = "redis")]
pub use redis_slots::RedisSlots;
pub use request::{MtPart, PartError};

use crate::settings::{BindMode, Role, SmppSettings};
use crate::smpp::session::BindKind;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The binds of every account of this instance.
#[derive(Debug, Clone)]
pub struct BindEngine {
    pools: BTreeMap<String, AccountPool>,
    /// Connections wanted per account.
    wanted: BTreeMap<String, usize>,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl BindEngine {
    /// Starts a slot task per wanted bind of every account. Deliver_sm and
    /// data_sm from the SMSC go to `inbound`. The binds unbind when `stop`
    /// is cancelled; [`BindEngine::closed`] waits for that.
    pub fn start<L: SlotLeases>(
        settings: &SmppSettings,
        role: Role,
        leases: Arc<L>,
        inbound: mpsc::Sender<InboundRequest>,
        metrics: BindMetrics,
        stop: CancellationToken,
    ) -> Result<Self, connect::ConnectError> {
        Self::start_observed(settings, role, leases, inbound, metrics, stop, BindObserver::none())
    }

    /// [`BindEngine::start`], telling `observer` of every bind that comes
    /// up or goes down.
    pub fn start_observed<L: SlotLeases>(
        settings: &SmppSettings,
        role: Role,
        leases: Arc<L>,
        inbound: mpsc::Sender<InboundRequest>,
        metrics: BindMetrics,
        stop: CancellationToken,
        observer: BindObserver,
    ) -> Result<Self, connect::ConnectError> {
        let tasks = TaskTracker::new();
        let mut pools = BTreeMap::new();
        let mut wanted = BTreeMap::new();
        let takes_traffic = role == Role::Active || settings.passive_takes_traffic;
        for (name, account) in &settings.accounts {
            let policy = PoolPolicy {
                tps_per_bind: account.tps_per_bind,
                tps_per_account: account.tps_per_account,
                throttle_retry: account.throttle_retry,
                give_up_after: account.submit_give_up,
                resubmit_after_drop: account.resubmit_after_drop,
                takes_traffic,
            };
            let pool = AccountPool::new(name, policy, metrics.clone());
            let tls = if account.tls {
                let connector = connect::tls_connector(account.tls_ca_file.as_deref())?;
                let server = account.tls_server_name.clone().unwrap_or_else(|| account.host.clone());
                Some((connector, server))
            } else {
                None
            };
            let kinds: Vec<BindKind> = match account.bind_mode {
                BindMode::Transceiver => vec![BindKind::Transceiver; account.binds as usize],
                BindMode::TransmitterReceiver => {
                    (0..account.binds).flat_map(|_| [BindKind::Transmitter, BindKind::Receiver]).collect()
                }
            };
            wanted.insert(name.clone(), kinds.len());
            for kind in kinds {
                let slot = slot::SlotTask {
                    account: name.as_str().into(),
                    settings: account.clone(),
                    kind,
                    tls: tls.clone(),
                    leases: leases.clone(),
                    lease_ttl: leases.ttl().min(settings.lease_ttl),
                    pool: pool.clone(),
                    inbound: inbound.clone(),
                    metrics: metrics.clone(),
                    observer: observer.clone(),
                    max_pdu_len: settings.max_pdu_len,
                    stop: stop.clone(),
                };
                tasks.spawn(slot.run());
            }
            pools.insert(name.clone(), pool);
        }
        tasks.close();
        Ok(Self { pools, wanted, stop, tasks })
    }

    /// Binds `account` asks for on this instance (one connection each:
    /// a transmitter and a receiver count as two); 0 for no such account.
    pub fn wanted(&self, account: &str) -> usize {
        self.wanted.get(account).copied().unwrap_or(0)
    }

    /// The pool of `account`.
    pub fn pool(&self, account: &str) -> Option<&AccountPool> {
        self.pools.get(account)
    }

    /// Every account's pool.
    pub fn pools(&self) -> impl Iterator<Item = &AccountPool> {
        self.pools.values()
    }

    /// Unbinds every bind and stops reconnecting.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Resolves once every slot task has ended (after [`BindEngine::stop`]).
    pub async fn closed(&self) {
        self.tasks.wait().await;
    }
}
