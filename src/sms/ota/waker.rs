//! [`OtaWaker`]: the SMS pipeline's [`WakeUp`]. For a SIM with no open
//! session it builds the wake-up command packet (`sim::ota`) for the
//! applet's TAR, secured with the SIM's highest key set (AES or DES: the
//! KID names its algorithm) and the next OTA counter of that key set, and
//! hands its SMS to the MT acceptor as a SIM data download: stored,
//! claimed and submitted by the MT worker of any instance like every MT.
//! At most one wake-up per SIM per `sim.wake_min_interval`, over every
//! instance (Redis).

use super::metrics::OtaMetrics;
use super::records::WakeRecords;
use crate::events::payload_sim::OtaSent;
use crate::events::{EventData, EventKey};
use crate::sim::ota::{command_sms, wake_up_packet};
use crate::sim::registry::{SimEntry, SimRegistry, SimStatus};
use crate::sim::secured::Counter;
use crate::sim::wake::{WakeError, WakeFuture, WakeSent, WakeUp};
use crate::sim::{Iccid, Kvn};
use crate::sms::command::MtAcceptor;
use crate::sms::mt::ValidMt;
use crate::state::{WakeLimits, WakeTaken};

/// The settings a waker reads (`[sim]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeSettings {
    /// `sim.wake_source`: source_addr of the wake-up SMS.
    pub source: String,
}

impl WakeSettings {
    /// From the `[sim]` section.
    pub fn from_settings(sim: &crate::settings::SimSettings) -> Self {
        Self { source: sim.wake_source.clone() }
    }
}

/// Sends wake-up SMS. Cheap to share (`Arc<dyn WakeUp>`).
#[derive(Debug, Clone)]
pub struct OtaWaker {
    /// SIMs, their keys and OTA counters.
    registry: SimRegistry,
    /// The MT accept path (it also carries the event sink and origin).
    acceptor: MtAcceptor,
    /// One wake-up per SIM per interval, over all instances.
    limits: WakeLimits,
    /// The `sim_ota` log of wake-ups.
    records: WakeRecords,
    /// Source address and the like.
    settings: WakeSettings,
    /// Counters.
    metrics: OtaMetrics,
}

impl OtaWaker {
    /// A waker on the given parts. `acceptor` is the SMS side's
    /// [`MtAcceptor`] (its events and origin publish `sim.ota.sent`).
    pub fn new(
        registry: SimRegistry,
        acceptor: MtAcceptor,
        limits: WakeLimits,
        records: WakeRecords,
        settings: WakeSettings,
        metrics: OtaMetrics,
    ) -> Self {
        Self { registry, acceptor, limits, records, settings, metrics }
    }

    /// The counters.
    pub fn metrics(&self) -> &OtaMetrics {
        &self.metrics
    }

    async fn send(&self, iccid: &Iccid) -> Result<WakeSent, WakeError> {
        let sim = match self.registry.get(iccid).await {
            Ok(Some(sim)) => sim,
            Ok(None) => return Err(WakeError::UnknownSim),
            Err(err) => return Err(unavailable("registry", &err)),
        };
        if sim.status == SimStatus::Suspended {
            return Err(WakeError::Unavailable("the SIM is suspended".to_owned()));
        }
        let kvn = highest_kvn(&sim).ok_or(WakeError::NoKeys)?;
        let token = crate::store::MessageId::generate();
        match self.limits.try_take(iccid, token.as_str()).await {
            Ok(WakeTaken::Taken) => {}
            Ok(WakeTaken::Held { remaining }) => {
                return Err(WakeError::RecentlyWoken(self.limits.interval().saturating_sub(remaining)));
            }
            Err(err) => return Err(unavailable("wake limit", &err)),
        }
        let sent = self.send_taken(&sim, kvn).await;
        if sent.is_err()
            && let Err(err) = self.limits.give_back(iccid, token.as_str()).await
        {
            tracing::debug!(%iccid, %err, "wake limit not given back; it lapses by itself");
        }
        sent
    }

    /// What follows once the SIM's limit is held.
    async fn send_taken(&self, sim: &SimEntry, kvn: Kvn) -> Result<WakeSent, WakeError> {
        let iccid = &sim.iccid;
        let credentials = match self.registry.credentials(iccid, kvn).await {
            Ok(Some(c)) => c,
            Ok(None) => return Err(WakeError::NoKeys),
            Err(err) => {
                // A key that does not open needs an operator (master key).
                tracing::error!(%iccid, kvn = kvn.get(), %err, "SIM keys unusable: no wake-up");
                return Err(unavailable("registry", &err));
            }
        };
        let counter = match self.registry.next_ota_counter(iccid, kvn).await {
            Ok(Some(c)) => c,
            Ok(None) => return Err(WakeError::NoKeys),
            Err(err) => return Err(unavailable("OTA counter", &err)),
        };
        let packet_counter = Counter::new(counter).map_err(|e| WakeError::Unavailable(e.to_string()))?;
        let packet = wake_up_packet(&credentials.keys, credentials.tar, packet_counter);
        // The concatenation reference only matters for a packet of several
        // SMS; the counter's low octet differs between consecutive ones.
        let reference = counter.to_be_bytes()[7];
        let parts = command_sms(&packet, &credentials.keys, reference)
            .map_err(|e| WakeError::Unavailable(e.to_string()))?;
        let key = format!("ota:{}:{counter}", iccid.as_str());
        let mt = ValidMt::sim_data_download(sim.msisdn.as_str(), &self.settings.source, parts, Some(key))
            .map_err(|e| WakeError::Unavailable(e.to_string()))?;
        let accepted =
            self.acceptor.accept_valid(mt, None).await.map_err(|err| unavailable("SMS pipeline", &err))?;
        let message_id = accepted.record.id.as_str().to_owned();
        if let Err(err) = self.records.record_sent(iccid, counter, kvn.get(), &message_id).await {
            // The SMS goes anyway; its PoR gets a record of its own.
            tracing::warn!(%iccid, counter, %err, "wake-up not recorded in sim_ota");
        }
        self.publish_sent(sim, &message_id, counter).await;
        let algorithm = credentials.keys.algorithm().name();
        tracing::debug!(%iccid, counter, kvn = kvn.get(), algorithm, message_id, "wake-up SMS accepted");
        Ok(WakeSent { message_id })
    }

    async fn publish_sent(&self, sim: &SimEntry, message_id: &str, counter: u64) {
        let Ok(key) = EventKey::new(sim.msisdn.as_str()) else { return };
        let data = EventData::SimOtaSent(OtaSent {
            iccid: sim.iccid.as_str().to_owned(),
            message_id: message_id.to_owned(),
            tar: sim.tar.to_string(),
            counter,
        });
        let event = self.acceptor.origin.event(key, data);
        if let Err(err) = self.acceptor.events.publish(&event).await {
            tracing::error!(%err, "sim.ota.sent lost: neither the broker nor the outbox took it");
        }
    }
}

impl WakeUp for OtaWaker {
    fn wake<'a>(&'a self, iccid: &'a Iccid) -> WakeFuture<'a> {
        Box::pin(async move {
            let result = self.send(iccid).await;
            match &result {
                Ok(_) => self.metrics.sent(),
                Err(err) => self.metrics.refused(reason(err)),
            }
            result
        })
    }
}

/// The key set a wake-up is secured with: the highest KVN, the newest keys.
fn highest_kvn(sim: &SimEntry) -> Option<Kvn> {
    sim.key_sets.iter().map(|k| k.kvn).max_by_key(|k| k.get())
}

fn unavailable(what: &str, err: &dyn std::fmt::Display) -> WakeError {
    WakeError::Unavailable(format!("{what}: {err}"))
}

/// The metric label of a refusal.
fn reason(err: &WakeError) -> &'static str {
    match err {
        WakeError::UnknownSim => "unknown_sim",
        WakeError::NoMsisdn => "no_msisdn",
        WakeError::NoKeys => "no_keys",
        WakeError::RecentlyWoken(_) => "recently_woken",
        WakeError::NotConfigured | WakeError::Unavailable(_) => "unavailable",
    }
}
