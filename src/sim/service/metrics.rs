//! `simgate_sim_*` metrics of the commands layer: commands accepted, state
//! changes by the state entered, how commands were routed (to a session
//! here, to the instance holding the session, or to a wake-up), wake-ups
//! sent by what asked for them (the routing of a new command, or the
//! re-wake sweep), wake-ups not sent by reason, backend errors by
//! operation, and the sessions this instance has registered in Redis. Every
//! child exists at 0 from the start.

use crate::sim::commands::CommandState;
use crate::sim::wake::WakeError;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A command state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StateLabels {
    /// [`CommandState::as_str`].
    pub state: &'static str,
}

/// How a command was routed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabels {
    /// `local`, `remote` or `wake`.
    pub route: &'static str,
}

/// Why a wake-up was not sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabels {
    /// A fixed name.
    pub reason: &'static str,
}

/// What asked for a wake-up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct TriggerLabels {
    /// `route` or `sweep`.
    pub trigger: &'static str,
}

/// What asks for a wake-up SMS: the `trigger` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeTrigger {
    /// A new command found no session anywhere.
    Route,
    /// The re-wake sweep found a command still waiting
    /// (`sim.rewake_interval`).
    Sweep,
}

impl WakeTrigger {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            WakeTrigger::Route => "route",
            WakeTrigger::Sweep => "sweep",
        }
    }
}

/// A backend operation of the commands layer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OpLabels {
    /// `store`, `presence`, `events` or `session`.
    pub op: &'static str,
}

/// Routes: the session is here, on another instance, or nowhere.
pub const ROUTES: [&str; 3] = ["local", "remote", "wake"];
/// Wake-up failure reasons.
const WAKE_REASONS: [&str; 7] =
    ["not_configured", "unknown_sim", "no_msisdn", "no_keys", "recently_woken", "unavailable", "timeout"];
/// Backend operations that can fail.
pub const ERROR_OPS: [&str; 4] = ["store", "presence", "events", "session"];

/// The name of a wake-up failure.
pub const fn wake_reason(err: &WakeError) -> &'static str {
    match err {
        WakeError::NotConfigured => "not_configured",
        WakeError::UnknownSim => "unknown_sim",
        WakeError::NoMsisdn => "no_msisdn",
        WakeError::NoKeys => "no_keys",
        WakeError::RecentlyWoken(_) => "recently_woken",
        WakeError::Unavailable(_) => "unavailable",
    }
}

/// Metrics of the commands layer.
#[derive(Debug, Clone, Default)]
pub struct SimServiceMetrics {
    accepted: Counter,
    transitions: Family<StateLabels, Counter>,
    routes: Family<RouteLabels, Counter>,
    wake_failures: Family<ReasonLabels, Counter>,
    wakes: Family<TriggerLabels, Counter>,
    errors: Family<OpLabels, Counter>,
    sessions_registered: Gauge,
}

impl SimServiceMetrics {
    /// Registers under `registry` with the prefix `sim`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("sim");
        r.register("commands_accepted", "Commands accepted by the API", m.accepted.clone());
        r.register(
            "command_transitions",
            "Command state changes, by the state entered",
            m.transitions.clone(),
        );
        r.register(
            "command_routes",
            "Commands routed: to a session here, to the instance holding it, or to a wake-up",
            m.routes.clone(),
        );
        r.register(
            "wakeups_failed",
            "Wake-ups not sent, by reason (the command stays queued)",
            m.wake_failures.clone(),
        );
        r.register("wakes", "Wake-up SMS sent, by what asked for them (route, sweep)", m.wakes.clone());
        r.register(
            "errors",
            "Backend operations of the commands layer that failed, by operation",
            m.errors.clone(),
        );
        r.register(
            "sessions_registered",
            "Applet sessions of this instance in the Redis session registry",
            m.sessions_registered.clone(),
        );
        for state in CommandState::ALL {
            m.transitions.get_or_create_owned(&StateLabels { state: state.as_str() });
        }
        for route in ROUTES {
            m.routes.get_or_create_owned(&RouteLabels { route });
        }
        for reason in WAKE_REASONS {
            m.wake_failures.get_or_create_owned(&ReasonLabels { reason });
        }
        for trigger in [WakeTrigger::Route, WakeTrigger::Sweep] {
            m.wakes.get_or_create_owned(&TriggerLabels { trigger: trigger.as_str() });
        }
        for op in ERROR_OPS {
            m.errors.get_or_create_owned(&OpLabels { op });
        }
        m
    }

    pub(crate) fn accepted(&self) {
        self.accepted.inc();
    }

    pub(crate) fn entered(&self, state: CommandState) {
        self.transitions.get_or_create(&StateLabels { state: state.as_str() }).inc();
    }

    pub(crate) fn routed(&self, route: &'static str) {
        self.routes.get_or_create(&RouteLabels { route }).inc();
    }

    pub(crate) fn wake_failed(&self, reason: &'static str) {
        self.wake_failures.get_or_create(&ReasonLabels { reason }).inc();
    }

    pub(crate) fn woke(&self, trigger: WakeTrigger) {
        self.wakes.get_or_create(&TriggerLabels { trigger: trigger.as_str() }).inc();
    }

    pub(crate) fn error(&self, op: &'static str) {
        self.errors.get_or_create(&OpLabels { op }).inc();
    }

    pub(crate) fn set_registered(&self, n: usize) {
        self.sessions_registered.set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}
