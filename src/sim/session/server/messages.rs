//! An open gateway session's inbound messages: verification (policy,
//! checksum, TAR, counter) and what each message does.

use super::{AppletSession, State, counter_reason};
use crate::sim::applet::binding::{self, Direction};
use crate::sim::applet::{AppletMessage, CloseReason};
use crate::sim::secured::{
    CommandPacket, CommandPacketView, CounterDecision, PorRequest, ResponseStatus, SecuredError,
    check_counter,
};
use crate::sim::session::event::SessionEvent;
use std::time::Instant;

impl AppletSession {
    pub(super) fn on_message(&mut self, now: Instant, payload: &[u8]) {
        match self.accept_message(payload) {
            Ok((packet, message)) => self.dispatch(now, &packet, message),
            Err(reason) => self.close(reason, false),
        }
    }

    /// Verifies an open session's inbound packet: policy, checksum, TAR,
    /// counter, message.
    fn accept_message(&mut self, payload: &[u8]) -> Result<(CommandPacket, AppletMessage), CloseReason> {
        let State::Open(open) = &mut self.state else {
            return Err(CloseReason::ProtocolError);
        };
        let view = CommandPacketView::parse(payload).map_err(|_| CloseReason::ProtocolError)?;
        self.config.policy.check(&view)?;
        if view.key_version() != Some(open.keys.kvn) || view.spi.ciphered != open.ciphered {
            return Err(CloseReason::ProtocolError);
        }
        let aad = binding::aad(Direction::AppletToGateway, &open.iccid_octets, open.session);
        let packet = view.open(&open.keys, &aad).map_err(|e| match e {
            SecuredError::Checksum => CloseReason::BadChecksum,
            _ => CloseReason::ProtocolError,
        })?;
        if packet.tar != open.tar {
            return Err(CloseReason::ProtocolError);
        }
        let decision = check_counter(packet.spi.counter, packet.counter, open.last_in);
        counter_reason(decision)?;
        if decision == CounterDecision::Accept {
            open.last_in = packet.counter;
            self.events.push_back(SessionEvent::CounterAccepted(packet.counter));
        }
        let message = AppletMessage::decode(&packet.data).map_err(|_| CloseReason::ProtocolError)?;
        Ok((packet, message))
    }

    fn dispatch(&mut self, now: Instant, packet: &CommandPacket, message: AppletMessage) {
        match message {
            AppletMessage::Result { id, status, payload } => {
                self.in_flight.retain(|(_, c)| *c != id);
                self.events.push_back(SessionEvent::Result { command_id: id, status, payload });
            }
            AppletMessage::ProofOfReceipt { counter, status } => {
                if let Some(&(_, command_id)) = self.in_flight.iter().find(|(c, _)| *c == counter) {
                    self.events.push_back(SessionEvent::ProofOfReceipt { command_id, status });
                }
            }
            AppletMessage::Heartbeat => {}
            AppletMessage::Close(reason) => return self.close(reason, true),
            AppletMessage::Hello(_) | AppletMessage::Command { .. } | AppletMessage::WakeUp => {
                return self.close(CloseReason::ProtocolError, false);
            }
        }
        if packet.spi.por == PorRequest::Always {
            let por =
                AppletMessage::ProofOfReceipt { counter: packet.counter, status: ResponseStatus::PorOk };
            self.send_auto(now, &por, false);
        }
    }
}
