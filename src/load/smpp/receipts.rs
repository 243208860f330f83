//! Matching delivery receipts to the submits of a run by the SMSC's
//! message id, with the correlation keys of [`crate::smpp::receipt`]: the
//! first side seen (usually submit_sm_resp, sometimes the receipt, which
//! can overtake it on another bind) is indexed under its correlation key;
//! the other side probes its lookup keys.

use crate::load::report::Receipts;
use crate::load::stats::Latency;
use crate::smpp::receipt::{CorrelationKey, MessageId};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Most ids remembered on each side; beyond it new ones are not indexed
/// (they count as unmatched).
pub const MAX_INDEXED: usize = 1_000_000;

/// The run's submits and receipts.
#[derive(Debug)]
pub struct ReceiptBook {
    /// Accepted submits not yet receipted: key -> when the response came.
    submitted: HashMap<CorrelationKey, Instant>,
    /// Receipts that came before their submit's response.
    early: HashMap<CorrelationKey, Instant>,
    /// Accepted submits that carried a message id.
    pub accepted_ids: u64,
    /// Receipts received.
    pub received: u64,
    /// Receipts matched to a submit.
    pub matched: u64,
    /// Receipts whose content did not parse.
    pub unparsed: u64,
    /// deliver_sm/data_sm that were not receipts.
    pub mo: u64,
    to_receipt: Latency,
}

impl Default for ReceiptBook {
    fn default() -> Self {
        Self {
            submitted: HashMap::new(),
            early: HashMap::new(),
            accepted_ids: 0,
            received: 0,
            matched: 0,
            unparsed: 0,
            mo: 0,
            to_receipt: Latency::new(3),
        }
    }
}

fn probe(map: &mut HashMap<CorrelationKey, Instant>, id: &MessageId) -> Option<Instant> {
    id.lookup_keys().iter().find_map(|k| map.remove(k))
}

impl ReceiptBook {
    /// A submit was accepted with this id at `at`.
    pub fn submitted(&mut self, id: &MessageId, at: Instant) {
        self.accepted_ids += 1;
        if probe(&mut self.early, id).is_some() {
            self.matched += 1;
            self.to_receipt.record(std::time::Duration::ZERO);
        } else if self.submitted.len() < MAX_INDEXED {
            self.submitted.insert(id.correlation_key().clone(), at);
        }
    }

    /// A receipt for `id` arrived at `at`.
    pub fn receipt(&mut self, id: &MessageId, at: Instant) {
        self.received += 1;
        if let Some(since) = probe(&mut self.submitted, id) {
            self.matched += 1;
            self.to_receipt.record(at.saturating_duration_since(since));
        } else if self.early.len() < MAX_INDEXED {
            self.early.insert(id.correlation_key().clone(), at);
        }
    }

    /// Every accepted submit has its receipt.
    pub fn all_matched(&self) -> bool {
        self.matched >= self.accepted_ids
    }

    /// The report section.
    pub fn report(&self) -> Receipts {
        Receipts {
            received: self.received,
            matched: self.matched,
            unmatched: self.received - self.matched,
            mo: self.mo,
            time_to_receipt: self.to_receipt.percentiles(),
        }
    }
}

/// The book behind its lock.
pub fn lock(book: &Mutex<ReceiptBook>) -> MutexGuard<'_, ReceiptBook> {
    book.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn receipts_match_either_order_and_across_spellings() {
        let now = Instant::now();
        let mut b = ReceiptBook::default();
        b.submitted(&MessageId::new("0000002a").unwrap(), now);
        // The receipt spells the same id in decimal.
        b.receipt(&MessageId::new("42").unwrap(), now);
        // A receipt overtakes its response.
        b.receipt(&MessageId::new("77").unwrap(), now);
        b.submitted(&MessageId::new("77").unwrap(), now);
        b.receipt(&MessageId::new("999").unwrap(), now);
        assert_eq!((b.received, b.matched), (3, 2));
        assert!(b.all_matched());
        assert_eq!(b.report().unmatched, 1);
    }
}
