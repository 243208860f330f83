//! The opening of a gateway session: the first frame, the registry's keys,
//! the checksum, then TAR, counter and hello, in that order (see the
//! parent module's doc for why).

use super::{AppletSession, Open, SERVER_VERSION, State, counter_reason};
use crate::sim::applet::binding::{self, Direction};
use crate::sim::applet::{AppletMessage, Capabilities, CloseReason, Hello, PROTOCOL_VERSION};
use crate::sim::ids::{Iccid, Kvn};
use crate::sim::keys::KeySet;
use crate::sim::secured::{CommandPacketView, Counter, CounterDecision, SecuredError, check_counter};
use crate::sim::session::config::MIN_PEER_FRAME;
use crate::sim::session::event::{SessionEvent, SimCredentials};
use crate::sim::session::liveness::Liveness;
use std::time::Instant;

impl AppletSession {
    pub(super) fn on_opening(&mut self, payload: &[u8]) {
        if let Some(reason) = binding::parse_plain_close(payload) {
            return self.close(reason, true);
        }
        let Ok((iccid, packet)) = binding::split_opening(payload) else {
            return self.close(CloseReason::ProtocolError, false);
        };
        let view = match CommandPacketView::parse(packet) {
            Ok(v) => v,
            Err(_) => return self.close(CloseReason::ProtocolError, false),
        };
        if let Err(reason) = self.config.policy.check(&view) {
            return self.close(reason, false);
        }
        let Some(kvn) = view.key_version() else {
            return self.close(CloseReason::ProtocolError, false);
        };
        self.events.push_back(SessionEvent::NeedKeys { iccid: iccid.clone(), kvn });
        self.state = State::AwaitingKeys { iccid, kvn, packet: packet.to_vec() };
    }

    /// Steps (3) and (4) of the opening.
    pub(super) fn verify_opening(
        &self,
        iccid: &Iccid,
        kvn: Kvn,
        packet: &[u8],
        credentials: Option<&SimCredentials>,
    ) -> Result<(Open, Hello), CloseReason> {
        let known = credentials.and_then(|c| c.key_set(kvn).map(|k| (c, k)));
        let decoy =
            KeySet { kvn, kic: Some(self.config.decoy_key.clone()), kid: self.config.decoy_key.clone() };
        let keys = match known {
            // A SIM without KIc that ciphers anyway fails like a wrong key.
            Some((_, k)) => {
                KeySet { kvn, kic: k.kic.clone().or_else(|| decoy.kic.clone()), kid: k.kid.clone() }
            }
            None => decoy,
        };
        let iccid_octets = binding::iccid_octets(iccid);
        let aad = binding::aad(Direction::AppletToGateway, &iccid_octets, Counter::ZERO);
        let view = CommandPacketView::parse(packet).map_err(|_| CloseReason::ProtocolError)?;
        let opened = view.open(&keys, &aad);
        let Some((credentials, sim_keys)) = known else {
            // Even a packet that verifies under the decoy opens nothing.
            let unknown_kvn = credentials.is_some();
            return Err(if unknown_kvn { CloseReason::UnknownKeyVersion } else { CloseReason::BadChecksum });
        };
        let packet = opened.map_err(|e| match e {
            SecuredError::Checksum => CloseReason::BadChecksum,
            _ => CloseReason::ProtocolError,
        })?;
        if packet.tar != credentials.tar {
            return Err(CloseReason::ProtocolError);
        }
        let decision = check_counter(packet.spi.counter, packet.counter, credentials.last_counter);
        counter_reason(decision)?;
        let Ok(AppletMessage::Hello(hello)) = AppletMessage::decode(&packet.data) else {
            return Err(CloseReason::ProtocolError);
        };
        if hello.protocol != PROTOCOL_VERSION {
            return Err(CloseReason::UnsupportedVersion);
        }
        if hello.max_frame < MIN_PEER_FRAME {
            return Err(CloseReason::ProtocolError);
        }
        let keys = KeySet { kvn, kic: sim_keys.kic.clone(), kid: sim_keys.kid.clone() };
        let open = Open {
            iccid_octets,
            keys,
            tar: credentials.tar,
            ciphered: packet.spi.ciphered,
            session: packet.counter,
            last_in: if decision == CounterDecision::Accept {
                packet.counter
            } else {
                credentials.last_counter
            },
            last_out: Counter::ZERO,
        };
        Ok((open, hello))
    }

    pub(super) fn open(&mut self, now: Instant, iccid: Iccid, open: Open, hello: Hello) {
        let accepted = (open.last_in == open.session).then_some(open.session);
        let max_frame = hello.max_frame.min(self.config.max_frame);
        self.outbox.set_max_payload(max_frame);
        self.state = State::Open(Box::new(open));
        self.liveness = Liveness::new(now, self.config.heartbeat_interval, self.config.idle_timeout);
        self.events.extend(accepted.map(SessionEvent::CounterAccepted));
        let capabilities = Capabilities::PROOF_OF_RECEIPT.union(Capabilities::CIPHERING);
        let ours = Hello {
            protocol: PROTOCOL_VERSION,
            version: SERVER_VERSION,
            max_frame: self.config.max_frame,
            capabilities,
        };
        if self.send(now, &AppletMessage::Hello(ours), false).is_err() {
            return self.close(CloseReason::ProtocolError, false);
        }
        self.events.push_back(SessionEvent::Opened {
            iccid,
            applet_version: hello.version,
            capabilities: hello.capabilities,
            max_frame,
        });
    }
}
