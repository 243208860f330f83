//! The shared state of the SMS pipeline in Redis, the part every instance
//! of simgate (both regions) must agree on:
//!
//! - [`BindLeases`]: the SMSC's limit on binds per account, held across all
//!   instances with leased, renewed bind slots.
//! - [`ReceiptCorrelation`]: SMSC message id to MT message part, so a
//!   receipt arriving on any bind of any instance, even before its
//!   submit_sm_resp, finds its message.
//! - [`MoReassembly`]: the parts of concatenated MO messages, which may
//!   arrive on different binds and instances.
//! - [`IdempotencyKeys`]: one message per client request key.
//! - [`RegionBinds`]: whether any instance holds a bound bind of an
//!   account, for the `smpp` health component.
//! - [`WakeLimits`]: at most one OTA wake-up SMS per SIM per interval.
//! - [`SessionPresence`]: which instance holds each SIM's applet session,
//!   and the inboxes through which instances hand each other commands.
//!
//! Every key has a TTL and every value a bound; nothing blocks. Each
//! operation is one Redis round trip (a command or a Lua script) except
//! [`ReceiptCorrelation::due_parked`], which is one per claimed entry, and
//! [`SessionPresence::refresh_all`], which is one per 500 entries.
//! Key names live in [`keys`]; `docs/state.md` documents them.

mod correlation;
mod error;
mod idempotency;
pub mod keys;
mod leases;
mod metrics;
mod mo_parts;
mod presence;
mod region_binds;
mod wake_limits;

pub use correlation::{DueParked, Parked, PartRef, ReceiptCorrelation};
pub use error::StateError;
pub use idempotency::{Claim, IdempotencyKeys};
pub use keys::KeySpace;
pub use leases::{BindLeases, BindSlot};
pub use metrics::{Op, StateMetrics};
pub use mo_parts::{MoKey, MoKind, MoProgress, MoReassembly};
pub use presence::{INBOX_MAX, INBOX_TTL, REFRESH_PIPELINE, Refreshed, SessionPresence};
pub use region_binds::RegionBinds;
pub use wake_limits::{WakeLimits, WakeTaken};

use crate::backends::redis::RedisHandle;
use metrics::Released;
use redis::aio::ConnectionManager;
use std::future::Future;
use std::time::{Duration, Instant};

/// What every state component needs: the Redis connection, the key space
/// and the metrics. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StateStore {
    redis: RedisHandle,
    keys: KeySpace,
    metrics: StateMetrics,
}

impl StateStore {
    /// A store with the production prefix `simgate`.
    pub fn new(redis: RedisHandle, metrics: StateMetrics) -> Self {
        Self { redis, keys: KeySpace::default(), metrics }
    }

    /// The same store under another key prefix.
    pub fn with_keys(mut self, keys: KeySpace) -> Self {
        self.keys = keys;
        self
    }

    /// The key space in use.
    pub fn keys(&self) -> &KeySpace {
        &self.keys
    }

    pub(crate) fn metrics(&self) -> &StateMetrics {
        &self.metrics
    }

    /// Runs one Redis round trip for `op`, counting and timing it.
    pub(crate) async fn run<T, F, Fut>(&self, op: Op, f: F) -> Result<T, StateError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let started = Instant::now();
        let result = match self.redis.connection().await {
            Ok(conn) => f(conn).await,
            Err(e) => Err(e),
        };
        self.metrics.observe(op, result.is_ok(), started.elapsed().as_secs_f64());
        result.map_err(|source| {
            tracing::debug!(op = op.as_str(), error = %source, "shared-state operation failed");
            StateError::Redis { op, source }
        })
    }

    pub(crate) fn released(&self, reason: Released, count: usize) {
        self.metrics.receipts_released(reason, count);
    }
}

/// A TTL in whole milliseconds for `PX`/`PEXPIRE`: at least 1 ms, at most
/// 30 days (longer is a configuration mistake, not a TTL).
pub(crate) fn ttl_ms(ttl: Duration) -> u64 {
    const MAX_MS: u128 = 30 * 24 * 3600 * 1000;
    ttl.as_millis().clamp(1, MAX_MS) as u64
}
