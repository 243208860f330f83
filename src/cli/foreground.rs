//! The foreground loop the simulators share: run until SIGTERM or SIGINT,
//! or until `--duration` is over, printing a stats line every
//! `--stats-interval` (zero: never).

use crate::lifecycle::Signals;
use std::time::Duration;

/// Waits for a signal or the end of `duration`, printing `tool: {stats()}`
/// on stderr every `stats_interval`.
pub(crate) async fn until_stopped(
    signals: &mut Signals,
    duration: Option<Duration>,
    stats_interval: Duration,
    tool: &str,
    stats: impl Fn() -> String,
) {
    let stop = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    let period = if stats_interval.is_zero() { Duration::from_secs(86_400) } else { stats_interval };
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            name = signals.recv() => {
                tracing::info!(signal = name, tool, "stopping");
                return;
            }
            () = &mut stop => return,
            _ = ticker.tick(), if !stats_interval.is_zero() => eprintln!("{tool}: {}", stats()),
        }
    }
}
