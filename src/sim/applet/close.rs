//! Why an applet channel session ended: the reason carried by a close
//! message and reported by both session sides.

/// A close reason, one octet on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// '00': the sender is done.
    Normal,
    /// '01': a checksum did not verify, the ICCID is unknown, or the key
    /// version is unknown (indistinguishable on the wire before the session
    /// opens, see [`CloseReason::on_wire_before_open`]).
    BadChecksum,
    /// '02': the counter was not higher than the last accepted (replay).
    ReplayedCounter,
    /// '03': the counter skipped values in "process if one higher" mode.
    CounterOutOfSequence,
    /// '04': the packet named a key version the SIM has no keys for.
    UnknownKeyVersion,
    /// '05': a frame declared a length above the maximum.
    FrameTooLarge,
    /// '06': the handshake did not complete in time.
    HandshakeTimeout,
    /// '07': nothing was received for the idle timeout.
    IdleTimeout,
    /// '08': a malformed frame, packet or message, or one the state does
    /// not allow.
    ProtocolError,
    /// '09': the gateway instance is shutting down; reconnect elsewhere.
    ServerDraining,
    /// '0A': the packet's security is below what the receiver requires
    /// (no checksum, no replay protection, or no ciphering when required).
    InsufficientSecurity,
    /// '0B': the peer does not read fast enough or sends more than the
    /// bounded queues hold.
    Overloaded,
    /// '0C': a newer session of the same SIM replaced this one.
    Superseded,
    /// '0D': the applet's protocol version is not supported.
    UnsupportedVersion,
    /// Any other octet, kept as received.
    Other(u8),
}

impl CloseReason {
    /// From the octet.
    pub const fn from_octet(o: u8) -> Self {
        match o {
            0x00 => CloseReason::Normal,
            0x01 => CloseReason::BadChecksum,
            0x02 => CloseReason::ReplayedCounter,
            0x03 => CloseReason::CounterOutOfSequence,
            0x04 => CloseReason::UnknownKeyVersion,
            0x05 => CloseReason::FrameTooLarge,
            0x06 => CloseReason::HandshakeTimeout,
            0x07 => CloseReason::IdleTimeout,
            0x08 => CloseReason::ProtocolError,
            0x09 => CloseReason::ServerDraining,
            0x0A => CloseReason::InsufficientSecurity,
            0x0B => CloseReason::Overloaded,
            0x0C => CloseReason::Superseded,
            0x0D => CloseReason::UnsupportedVersion,
            other => CloseReason::Other(other),
        }
    }

    /// The octet.
    pub const fn octet(self) -> u8 {
        match self {
            CloseReason::Normal => 0x00,
            CloseReason::BadChecksum => 0x01,
            CloseReason::ReplayedCounter => 0x02,
            CloseReason::CounterOutOfSequence => 0x03,
            CloseReason::UnknownKeyVersion => 0x04,
            CloseReason::FrameTooLarge => 0x05,
            CloseReason::HandshakeTimeout => 0x06,
            CloseReason::IdleTimeout => 0x07,
            CloseReason::ProtocolError => 0x08,
            CloseReason::ServerDraining => 0x09,
            CloseReason::InsufficientSecurity => 0x0A,
            CloseReason::Overloaded => 0x0B,
            CloseReason::Superseded => 0x0C,
            CloseReason::UnsupportedVersion => 0x0D,
            CloseReason::Other(o) => o,
        }
    }

    /// The reason the server puts on the wire while the session is not yet
    /// open. An unknown key version would tell a prober that the ICCID
    /// exists, so it goes out as a bad checksum, like an unknown ICCID; the
    /// precise reason stays in the server's own event.
    pub const fn on_wire_before_open(self) -> Self {
        match self {
            CloseReason::UnknownKeyVersion => CloseReason::BadChecksum,
            other => other,
        }
    }

    /// A short stable name, for metrics labels and events.
    pub const fn as_str(self) -> &'static str {
        match self {
            CloseReason::Normal => "normal",
            CloseReason::BadChecksum => "bad_checksum",
            CloseReason::ReplayedCounter => "replayed_counter",
            CloseReason::CounterOutOfSequence => "counter_out_of_sequence",
            CloseReason::UnknownKeyVersion => "unknown_key_version",
            CloseReason::FrameTooLarge => "frame_too_large",
            CloseReason::HandshakeTimeout => "handshake_timeout",
            CloseReason::IdleTimeout => "idle_timeout",
            CloseReason::ProtocolError => "protocol_error",
            CloseReason::ServerDraining => "server_draining",
            CloseReason::InsufficientSecurity => "insufficient_security",
            CloseReason::Overloaded => "overloaded",
            CloseReason::Superseded => "superseded",
            CloseReason::UnsupportedVersion => "unsupported_version",
            CloseReason::Other(_) => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_round_trips_and_names_are_distinct() {
        let mut names = std::collections::HashSet::new();
        for o in 0..=255u8 {
            let r = CloseReason::from_octet(o);
            assert_eq!(r.octet(), o);
            if !matches!(r, CloseReason::Other(_)) {
                assert!(names.insert(r.as_str()), "{r:?}");
            }
        }
        assert_eq!(names.len(), 14);
        assert_eq!(CloseReason::UnknownKeyVersion.on_wire_before_open(), CloseReason::BadChecksum);
        assert_eq!(CloseReason::ReplayedCounter.on_wire_before_open(), CloseReason::ReplayedCounter);
    }
}
