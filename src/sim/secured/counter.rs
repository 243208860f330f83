//! The counter of a secured packet: five octets, big-endian (ETSI TS 102
//! 225 5.1, CNTR), and the receiver's decision on it (5.1.1, counter
//! management, selected by the SPI's b5-b4).

use super::ResponseStatus;
use super::spi::CounterMode;

/// A 40-bit counter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Counter(u64);

/// Why a counter cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CounterError {
    /// Above the five octets' range.
    #[error("counter {0} does not fit in five octets")]
    TooLarge(u64),
    /// The sender has used the last value; no packet can follow (a card
    /// refuses to go on once the counter is exhausted).
    #[error("counter exhausted")]
    Exhausted,
}

impl Counter {
    /// Zero: no packet sent yet.
    pub const ZERO: Counter = Counter(0);
    /// The largest value, 2^40 - 1.
    pub const MAX: Counter = Counter((1 << 40) - 1);

    /// From a number, refusing values above [`Counter::MAX`].
    pub const fn new(value: u64) -> Result<Self, CounterError> {
        if value > Self::MAX.0 { Err(CounterError::TooLarge(value)) } else { Ok(Self(value)) }
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// From the five CNTR octets.
    pub const fn from_octets(o: [u8; 5]) -> Self {
        Self(u64::from_be_bytes([0, 0, 0, o[0], o[1], o[2], o[3], o[4]]))
    }

    /// The five CNTR octets.
    pub const fn to_octets(self) -> [u8; 5] {
        let b = self.0.to_be_bytes();
        [b[3], b[4], b[5], b[6], b[7]]
    }

    /// The value after this one.
    pub const fn next(self) -> Result<Self, CounterError> {
        if self.0 >= Self::MAX.0 { Err(CounterError::Exhausted) } else { Ok(Self(self.0 + 1)) }
    }
}

impl std::fmt::Display for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:010X}", self.0)
    }
}

/// What the receiver does with a packet given its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterDecision {
    /// Process it and record its counter as the last accepted one.
    Accept,
    /// Process it; the mode asks for no check, so nothing is recorded.
    AcceptUnchecked,
    /// Refuse: not higher than the last accepted value (a replay).
    Low,
    /// Refuse: more than one higher in "process if one higher" mode.
    High,
}

impl CounterDecision {
    /// Whether the packet is processed.
    pub const fn is_accepted(self) -> bool {
        matches!(self, CounterDecision::Accept | CounterDecision::AcceptUnchecked)
    }

    /// The PoR status code for it (5.2): PoR OK, CNTR low or CNTR high.
    pub const fn status(self) -> ResponseStatus {
        match self {
            CounterDecision::Accept | CounterDecision::AcceptUnchecked => ResponseStatus::PorOk,
            CounterDecision::Low => ResponseStatus::CounterLow,
            CounterDecision::High => ResponseStatus::CounterHigh,
        }
    }
}

/// The counter management rule of TS 102 225 5.1.1: `last` is the highest
/// counter the receiver accepted so far (zero for none).
pub const fn check_counter(mode: CounterMode, received: Counter, last: Counter) -> CounterDecision {
    match mode {
        CounterMode::None | CounterMode::Available => CounterDecision::AcceptUnchecked,
        CounterMode::ProcessIfHigher if received.0 > last.0 => CounterDecision::Accept,
        CounterMode::ProcessIfHigher => CounterDecision::Low,
        CounterMode::ProcessIfOneHigher if received.0 <= last.0 => CounterDecision::Low,
        CounterMode::ProcessIfOneHigher if received.0 == last.0 + 1 => CounterDecision::Accept,
        CounterMode::ProcessIfOneHigher => CounterDecision::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octets_round_trip_and_bounds() {
        for v in [0, 1, 0xFF, 0x01_0203_0405, Counter::MAX.get()] {
            let c = Counter::new(v).unwrap();
            assert_eq!(Counter::from_octets(c.to_octets()), c);
        }
        assert_eq!(Counter::new(1).unwrap().to_octets(), [0, 0, 0, 0, 1]);
        assert_eq!(Counter::new(1 << 40), Err(CounterError::TooLarge(1 << 40)));
        assert_eq!(Counter::MAX.next(), Err(CounterError::Exhausted));
        assert_eq!(Counter::ZERO.next(), Counter::new(1));
        assert_eq!(Counter::new(0x2A).unwrap().to_string(), "000000002A");
    }

    #[test]
    fn decisions_follow_the_counter_management_rules() {
        let c = |v| Counter::new(v).unwrap();
        let cases = [
            (CounterMode::None, 0, 5, CounterDecision::AcceptUnchecked),
            (CounterMode::Available, 3, 5, CounterDecision::AcceptUnchecked),
            (CounterMode::ProcessIfHigher, 6, 5, CounterDecision::Accept),
            (CounterMode::ProcessIfHigher, 900, 5, CounterDecision::Accept),
            (CounterMode::ProcessIfHigher, 5, 5, CounterDecision::Low),
            (CounterMode::ProcessIfHigher, 4, 5, CounterDecision::Low),
            (CounterMode::ProcessIfOneHigher, 6, 5, CounterDecision::Accept),
            (CounterMode::ProcessIfOneHigher, 7, 5, CounterDecision::High),
            (CounterMode::ProcessIfOneHigher, 5, 5, CounterDecision::Low),
            (CounterMode::ProcessIfOneHigher, 1, 0, CounterDecision::Accept),
        ];
        for (mode, received, last, want) in cases {
            assert_eq!(check_counter(mode, c(received), c(last)), want, "{mode:?} {received} after {last}");
        }
        assert_eq!(CounterDecision::High.status(), ResponseStatus::CounterHigh);
        assert!(!CounterDecision::Low.is_accepted());
    }
}
