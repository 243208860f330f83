//! Reconnect delays: exponential from a minimum to a maximum, with full
//! jitter so that many instances that lost their binds at once do not
//! reconnect in step. Pure: the random draw is passed in.

use std::time::Duration;

/// Delay before the next connection attempt.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// Delays start at `min` and double up to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self { min, max: max.max(min), attempt: 0 }
    }

    /// A bind worked: the next failure starts again from `min`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The delay after another failure. `unit` is a random draw in
    /// `0.0..1.0`: the delay is uniform between half the exponential step
    /// and the whole step, so it never collapses to zero.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let step = self.min.saturating_mul(1u32 << self.attempt.min(20)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        step.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(1));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(2));
        assert_eq!(b.next_delay(0.0), Duration::from_secs(2));
        for _ in 0..40 {
            assert!(b.next_delay(1.0) <= Duration::from_secs(30));
        }
        assert_eq!(b.next_delay(0.0), Duration::from_secs(15));
        b.reset();
        assert_eq!(b.next_delay(1.0), Duration::from_secs(1));
    }
}
