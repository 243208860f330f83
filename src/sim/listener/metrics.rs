//! `simgate_applet_*` metrics of the listener: open sessions, handshakes
//! by outcome, sessions closed by reason, commands sent, results by
//! status, frames rejected by reason and connections refused at the
//! limit. Labels take a handful of fixed values (never an ICCID), and
//! every child exists at 0 from the start so an alert sees the first event.

use crate::sim::applet::{CloseReason, ResultStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Every close reason the gateway names (the `reason` label's values).
const REASONS: [CloseReason; 15] = [
    CloseReason::Normal,
    CloseReason::BadChecksum,
    CloseReason::ReplayedCounter,
    CloseReason::CounterOutOfSequence,
    CloseReason::UnknownKeyVersion,
    CloseReason::FrameTooLarge,
    CloseReason::HandshakeTimeout,
    CloseReason::IdleTimeout,
    CloseReason::ProtocolError,
    CloseReason::ServerDraining,
    CloseReason::InsufficientSecurity,
    CloseReason::Overloaded,
    CloseReason::Superseded,
    CloseReason::UnsupportedVersion,
    CloseReason::Other(0xFF),
];

/// The `outcome` label of a handshake that opened a session.
pub const OPENED: &str = "opened";

/// A close reason or handshake outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabels {
    /// [`CloseReason::as_str`].
    pub reason: &'static str,
}

/// A handshake's outcome: `opened`, or the close reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `opened` or [`CloseReason::as_str`].
    pub outcome: &'static str,
}

/// A result's status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StatusLabels {
    /// `ok`, `failed`, `unsupported`, `busy` or `other`.
    pub status: &'static str,
}

/// Metrics of the applet listener and its sessions.
#[derive(Debug, Clone, Default)]
pub struct AppletMetrics {
    sessions_open: Gauge,
    handshakes: Family<OutcomeLabels, Counter>,
    closed: Family<ReasonLabels, Counter>,
    commands_sent: Counter,
    results: Family<StatusLabels, Counter>,
    frames_rejected: Family<ReasonLabels, Counter>,
    refused: Counter,
}

impl AppletMetrics {
    /// Registers under `registry` with the prefix `applet` (so
    /// `simgate_applet_*` under the process registry's `simgate`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("applet");
        r.register("sessions_open", "Applet sessions open (authenticated) now", m.sessions_open.clone());
        r.register("handshakes", "Openings by outcome: opened, or the close reason", m.handshakes.clone());
        r.register("sessions_closed", "Sessions ended or refused, by close reason", m.closed.clone());
        r.register("commands_sent", "Commands written to an applet session", m.commands_sent.clone());
        r.register("results", "Command results from applets, by status", m.results.clone());
        r.register(
            "frames_rejected",
            "Frames that closed their session, by close reason",
            m.frames_rejected.clone(),
        );
        r.register(
            "connections_refused",
            "Connections accepted and closed at once because max_sessions were held",
            m.refused.clone(),
        );
        m.handshakes.get_or_create_owned(&OutcomeLabels { outcome: OPENED });
        for reason in REASONS {
            m.handshakes.get_or_create_owned(&OutcomeLabels { outcome: reason.as_str() });
            m.closed.get_or_create_owned(&ReasonLabels { reason: reason.as_str() });
            if is_frame_rejection(reason) {
                m.frames_rejected.get_or_create_owned(&ReasonLabels { reason: reason.as_str() });
            }
        }
        for status in [ResultStatus::Ok, ResultStatus::Failed, ResultStatus::Unsupported, ResultStatus::Busy]
        {
            m.results.get_or_create_owned(&StatusLabels { status: status.label() });
        }
        m.results.get_or_create_owned(&StatusLabels { status: ResultStatus::Other(0xFF).label() });
        m
    }

    pub(crate) fn opened(&self) {
        self.handshakes.get_or_create(&OutcomeLabels { outcome: OPENED }).inc();
        self.sessions_open.inc();
    }

    /// A session ended: `was_open` tells whether it had opened.
    pub(crate) fn closed(&self, reason: CloseReason, by_peer: bool, was_open: bool) {
        let name = reason.as_str();
        if was_open {
            self.sessions_open.dec();
        } else {
            self.handshakes.get_or_create(&OutcomeLabels { outcome: name }).inc();
        }
        self.closed.get_or_create(&ReasonLabels { reason: name }).inc();
        if !by_peer && is_frame_rejection(reason) {
            self.frames_rejected.get_or_create(&ReasonLabels { reason: name }).inc();
        }
    }

    pub(crate) fn command_sent(&self) {
        self.commands_sent.inc();
    }

    pub(crate) fn result(&self, status: ResultStatus) {
        self.results.get_or_create(&StatusLabels { status: status.label() }).inc();
    }

    pub(crate) fn refused(&self) {
        self.refused.inc();
    }
}

/// Whether the gateway closing with `reason` means a frame from the peer
/// was refused (rather than a timer, a drain or a newer session).
const fn is_frame_rejection(reason: CloseReason) -> bool {
    matches!(
        reason,
        CloseReason::BadChecksum
            | CloseReason::ReplayedCounter
            | CloseReason::CounterOutOfSequence
            | CloseReason::UnknownKeyVersion
            | CloseReason::FrameTooLarge
            | CloseReason::ProtocolError
            | CloseReason::InsufficientSecurity
            | CloseReason::UnsupportedVersion
    )
}
