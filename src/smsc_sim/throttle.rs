//! Per-bind rate limit: a token bucket refilled at `rate` per second with a
//! burst of one second's worth, driven by the `now` passed in.

use std::time::Instant;

/// A token bucket. Tokens are kept in millionths so no float is needed.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Tokens per second.
    rate: u64,
    /// Millionths of a token available; at most `rate * 1e6`.
    micro_tokens: u64,
    /// When `micro_tokens` was last brought up to date.
    updated: Instant,
}

const MICRO: u64 = 1_000_000;

impl TokenBucket {
    /// A full bucket of `rate` tokens per second.
    pub fn new(rate: u32, now: Instant) -> Self {
        let rate = u64::from(rate.max(1));
        TokenBucket { rate, micro_tokens: rate * MICRO, updated: now }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated);
        // rate (<= u32::MAX) * micros elapsed fits u64 for elapsed up to
        // about an hour; beyond that the bucket is simply full.
        let added = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).saturating_mul(self.rate);
        self.micro_tokens = self.micro_tokens.saturating_add(added).min(self.rate * MICRO);
        self.updated = now;
        if self.micro_tokens >= MICRO {
            self.micro_tokens -= MICRO;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, t0);
        assert_eq!((0..20).filter(|_| b.try_take(t0)).count(), 10);
        assert!(!b.try_take(t0 + Duration::from_millis(50)));
        assert!(b.try_take(t0 + Duration::from_millis(100)));
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..20).filter(|_| b.try_take(later)).count(), 10, "burst stays one second");
    }
}
