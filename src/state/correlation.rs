//! Receipt correlation: which MT message part an SMSC message id names, so
//! a delivery receipt arriving on any bind of any instance finds it, and
//! receipts that overtake their submit_sm_resp are held, not lost.
//!
//! Ids are indexed per SMSC account (ids are only unique per account, and
//! one hash tag per account keeps every script of an account on one
//! slot). Keys are the normalised correlation keys of
//! [`MessageId`](crate::smpp::receipt::MessageId): the submit_sm_resp side
//! is recorded under its `correlation_key()`; a receipt probes its
//! `lookup_keys()` (at most three) and, when none is recorded yet, is
//! parked under its own `correlation_key()`.
//!
//! # No receipt is lost to a race
//!
//! [`record`](ReceiptCorrelation::record) and
//! [`park`](ReceiptCorrelation::park) are Lua scripts, and Redis runs
//! scripts one at a time:
//!
//! - `record` sets the map entry and, in the same step, takes every
//!   receipt parked under the recorded id's lookup keys and returns them;
//! - `park` first probes the map under the receipt's lookup keys and, when
//!   one is there, returns it instead of parking.
//!
//! So a receipt either sees the entry (and is matched at once), or is
//! parked before `record` runs (and `record` hands it back). Lookup keys
//! are symmetric (`MessageId::may_match`), so probing from either side
//! finds the same pairs.
//!
//! # Receipts whose submit_sm_resp never comes
//!
//! Each parked id has a deadline (Redis server time + `hold`) in a sorted
//! set per account. [`due_parked`](ReceiptCorrelation::due_parked) claims
//! ids past their deadline, atomically per id, so exactly one instance
//! gets each batch and records it as unmatched.

use super::keys::{MAX_MESSAGE_ID_LEN, check_account, check_correlation_key, check_part};
use super::metrics::Released;
use super::{Op, StateError, StateStore, ttl_ms};
use redis::{Script, Value};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use std::time::Duration;

/// Longest receipt (the caller's JSON) that may be parked.
pub const MAX_RECEIPT_LEN: usize = 4096;

/// Most receipts parked under one id (an SMSC may send intermediate
/// receipts before the final one, v3.4 5.3.2.12 `message_state`).
pub const MAX_PARKED_PER_ID: usize = 16;

/// Most ids parked at once per account unless set otherwise
/// ([`ReceiptCorrelation::with_max_parked_ids`]); a bound on the due set.
pub const MAX_PARKED_IDS_PER_ACCOUNT: usize = 100_000;

/// Most lookup keys one call probes (`MessageId::lookup_keys` gives three).
pub const MAX_PROBE_KEYS: usize = 4;

/// Most ids one [`ReceiptCorrelation::due_parked`] call claims.
pub const MAX_DUE_BATCH: usize = 100;

/// How long parked receipts stay in Redis after their deadline, so an
/// instance that polls `due_parked` late still finds them.
pub const PARK_GRACE: Duration = Duration::from_secs(600);

/// Redis server time in ms, inside a script.
const NOW_MS: &str =
    "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n";

/// KEYS: map entry, due set, then one parked list per probe key. ARGV:
/// PartRef JSON, TTL ms, then the probe keys (due set members). Returns
/// every receipt that was parked under a probe key.
static RECORD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local out = {}
for i = 3, #KEYS do
  local got = redis.call('LRANGE', KEYS[i], 0, -1)
  if #got > 0 then
    redis.call('DEL', KEYS[i])
    for _, r in ipairs(got) do out[#out + 1] = r end
  end
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return out
",
    )
});

/// KEYS: parked list, due set, then one map entry per probe key. ARGV:
/// receipt, hold ms, parked TTL ms, own key (due set member), max parked
/// per id, max parked ids. Returns {1, {PartRef JSON...}} when recorded,
/// {2} when the id is full, {3} when the account is full, {0} when parked.
static PARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
local hits = {{}}
for i = 3, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v then hits[#hits + 1] = v end
end
if #hits > 0 then return {{1, hits}} end
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[5]) then return {{2}} end
if not redis.call('ZSCORE', KEYS[2], ARGV[4]) and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then
  return {{3}}
end
{NOW_MS}
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[4])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return {{0}}
"
    ))
});

/// KEYS: parked list, due set. ARGV: own key. Returns the parked receipts
/// and removes them.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local got = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return got
",
    )
});

/// KEYS: due set. ARGV: limit. Returns up to `limit` ids past their
/// deadline, by Redis server time.
static DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NOW_MS}return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))\n"
    ))
});

/// KEYS: due set, parked list. ARGV: own key. Claims the id if it is still
/// past its deadline: returns its receipts and removes them, or false.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"{NOW_MS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > now then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
local got = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return got
"
    ))
});

/// The MT message part an SMSC message id belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// simgate's id of the MT message (1 to 128 visible ASCII octets).
    pub message_id: String,
    /// The part of the message, from 1; a single-part message is part 1.
    pub part: u16,
}

/// What [`ReceiptCorrelation::park`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parked {
    /// The receipt waits for its submit_sm_resp (or its deadline).
    Held,
    /// An entry was already recorded under one of the probe keys: the
    /// receipt was not parked; these are the hits in probe order (more
    /// than one is ambiguous, see `MessageId`).
    Matched(Vec<PartRef>),
}

/// Parked receipts whose hold ran out, claimed by this caller alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueParked {
    /// The correlation key they were parked under.
    pub key: String,
    /// The receipts, in arrival order.
    pub receipts: Vec<String>,
}

/// The receipt correlation map, its parking area and their deadlines.
#[derive(Debug, Clone)]
pub struct ReceiptCorrelation {
    store: StateStore,
    /// How long a recorded id stays; longer than the SMSC's validity
    /// period plus its receipt delay, or late receipts go unmatched.
    ttl: Duration,
    /// Most ids parked at once per account.
    max_parked_ids: usize,
}

impl ReceiptCorrelation {
    /// A map whose entries live `ttl` after they are recorded.
    pub fn new(store: StateStore, ttl: Duration) -> Self {
        Self { store, ttl, max_parked_ids: MAX_PARKED_IDS_PER_ACCOUNT }
    }

    /// The same map with another bound on the ids parked per account
    /// (default [`MAX_PARKED_IDS_PER_ACCOUNT`]).
    pub fn with_max_parked_ids(mut self, max: usize) -> Self {
        self.max_parked_ids = max;
        self
    }

    /// Records that SMSC id `key` of `account` is `target` (after the
    /// submit_sm_resp), and returns the receipts that were parked under any
    /// of `probe_keys` (the id's `lookup_keys()`), removing them. The
    /// caller processes those as matched to `target`.
    pub async fn record(
        &self,
        account: &str,
        key: &str,
        probe_keys: &[&str],
        target: &PartRef,
    ) -> Result<Vec<String>, StateError> {
        let op = Op::ReceiptRecord;
        check_account(op, account)?;
        check_correlation_key(op, key)?;
        check_probe_keys(op, probe_keys)?;
        check_part(op, "message id", &target.message_id, MAX_MESSAGE_ID_LEN, &[])?;
        let json =
            serde_json::to_string(target).map_err(|_| StateError::Corrupt { op, what: "PartRef JSON" })?;
        let keys = self.store.keys();
        let mut call = RECORD.prepare_invoke();
        call.key(keys.receipt_map(account, key)).key(keys.receipt_due(account));
        for probe in probe_keys {
            call.key(keys.receipt_parked(account, probe));
        }
        call.arg(json).arg(ttl_ms(self.ttl));
        for probe in probe_keys {
            call.arg(*probe);
        }
        let receipts: Vec<String> =
            self.store.run(op, |mut c| async move { call.invoke_async(&mut c).await }).await?;
        self.store.released(Released::Matched, receipts.len());
        Ok(receipts)
    }

    /// The entries recorded under `probe_keys` of `account`, in probe
    /// order. Empty when none is; more than one is ambiguous.
    pub async fn lookup(&self, account: &str, probe_keys: &[&str]) -> Result<Vec<PartRef>, StateError> {
        let op = Op::ReceiptLookup;
        check_account(op, account)?;
        check_probe_keys(op, probe_keys)?;
        if probe_keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> =
            probe_keys.iter().map(|k| self.store.keys().receipt_map(account, k)).collect();
        let values: Vec<Option<String>> = self
            .store
            .run(op, |mut c| async move { redis::cmd("MGET").arg(keys).query_async(&mut c).await })
            .await?;
        values.into_iter().flatten().map(|v| decode_part_ref(op, &v)).collect()
    }

    /// Parks `receipt` (opaque text the caller made, at most
    /// [`MAX_RECEIPT_LEN`] octets) under SMSC id `key` of `account`, for
    /// `hold`, unless an entry is already recorded under one of
    /// `probe_keys` (the receipt id's `lookup_keys()`): then it returns
    /// that entry and parks nothing. A later park under the same key moves
    /// the deadline to its own `hold`.
    pub async fn park(
        &self,
        account: &str,
        key: &str,
        probe_keys: &[&str],
        receipt: &str,
        hold: Duration,
    ) -> Result<Parked, StateError> {
        let op = Op::ReceiptPark;
        check_account(op, account)?;
        check_correlation_key(op, key)?;
        check_probe_keys(op, probe_keys)?;
        check_receipt(op, receipt)?;
        let keys = self.store.keys();
        let mut call = PARK.prepare_invoke();
        call.key(keys.receipt_parked(account, key)).key(keys.receipt_due(account));
        for probe in probe_keys {
            call.key(keys.receipt_map(account, probe));
        }
        call.arg(receipt)
            .arg(ttl_ms(hold))
            .arg(ttl_ms(hold.saturating_add(PARK_GRACE)))
            .arg(key)
            .arg(MAX_PARKED_PER_ID)
            .arg(self.max_parked_ids);
        let reply: Vec<Value> =
            self.store.run(op, |mut c| async move { call.invoke_async(&mut c).await }).await?;
        match reply.as_slice() {
            [Value::Int(0)] => {
                self.store.metrics().receipt_parked();
                Ok(Parked::Held)
            }
            [Value::Int(1), Value::Array(hits)] => {
                let mut found = Vec::with_capacity(hits.len());
                for hit in hits {
                    let Value::BulkString(bytes) = hit else {
                        return Err(StateError::Corrupt { op, what: "map entry is not a string" });
                    };
                    let text = std::str::from_utf8(bytes)
                        .map_err(|_| StateError::Corrupt { op, what: "map entry is not UTF-8" })?;
                    found.push(decode_part_ref(op, text)?);
                }
                Ok(Parked::Matched(found))
            }
            [Value::Int(2)] => Err(StateError::ParkedFull { limit: MAX_PARKED_PER_ID }),
            [Value::Int(3)] => Err(StateError::AccountParkingFull { limit: self.max_parked_ids }),
            _ => Err(StateError::Corrupt { op, what: "park script reply" }),
        }
    }

    /// Takes and removes every receipt parked under `key` of `account`, in
    /// arrival order. Atomic: of several callers only one gets them.
    pub async fn take_parked(&self, account: &str, key: &str) -> Result<Vec<String>, StateError> {
        let op = Op::ReceiptTakeParked;
        check_account(op, account)?;
        check_correlation_key(op, key)?;
        let keys = self.store.keys();
        let (parked, due) = (keys.receipt_parked(account, key), keys.receipt_due(account));
        let receipts: Vec<String> = self
            .store
            .run(op, |mut c| async move { TAKE.key(parked).key(due).arg(key).invoke_async(&mut c).await })
            .await?;
        self.store.released(Released::Matched, receipts.len());
        Ok(receipts)
    }

    /// Claims up to `limit` (at most [`MAX_DUE_BATCH`]) parked ids of
    /// `account` whose hold ran out, by Redis server time. Each id is
    /// claimed atomically: across instances, exactly one caller gets its
    /// receipts, and records them as unmatched. Ids whose receipts expired
    /// during [`PARK_GRACE`] are dropped without a result.
    pub async fn due_parked(&self, account: &str, limit: usize) -> Result<Vec<DueParked>, StateError> {
        let op = Op::ReceiptDueParked;
        check_account(op, account)?;
        let limit = limit.min(MAX_DUE_BATCH);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let keys = self.store.keys();
        let due = keys.receipt_due(account);
        let due_for_read = due.clone();
        let members: Vec<String> = self
            .store
            .run(op, |mut c| async move { DUE.key(due_for_read).arg(limit).invoke_async(&mut c).await })
            .await?;
        let mut claimed = Vec::new();
        for key in members {
            check_correlation_key(op, &key)
                .map_err(|_| StateError::Corrupt { op, what: "due set member" })?;
            let parked = keys.receipt_parked(account, &key);
            let due = due.clone();
            let member = key.clone();
            let got: Option<Vec<String>> =
                self.store
                    .run(op, |mut c| async move {
                        CLAIM.key(due).key(parked).arg(member).invoke_async(&mut c).await
                    })
                    .await?;
            if let Some(receipts) = got.filter(|r| !r.is_empty()) {
                self.store.released(Released::Expired, receipts.len());
                claimed.push(DueParked { key, receipts });
            }
        }
        Ok(claimed)
    }
}

fn decode_part_ref(op: Op, text: &str) -> Result<PartRef, StateError> {
    serde_json::from_str(text).map_err(|_| StateError::Corrupt { op, what: "map entry is not a PartRef" })
}

fn check_probe_keys(op: Op, probe_keys: &[&str]) -> Result<(), StateError> {
    if probe_keys.len() > MAX_PROBE_KEYS {
        return Err(StateError::InvalidInput { op, what: "probe keys", reason: "more than 4" });
    }
    probe_keys.iter().try_for_each(|k| check_correlation_key(op, k))
}

fn check_receipt(op: Op, receipt: &str) -> Result<(), StateError> {
    if receipt.is_empty() {
        return Err(StateError::InvalidInput { op, what: "receipt", reason: "empty" });
    }
    if receipt.len() > MAX_RECEIPT_LEN {
        return Err(StateError::InvalidInput { op, what: "receipt", reason: "longer than 4096 octets" });
    }
    Ok(())
}
