//! Send-rate control for binds, without I/O or clock reads: a token bucket
//! (the SMSC's TPS grant, per bind and per account) and an adaptive limit
//! that backs off when the SMSC answers ESME_RTHROTTLED or ESME_RMSGQFUL
//! (SMPP v3.4 5.1.3) and recovers while it accepts.

use std::time::{Duration, Instant};

/// Tokens refill continuously at `rate` per second up to `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Tokens per second; 0 means unlimited.
    rate: f64,
    /// Most tokens held at once (at least one).
    burst: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket of `rate` tokens per second holding at most `burst`.
    /// A `rate` of 0 never limits.
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        let burst = burst.max(1.0);
        Self { rate: rate.max(0.0), burst, tokens: burst, updated: now }
    }

    /// The refill rate, tokens per second (0: unlimited).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Changes the refill rate, keeping the tokens already earned.
    pub fn set_rate(&mut self, rate: f64, now: Instant) {
        self.refill(now);
        self.rate = rate.max(0.0);
    }

    /// Takes one token if there is one. `Err` carries how long until one is
    /// due.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        match self.wait_time(now) {
            Some(wait) => Err(wait),
            None => {
                self.take();
                Ok(())
            }
        }
    }

    /// `None` when a token is there now, else how long until one is.
    pub fn wait_time(&mut self, now: Instant) -> Option<Duration> {
        if self.rate == 0.0 {
            return None;
        }
        self.refill(now);
        (self.tokens < 1.0).then(|| Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
    }

    /// Takes a token that [`TokenBucket::wait_time`] said is there.
    pub fn take(&mut self) {
        if self.rate > 0.0 {
            self.tokens = (self.tokens - 1.0).max(0.0);
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.updated = now;
    }
}

/// The rate a bind may send at: the configured ceiling, cut in half on
/// every throttle signal (at most once per `cooldown`), raised by a tenth
/// of the ceiling for every `cooldown` without one. Additive increase,
/// multiplicative decrease, as for TCP congestion control.
#[derive(Debug, Clone)]
pub struct AdaptiveRate {
    ceiling: f64,
    floor: f64,
    current: f64,
    cooldown: Duration,
    last_change: Instant,
}

impl AdaptiveRate {
    /// Starts at `ceiling` messages per second and never drops below
    /// `floor`.
    pub fn new(ceiling: f64, floor: f64, cooldown: Duration, now: Instant) -> Self {
        let floor = floor.clamp(0.1, ceiling.max(0.1));
        Self { ceiling, floor, current: ceiling, cooldown, last_change: now }
    }

    /// The rate allowed now.
    pub fn current(&self) -> f64 {
        self.current
    }

    /// The SMSC said slow down. Returns the new rate when it changed.
    pub fn on_throttled(&mut self, now: Instant) -> Option<f64> {
        if now.saturating_duration_since(self.last_change) < self.cooldown && self.current < self.ceiling {
            return None;
        }
        let next = (self.current / 2.0).max(self.floor);
        self.last_change = now;
        (next != self.current).then(|| {
            self.current = next;
            next
        })
    }

    /// The SMSC accepted a request. Returns the new rate when it changed.
    pub fn on_accepted(&mut self, now: Instant) -> Option<f64> {
        if self.current >= self.ceiling || now.saturating_duration_since(self.last_change) < self.cooldown {
            return None;
        }
        self.last_change = now;
        self.current = (self.current + self.ceiling / 10.0).min(self.ceiling);
        Some(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_grants_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 2.0, t0);
        assert!(b.try_take(t0).is_ok());
        assert!(b.try_take(t0).is_ok());
        let wait = b.try_take(t0).unwrap_err();
        assert!(wait <= Duration::from_millis(100) && wait > Duration::from_millis(90), "{wait:?}");
        assert!(b.try_take(t0 + Duration::from_millis(100)).is_ok());
        assert!(b.try_take(t0 + Duration::from_millis(100)).is_err());
        // Idle time fills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        assert!(b.try_take(later).is_ok() && b.try_take(later).is_ok());
        assert!(b.try_take(later).is_err());
    }

    #[test]
    fn zero_rate_never_limits() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(0.0, 1.0, t0);
        assert!((0..10_000).all(|_| b.try_take(t0).is_ok()));
    }

    #[test]
    fn throttle_halves_within_cooldown_once_and_recovers_slowly() {
        let t0 = Instant::now();
        let cooldown = Duration::from_secs(1);
        let mut r = AdaptiveRate::new(100.0, 5.0, cooldown, t0);
        assert_eq!(r.on_throttled(t0), Some(50.0));
        // A burst of throttles answers one overload, not many.
        assert_eq!(r.on_throttled(t0 + Duration::from_millis(10)), None);
        assert_eq!(r.on_throttled(t0 + cooldown), Some(25.0));
        assert_eq!(r.on_accepted(t0 + cooldown), None);
        assert_eq!(r.on_accepted(t0 + cooldown * 2), Some(35.0));
        for i in 3..20 {
            r.on_accepted(t0 + cooldown * i);
        }
        assert_eq!(r.current(), 100.0);
        for i in 20..40 {
            r.on_throttled(t0 + cooldown * i);
        }
        assert_eq!(r.current(), 5.0, "never below the floor");
    }
}
