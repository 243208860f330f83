//! Bind states of an ESME session and which PDUs each allows, as data
//! (shared/STYLE.md rule 5). The rules follow SMPP v3.4 section 2.3 (the
//! operations each session state permits) and section 4 (who sends what).

use crate::smpp::pdu::CommandId;

/// What a bind asked to do: send, receive, or both (v3.4 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindKind {
    /// bind_transmitter: the ESME submits.
    Transmitter,
    /// bind_receiver: the SMSC delivers.
    Receiver,
    /// bind_transceiver: both on one connection.
    Transceiver,
}

impl BindKind {
    /// The bind request for this kind.
    pub const fn bind_command(self) -> CommandId {
        match self {
            BindKind::Transmitter => CommandId::BindTransmitter,
            BindKind::Receiver => CommandId::BindReceiver,
            BindKind::Transceiver => CommandId::BindTransceiver,
        }
    }

    /// Whether this kind may submit (submit_sm, data_sm, query_sm, ...).
    pub const fn transmits(self) -> bool {
        matches!(self, BindKind::Transmitter | BindKind::Transceiver)
    }

    /// Whether this kind receives deliver_sm, data_sm and alert_notification.
    pub const fn receives(self) -> bool {
        matches!(self, BindKind::Receiver | BindKind::Transceiver)
    }

    /// Lower-case name for logs and metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            BindKind::Transmitter => "transmitter",
            BindKind::Receiver => "receiver",
            BindKind::Transceiver => "transceiver",
        }
    }
}

/// Where the session is (v3.4 2.3: OPEN, BOUND_TX, BOUND_RX, BOUND_TRX,
/// CLOSED; plus the waits between them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Connected, not bound.
    Open,
    /// A bind request is out, its response not yet in.
    Binding(BindKind),
    /// Bound.
    Bound(BindKind),
    /// unbind sent (or received and answered); no new requests.
    Unbinding,
    /// Over: the connection must be closed.
    Closed,
}

impl SessionState {
    /// Whether the session is bound in some way.
    pub const fn is_bound(self) -> bool {
        matches!(self, SessionState::Bound(_))
    }

    /// Whether the ESME may send a request with `id` now.
    pub const fn can_send(self, id: CommandId) -> bool {
        use CommandId as C;
        match self {
            SessionState::Open => matches!(id, C::BindTransmitter | C::BindReceiver | C::BindTransceiver),
            SessionState::Binding(_) | SessionState::Unbinding | SessionState::Closed => false,
            SessionState::Bound(kind) => match id {
                C::EnquireLink | C::Unbind => true,
                C::SubmitSm
                | C::SubmitMulti
                | C::DataSm
                | C::QuerySm
                | C::CancelSm
                | C::ReplaceSm
                | C::BroadcastSm
                | C::QueryBroadcastSm
                | C::CancelBroadcastSm => kind.transmits(),
                _ => false,
            },
        }
    }

    /// Whether the SMSC may send a request with `id` now; one that may not
    /// is answered with ESME_RINVBNDSTS.
    pub const fn can_receive(self, id: CommandId) -> bool {
        use CommandId as C;
        match self {
            // enquire_link is answered in any open state (v5.0 2.4 allows it
            // before binding; answering it costs nothing).
            SessionState::Open | SessionState::Binding(_) => matches!(id, C::EnquireLink | C::Outbind),
            SessionState::Unbinding => matches!(id, C::EnquireLink | C::Unbind),
            SessionState::Closed => false,
            SessionState::Bound(kind) => match id {
                C::EnquireLink | C::Unbind => true,
                C::DeliverSm | C::AlertNotification => kind.receives(),
                // data_sm flows both ways on transceivers (v3.4 4.7).
                C::DataSm => kind.receives(),
                _ => false,
            },
        }
    }

    /// Lower-case name for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Binding(_) => "binding",
            SessionState::Bound(BindKind::Transmitter) => "bound_tx",
            SessionState::Bound(BindKind::Receiver) => "bound_rx",
            SessionState::Bound(BindKind::Transceiver) => "bound_trx",
            SessionState::Unbinding => "unbinding",
            SessionState::Closed => "closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommandId as C;

    #[test]
    fn transmitters_submit_receivers_receive_transceivers_both() {
        let tx = SessionState::Bound(BindKind::Transmitter);
        let rx = SessionState::Bound(BindKind::Receiver);
        let trx = SessionState::Bound(BindKind::Transceiver);
        assert!(tx.can_send(C::SubmitSm) && !rx.can_send(C::SubmitSm) && trx.can_send(C::SubmitSm));
        assert!(
            !tx.can_receive(C::DeliverSm) && rx.can_receive(C::DeliverSm) && trx.can_receive(C::DeliverSm)
        );
        for s in [tx, rx, trx] {
            assert!(s.can_send(C::EnquireLink) && s.can_send(C::Unbind));
            assert!(s.can_receive(C::EnquireLink) && s.can_receive(C::Unbind));
            assert!(!s.can_send(C::BindTransceiver), "no second bind on a bound session");
        }
    }

    #[test]
    fn nothing_but_binds_before_binding_and_nothing_at_all_when_closed() {
        let open = SessionState::Open;
        assert!(open.can_send(C::BindTransceiver) && !open.can_send(C::SubmitSm));
        assert!(open.can_receive(C::Outbind) && !open.can_receive(C::DeliverSm));
        for id in CommandId::ALL {
            assert!(!SessionState::Closed.can_send(*id) && !SessionState::Closed.can_receive(*id));
            assert!(!SessionState::Unbinding.can_send(*id));
        }
    }
}
