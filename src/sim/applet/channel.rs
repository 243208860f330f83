//! How both sides of the applet channel secure a message and judge the
//! security of what they receive (ETSI TS 102 225 5.1 packets carrying an
//! [`AppletMessage`]).
//!
//! Every message is one command packet: SPI with a cryptographic checksum
//! (AES-CMAC, KID `k2` for key version k), ciphering with AES-CBC (KIc
//! `k2`) when the applet's opening was ciphered, and the sender's counter.
//! The applet uses "process if higher" by default (its counter survives
//! reconnections and the registry stores the last accepted value); the
//! gateway counts from 1 in every session and uses "process if one
//! higher", which TCP's ordering makes exact.

use super::close::CloseReason;
use super::message::AppletMessage;
use crate::sim::ids::Tar;
use crate::sim::keys::KeySet;
use crate::sim::secured::{
    CMAC_CHECKSUM_LEN, ChecksumKind, CommandPacket, CommandPacketView, Counter, CounterMode, Kic,
    KicAlgorithm, Kid, KidAlgorithm, PorRequest, SecuredError, Spi,
};

/// What a receiver requires of the packets it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboundPolicy {
    /// The weakest counter mode accepted (default: process if higher).
    pub min_counter_mode: CounterMode,
    /// Whether packets must be ciphered.
    pub require_ciphering: bool,
}

impl Default for InboundPolicy {
    fn default() -> Self {
        Self { min_counter_mode: CounterMode::ProcessIfHigher, require_ciphering: false }
    }
}

impl InboundPolicy {
    /// Judges what the clear header shows, before any key is used: an
    /// AES-CMAC checksum of 8 octets, AES-CBC when ciphered, a counter mode
    /// at least `min_counter_mode`. None of it depends on the SIM, so
    /// refusing here reveals nothing about it.
    pub fn check(&self, view: &CommandPacketView<'_>) -> Result<(), CloseReason> {
        let spi = view.spi;
        let checksum_ok = spi.checksum == ChecksumKind::Cryptographic
            && view.kid.algorithm() == KidAlgorithm::AesCmac
            && view.checksum_len() == CMAC_CHECKSUM_LEN;
        let cipher_ok =
            if spi.ciphered { view.kic.algorithm() == KicAlgorithm::AesCbc } else { !self.require_ciphering };
        if checksum_ok && cipher_ok && spi.counter >= self.min_counter_mode {
            Ok(())
        } else {
            Err(CloseReason::InsufficientSecurity)
        }
    }
}

/// The SPI of a channel message.
pub const fn message_spi(ciphered: bool, counter: CounterMode, por: bool) -> Spi {
    let mut spi = Spi::checksummed(ciphered, counter);
    if por {
        spi.por = PorRequest::Always;
    }
    spi
}

/// Seals `message` as one command packet under `keys`.
pub fn seal_message(
    keys: &KeySet,
    tar: Tar,
    spi: Spi,
    counter: Counter,
    aad: &[u8],
    message: &AppletMessage,
) -> Result<Vec<u8>, SecuredError> {
    let packet = CommandPacket {
        spi,
        kic: if spi.ciphered { Kic::aes_cbc(keys.kvn) } else { Kic(0) },
        kid: Kid::aes_cmac(keys.kvn),
        tar,
        counter,
        data: message.to_vec(),
    };
    packet.seal(keys, aad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ids::Kvn;
    use crate::sim::keys::AesKey;

    #[test]
    fn policy_refuses_weak_packets_before_keys() {
        let keys = KeySet {
            kvn: Kvn::new(1).unwrap(),
            kic: Some(AesKey::new(&[1; 16]).unwrap()),
            kid: AesKey::new(&[2; 16]).unwrap(),
        };
        let tar = Tar([1, 2, 3]);
        let seal = |spi| {
            seal_message(&keys, tar, spi, Counter::new(1).unwrap(), b"", &AppletMessage::Heartbeat).unwrap()
        };
        let policy = InboundPolicy::default();
        let strict =
            InboundPolicy { min_counter_mode: CounterMode::ProcessIfOneHigher, require_ciphering: true };
        let good = seal(message_spi(false, CounterMode::ProcessIfHigher, false));
        let ciphered = seal(message_spi(true, CounterMode::ProcessIfOneHigher, true));
        let weak = seal(message_spi(false, CounterMode::Available, false));
        let mut unsigned_spi = message_spi(false, CounterMode::ProcessIfHigher, false);
        unsigned_spi.checksum = ChecksumKind::None;
        let unsigned = seal(unsigned_spi);
        let view = |w: &Vec<u8>| CommandPacketView::parse(w).map(|v| (policy.check(&v), strict.check(&v)));
        assert_eq!(view(&good), Ok((Ok(()), Err(CloseReason::InsufficientSecurity))));
        assert_eq!(view(&ciphered), Ok((Ok(()), Ok(()))));
        assert_eq!(
            view(&weak),
            Ok((Err(CloseReason::InsufficientSecurity), Err(CloseReason::InsufficientSecurity)))
        );
        assert_eq!(view(&unsigned).map(|r| r.0), Ok(Err(CloseReason::InsufficientSecurity)));
    }
}
