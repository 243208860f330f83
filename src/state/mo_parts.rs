//! Reassembly of concatenated MO messages whose parts may arrive on
//! different binds and different instances.
//!
//! The parts of one message (same originator, recipient, reference number
//! and part count: the concatenation information element, 3GPP TS 23.040
//! 9.2.3.24.1 and 9.2.3.24.8, or the SMPP `sar_*` TLVs, v3.4 5.3.2.22-24)
//! are kept in one Redis hash until all are there. Adding a part is one
//! Lua script, so exactly one caller across all instances gets
//! [`MoProgress::Complete`]; the message is then deleted and a small
//! marker remembers it for one TTL so late duplicates are recognised.
//! Parts with a different part count are a different message (the count
//! is part of the key); incomplete messages expire one TTL after their
//! last part.
//!
//! Only one part may say what the whole message is: the first part of a
//! concatenated proof of receipt carries the response packet identifier
//! (IEI 0x71, TS 31.115 4), the later parts only the concatenation IE. That
//! part is added as [`MoKind::ProofOfReceipt`], which leaves a marker next
//! to the parts (same TTL), and the completing caller learns the kind from
//! it whichever part came last.

use super::keys::check_part;
use super::{Op, StateError, StateStore, ttl_ms};
use redis::{Script, Value};
use std::sync::LazyLock;
use std::time::Duration;

/// Longest originator or recipient address (SMPP allows 21 octets, v3.4
/// 5.2.8).
pub const MAX_ADDRESS_LEN: usize = 32;

/// KEYS: parts hash, done marker, PoR marker. ARGV: sequence number, data,
/// total, TTL ms, 1 when the part marks the message a PoR else 0. Returns
/// {0} for a duplicate, {1, have} while waiting, {2, parts, por} when
/// complete (por 1 when a part marked it).
static ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[2]) == 1 then return {0} end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return {0} end
if ARGV[5] == '1' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
local have = redis.call('HLEN', KEYS[1])
local total = tonumber(ARGV[3])
if have < total then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
  return {1, have}
end
local fields = {}
for i = 1, total do fields[i] = tostring(i) end
local parts = redis.call('HMGET', KEYS[1], unpack(fields))
local por = redis.call('EXISTS', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
return {2, parts, por}
",
    )
});

/// KEYS: parts hash, done marker, PoR marker. ARGV: TTL ms, 1 when the
/// message is a PoR else 0, then sequence number and data of each part
/// given back. Undoes a completion but for the parts left out.
static GIVE_BACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('DEL', KEYS[2])
for i = 3, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
if #ARGV > 2 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if ARGV[2] == '1' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[1]) end
return 1
",
    )
});

/// Names one concatenated MO message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MoKey {
    /// The originator (the handset), as received in `source_addr`.
    pub source: String,
    /// The recipient, as received in `destination_addr`.
    pub destination: String,
    /// The concatenation reference number (8 or 16 bits).
    pub reference: u16,
    /// How many parts the message has, 1 to 255.
    pub total: u8,
}

/// What a concatenated MO is, as its parts tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoKind {
    /// A message for the MO consumers (`sms.mo.received`).
    Message,
    /// The proof of receipt of an OTA command (TS 31.115 4): its first part
    /// carries the response packet identifier.
    ProofOfReceipt,
}

/// What [`MoReassembly::add`] made of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoProgress {
    /// Stored; `have` of `total` parts are there.
    Waiting {
        /// Parts stored so far, including this one.
        have: u8,
        /// Parts the message has.
        total: u8,
    },
    /// This part completed the message. Only one caller ever gets this for
    /// a message.
    Complete {
        /// Every part's data, in sequence order.
        parts: Vec<Vec<u8>>,
        /// [`MoKind::ProofOfReceipt`] when one of the parts was added as
        /// such, else [`MoKind::Message`].
        kind: MoKind,
    },
    /// This part was stored already, or the message was completed already.
    Duplicate,
}

/// The MO reassembly area.
#[derive(Debug, Clone)]
pub struct MoReassembly {
    store: StateStore,
    /// How long an incomplete message waits after its last part, and how
    /// long a completed one is remembered.
    ttl: Duration,
    /// Largest part count accepted (at most 255).
    max_parts: u8,
    /// Largest data of one part, in octets; with `max_parts` it bounds one
    /// message's size in Redis.
    max_part_len: usize,
}

impl MoReassembly {
    /// Reassembly of messages of up to `max_parts` parts of up to
    /// `max_part_len` octets each, waiting `ttl` for missing parts.
    pub fn new(store: StateStore, ttl: Duration, max_parts: u8, max_part_len: usize) -> Self {
        Self { store, ttl, max_parts, max_part_len }
    }

    /// Adds part `seq` (1 to `key.total`) with its user data. A one-part
    /// message is complete at once and touches nothing in Redis.
    pub async fn add(&self, key: &MoKey, seq: u8, data: &[u8]) -> Result<MoProgress, StateError> {
        self.add_part(key, seq, data, MoKind::Message).await
    }

    /// Adds a part as [`add`](Self::add) does; `kind` is what this part
    /// shows the whole message to be: [`MoKind::ProofOfReceipt`] for the
    /// part that carries the response packet identifier, [`MoKind::Message`]
    /// for any other (a part never unmarks a message).
    pub async fn add_part(
        &self,
        key: &MoKey,
        seq: u8,
        data: &[u8],
        kind: MoKind,
    ) -> Result<MoProgress, StateError> {
        let op = Op::MoAdd;
        let invalid = |reason| Err(StateError::InvalidPart { reason });
        if key.total == 0 {
            return invalid("part count 0");
        }
        if key.total > self.max_parts {
            return invalid("part count above the maximum");
        }
        if seq == 0 || seq > key.total {
            return invalid("sequence number 0 or above the part count");
        }
        if data.len() > self.max_part_len {
            return invalid("part data longer than the maximum");
        }
        check_part(op, "source address", &key.source, MAX_ADDRESS_LEN, b"{}|")?;
        check_part(op, "destination address", &key.destination, MAX_ADDRESS_LEN, b"{}|")?;
        if key.total == 1 {
            self.store.metrics().mo_completed();
            return Ok(MoProgress::Complete { parts: vec![data.to_vec()], kind });
        }
        let tag = tag(key);
        let keys = self.store.keys();
        let (parts, done, por) = (keys.mo_parts(&tag), keys.mo_done(&tag), keys.mo_por(&tag));
        let ttl = ttl_ms(self.ttl);
        let total = key.total;
        let marks = u8::from(kind == MoKind::ProofOfReceipt);
        let reply: Vec<Value> = self
            .store
            .run(op, |mut c| async move {
                ADD.key(parts)
                    .key(done)
                    .key(por)
                    .arg(seq)
                    .arg(data)
                    .arg(total)
                    .arg(ttl)
                    .arg(marks)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        match reply.as_slice() {
            [Value::Int(0)] => {
                self.store.metrics().mo_duplicate();
                Ok(MoProgress::Duplicate)
            }
            [Value::Int(1), Value::Int(have)] => {
                let have = u8::try_from(*have).map_err(|_| StateError::Corrupt { op, what: "part count" })?;
                Ok(MoProgress::Waiting { have, total })
            }
            [Value::Int(2), Value::Array(values), Value::Int(por)] if values.len() == usize::from(total) => {
                let mut data = Vec::with_capacity(values.len());
                for value in values {
                    match value {
                        Value::BulkString(bytes) => data.push(bytes.clone()),
                        _ => return Err(StateError::Corrupt { op, what: "missing part on completion" }),
                    }
                }
                self.store.metrics().mo_completed();
                let kind = if *por == 1 { MoKind::ProofOfReceipt } else { MoKind::Message };
                Ok(MoProgress::Complete { parts: data, kind })
            }
            _ => Err(StateError::Corrupt { op, what: "add script reply" }),
        }
    }

    /// Undoes the completion of the message `key` whose caller could not
    /// make it durable (the broker or a store down), so the SMSC's resend
    /// of the part that completed it, `completing_seq`, completes it again
    /// instead of being taken for a late duplicate: every other part of
    /// `parts` (in sequence order, as `Complete` gave them) is stored
    /// again with `kind`, and the done marker is removed. A one-part
    /// message has nothing in Redis to give back.
    pub async fn give_back(
        &self,
        key: &MoKey,
        parts: &[Vec<u8>],
        kind: MoKind,
        completing_seq: u8,
    ) -> Result<(), StateError> {
        if key.total <= 1 {
            return Ok(());
        }
        let op = Op::MoGiveBack;
        check_part(op, "source address", &key.source, MAX_ADDRESS_LEN, b"{}|")?;
        check_part(op, "destination address", &key.destination, MAX_ADDRESS_LEN, b"{}|")?;
        let tag = tag(key);
        let keys = self.store.keys();
        let (hash, done, por) = (keys.mo_parts(&tag), keys.mo_done(&tag), keys.mo_por(&tag));
        let ttl = ttl_ms(self.ttl);
        let marks = u8::from(kind == MoKind::ProofOfReceipt);
        let others: Vec<(u8, &[u8])> = (1..=key.total)
            .zip(parts.iter().take(usize::from(key.total)))
            .filter(|(seq, _)| *seq != completing_seq)
            .map(|(seq, data)| (seq, data.as_slice()))
            .collect();
        let _: Value = self
            .store
            .run(op, |mut c| async move {
                let mut call = GIVE_BACK.prepare_invoke();
                call.key(hash).key(done).key(por).arg(ttl).arg(marks);
                for (seq, data) in &others {
                    call.arg(*seq).arg(*data);
                }
                call.invoke_async(&mut c).await
            })
            .await?;
        Ok(())
    }
}

/// The part of a message's keys inside the braces.
fn tag(key: &MoKey) -> String {
    format!("{}|{}|{}|{}", key.source, key.destination, key.reference, key.total)
}
