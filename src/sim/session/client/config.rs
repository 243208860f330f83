//! What configures an applet client and what it reports.

use crate::sim::applet::{CloseReason, CommandId, CommandType, Hello};
use crate::sim::frame::DEFAULT_MAX_PAYLOAD_LEN;
use crate::sim::ids::{Iccid, Tar};
use crate::sim::keys::KeySet;
use crate::sim::secured::{Counter, CounterMode, ResponseStatus};
use crate::sim::session::liveness::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_IDLE_TIMEOUT,
};
use std::time::Duration;

/// How one simulated applet behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The SIM.
    pub iccid: Iccid,
    /// The applet's TAR.
    pub tar: Tar,
    /// The key set it secures with.
    pub keys: KeySet,
    /// The last counter it used (the card keeps it across sessions).
    pub counter: Counter,
    /// Whether it ciphers (needs a KIc key).
    pub ciphered: bool,
    /// The counter mode its packets ask for.
    pub counter_mode: CounterMode,
    /// Its hello.
    pub hello: Hello,
    /// The largest frame payload it accepts.
    pub max_frame: u16,
    /// From connect to open, at most.
    pub handshake_timeout: Duration,
    /// Heartbeat after this long without sending.
    pub heartbeat_interval: Duration,
    /// Close after this long without receiving.
    pub idle_timeout: Duration,
    /// Frames queued for the socket, at most.
    pub max_pending_frames: usize,
}

impl ClientConfig {
    /// Defaults for the SIM: no ciphering, "process if higher", hello of
    /// applet version 1 with a 1024-octet buffer, the standard timers.
    pub fn new(iccid: Iccid, tar: Tar, keys: KeySet, counter: Counter) -> Self {
        use crate::sim::applet::{Capabilities, PROTOCOL_VERSION};
        Self {
            iccid,
            tar,
            keys,
            counter,
            ciphered: false,
            counter_mode: CounterMode::ProcessIfHigher,
            hello: Hello {
                protocol: PROTOCOL_VERSION,
                version: 1,
                max_frame: DEFAULT_MAX_PAYLOAD_LEN,
                capabilities: Capabilities::PROOF_OF_RECEIPT,
            },
            max_frame: DEFAULT_MAX_PAYLOAD_LEN,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_pending_frames: 32,
        }
    }
}

/// How the next message the client seals goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Reuse the last counter (a replay).
    ReplayCounter,
    /// Skip a counter value (out of sequence in "one higher" mode).
    SkipCounter,
    /// Flip a bit of the checksum.
    CorruptChecksum,
}

/// What the client tells its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The gateway's hello verified: the session is open.
    Opened {
        /// The gateway's hello.
        hello: Hello,
    },
    /// A command to carry out; answer with [`super::AppletClient::send_result`].
    Command {
        /// Its id.
        id: CommandId,
        /// Its type.
        kind: CommandType,
        /// Its payload.
        payload: Vec<u8>,
    },
    /// The gateway acknowledged the message with this counter.
    ProofOfReceipt {
        /// The acknowledged counter.
        counter: Counter,
        /// Its status.
        status: ResponseStatus,
    },
    /// The session ended.
    Closed {
        /// Why.
        reason: CloseReason,
        /// Whether the gateway said so.
        by_peer: bool,
    },
}
