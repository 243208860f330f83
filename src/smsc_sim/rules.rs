//! The SMSC side of the session rules, as data (shared/STYLE.md rule 5):
//! which request an ESME may send in which bind state, and which bind to
//! accept. SMPP v3.4 2.3 lists the operations per state; 4.1 the binds.

use crate::smpp::pdu::{CommandId, CommandStatus};
use crate::smpp::session::BindKind;

use super::config::SimAccount;

/// Where one connection is, seen from the SMSC (v3.4 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmscBindState {
    /// Connected, not bound (OPEN).
    Open,
    /// Bound as `kind` to account number `account`.
    Bound {
        /// What the bind asked for.
        kind: BindKind,
        /// Index into the configured accounts.
        account: usize,
    },
    /// The sim sent unbind and waits for unbind_resp.
    Unbinding,
    /// Over; the connection closes once its output is written.
    Closed,
}

/// What the SMSC does with a request the ESME sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Handle it.
    Accept,
    /// Answer with this status and do nothing else.
    Refuse(CommandStatus),
}

impl SmscBindState {
    /// The bind kind a bind request asks for, if `id` is one.
    pub const fn bind_kind(id: CommandId) -> Option<BindKind> {
        match id {
            CommandId::BindTransmitter => Some(BindKind::Transmitter),
            CommandId::BindReceiver => Some(BindKind::Receiver),
            CommandId::BindTransceiver => Some(BindKind::Transceiver),
            _ => None,
        }
    }

    /// Whether a request with `id` from the ESME may be handled now.
    /// Binds on a bound session are ESME_RALYBND (v3.4 5.1.3); anything
    /// else the state does not permit is ESME_RINVBNDSTS (v3.4 2.3).
    pub const fn admit(self, id: CommandId) -> Admission {
        use CommandId as C;
        let ok = match self {
            SmscBindState::Open => {
                matches!(id, C::BindTransmitter | C::BindReceiver | C::BindTransceiver | C::EnquireLink)
            }
            SmscBindState::Bound { kind, .. } => match id {
                C::BindTransmitter | C::BindReceiver | C::BindTransceiver => {
                    return Admission::Refuse(CommandStatus::ESME_RALYBND);
                }
                C::EnquireLink | C::Unbind => true,
                // v3.4 2.3: the ESME submits on transmitter and
                // transceiver binds; data_sm flows both ways on those.
                C::SubmitSm | C::SubmitMulti | C::DataSm | C::QuerySm | C::CancelSm | C::ReplaceSm => {
                    kind.transmits()
                }
                _ => false,
            },
            // While unbinding, only keepalives and the ESME's own unbind.
            SmscBindState::Unbinding => matches!(id, C::EnquireLink | C::Unbind),
            SmscBindState::Closed => false,
        };
        if ok { Admission::Accept } else { Admission::Refuse(CommandStatus::ESME_RINVBNDSTS) }
    }

    /// Whether the sim may send deliver_sm on this session now.
    pub const fn receives(self) -> bool {
        matches!(self, SmscBindState::Bound { kind, .. } if kind.receives())
    }
}

/// Chooses the account for a bind, or the status refusing it. `bound(i)`
/// is how many binds account `i` holds now.
///
/// - unknown system_id: ESME_RINVSYSID; wrong password: ESME_RINVPASWD
///   (v3.4 5.1.3);
/// - the account already holds `max_binds`: ESME_RBINDFAIL. v3.4 defines
///   ESME_RALYBND for a bind on a session that is already bound, not for a
///   limit across sessions, so the generic "bind failed" is the fitting
///   status, and the one operator SMSCs send for a full account.
pub fn decide_bind(
    accounts: &[SimAccount],
    system_id: &[u8],
    password: &[u8],
    bound: impl Fn(usize) -> usize,
) -> Result<usize, CommandStatus> {
    let index = accounts
        .iter()
        .position(|a| a.system_id.as_bytes() == system_id)
        .ok_or(CommandStatus::ESME_RINVSYSID)?;
    let account = accounts.get(index).ok_or(CommandStatus::ESME_RINVSYSID)?;
    if account.password.as_bytes() != password {
        return Err(CommandStatus::ESME_RINVPASWD);
    }
    if bound(index) >= account.max_binds {
        return Err(CommandStatus::ESME_RBINDFAIL);
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommandId as C;

    #[test]
    fn states_admit_what_v34_2_3_allows() {
        let tx = SmscBindState::Bound { kind: BindKind::Transmitter, account: 0 };
        let rx = SmscBindState::Bound { kind: BindKind::Receiver, account: 0 };
        let refused = Admission::Refuse(CommandStatus::ESME_RINVBNDSTS);
        assert_eq!(SmscBindState::Open.admit(C::BindTransceiver), Admission::Accept);
        assert_eq!(SmscBindState::Open.admit(C::SubmitSm), refused);
        assert_eq!(tx.admit(C::SubmitSm), Admission::Accept);
        assert_eq!(rx.admit(C::SubmitSm), refused);
        assert_eq!(rx.admit(C::EnquireLink), Admission::Accept);
        assert_eq!(tx.admit(C::BindReceiver), Admission::Refuse(CommandStatus::ESME_RALYBND));
        assert_eq!(tx.admit(C::DeliverSm), refused);
        assert!(rx.receives() && !tx.receives() && !SmscBindState::Open.receives());
    }

    #[test]
    fn bind_decisions() {
        let accounts = vec![SimAccount { system_id: "a".into(), password: "pw".into(), max_binds: 2 }];
        assert_eq!(decide_bind(&accounts, b"a", b"pw", |_| 1), Ok(0));
        assert_eq!(decide_bind(&accounts, b"a", b"pw", |_| 2), Err(CommandStatus::ESME_RBINDFAIL));
        assert_eq!(decide_bind(&accounts, b"a", b"no", |_| 0), Err(CommandStatus::ESME_RINVPASWD));
        assert_eq!(decide_bind(&accounts, b"b", b"pw", |_| 0), Err(CommandStatus::ESME_RINVSYSID));
    }
}
