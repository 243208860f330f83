//! The contract between SIM commands and the OTA wake-up: when a command
//! is queued for a SIM with no open session on any instance, the commands
//! layer asks a [`WakeUp`] to send the SIM a wake-up SMS (docs/applet-protocol.md,
//! "Wake-up"). The SMS pipeline's implementation builds the TS 102 225
//! command packet for the applet's TAR with the SIM's next OTA counter and
//! submits it; [`NoWakeUp`] stands in where no SMS side runs, so commands
//! wait for the SIM to connect on its own.
//!
//! A wake-up is only a nudge: the command stays queued until the applet
//! connects, and a lost or refused wake-up never loses the command.

use crate::sim::ids::Iccid;
use std::future::Future;
use std::pin::Pin;

/// A future a [`WakeUp`] returns (boxed, so the trait is usable as
/// `Arc<dyn WakeUp>`).
pub type WakeFuture<'a> = Pin<Box<dyn Future<Output = Result<WakeSent, WakeError>> + Send + 'a>>;

/// A wake-up SMS the SMS pipeline accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeSent {
    /// The SMS pipeline's message id (`GET /v1/messages/{id}` shows it).
    pub message_id: String,
}

/// Why no wake-up SMS was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WakeError {
    /// This process sends no wake-up SMS.
    #[error("OTA wake-up is not configured on this instance")]
    NotConfigured,
    /// The registry has no such SIM.
    #[error("unknown SIM")]
    UnknownSim,
    /// The SIM has no MSISDN to send the SMS to.
    #[error("the SIM has no MSISDN")]
    NoMsisdn,
    /// The SIM has no key set to secure the packet with.
    #[error("the SIM has no usable key set")]
    NoKeys,
    /// A wake-up went to this SIM moments ago; another is not sent yet.
    #[error("a wake-up was sent {0:?} ago")]
    RecentlyWoken(std::time::Duration),
    /// The SMS pipeline or the registry could not take it now.
    #[error("wake-up not sent: {0}")]
    Unavailable(String),
}

/// Sends wake-up SMS.
pub trait WakeUp: Send + Sync + 'static {
    /// Sends one wake-up SMS to `iccid`'s applet.
    fn wake<'a>(&'a self, iccid: &'a Iccid) -> WakeFuture<'a>;
}

/// Sends nothing: [`WakeError::NotConfigured`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWakeUp;

impl WakeUp for NoWakeUp {
    fn wake<'a>(&'a self, _iccid: &'a Iccid) -> WakeFuture<'a> {
        Box::pin(async { Err(WakeError::NotConfigured) })
    }
}
