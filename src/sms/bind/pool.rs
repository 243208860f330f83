//! [`AccountPool`]: the bound binds of one account on this instance and how
//! a part is routed to them: the bind with the fewest outstanding requests,
//! within the account's and the bind's send rate, again later when the SMSC
//! says it is throttled or its queue is full (SMPP v3.4 5.1.3), and on
//! another bind when its bind dropped before the SMSC answered. query_sm
//! ([`AccountPool::query`]) takes the same route.

use super::handle::{BindHandle, LateWait, QueryOutcome, SubmitError, SubmitOutcome};
use super::metrics::BindMetrics;
use super::rate::{AdaptiveRate, TokenBucket};
use super::request::{MtPart, QuerySmRequest};
use crate::smpp::pdu::CommandStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How a pool routes and retries.
#[derive(Debug, Clone)]
pub struct PoolPolicy {
    /// Messages per second the SMSC grants each bind (0: no limit).
    pub tps_per_bind: f64,
    /// Messages per second for the whole account on this instance (0: no
    /// limit).
    pub tps_per_account: f64,
    /// Delay before sending a throttled part again.
    pub throttle_retry: Duration,
    /// How long a part may wait for a bind, a token or a retry in total.
    pub give_up_after: Duration,
    /// Send a part again on another bind when its bind dropped before the
    /// SMSC answered. The SMSC may have taken it (a duplicate is possible);
    /// off means such parts end as unknown.
    pub resubmit_after_drop: bool,
    /// Whether this instance sends MT traffic (a passive region keeps its
    /// binds warm and sends only when configured to).
    pub takes_traffic: bool,
}

/// Why a pool could not get a part answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No usable bind within `give_up_after`.
    #[error("no bind of account {account} could take the part within {waited:?}")]
    NoBind {
        /// The account.
        account: String,
        /// How long it waited.
        waited: Duration,
    },
    /// This instance does not send MT traffic (passive role).
    #[error("account {0} takes no traffic on this instance (passive)")]
    Passive(String),
    /// The part itself is invalid.
    #[error(transparent)]
    Invalid(#[from] super::request::PartError),
}

struct Rates {
    account: TokenBucket,
    adaptive: AdaptiveRate,
}

/// The binds of one account on this instance.
#[derive(Clone)]
pub struct AccountPool {
    account: Arc<str>,
    policy: PoolPolicy,
    binds: Arc<Mutex<Vec<BindHandle>>>,
    /// Bumped whenever a bind joins, so waiters look again.
    changed: watch::Sender<u64>,
    rates: Arc<Mutex<Rates>>,
    bind_rates: Arc<Mutex<std::collections::HashMap<u32, TokenBucket>>>,
    metrics: BindMetrics,
}

impl std::fmt::Debug for AccountPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountPool").field("account", &self.account).field("binds", &self.bound()).finish()
    }
}

impl AccountPool {
    /// An empty pool for `account`.
    pub fn new(account: &str, policy: PoolPolicy, metrics: BindMetrics) -> Self {
        let now = Instant::now().into_std();
        let ceiling = if policy.tps_per_account > 0.0 { policy.tps_per_account } else { 0.0 };
        let rates = Rates {
            account: TokenBucket::new(ceiling, ceiling.max(1.0), now),
            adaptive: AdaptiveRate::new(ceiling.max(1.0), 1.0, Duration::from_secs(1), now),
        };
        metrics.set_rate(account, ceiling);
        Self {
            account: account.into(),
            policy,
            binds: Arc::default(),
            changed: watch::channel(0).0,
            rates: Arc::new(Mutex::new(rates)),
            bind_rates: Arc::default(),
            metrics,
        }
    }

    /// The account's name.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Whether this instance sends MT traffic on the account.
    pub fn takes_traffic(&self) -> bool {
        self.policy.takes_traffic
    }

    /// Binds bound now.
    pub fn bound(&self) -> usize {
        self.binds.lock().map(|b| b.iter().filter(|h| h.is_bound()).count()).unwrap_or(0)
    }

    /// Requests outstanding over all binds.
    pub fn in_flight(&self) -> usize {
        self.binds.lock().map(|b| b.iter().map(BindHandle::in_flight).sum()).unwrap_or(0)
    }

    pub(crate) fn add(&self, handle: BindHandle) {
        if let Ok(mut binds) = self.binds.lock() {
            binds.retain(|h| h.id() != handle.id());
            binds.push(handle);
        }
        self.changed.send_modify(|n| *n += 1);
    }

    pub(crate) fn remove(&self, slot: u32) {
        if let Ok(mut binds) = self.binds.lock() {
            binds.retain(|h| h.id().slot != slot);
        }
    }

    /// The bound transmitting bind with the fewest outstanding requests.
    fn pick(&self) -> Option<BindHandle> {
        let binds = self.binds.lock().ok()?;
        binds.iter().filter(|h| h.is_bound() && h.can_transmit()).min_by_key(|h| h.in_flight()).cloned()
    }

    /// Waits for a token of the account and of `slot`.
    async fn take_tokens(&self, slot: u32) {
        loop {
            let now = Instant::now().into_std();
            let wait = {
                let Ok(mut rates) = self.rates.lock() else { return };
                let Ok(mut per_bind) = self.bind_rates.lock() else { return };
                let bucket = per_bind.entry(slot).or_insert_with(|| {
                    let rate = self.policy.tps_per_bind;
                    TokenBucket::new(rate, rate.max(1.0), now)
                });
                match (rates.account.wait_time(now), bucket.wait_time(now)) {
                    (None, None) => {
                        rates.account.take();
                        bucket.take();
                        None
                    }
                    (a, b) => a.max(b),
                }
            };
            match wait {
                None => return,
                Some(w) => tokio::time::sleep(w).await,
            }
        }
    }

    fn on_answer(&self, status: CommandStatus) {
        let now = Instant::now().into_std();
        let Ok(mut rates) = self.rates.lock() else { return };
        if self.policy.tps_per_account <= 0.0 {
            return;
        }
        let changed = if is_throttle(status) {
            self.metrics.throttled(&self.account);
            rates.adaptive.on_throttled(now)
        } else {
            rates.adaptive.on_accepted(now)
        };
        if let Some(rate) = changed {
            rates.account.set_rate(rate, now);
            self.metrics.set_rate(&self.account, rate);
        }
    }

    /// Submits `part` on the best bind and returns the outcome that settles
    /// it: an answer (any status but a throttle, which is retried), a time
    /// out, or an abandonment when resubmission after a drop is off.
    pub async fn submit(&self, part: MtPart) -> Result<SubmitOutcome, RouteError> {
        self.submit_watching(part).await.map(|(outcome, _)| outcome)
    }

    /// As [`AccountPool::submit`]; a [`SubmitOutcome::TimedOut`] comes
    /// with the wait for its late submit_sm_resp (the bind's
    /// `late_response_window`).
    pub async fn submit_watching(
        &self,
        part: MtPart,
    ) -> Result<(SubmitOutcome, Option<LateWait>), RouteError> {
        if !self.policy.takes_traffic {
            return Err(RouteError::Passive(self.account.to_string()));
        }
        part.to_body()?;
        let started = Instant::now();
        let give_up = started + self.policy.give_up_after;
        let mut changed = self.changed.subscribe();
        loop {
            let Some(bind) = self.pick() else {
                // Wait for a bind to come up, or give up.
                let waited = tokio::time::timeout_at(give_up, changed.changed()).await;
                if waited.is_err() {
                    return Err(self.no_bind(started));
                }
                continue;
            };
            self.take_tokens(bind.id().slot).await;
            match bind.submit_watching(part.clone()).await {
                Ok((SubmitOutcome::Answered { status, message_id }, _)) => {
                    self.on_answer(status);
                    if is_throttle(status) && Instant::now() + self.policy.throttle_retry < give_up {
                        tokio::time::sleep(self.policy.throttle_retry).await;
                        continue;
                    }
                    return Ok((SubmitOutcome::Answered { status, message_id }, None));
                }
                Ok((SubmitOutcome::Abandoned, _))
                    if self.policy.resubmit_after_drop && Instant::now() < give_up =>
                {
                    self.metrics.resubmitted(&self.account);
                    continue;
                }
                Ok(outcome) => return Ok(outcome),
                Err(SubmitError::NotBound(_)) => {
                    if Instant::now() >= give_up {
                        return Err(self.no_bind(started));
                    }
                    // The bind went away between the pick and the send.
                    tokio::task::yield_now().await;
                }
                Err(SubmitError::Invalid(err)) => return Err(err.into()),
            }
        }
    }

    /// Sends a query_sm (SMPP v3.4 4.8.1) on the best bind. Asking twice
    /// changes nothing at the SMSC, so a query whose bind dropped is asked
    /// again on another, and a throttled one after `throttle_retry`.
    pub async fn query(&self, query: QuerySmRequest) -> Result<QueryOutcome, RouteError> {
        if !self.policy.takes_traffic {
            return Err(RouteError::Passive(self.account.to_string()));
        }
        query.to_body()?;
        let started = Instant::now();
        let give_up = started + self.policy.give_up_after;
        let mut changed = self.changed.subscribe();
        loop {
            let Some(bind) = self.pick() else {
                if tokio::time::timeout_at(give_up, changed.changed()).await.is_err() {
                    return Err(self.no_bind(started));
                }
                continue;
            };
            self.take_tokens(bind.id().slot).await;
            let retry_at = Instant::now() + self.policy.throttle_retry;
            match bind.query(query.clone()).await {
                Ok(QueryOutcome::Answered { status, .. }) if is_throttle(status) && retry_at < give_up => {
                    self.on_answer(status);
                    tokio::time::sleep(self.policy.throttle_retry).await;
                }
                Ok(QueryOutcome::Abandoned) if Instant::now() < give_up => {}
                Ok(outcome) => return Ok(outcome),
                Err(SubmitError::NotBound(_)) => {
                    if Instant::now() >= give_up {
                        return Err(self.no_bind(started));
                    }
                    tokio::task::yield_now().await;
                }
                Err(SubmitError::Invalid(err)) => return Err(err.into()),
            }
        }
    }

    fn no_bind(&self, started: Instant) -> RouteError {
        RouteError::NoBind { account: self.account.to_string(), waited: started.elapsed() }
    }
}

/// The SMSC asks for slower sending (SMPP v3.4 5.1.3: temporary errors).
pub const fn is_throttle(status: CommandStatus) -> bool {
    status.0 == CommandStatus::ESME_RTHROTTLED.0 || status.0 == CommandStatus::ESME_RMSGQFUL.0
}
