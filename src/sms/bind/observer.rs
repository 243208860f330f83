//! [`BindObserver`]: how the bind engine tells whoever listens (the SMS
//! service, which turns it into `smpp.bind.up` / `smpp.bind.down` events)
//! that a bind came up or went down, without depending on them. The queue
//! is bounded; a full queue never holds a bind up: the change is dropped
//! and counted (`simgate_smpp_observer_dropped_total`).

use super::driver::BindEnd;
use super::handle::BindId;
use super::metrics::BindMetrics;
use crate::smpp::session::BindKind;
use tokio::sync::mpsc;

/// A bind that came up or went down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindChange {
    /// Which bind (its account and lease slot).
    pub id: BindId,
    /// Transmitter, receiver or transceiver.
    pub kind: BindKind,
    /// Up or down.
    pub state: BindState,
}

/// What happened to the bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindState {
    /// bind_*_resp with ESME_ROK (SMPP v3.4 4.1).
    Up {
        /// The SMSC's address, when the socket knew it.
        peer: Option<String>,
    },
    /// A bind that was up ended.
    Down {
        /// Why, in one line.
        reason: String,
    },
}

/// The sending side; cheap to clone, one per slot task.
#[derive(Debug, Clone)]
pub struct BindObserver {
    tx: Option<mpsc::Sender<BindChange>>,
    metrics: Option<BindMetrics>,
}

impl BindObserver {
    /// Nobody listens.
    pub fn none() -> Self {
        Self { tx: None, metrics: None }
    }

    /// Changes go to `tx`; those that find it full are counted in `metrics`.
    pub fn new(tx: mpsc::Sender<BindChange>, metrics: BindMetrics) -> Self {
        Self { tx: Some(tx), metrics: Some(metrics) }
    }

    /// Tells `change` if there is room; never waits.
    pub(crate) fn tell(&self, change: BindChange) {
        let Some(tx) = &self.tx else { return };
        if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(change)
            && let Some(metrics) = &self.metrics
        {
            metrics.observer_dropped();
        }
    }
}

/// A bind's end as the one-line reason of `smpp.bind.down`.
pub fn end_reason(end: &BindEnd) -> String {
    match end {
        BindEnd::Refused(status) => format!("bind refused: {status}"),
        BindEnd::BindTimedOut => "no bind response".to_owned(),
        BindEnd::LinkDead => "enquire_link unanswered".to_owned(),
        BindEnd::Unbound { by_peer: true } => "unbound by the SMSC".to_owned(),
        BindEnd::Unbound { by_peer: false } => "unbound by simgate".to_owned(),
        BindEnd::Dropped(why) => format!("connection lost: {why}"),
        BindEnd::BadFrame(why) => format!("bad frame: {why}"),
    }
}

/// The wire name of a bind kind (`transceiver`).
pub const fn kind_name(kind: BindKind) -> &'static str {
    match kind {
        BindKind::Transmitter => "transmitter",
        BindKind::Receiver => "receiver",
        BindKind::Transceiver => "transceiver",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::registry::Registry;

    fn change(slot: u32) -> BindChange {
        BindChange {
            id: BindId { account: "primary".into(), slot },
            kind: BindKind::Transceiver,
            state: BindState::Up { peer: None },
        }
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let mut registry = Registry::default();
        let metrics = BindMetrics::register(&mut registry);
        let (tx, mut rx) = mpsc::channel(1);
        let observer = BindObserver::new(tx, metrics);
        observer.tell(change(0));
        observer.tell(change(1));
        observer.tell(change(2));
        assert_eq!(rx.recv().await, Some(change(0)));
        assert!(rx.try_recv().is_err(), "the changes that found it full are gone");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("observer_dropped_total 2"), "{text}");
        BindObserver::none().tell(change(3));
    }

    #[test]
    fn reasons_are_one_line() {
        assert_eq!(end_reason(&BindEnd::Unbound { by_peer: true }), "unbound by the SMSC");
        assert_eq!(end_reason(&BindEnd::LinkDead), "enquire_link unanswered");
        assert!(!end_reason(&BindEnd::Dropped("reset".into())).contains('\n'));
    }
}
