//! Which connection holds which bind of which account: the bind limit per
//! account, the peak, and the choice of a receiving bind for a receipt or
//! an MO message (v3.4 2.2: only receivers and transceivers get deliver_sm).

use crate::smpp::pdu::CommandStatus;
use crate::smpp::session::BindKind;

use super::config::SimAccount;
use super::deliver::BindId;
use super::random::Dice;
use super::rules::decide_bind;
use super::stats::AccountBinds;

#[derive(Debug, Default)]
struct Slots {
    binds: Vec<(BindId, BindKind)>,
    peak: usize,
}

/// The binds held, per configured account (same order as the config).
#[derive(Debug)]
pub struct BindRegistry {
    accounts: Vec<Slots>,
}

impl BindRegistry {
    /// No binds for `n` accounts.
    pub fn new(n: usize) -> Self {
        BindRegistry { accounts: (0..n).map(|_| Slots::default()).collect() }
    }

    /// Checks the credentials and the account's limit ([`decide_bind`]);
    /// on success the bind is held until [`BindRegistry::release`].
    pub fn try_bind(
        &mut self,
        accounts: &[SimAccount],
        bind: BindId,
        kind: BindKind,
        system_id: &[u8],
        password: &[u8],
    ) -> Result<usize, CommandStatus> {
        let index = decide_bind(accounts, system_id, password, |i| {
            self.accounts.get(i).map_or(usize::MAX, |s| s.binds.len())
        })?;
        let slots = self.accounts.get_mut(index).ok_or(CommandStatus::ESME_RSYSERR)?;
        slots.binds.push((bind, kind));
        slots.peak = slots.peak.max(slots.binds.len());
        Ok(index)
    }

    /// Frees the bind; nothing when it is not held.
    pub fn release(&mut self, account: usize, bind: BindId) {
        if let Some(slots) = self.accounts.get_mut(account) {
            slots.binds.retain(|(id, _)| *id != bind);
        }
    }

    /// Binds now and peak of account `i`.
    pub fn counts(&self, i: usize) -> AccountBinds {
        self.accounts
            .get(i)
            .map_or_else(AccountBinds::default, |s| AccountBinds { now: s.binds.len(), peak: s.peak })
    }

    /// Every bind of account `i`.
    pub fn binds_of(&self, i: usize) -> Vec<BindId> {
        self.accounts.get(i).map_or_else(Vec::new, |s| s.binds.iter().map(|(id, _)| *id).collect())
    }

    /// A receiving bind for a delivery. With `account`, only its binds.
    /// With `other`, one that is not `origin` when there is one; otherwise
    /// `origin` itself when it receives, else any receiving bind, chosen
    /// at random.
    pub fn pick_receiver(
        &self,
        account: Option<usize>,
        origin: Option<BindId>,
        other: bool,
        dice: &mut Dice,
    ) -> Option<BindId> {
        let receivers: Vec<BindId> = match account {
            Some(i) => self.accounts.get(i).map_or_else(Vec::new, |s| receiving(&s.binds).collect()),
            None => self.accounts.iter().flat_map(|s| receiving(&s.binds)).collect(),
        };
        let origin_receives = origin.is_some_and(|o| receivers.contains(&o));
        if other {
            let others: Vec<BindId> = receivers.iter().copied().filter(|id| Some(*id) != origin).collect();
            if !others.is_empty() {
                return others.get(dice.below(others.len())).copied();
            }
        }
        if origin_receives {
            return origin;
        }
        receivers.get(dice.below(receivers.len())).copied()
    }
}

fn receiving(binds: &[(BindId, BindKind)]) -> impl Iterator<Item = BindId> + '_ {
    binds.iter().filter(|(_, k)| k.receives()).map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_peaks_and_receiver_choice() {
        let accounts = vec![SimAccount { system_id: "a".into(), password: "p".into(), max_binds: 3 }];
        let mut r = BindRegistry::new(1);
        assert_eq!(r.try_bind(&accounts, 1, BindKind::Transmitter, b"a", b"p"), Ok(0));
        assert_eq!(r.try_bind(&accounts, 2, BindKind::Transceiver, b"a", b"p"), Ok(0));
        assert_eq!(r.try_bind(&accounts, 3, BindKind::Receiver, b"a", b"p"), Ok(0));
        assert_eq!(
            r.try_bind(&accounts, 4, BindKind::Receiver, b"a", b"p"),
            Err(CommandStatus::ESME_RBINDFAIL)
        );
        let mut dice = Dice::new(1, 1);
        for _ in 0..20 {
            assert_eq!(r.pick_receiver(Some(0), Some(2), true, &mut dice), Some(3));
            assert_eq!(r.pick_receiver(Some(0), Some(2), false, &mut dice), Some(2));
            assert!(matches!(r.pick_receiver(Some(0), Some(1), false, &mut dice), Some(2 | 3)));
        }
        r.release(0, 3);
        assert_eq!(r.pick_receiver(Some(0), Some(2), true, &mut dice), Some(2), "no other: the origin");
        assert_eq!(r.counts(0), AccountBinds { now: 2, peak: 3 });
    }
}
