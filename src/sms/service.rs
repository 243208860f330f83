//! The sms-service composition: from the settings and the backends, the
//! bind engine (its up/down changes become `smpp.bind.*` events, its MT
//! account feeds the `smpp` health component), the inbound lanes (MO and
//! receipts), the receipt sweeper, the MT worker, the MT command consumer
//! and the `/v1/messages` handlers; with `sim.enabled`, the OTA wake-up
//! and the handling of its proofs of receipt (src/sms/ota).
//! [`SmsService::start`] returns what the HTTP router mounts; shutdown
//! stops the MT worker and the command consumer first, then unbinds, then
//! the inbound lanes finish what the binds delivered.

use crate::backends::Backends;
use crate::events::payload::{BindDown, BindUp};
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::http::api::messages::MessagesApi;
use crate::lifecycle::{Health, Shutdown};
use crate::settings::{Role, Settings, SmppSettings};
use crate::sim::registry::{SimRegistry, SimRegistryMetrics};
use crate::sms::bind::observer::kind_name;
use crate::sms::bind::{
    BindChange, BindEngine, BindMetrics, BindObserver, BindState, LocalSlots, RedisSlots,
};
use crate::sms::bind_health::spawn_bind_health;
use crate::sms::command::{CommandConsumer, CommandMetrics, MtAcceptor, command_topic};
use crate::sms::inbound::{Inbound, InboundMetrics, sweep_parked};
use crate::sms::mt::worker::{MtWorker, WorkerConfig};
use crate::sms::ota::{OtaMetrics, OtaWaker, PorInbound, WakeRecords, WakeSettings};
use crate::state::{
    IdempotencyKeys, MoReassembly, ReceiptCorrelation, RegionBinds, StateMetrics, StateStore, WakeLimits,
};
use crate::store::{MessageStore, StoreMetrics};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Deliver_sm waiting for a lane, over every bind.
const INBOUND_QUEUE: usize = 1024;
/// Lanes handling inbound messages in parallel (order kept per number).
const INBOUND_LANES: usize = 16;
/// Bind up/down changes waiting to become events; more are dropped and
/// counted (a bind never waits for its event).
const BIND_CHANGES: usize = 256;

/// Why the SMS side cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// A bind setting cannot be used (TLS files).
    #[error(transparent)]
    Connect(#[from] crate::sms::bind::connect::ConnectError),
    /// The bind leases cannot be set up.
    #[error("bind leases: {0}")]
    State(#[from] crate::state::StateError),
    /// The MT command consumer cannot be created from the Kafka settings.
    #[error("MT command consumer: {0}")]
    Commands(#[from] rdkafka::error::KafkaError),
}

/// What the HTTP side needs from the SMS side.
#[derive(Debug, Clone)]
pub struct SmsService {
    /// The binds.
    pub engine: BindEngine,
    /// The `/v1/messages` handlers' state, when MongoDB, Redis and events are on.
    pub messages: Option<MessagesApi>,
    /// The SIM registry, when `sim.enabled` and the pipeline runs: the one
    /// of this process (its metrics are registered), for the SIM side to
    /// share.
    pub sims: Option<SimRegistry>,
    /// The OTA wake-up (src/sms/ota), when `sims` is: what SIM commands
    /// call through [`crate::sim::wake::WakeUp`].
    pub waker: Option<Arc<OtaWaker>>,
    /// The shared state in Redis, when `redis.enabled` (its metrics are
    /// registered here once), for the SIM side to share.
    pub state: Option<StateStore>,
}

/// The OTA parts of the SMS side (`sim.enabled`).
struct OtaParts {
    registry: SimRegistry,
    records: WakeRecords,
    metrics: OtaMetrics,
}

impl OtaParts {
    /// Built when the SIM side is on and its master keys load; otherwise
    /// PoR MO are ordinary MO and no wake-up is sent.
    fn start(
        settings: &Settings,
        mongo: &crate::backends::mongo::MongoHandle,
        registry: &mut Registry,
    ) -> Option<Self> {
        if !settings.sim.enabled {
            return None;
        }
        let keyring = match settings.sim.keyring() {
            Ok(k) => Arc::new(k),
            Err(err) => {
                tracing::error!(%err, "SIM master key unusable: no OTA wake-up, PoR MO handled as MO");
                return None;
            }
        };
        let sims = SimRegistry::new(
            mongo,
            keyring,
            SimRegistryMetrics::register(registry.sub_registry_with_prefix("sim_registry")),
        );
        Some(Self {
            registry: sims,
            records: WakeRecords::new(mongo),
            metrics: OtaMetrics::register(registry.sub_registry_with_prefix("sim_ota")),
        })
    }
}

impl SmsService {
    /// Starts everything the settings ask for. With no SMPP account there
    /// is nothing to do but the API (messages stay accepted until binds
    /// come).
    pub async fn start(
        settings: &Settings,
        backends: &Backends,
        events: Option<EventSink>,
        registry: &mut Registry,
        health: &Health,
        shutdown: &Shutdown,
    ) -> Result<Self, SmsError> {
        let instance = settings.instance_id();
        let bind_metrics = BindMetrics::register(registry.sub_registry_with_prefix("smpp"));
        let (changes_tx, changes_rx) = mpsc::channel(BIND_CHANGES);
        let observer = BindObserver::new(changes_tx, bind_metrics.clone());
        let (inbound_tx, inbound_rx) = mpsc::channel(INBOUND_QUEUE);
        let engine_stop = tokio_util::sync::CancellationToken::new();
        let state = backends.redis.clone().map(|redis| {
            StateStore::new(redis, StateMetrics::register(registry.sub_registry_with_prefix("state")))
        });
        let engine = match &state {
            Some(state) => BindEngine::start_observed(
                &settings.smpp,
                settings.instance.role,
                Arc::new(RedisSlots::new(state.clone(), &instance, settings.smpp.lease_ttl)?),
                inbound_tx,
                bind_metrics,
                engine_stop.clone(),
                observer,
            )?,
            None => BindEngine::start_observed(
                &settings.smpp,
                settings.instance.role,
                Arc::new(LocalSlots::default()),
                inbound_tx,
                bind_metrics,
                engine_stop.clone(),
                observer,
            )?,
        };
        let sms = &settings.sms;
        if let Some(pool) = engine.pool(&sms.mt_account) {
            let component = health.region_component("smpp");
            let wanted = engine.wanted(&sms.mt_account);
            let region = state.clone().map(|s| RegionBinds::new(s, &instance, &settings.instance.region));
            spawn_bind_health(shutdown, component, pool.clone(), region, wanted, sms.bind_down_grace);
        }
        let shared = state.clone();
        let (Some(state), Some(mongo), Some(events)) = (state, backends.mongo.clone(), events) else {
            tracing::warn!("MT API and MO/receipt handling off: they need redis, mongo and events");
            spawn_engine_stop(shutdown, &engine);
            return Ok(Self { engine, messages: None, sims: None, waker: None, state: shared });
        };
        let origin = EventOrigin { region: settings.instance.region.clone(), instance: instance.clone() };
        shutdown.spawn(forward_bind_changes(changes_rx, events.clone(), origin.clone()));
        let store = MessageStore::new(
            &mongo,
            &settings.store,
            &instance,
            StoreMetrics::register(registry.sub_registry_with_prefix("store")),
        );
        let indexes = store.clone();
        tokio::spawn(async move {
            // Retried until MongoDB answers; writes work meanwhile.
            while let Err(err) = indexes.ensure_indexes().await {
                tracing::warn!(%err, "message indexes not ensured yet");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        let ota = OtaParts::start(settings, &mongo, registry);
        let correlation = ReceiptCorrelation::new(state.clone(), sms.correlation_ttl);
        let inbound = Arc::new(Inbound {
            events: events.clone(),
            origin: origin.clone(),
            correlation: correlation.clone(),
            mo_parts: MoReassembly::new(state.clone(), sms.mo_part_ttl, u8::MAX, 254),
            store: store.clone(),
            receipt_hold: sms.receipt_hold,
            switch_base: settings
                .smpp
                .accounts
                .iter()
                .filter(|(_, a)| a.receipt_ids_switch_base)
                .map(|(name, _)| name.clone())
                .collect(),
            metrics: InboundMetrics::register(registry.sub_registry_with_prefix("inbound")),
            ota: ota
                .as_ref()
                .map(|o| PorInbound::new(o.registry.clone(), o.records.clone(), o.metrics.clone())),
        });
        shutdown.spawn(crate::sms::inbound::run(inbound.clone(), inbound_rx, INBOUND_LANES));
        spawn_sweeper(shutdown, inbound.clone(), &settings.smpp);
        let wake = Arc::new(Notify::new());
        let mt_stop = shutdown.token();
        if let Some(pool) = engine.pool(&sms.mt_account).cloned() {
            let worker = MtWorker {
                store: store.clone(),
                pool,
                correlation,
                events: events.clone(),
                origin: origin.clone(),
                inbound,
                config: WorkerConfig {
                    claim_lease: settings.store.claim_lease,
                    batch: settings.store.claim_batch,
                    concurrency: sms.mt_concurrency,
                    poll_interval: Duration::from_millis(500),
                    concat: sms.concat,
                },
                wake: wake.clone(),
                settle: crate::sms::mt::metrics::SettleMetrics::register(
                    registry.sub_registry_with_prefix("settle"),
                ),
            };
            // Settling unknown parts (query_sm) and expiry: src/sms/mt/resolver.rs.
            spawn_resolver(shutdown, &worker, settings);
            let engine = engine.clone();
            let claims = store.clone();
            shutdown.spawn(async move {
                worker.run(mt_stop).await;
                // Each message gives up its claim when its task ends; this
                // catches any release that failed, so other instances take
                // the messages now rather than when the claims run out
                // (docs/store.md, "Shutdown and takeover").
                if let Err(err) = claims.release_all_claims().await {
                    tracing::warn!(%err, "message claims not released; they run out after store.claim_lease");
                }
                // Parts in flight are answered; now the binds may go.
                engine.stop();
                engine.closed().await;
            });
        } else {
            tracing::warn!(account = %sms.mt_account, "no such SMPP account: MT messages are stored, not sent");
            spawn_engine_stop(shutdown, &engine);
        }
        let acceptor = MtAcceptor {
            store,
            idempotency: Some(IdempotencyKeys::new(state.clone(), sms.idempotency_ttl)),
            events,
            origin: origin.clone(),
            concat: sms.concat,
            wake,
        };
        // Commands are taken where MT is sent (docs/events.md).
        let takes_mt = settings.instance.role == Role::Active || settings.smpp.passive_takes_traffic;
        if settings.kafka.enabled && sms.command_topic_enabled && takes_mt {
            let consumer = CommandConsumer::new(
                &settings.kafka,
                &sms.command_group,
                command_topic(&settings.events.topic_prefix),
                acceptor.clone(),
                origin,
                CommandMetrics::register(registry.sub_registry_with_prefix("mt_command")),
            )?;
            shutdown.spawn(consumer.run(shutdown.token()));
        }
        let waker = ota.as_ref().map(|o| {
            Arc::new(OtaWaker::new(
                o.registry.clone(),
                acceptor.clone(),
                WakeLimits::new(state.clone(), settings.sim.wake_min_interval),
                o.records.clone(),
                WakeSettings::from_settings(&settings.sim),
                o.metrics.clone(),
            ))
        });
        let sims = ota.map(|o| o.registry);
        Ok(Self { engine, messages: Some(MessagesApi { acceptor }), sims, waker, state: shared })
    }
}

/// Publishes the bind engine's up/down changes as `smpp.bind.up` and
/// `smpp.bind.down`, keyed by the account; ends when the binds have.
async fn forward_bind_changes(
    mut changes: mpsc::Receiver<BindChange>,
    events: EventSink,
    origin: EventOrigin,
) {
    while let Some(change) = changes.recv().await {
        let account = change.id.account.to_string();
        let Ok(key) = EventKey::new(account.as_str()) else {
            tracing::debug!(%account, "account name is no event key: bind change not published");
            continue;
        };
        let bind_id = change.id.to_string();
        let bind_type = kind_name(change.kind).to_owned();
        let data = match change.state {
            BindState::Up { peer } => EventData::SmppBindUp(BindUp { account, bind_id, bind_type, peer }),
            BindState::Down { reason } => {
                EventData::SmppBindDown(BindDown { account, bind_id, bind_type, reason })
            }
        };
        if let Err(err) = events.publish(&origin.event(key, data)).await {
            tracing::warn!(%err, "bind change event lost");
        }
    }
}

/// Starts the resolver of this instance (src/sms/mt/resolver.rs).
fn spawn_resolver(shutdown: &Shutdown, worker: &MtWorker, settings: &Settings) {
    let sms = &settings.sms;
    let late_window =
        settings.smpp.accounts.get(&sms.mt_account).map(|a| a.late_response_window).unwrap_or_default();
    let config = crate::sms::mt::resolver::ResolverConfig {
        receipt_wait: sms.receipt_wait,
        no_receipt_wait: sms.no_receipt_wait,
        late_window,
        query_attempts: sms.query_attempts,
        query_interval: sms.query_interval,
        interval: sms.resolver_interval,
        batch: settings.store.claim_batch,
        lease: settings.store.claim_lease,
    };
    let resolver = crate::sms::mt::resolver::Resolver { mt: worker.clone(), config };
    shutdown.spawn(resolver.run(shutdown.token()));
}

/// Unbinds when shutdown starts (when no MT worker does it).
fn spawn_engine_stop(shutdown: &Shutdown, engine: &BindEngine) {
    let engine = engine.clone();
    let token = shutdown.token();
    shutdown.spawn(async move {
        token.cancelled().await;
        engine.stop();
        engine.closed().await;
    });
}

/// Settles parked receipts whose hold ended, every second, per account.
fn spawn_sweeper(shutdown: &Shutdown, inbound: Arc<Inbound>, smpp: &SmppSettings) {
    let accounts: Vec<String> = smpp.accounts.keys().cloned().collect();
    let token = shutdown.token();
    shutdown.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = token.cancelled() => return,
            }
            for account in &accounts {
                sweep_parked(&inbound, account, 256).await;
            }
        }
    });
}
