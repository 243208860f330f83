//! The state machines of a part and of a message, as data.
//!
//! A part's state changes only along [`PartState::can_go_to`]; a message's
//! state is never set directly but derived from its parts by
//! [`MessageState::derive`]. Both are pure so they are tested without a
//! database, and the store checks every change against them.

use serde::{Deserialize, Serialize};

/// Where one SMPP part (one `submit_sm`) of a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartState {
    /// Not sent yet.
    Pending,
    /// The `submit_sm` is being written or has been written, and its
    /// `submit_sm_resp` has not been recorded. If the instance dies now, the
    /// part may or may not have reached the SMSC, so a taker-over marks it
    /// [`PartState::Unknown`] instead of sending it again.
    Sending,
    /// The SMSC accepted the part (`submit_sm_resp` with ESME_ROK, SMPP v3.4
    /// 4.4.2) and gave it a message id.
    Submitted,
    /// No usable answer (response timeout, bind lost with the request
    /// outstanding): the part is never resent blindly, it waits for a
    /// receipt or a `query_sm` to say what happened.
    Unknown,
    /// A delivery receipt said DELIVRD (SMPP v3.4 appendix B).
    Delivered,
    /// The SMSC refused the part, or a receipt said UNDELIV or REJECTD.
    Failed,
    /// A receipt said EXPIRED, or the validity period passed before sending.
    Expired,
}

impl PartState {
    /// Every state, for tables and tests.
    pub const ALL: [PartState; 7] = [
        Self::Pending,
        Self::Sending,
        Self::Submitted,
        Self::Unknown,
        Self::Delivered,
        Self::Failed,
        Self::Expired,
    ];

    /// Delivered, failed and expired never change again.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed | Self::Expired)
    }

    /// Whether a part in `self` may move to `next`. Staying in the same
    /// state is not a transition.
    pub const fn can_go_to(self, next: PartState) -> bool {
        use PartState::*;
        match self {
            // A never-sent part cannot have been delivered.
            Pending => matches!(next, Sending | Submitted | Unknown | Failed | Expired),
            // A receipt may overtake the recording of the submit_sm_resp;
            // back to pending when no bind took the part (nothing written).
            Sending => matches!(next, Pending | Submitted | Unknown | Delivered | Failed | Expired),
            Submitted => matches!(next, Delivered | Failed | Expired),
            // A late submit_sm_resp or a query_sm answer settles it.
            Unknown => matches!(next, Submitted | Delivered | Failed | Expired),
            Delivered | Failed | Expired => false,
        }
    }

    /// Whether simgate may give up finding out what became of a part in
    /// `self`, leaving it `unknown` for good: it went out (or may have)
    /// and neither a receipt, a late response nor query_sm settled it.
    pub const fn can_give_up(self) -> bool {
        matches!(self, Self::Submitted | Self::Unknown)
    }

    /// The name stored in MongoDB and used in metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Submitted => "submitted",
            Self::Unknown => "unknown",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// Where a whole message stands, derived from its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    /// Stored; no part sent yet.
    Accepted,
    /// Some parts sent or being sent, some still to send.
    Submitting,
    /// Every part is with the SMSC; not all delivered yet.
    Submitted,
    /// Every part delivered.
    Delivered,
    /// At least one part failed: the handset cannot reassemble the message.
    Failed,
    /// At least one part expired (and none failed).
    Expired,
    /// Nothing left to send, none failed or expired, and at least one part
    /// is unknown: waiting for a receipt or `query_sm`.
    Unknown,
}

impl MessageState {
    /// States in which a message still has parts to send, so an instance
    /// may claim it.
    pub const CLAIMABLE: [MessageState; 2] = [Self::Accepted, Self::Submitting];

    /// Delivered, failed and expired.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed | Self::Expired)
    }

    /// The message's state from its parts' states, in this order of
    /// precedence: any failed → failed; any expired → expired; all pending
    /// (or no parts) → accepted; any pending or sending → submitting; any
    /// unknown → unknown; all delivered → delivered; else submitted.
    pub fn derive(parts: impl IntoIterator<Item = PartState>) -> MessageState {
        let (mut total, mut pending, mut sending, mut unknown, mut delivered) = (0, 0, 0, 0, 0);
        let (mut failed, mut expired) = (false, false);
        for state in parts {
            total += 1;
            match state {
                PartState::Pending => pending += 1,
                PartState::Sending => sending += 1,
                PartState::Unknown => unknown += 1,
                PartState::Delivered => delivered += 1,
                PartState::Failed => failed = true,
                PartState::Expired => expired = true,
                PartState::Submitted => {}
            }
        }
        if failed {
            Self::Failed
        } else if expired {
            Self::Expired
        } else if pending == total {
            Self::Accepted
        } else if pending + sending > 0 {
            Self::Submitting
        } else if unknown > 0 {
            Self::Unknown
        } else if delivered == total {
            Self::Delivered
        } else {
            Self::Submitted
        }
    }

    /// The name stored in MongoDB and used in metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Submitting => "submitting",
            Self::Submitted => "submitted",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessageState as M;
    use super::PartState::{self, *};

    #[test]
    fn final_states_are_final() {
        for from in PartState::ALL.into_iter().filter(|s| s.is_final()) {
            for to in PartState::ALL {
                assert!(!from.can_go_to(to), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn no_state_goes_to_itself_and_only_an_unwritten_part_back_to_pending() {
        for s in PartState::ALL {
            assert!(!s.can_go_to(s), "{s:?}");
            assert_eq!(s.can_go_to(Pending), s == Sending, "{s:?}");
        }
    }

    #[test]
    fn receipts_resolve_unknown_and_submitted_but_not_pending() {
        for fin in [Delivered, Failed, Expired] {
            assert!(Unknown.can_go_to(fin));
            assert!(Submitted.can_go_to(fin));
            assert!(Sending.can_go_to(fin));
        }
        assert!(!Pending.can_go_to(Delivered));
        assert!(Unknown.can_go_to(Submitted));
        assert!(!Submitted.can_go_to(Unknown));
    }

    #[test]
    fn only_parts_out_of_hand_can_be_given_up() {
        let can: Vec<PartState> = PartState::ALL.into_iter().filter(|s| s.can_give_up()).collect();
        assert_eq!(can, vec![Submitted, Unknown]);
    }

    #[test]
    fn message_state_rule() {
        let cases: &[(&[PartState], M)] = &[
            (&[], M::Accepted),
            (&[Pending, Pending], M::Accepted),
            (&[Submitted, Pending], M::Submitting),
            (&[Sending, Pending], M::Submitting),
            (&[Unknown, Pending], M::Submitting),
            (&[Submitted, Submitted], M::Submitted),
            (&[Delivered, Submitted], M::Submitted),
            (&[Delivered, Delivered, Delivered], M::Delivered),
            (&[Delivered, Unknown], M::Unknown),
            (&[Submitted, Unknown], M::Unknown),
            (&[Delivered, Failed], M::Failed),
            (&[Expired, Failed, Pending], M::Failed),
            (&[Expired, Delivered], M::Expired),
            (&[Expired, Unknown], M::Expired),
        ];
        for (parts, want) in cases {
            assert_eq!(M::derive(parts.iter().copied()), *want, "{parts:?}");
        }
    }

    #[test]
    fn names_match_serde() {
        for s in PartState::ALL {
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        let json = serde_json::to_string(&M::Submitting).unwrap_or_default();
        assert_eq!(json, "\"submitting\"");
    }
}
