//! The `smpp` health component: whether MT traffic of the account can go
//! out over a bind of this instance or of another instance of the region.
//! [`BindHealth`] is the rule, pure (the time is passed in): down once the
//! MT account has had no bind up, here or anywhere in the region, for
//! longer than `sms.bind_down_grace`, counted from start-up as well; up
//! otherwise. With more instances than the account's `max_binds`, some
//! hold no bind by design: they stay up while another instance holds one
//! ([`crate::state::RegionBinds`]). [`spawn_bind_health`] checks every
//! second and feeds the component, which counts for `/health` only
//! (docs/operations.md).

use crate::lifecycle::{Component, Shutdown};
use crate::sms::bind::AccountPool;
use crate::state::RegionBinds;
use std::time::Duration;
use tokio::time::Instant;

/// How often the pool is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long an instance's "I hold a bound bind" lasts in Redis unless
/// renewed (every [`CHECK_EVERY`]).
const REGION_MARK_TTL: Duration = Duration::from_secs(3);

/// What the component should say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A bind is up, or none has been for less than the grace.
    Up,
    /// No bind for longer than the grace; the reason for `/health`.
    Down(String),
}

/// The rule for one account.
#[derive(Debug, Clone)]
pub struct BindHealth {
    account: String,
    /// Connections the account asks for on this instance.
    wanted: usize,
    grace: Duration,
    /// When a bind was last seen up (or when the instance started).
    last_up: Instant,
}

impl BindHealth {
    /// The rule for `account`, starting its grace at `now`.
    pub fn new(account: &str, wanted: usize, grace: Duration, now: Instant) -> Self {
        Self { account: account.to_owned(), wanted, grace, last_up: now }
    }

    /// The verdict at `now` with `bound` binds up here; `region_served`:
    /// another instance of the region holds a bound bind of the account.
    pub fn observe(&mut self, now: Instant, bound: usize, region_served: bool) -> Verdict {
        if bound > 0 || region_served {
            self.last_up = now;
            return Verdict::Up;
        }
        let without = now.saturating_duration_since(self.last_up);
        if without <= self.grace {
            return Verdict::Up;
        }
        Verdict::Down(format!(
            "account {}: 0 of {} binds up here, and none in the region, for {}s",
            self.account,
            self.wanted,
            without.as_secs()
        ))
    }
}

/// Feeds `component` from `pool` every second until shutdown; with
/// `region`, marks the account served while a bind is up here and, while
/// none is, asks whether another instance holds one (a Redis error counts
/// as no: the instance then judges by its own binds).
pub fn spawn_bind_health(
    shutdown: &Shutdown,
    component: Component,
    pool: AccountPool,
    region: Option<RegionBinds>,
    wanted: usize,
    grace: Duration,
) {
    let token = shutdown.token();
    let mut rule = BindHealth::new(pool.account(), wanted, grace, Instant::now());
    shutdown.spawn(async move {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        let mut was: Option<Verdict> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = token.cancelled() => return,
            }
            let bound = pool.bound();
            let served = match &region {
                Some(region) if bound > 0 => {
                    let _ = region.mark(pool.account(), REGION_MARK_TTL).await;
                    false
                }
                Some(region) => region.served(pool.account()).await.unwrap_or(false),
                None => false,
            };
            let verdict = rule.observe(Instant::now(), bound, served);
            match &verdict {
                Verdict::Up => component.set_up(),
                Verdict::Down(reason) => {
                    if !matches!(was, Some(Verdict::Down(_))) {
                        tracing::warn!(account = %pool.account(), %reason, "no SMPP bind: /health reports down");
                    }
                    component.set_down(reason.clone());
                }
            }
            if matches!(was, Some(Verdict::Down(_))) && verdict == Verdict::Up {
                tracing::info!(account = %pool.account(), "SMPP bind back: /health reports up");
            }
            was = Some(verdict);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(30);

    #[test]
    fn start_up_counts_as_time_without_a_bind() {
        let t0 = Instant::now();
        let mut rule = BindHealth::new("primary", 2, GRACE, t0);
        assert_eq!(rule.observe(t0, 0, false), Verdict::Up);
        assert_eq!(rule.observe(t0 + GRACE, 0, false), Verdict::Up, "the grace itself is still up");
        assert_eq!(
            rule.observe(t0 + GRACE + Duration::from_secs(1), 0, false),
            Verdict::Down("account primary: 0 of 2 binds up here, and none in the region, for 31s".into())
        );
    }

    #[test]
    fn one_bind_is_enough_and_the_grace_restarts_when_it_goes() {
        let t0 = Instant::now();
        let mut rule = BindHealth::new("primary", 2, GRACE, t0);
        assert!(matches!(rule.observe(t0 + Duration::from_secs(40), 0, false), Verdict::Down(_)));
        let t1 = t0 + Duration::from_secs(41);
        assert_eq!(rule.observe(t1, 1, false), Verdict::Up);
        assert_eq!(rule.observe(t1 + Duration::from_secs(29), 0, false), Verdict::Up);
        assert!(matches!(rule.observe(t1 + Duration::from_secs(31), 0, false), Verdict::Down(_)));
    }

    #[test]
    fn no_bind_here_while_the_region_holds_one_is_up() {
        let t0 = Instant::now();
        let mut rule = BindHealth::new("primary", 2, GRACE, t0);
        let later = t0 + Duration::from_secs(120);
        assert_eq!(rule.observe(later, 0, true), Verdict::Up, "the account is served by other pods");
        // The region loses its last bind: the grace runs from then.
        assert_eq!(rule.observe(later + GRACE, 0, false), Verdict::Up);
        assert!(matches!(rule.observe(later + GRACE + Duration::from_secs(1), 0, false), Verdict::Down(_)));
    }
}
