//! The life of one gateway process: its phase (starting, ready, draining),
//! the health of each component it depends on, and the one shutdown order.

mod health;
mod shutdown;

pub use health::{Component, Health, HealthReport, Phase};
pub use shutdown::{Shutdown, Signals, remaining};
