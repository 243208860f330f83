//! The message state a receipt reports: the `message_state` values of
//! SMPP v3.4 5.2.28 and v5.0 4.7.15, and the `stat:` words of the receipt
//! text (v3.4 Appendix B) that name them.

use std::fmt;

/// The state of a short message in the SMSC (v3.4 5.2.28, v5.0 4.7.15).
///
/// The discriminant is the `message_state` octet on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum MessageState {
    /// Scheduled, delivery not yet started (v5.0 only; v3.4 SMSCs report
    /// ENROUTE instead). Not final.
    Scheduled = 0,
    /// Active in the SMSC: in retry or handed to the network. Not final.
    Enroute = 1,
    /// Delivered to the destination. Final.
    Delivered = 2,
    /// The validity period ran out before delivery. Final.
    Expired = 3,
    /// Cancelled or deleted in the SMSC. Final.
    Deleted = 4,
    /// Permanently undeliverable. Final.
    Undeliverable = 5,
    /// Read on behalf of the subscriber by customer service. Final.
    Accepted = 6,
    /// The SMSC does not know the state. Not final: v5.0 allows it to be
    /// an intermediate condition, so a later receipt may still come.
    Unknown = 7,
    /// Rejected by the SMSC or the network. Final.
    Rejected = 8,
    /// Accepted but never transmitted (v5.0 only). Final.
    Skipped = 9,
}

impl MessageState {
    /// All states, in wire order.
    pub const ALL: [MessageState; 10] = [
        MessageState::Scheduled,
        MessageState::Enroute,
        MessageState::Delivered,
        MessageState::Expired,
        MessageState::Deleted,
        MessageState::Undeliverable,
        MessageState::Accepted,
        MessageState::Unknown,
        MessageState::Rejected,
        MessageState::Skipped,
    ];

    /// The state for a `message_state` octet, or `None` for values above 9
    /// (reserved in v3.4 5.2.28 and v5.0 4.7.15).
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0 => MessageState::Scheduled,
            1 => MessageState::Enroute,
            2 => MessageState::Delivered,
            3 => MessageState::Expired,
            4 => MessageState::Deleted,
            5 => MessageState::Undeliverable,
            6 => MessageState::Accepted,
            7 => MessageState::Unknown,
            8 => MessageState::Rejected,
            9 => MessageState::Skipped,
            _ => return None,
        })
    }

    /// The `message_state` octet.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// True when the SMSC has stopped working on the message and no
    /// further receipt is expected: the v5.0 4.7.15 descriptions of these
    /// states say no further delivery attempts follow. UNKNOWN is not
    /// final (see [`MessageState::Unknown`]).
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            MessageState::Delivered
                | MessageState::Expired
                | MessageState::Deleted
                | MessageState::Undeliverable
                | MessageState::Accepted
                | MessageState::Rejected
                | MessageState::Skipped
        )
    }

    /// The word a receipt text carries in `stat:` for this state. The
    /// seven-letter forms are those of v3.4 Appendix B; the two v5.0-only
    /// states have no abbreviation there and are spelled out.
    pub const fn stat_text(self) -> &'static str {
        match self {
            MessageState::Scheduled => "SCHEDULED",
            MessageState::Enroute => "ENROUTE",
            MessageState::Delivered => "DELIVRD",
            MessageState::Expired => "EXPIRED",
            MessageState::Deleted => "DELETED",
            MessageState::Undeliverable => "UNDELIV",
            MessageState::Accepted => "ACCEPTD",
            MessageState::Unknown => "UNKNOWN",
            MessageState::Rejected => "REJECTD",
            MessageState::Skipped => "SKIPPED",
        }
    }

    /// The state named by a `stat:` value, ignoring ASCII case. Accepts the
    /// Appendix B abbreviations (`DELIVRD`, `UNDELIV`, `ACCEPTD`,
    /// `REJECTD`, ...) and the full state names of 5.2.28 (`DELIVERED`,
    /// `UNDELIVERABLE`, ...), which some SMSCs send instead.
    pub fn from_stat(value: &str) -> Option<Self> {
        const NAMES: [(&str, MessageState); 14] = [
            ("DELIVRD", MessageState::Delivered),
            ("DELIVERED", MessageState::Delivered),
            ("EXPIRED", MessageState::Expired),
            ("DELETED", MessageState::Deleted),
            ("UNDELIV", MessageState::Undeliverable),
            ("UNDELIVERABLE", MessageState::Undeliverable),
            ("ACCEPTD", MessageState::Accepted),
            ("ACCEPTED", MessageState::Accepted),
            ("UNKNOWN", MessageState::Unknown),
            ("REJECTD", MessageState::Rejected),
            ("REJECTED", MessageState::Rejected),
            ("ENROUTE", MessageState::Enroute),
            ("SCHEDULED", MessageState::Scheduled),
            ("SKIPPED", MessageState::Skipped),
        ];
        NAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(value)).map(|&(_, state)| state)
    }
}

impl TryFrom<u8> for MessageState {
    type Error = crate::smpp::receipt::ReceiptError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        MessageState::from_u8(value).ok_or(crate::smpp::receipt::ReceiptError::InvalidTlvState { value })
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.stat_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for (i, state) in MessageState::ALL.iter().enumerate() {
            assert_eq!(usize::from(state.as_u8()), i);
            assert_eq!(MessageState::from_u8(state.as_u8()), Some(*state));
        }
        for value in 10..=u8::MAX {
            assert_eq!(MessageState::from_u8(value), None);
            assert!(MessageState::try_from(value).is_err());
        }
    }

    #[test]
    fn stat_words_map_to_states() {
        let table = [
            ("DELIVRD", MessageState::Delivered),
            ("delivrd", MessageState::Delivered),
            ("Delivered", MessageState::Delivered),
            ("EXPIRED", MessageState::Expired),
            ("DELETED", MessageState::Deleted),
            ("UNDELIV", MessageState::Undeliverable),
            ("ACCEPTD", MessageState::Accepted),
            ("UNKNOWN", MessageState::Unknown),
            ("REJECTD", MessageState::Rejected),
            ("ENROUTE", MessageState::Enroute),
            ("SCHEDULED", MessageState::Scheduled),
            ("SKIPPED", MessageState::Skipped),
        ];
        for (word, state) in table {
            assert_eq!(MessageState::from_stat(word), Some(state), "{word}");
        }
        for word in ["", "DELIV", "DELIVRDX", "OK", "0", "stat"] {
            assert_eq!(MessageState::from_stat(word), None, "{word}");
        }
    }

    #[test]
    fn stat_text_parses_back() {
        for state in MessageState::ALL {
            assert_eq!(MessageState::from_stat(state.stat_text()), Some(state));
        }
    }

    #[test]
    fn final_states() {
        let not_final = [MessageState::Scheduled, MessageState::Enroute, MessageState::Unknown];
        for state in MessageState::ALL {
            assert_eq!(state.is_final(), !not_final.contains(&state), "{state}");
        }
    }
}
