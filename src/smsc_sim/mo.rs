//! The MO generator: mobile-originated deliver_sm at `mo.rate` per second,
//! handed to the scheduler, which spreads them over the receiving binds
//! (of `mo.account`, or of every account).

use std::sync::Arc;
use std::time::Duration;

use super::config::MoPlan;
use super::connection::now;
use super::deliver::{DeliveryJob, JobKind, mo_pdu};
use super::hub::Hub;

/// Longest wait between two generator wakeups; at high rates several
/// messages leave per wakeup, keeping the average rate exact.
const TICK: Duration = Duration::from_millis(10);

/// Most messages generated in one wakeup (after a stall the generator
/// does not burst more than this).
const MAX_PER_TICK: u64 = 10_000;

/// The text of MO number `n`: the template with `{n}` replaced.
pub fn mo_text(template: &str, n: u64) -> String {
    template.replace("{n}", &n.to_string())
}

/// Messages due by `elapsed` at `rate` per second, minus `sent`.
pub fn due_count(rate: f64, elapsed: Duration, sent: u64) -> u64 {
    let target = (rate * elapsed.as_secs_f64()).floor();
    // A float in 0..2^53 converts exactly; anything above is clamped.
    let target = if target.is_finite() && target > 0.0 { target.min(9.0e15) as u64 } else { 0 };
    target.saturating_sub(sent).min(MAX_PER_TICK)
}

/// Generates MO messages until the sim shuts down.
pub(super) async fn run(hub: Arc<Hub>, plan: MoPlan) {
    let st = &hub.state;
    let account =
        plan.account.as_ref().and_then(|a| st.config.accounts.iter().position(|x| &x.system_id == a));
    let period = Duration::from_secs_f64(1.0 / plan.rate).min(TICK);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    let mut sent = 0u64;
    loop {
        tokio::select! {
            () = hub.cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let n = due_count(plan.rate, start.elapsed(), sent);
        let at = now().at;
        for _ in 0..n {
            sent += 1;
            let text = mo_text(&plan.text, sent);
            let septets = match crate::smpp::text::gsm7::encode_unpacked(&text) {
                Ok(s) => s,
                Err(err) => {
                    tracing::warn!(%err, "smsc-sim: MO text is not GSM 7-bit");
                    return;
                }
            };
            match mo_pdu(plan.source_addr.as_bytes(), plan.destination_addr.as_bytes(), &septets) {
                Ok(pdu) => hub.schedule(
                    at,
                    DeliveryJob {
                        kind: JobKind::Mo,
                        account,
                        origin: None,
                        other_bind: false,
                        attempts: 0,
                        pdu,
                    },
                ),
                Err(err) => {
                    tracing::warn!(%err, "smsc-sim: cannot build an MO message");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_arithmetic() {
        assert_eq!(due_count(100.0, Duration::from_millis(105), 0), 10);
        assert_eq!(due_count(100.0, Duration::from_millis(105), 10), 0);
        assert_eq!(due_count(0.5, Duration::from_secs(5), 1), 1);
        assert_eq!(due_count(1e6, Duration::from_secs(3600), 0), MAX_PER_TICK);
        assert_eq!(mo_text("MO {n}", 7), "MO 7");
    }
}
