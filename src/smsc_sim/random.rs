//! Seeded random draws: response latency, receipt delay, final state and
//! ratios. One small PRNG per connection (fastrand's wyrand), seeded from
//! the configured seed, so a run can be repeated.

use std::time::Duration;

use crate::smpp::receipt::MessageState;

use super::config::{DelayRange, Latency, StatusMix};

/// The random source of one connection or task.
#[derive(Debug, Clone)]
pub struct Dice(fastrand::Rng);

impl Dice {
    /// A source for stream `stream` of a run seeded with `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Dice(fastrand::Rng::with_seed(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    /// True with probability `p` (0 never, 1 always).
    pub fn chance(&mut self, p: f64) -> bool {
        p >= 1.0 || (p > 0.0 && self.0.f64() < p)
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.0.usize(..n) }
    }

    /// A response delay.
    pub fn latency(&mut self, latency: &Latency) -> Duration {
        match *latency {
            Latency::Fixed { delay } => delay,
            Latency::Uniform { min, max } => self.between(min, max),
            Latency::LogNormal { median, p99 } => {
                // ln X ~ N(mu, sigma): median = e^mu, p99 = e^(mu + 2.326 sigma).
                let mu = median.as_secs_f64().ln();
                let sigma = (p99.as_secs_f64().ln() - mu).max(0.0) / 2.326_348;
                let secs = (mu + sigma * self.standard_normal()).exp();
                Duration::from_secs_f64(secs.min(p99.as_secs_f64() * 10.0))
            }
        }
    }

    /// A delay from a range.
    pub fn delay(&mut self, range: DelayRange) -> Duration {
        self.between(range.min, range.max)
    }

    /// A final state by the mix's weights.
    pub fn final_state(&mut self, mix: StatusMix) -> MessageState {
        let weights = [
            (mix.delivered, MessageState::Delivered),
            (mix.undeliverable, MessageState::Undeliverable),
            (mix.expired, MessageState::Expired),
            (mix.rejected, MessageState::Rejected),
        ];
        let total: u64 = weights.iter().map(|(w, _)| u64::from(*w)).sum();
        if total == 0 {
            return MessageState::Delivered;
        }
        let mut pick = self.0.u64(..total);
        for (w, state) in weights {
            let w = u64::from(w);
            if pick < w {
                return state;
            }
            pick -= w;
        }
        MessageState::Delivered
    }

    fn between(&mut self, min: Duration, max: Duration) -> Duration {
        if max <= min {
            return min;
        }
        let span = u64::try_from((max - min).as_nanos()).unwrap_or(u64::MAX);
        min + Duration::from_nanos(self.0.u64(..=span))
    }

    /// Box-Muller; 1 - f64() keeps the logarithm's argument above 0.
    fn standard_normal(&mut self) -> f64 {
        let u1 = 1.0 - self.0.f64();
        let u2 = self.0.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_normal_hits_its_median_and_p99() {
        let mut d = Dice::new(7, 0);
        let l = Latency::LogNormal { median: Duration::from_millis(10), p99: Duration::from_millis(100) };
        let mut draws: Vec<Duration> = (0..20_000).map(|_| d.latency(&l)).collect();
        draws.sort();
        let median = draws[10_000].as_secs_f64();
        let p99 = draws[19_800].as_secs_f64();
        assert!((0.009..0.011).contains(&median), "{median}");
        assert!((0.085..0.115).contains(&p99), "{p99}");
    }

    #[test]
    fn mix_follows_weights_and_ranges_stay_inside() {
        let mut d = Dice::new(1, 2);
        let mix = StatusMix { delivered: 3, undeliverable: 1, expired: 0, rejected: 0 };
        let n = (0..8000).filter(|_| d.final_state(mix) == MessageState::Delivered).count();
        assert!((5700..6300).contains(&n), "{n}");
        let r = DelayRange { min: Duration::from_millis(5), max: Duration::from_millis(9) };
        assert!((0..1000).map(|_| d.delay(r)).all(|x| x >= r.min && x <= r.max));
        assert!(d.chance(1.0) && !d.chance(0.0));
        assert_eq!(Dice::new(3, 4).below(1000), Dice::new(3, 4).below(1000), "seeded");
    }
}
