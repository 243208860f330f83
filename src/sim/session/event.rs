//! What the gateway's session tells its driver, what the driver gives it
//! back, and why a send was refused.

use crate::sim::applet::{Capabilities, CloseReason, CommandId, ResultStatus};
use crate::sim::ids::{Iccid, Kvn, Tar};
use crate::sim::keys::KeySet;
use crate::sim::secured::{Counter, ResponseStatus, SecuredError};

/// What the registry knows of a SIM, handed to
/// [`super::AppletSession::provide_keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCredentials {
    /// The applet's TAR; every packet of the session must carry it.
    pub tar: Tar,
    /// The SIM's key sets; the session picks the one the packet names.
    pub key_sets: Vec<KeySet>,
    /// The last counter accepted from this SIM (zero for none): the opening
    /// must be higher.
    pub last_counter: Counter,
}

impl SimCredentials {
    /// The key set under `kvn`.
    pub fn key_set(&self, kvn: Kvn) -> Option<&KeySet> {
        self.key_sets.iter().find(|k| k.kvn == kvn)
    }
}

/// An event for the driver, in the order things happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The opening frame names this SIM and key version. Nothing is
    /// verified yet: look the SIM up and call `provide_keys`, with `None`
    /// when it is unknown; never tell the peer anything.
    NeedKeys {
        /// The ICCID the peer claims.
        iccid: Iccid,
        /// The key version its packet names.
        kvn: Kvn,
    },
    /// A packet from the SIM with this counter was accepted; persist it as
    /// the SIM's last accepted counter.
    CounterAccepted(Counter),
    /// The SIM proved it holds its keys: the session is open.
    Opened {
        /// The SIM.
        iccid: Iccid,
        /// The applet version from its hello.
        applet_version: u16,
        /// Its capabilities.
        capabilities: Capabilities,
        /// The largest frame payload it accepts (already capped by ours).
        max_frame: u16,
    },
    /// The applet acknowledged a command.
    ProofOfReceipt {
        /// The command.
        command_id: CommandId,
        /// Its status (PoR OK, or why it was not processed).
        status: ResponseStatus,
    },
    /// The applet's result of a command (also for commands of an earlier
    /// session of this SIM).
    Result {
        /// The command.
        command_id: CommandId,
        /// How it went.
        status: ResultStatus,
        /// The answer.
        payload: Vec<u8>,
    },
    /// The session ended; write what `poll_transmit` still gives, then
    /// close the socket.
    Closed {
        /// Why.
        reason: CloseReason,
        /// Whether the peer said so (else this side decided).
        by_peer: bool,
    },
}

/// Why `send_command` or `send_result` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is not open (yet, or any more).
    #[error("session is not open")]
    NotOpen,
    /// The bound of undelivered commands or of queued frames is reached;
    /// keep it queued and try after the next result.
    #[error("session queue is full")]
    Full,
    /// The sender's counter has reached 2^40 - 1 (TS 102 225 5.1.1): the
    /// SIM needs a new key set or counter before anything more is sent.
    #[error("counter exhausted")]
    CounterExhausted,
    /// The message does not fit a frame the peer accepts.
    #[error("message does not fit the peer's frame size")]
    TooLarge,
    /// Securing the message failed.
    #[error(transparent)]
    Secured(#[from] SecuredError),
}
