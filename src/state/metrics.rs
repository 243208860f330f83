//! Metrics of the shared state (`simgate_state_*`): Redis operations by
//! operation and outcome, and the pipeline events the state decides (a
//! lease lost, a receipt parked or released, an MO message completed, an
//! applet session entry found taken over by another instance).
//! Labels are operation names and fixed outcomes only.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::fmt;

/// One kind of shared-state operation; the `op` label of the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// [`BindLeases::acquire`](super::BindLeases::acquire).
    LeaseAcquire,
    /// [`BindLeases::renew`](super::BindLeases::renew).
    LeaseRenew,
    /// [`BindLeases::release`](super::BindLeases::release).
    LeaseRelease,
    /// [`BindLeases::held`](super::BindLeases::held).
    LeaseHeld,
    /// [`ReceiptCorrelation::record`](super::ReceiptCorrelation::record).
    ReceiptRecord,
    /// [`ReceiptCorrelation::lookup`](super::ReceiptCorrelation::lookup).
    ReceiptLookup,
    /// [`ReceiptCorrelation::park`](super::ReceiptCorrelation::park).
    ReceiptPark,
    /// [`ReceiptCorrelation::take_parked`](super::ReceiptCorrelation::take_parked).
    ReceiptTakeParked,
    /// [`ReceiptCorrelation::due_parked`](super::ReceiptCorrelation::due_parked).
    ReceiptDueParked,
    /// [`IdempotencyKeys::claim`](super::IdempotencyKeys::claim).
    IdempotencyClaim,
    /// [`IdempotencyKeys::forget`](super::IdempotencyKeys::forget).
    IdempotencyForget,
    /// [`MoReassembly::add`](super::MoReassembly::add).
    MoAdd,
    /// [`MoReassembly::give_back`](super::MoReassembly::give_back).
    MoGiveBack,
    /// [`RegionBinds::mark`](super::RegionBinds::mark).
    RegionBindsMark,
    /// [`RegionBinds::served`](super::RegionBinds::served).
    RegionBindsServed,
    /// [`WakeLimits::try_take`](super::WakeLimits::try_take).
    WakeLimit,
    /// [`SessionPresence::claim`](super::SessionPresence::claim).
    PresenceClaim,
    /// [`SessionPresence::refresh_all`](super::SessionPresence::refresh_all):
    /// one pipeline of up to 500 entries.
    PresenceRefresh,
    /// [`SessionPresence::release`](super::SessionPresence::release).
    PresenceRelease,
    /// [`SessionPresence::holder`](super::SessionPresence::holder).
    PresenceHolder,
    /// [`SessionPresence::notify`](super::SessionPresence::notify).
    PresenceNotify,
    /// [`SessionPresence::take_notifications`](super::SessionPresence::take_notifications).
    PresenceTake,
    /// [`KeySpace::new`](super::KeySpace::new); never a Redis operation.
    KeySpace,
}

impl Op {
    /// The label value, e.g. `lease_acquire`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Op::LeaseAcquire => "lease_acquire",
            Op::LeaseRenew => "lease_renew",
            Op::LeaseRelease => "lease_release",
            Op::LeaseHeld => "lease_held",
            Op::ReceiptRecord => "receipt_record",
            Op::ReceiptLookup => "receipt_lookup",
            Op::ReceiptPark => "receipt_park",
            Op::ReceiptTakeParked => "receipt_take_parked",
            Op::ReceiptDueParked => "receipt_due_parked",
            Op::IdempotencyClaim => "idempotency_claim",
            Op::IdempotencyForget => "idempotency_forget",
            Op::MoAdd => "mo_add",
            Op::MoGiveBack => "mo_give_back",
            Op::RegionBindsMark => "region_binds_mark",
            Op::RegionBindsServed => "region_binds_served",
            Op::WakeLimit => "wake_limit",
            Op::PresenceClaim => "presence_claim",
            Op::PresenceRefresh => "presence_refresh",
            Op::PresenceRelease => "presence_release",
            Op::PresenceHolder => "presence_holder",
            Op::PresenceNotify => "presence_notify",
            Op::PresenceTake => "presence_take",
            Op::KeySpace => "key_space",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why parked receipts left the parking area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    /// Their submit_sm_resp was recorded (or taken by the caller).
    Matched,
    /// Their hold time ran out; the caller records them as unmatched.
    Expired,
}

impl Released {
    const fn as_str(self) -> &'static str {
        match self {
            Released::Matched => "matched",
            Released::Expired => "expired",
        }
    }
}

type Labels = Vec<(&'static str, &'static str)>;

/// The shared-state metrics. Cheap to clone; clones count into the same
/// series.
#[derive(Debug, Clone)]
pub struct StateMetrics {
    /// Redis round trips by `op` and `outcome` (`ok`, `error`).
    operations: Family<Labels, Counter>,
    /// Duration of Redis round trips by `op`, successful or not.
    duration: Family<Labels, Histogram>,
    /// Renewals that found the lease gone or taken over.
    leases_lost: Counter,
    /// Acquisitions that found every slot of the account held.
    leases_exhausted: Counter,
    /// Receipts parked to wait for their submit_sm_resp.
    receipts_parked: Counter,
    /// Parked receipts handed back, by `reason` (`matched`, `expired`).
    receipts_released: Family<Labels, Counter>,
    /// Concatenated MO messages completed.
    mo_completed: Counter,
    /// MO parts that were already stored, or came after completion.
    mo_duplicates: Counter,
    /// Session registry refreshes that found the SIM's entry held by
    /// another instance (a newer session there).
    presence_taken_over: Counter,
}

impl Default for StateMetrics {
    /// Metrics that count but are not registered anywhere (tests, tools).
    fn default() -> Self {
        Self {
            operations: Family::default(),
            duration: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0002, 4.0, 8))),
            leases_lost: Counter::default(),
            leases_exhausted: Counter::default(),
            receipts_parked: Counter::default(),
            receipts_released: Family::default(),
            mo_completed: Counter::default(),
            mo_duplicates: Counter::default(),
            presence_taken_over: Counter::default(),
        }
    }
}

impl StateMetrics {
    /// Registers the metrics under `registry`; the caller gives it the
    /// `state` prefix (`registry.sub_registry_with_prefix("state")`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "operations",
            "Redis operations of the shared state by op and outcome",
            m.operations.clone(),
        );
        registry.register(
            "operation_duration_seconds",
            "Round-trip time of shared-state Redis operations by op",
            m.duration.clone(),
        );
        registry.register(
            "leases_lost",
            "Bind lease renewals that found the lease lost",
            m.leases_lost.clone(),
        );
        registry.register(
            "leases_exhausted",
            "Bind lease acquisitions that found every slot of the account held",
            m.leases_exhausted.clone(),
        );
        registry.register(
            "receipts_parked",
            "Receipts parked because they arrived before their submit_sm_resp",
            m.receipts_parked.clone(),
        );
        registry.register(
            "receipts_released",
            "Parked receipts handed back, by reason (matched, expired)",
            m.receipts_released.clone(),
        );
        registry.register("mo_completed", "Concatenated MO messages completed", m.mo_completed.clone());
        registry.register("mo_duplicates", "Concatenated MO parts received twice", m.mo_duplicates.clone());
        registry.register(
            "presence_taken_over",
            "Applet session registry refreshes that found the entry held by another instance",
            m.presence_taken_over.clone(),
        );
        // Both reasons at 0 from the start (increase() sees the first one).
        for reason in [Released::Matched, Released::Expired] {
            m.receipts_released.get_or_create(&vec![("reason", reason.as_str())]).inc_by(0);
        }
        m
    }

    pub(crate) fn observe(&self, op: Op, ok: bool, seconds: f64) {
        let outcome = if ok { "ok" } else { "error" };
        self.operations.get_or_create(&vec![("op", op.as_str()), ("outcome", outcome)]).inc();
        self.duration.get_or_create(&vec![("op", op.as_str())]).observe(seconds);
    }

    pub(crate) fn lease_lost(&self) {
        self.leases_lost.inc();
    }

    pub(crate) fn lease_exhausted(&self) {
        self.leases_exhausted.inc();
    }

    pub(crate) fn receipt_parked(&self) {
        self.receipts_parked.inc();
    }

    pub(crate) fn receipts_released(&self, reason: Released, count: usize) {
        if count > 0 {
            self.receipts_released.get_or_create(&vec![("reason", reason.as_str())]).inc_by(count as u64);
        }
    }

    pub(crate) fn mo_completed(&self) {
        self.mo_completed.inc();
    }

    pub(crate) fn mo_duplicate(&self) {
        self.mo_duplicates.inc();
    }

    pub(crate) fn presence_taken_over(&self, count: usize) {
        self.presence_taken_over.inc_by(count as u64);
    }

    /// Redis round trips of `op` so far with outcome `ok` (tests, tools).
    pub fn operations_ok(&self, op: Op) -> u64 {
        self.operations.get_or_create(&vec![("op", op.as_str()), ("outcome", "ok")]).get()
    }
}
