//! How a run is paced and when it stops.
//!
//! Open loop ([`Pace::Rate`]): message `i` is due at `start + i / rate`,
//! whatever the target does, so a slow target shows up as latency (measured
//! from the due instant) and as a "saturated" count when the in-flight
//! bound is reached, never as a lower offered rate. Closed loop
//! ([`Pace::Window`]): at most `W` requests are outstanding and the next one
//! leaves when a response frees a slot.

use std::time::{Duration, Instant};

/// Open or closed loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Messages per second on a fixed timeline, with at most `max_in_flight`
    /// outstanding.
    Rate {
        /// Messages per second (> 0).
        per_second: f64,
        /// The in-flight bound.
        max_in_flight: usize,
    },
    /// At most this many outstanding (>= 1).
    Window(usize),
}

impl Pace {
    /// The most requests outstanding at once.
    pub fn max_in_flight(&self) -> usize {
        match *self {
            Self::Rate { max_in_flight, .. } => max_in_flight.max(1),
            Self::Window(w) => w.max(1),
        }
    }

    /// When message `index` is due in open loop (`None` in closed loop).
    pub fn due(&self, start: Instant, index: u64) -> Option<Instant> {
        match *self {
            Self::Rate { per_second, .. } => {
                // Precision: f64 holds index/rate exactly enough for any run
                // bounded to days.
                let offset = Duration::try_from_secs_f64(index as f64 / per_second).ok()?;
                start.checked_add(offset)
            }
            Self::Window(_) => None,
        }
    }
}

/// What ends a run: whichever comes first. At least one is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Messages to send.
    pub count: Option<u64>,
    /// How long to send for.
    pub duration: Option<Duration>,
}

impl Bounds {
    /// Checks that the run is bounded.
    pub fn new(count: Option<u64>, duration: Option<Duration>) -> Result<Self, crate::load::LoadError> {
        if count.is_none() && duration.is_none() {
            return Err(crate::load::LoadError::Usage(
                "every run is bounded: give --count, --duration or both".into(),
            ));
        }
        if count == Some(0) || duration == Some(Duration::ZERO) {
            return Err(crate::load::LoadError::Usage("--count and --duration must be above zero".into()));
        }
        Ok(Self { count, duration })
    }

    /// True when message number `sent` (0-based) may still be sent at `now`.
    pub fn allows(&self, sent: u64, start: Instant, now: Instant) -> bool {
        self.count.is_none_or(|c| sent < c) && self.duration.is_none_or(|d| now < start + d)
    }

    /// The instant sending stops by time, if bounded by time.
    pub fn deadline(&self, start: Instant) -> Option<Instant> {
        self.duration.map(|d| start + d)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn open_loop_timeline_is_fixed() {
        let start = Instant::now();
        let pace = Pace::Rate { per_second: 200.0, max_in_flight: 10 };
        assert_eq!(pace.due(start, 0), Some(start));
        assert_eq!(pace.due(start, 200), Some(start + Duration::from_secs(1)));
        assert_eq!(pace.due(start, 1), Some(start + Duration::from_millis(5)));
        assert_eq!(Pace::Window(4).due(start, 3), None);
    }

    #[test]
    fn runs_must_be_bounded() {
        assert!(Bounds::new(None, None).is_err());
        assert!(Bounds::new(Some(0), None).is_err());
        let b = Bounds::new(Some(3), Some(Duration::from_secs(1))).unwrap();
        let start = Instant::now();
        assert!(b.allows(2, start, start));
        assert!(!b.allows(3, start, start));
        assert!(!b.allows(0, start, start + Duration::from_secs(1)));
    }
}
