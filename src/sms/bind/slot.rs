//! One bind slot's life: lease, connect, bind, serve while renewing the
//! lease, release, wait, and again, until the engine stops.

use super::backoff::Backoff;
use super::connect::{SmscStream, connect};
use super::driver::{BindEnd, DriverParts, drive};
use super::handle::{BindHandle, BindId, InboundRequest, Shared};
use super::leases::{Lease, SlotLeases};
use super::metrics::BindMetrics;
use super::observer::{BindChange, BindObserver, BindState, end_reason};
use super::pool::AccountPool;
use crate::settings::SmppAccount;
use crate::smpp::pdu::CommandStatus;
use crate::smpp::session::{BindKind, EsmeSession, SessionConfig};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

pub(super) struct SlotTask<L> {
    pub(super) account: Arc<str>,
    pub(super) settings: SmppAccount,
    pub(super) kind: BindKind,
    pub(super) tls: Option<(TlsConnector, String)>,
    pub(super) leases: Arc<L>,
    pub(super) lease_ttl: Duration,
    pub(super) pool: AccountPool,
    pub(super) inbound: mpsc::Sender<InboundRequest>,
    pub(super) metrics: BindMetrics,
    pub(super) observer: BindObserver,
    pub(super) max_pdu_len: u32,
    pub(super) stop: CancellationToken,
}

impl<L: SlotLeases> SlotTask<L> {
    pub(super) async fn run(self) {
        let mut backoff = Backoff::new(self.settings.reconnect_min, self.settings.reconnect_max);
        while !self.stop.is_cancelled() {
            let lease = match self.leases.acquire(&self.account, self.settings.max_binds).await {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    // Every slot is held (by this or other instances): look
                    // again when a lease could have expired.
                    self.pause(self.lease_ttl / 3).await;
                    continue;
                }
                Err(err) => {
                    tracing::warn!(account = %self.account, %err, "cannot lease a bind slot");
                    self.pause(backoff.next_delay(fastrand::f64())).await;
                    continue;
                }
            };
            let id = BindId { account: self.account.clone(), slot: lease.slot };
            let span = tracing::info_span!("bind", bind = %id, kind = ?self.kind);
            let outcome = tracing::Instrument::instrument(self.connected(&id, &lease), span).await;
            self.pool.remove(lease.slot);
            self.leases.release(&lease).await;
            let wait = match outcome {
                Err(()) => backoff.next_delay(fastrand::f64()),
                Ok((end, was_bound)) => {
                    if was_bound {
                        backoff.reset();
                    }
                    match end {
                        BindEnd::Refused(status) if status == CommandStatus::ESME_RALYBND => {
                            self.settings.already_bound_wait
                        }
                        _ => backoff.next_delay(fastrand::f64()),
                    }
                }
            };
            self.pause(wait).await;
        }
    }

    /// Sleeps, or returns early when the engine stops.
    async fn pause(&self, wait: Duration) {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.stop.cancelled() => {}
        }
    }

    /// Connects and serves one session. `Err` when no connection was made.
    async fn connected(&self, id: &BindId, lease: &Lease) -> Result<(BindEnd, bool), ()> {
        let s = &self.settings;
        let tls = self.tls.as_ref().map(|(c, name)| (c, name.as_str()));
        let stream: SmscStream = match connect(&s.host, s.port, s.connect_timeout, tls).await {
            Ok(stream) => stream,
            Err(err) => {
                self.metrics.connect(id, "connect_failed");
                tracing::warn!(%err, "cannot reach the SMSC");
                return Err(());
            }
        };
        let config = SessionConfig {
            bind_kind: self.kind,
            system_id: s.system_id.clone(),
            password: s.password.expose().to_owned(),
            system_type: s.system_type.clone(),
            address_range: String::new(),
            window: s.window,
            response_timeout: s.response_timeout,
            enquire_link_interval: s.enquire_link_interval,
            max_unanswered: 64,
            late_window: s.late_response_window,
            late_capacity: crate::smpp::session::LATE_CAPACITY,
        };
        let (tx, rx) = mpsc::channel(s.window * 2);
        let shared = Arc::new(Shared {
            id: id.clone(),
            bound: AtomicBool::new(false),
            window: Arc::new(Semaphore::new(s.window)),
            window_size: s.window,
            can_transmit: self.kind != BindKind::Receiver,
        });
        let bind_stop = self.stop.child_token();
        let (bound_tx, mut bound_rx) = oneshot::channel();
        let parts = DriverParts {
            session: EsmeSession::new(config, tokio::time::Instant::now().into_std()),
            commands: rx,
            inbound: self.inbound.clone(),
            commands_tx: tx.clone(),
            shared: shared.clone(),
            metrics: self.metrics.clone(),
            max_frame: self.max_pdu_len,
            stop: bind_stop.clone(),
            on_bound: Some(bound_tx),
        };
        let peer = stream.peer_addr();
        let driver = drive(stream, parts);
        tokio::pin!(driver);
        let mut renew = tokio::time::interval(self.lease_ttl / 3);
        renew.tick().await;
        let mut was_bound = false;
        let end = loop {
            tokio::select! {
                end = &mut driver => break end,
                bound = &mut bound_rx, if !was_bound => {
                    if bound.is_ok() {
                        was_bound = true;
                        self.metrics.connect(id, "bound");
                        tracing::info!(peer = ?peer, "bind up");
                        self.pool.add(BindHandle { shared: shared.clone(), commands: tx.clone() });
                        let peer = peer.map(|p| p.to_string());
                        self.tell(id, BindState::Up { peer });
                    }
                }
                _ = renew.tick() => match self.leases.renew(lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("bind slot lease lost to another instance: unbinding");
                        self.metrics.connect(id, "lease_lost");
                        bind_stop.cancel();
                    }
                    Err(err) => tracing::warn!(%err, "cannot renew the bind slot lease"),
                },
            }
        };
        match &end {
            BindEnd::Refused(status) => {
                self.metrics.connect(id, "refused");
                tracing::warn!(%status, "the SMSC refused the bind");
            }
            BindEnd::Unbound { by_peer } => tracing::info!(by_peer, "unbound"),
            other => {
                self.metrics.connect(id, "dropped");
                tracing::warn!(end = ?other, "bind lost");
            }
        }
        if was_bound {
            self.tell(id, BindState::Down { reason: end_reason(&end) });
        }
        Ok((end, was_bound))
    }

    fn tell(&self, id: &BindId, state: BindState) {
        self.observer.tell(BindChange { id: id.clone(), kind: self.kind, state });
    }
}
