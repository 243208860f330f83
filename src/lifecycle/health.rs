//! Health of this instance, as `/health`, `/livez` and `/readyz` report it.
//!
//! The instance is healthy when it is in [`Phase::Ready`] and every
//! registered [`Component`] reports up. Components (a backend, the SMPP
//! binds, later the applet listener) register once and then flip their own
//! flag; the HTTP handlers only read.
//!
//! A component counts for both `/health` and `/readyz` ([`Health::report`]),
//! or, registered with [`Health::region_component`], for `/health` only
//! ([`Health::readiness`] leaves it out): the SMPP binds say whether the
//! region can send (Cloudflare moves traffic to the other region), but
//! taking the pod out of its Service would not bring them back
//! (docs/operations.md "Health and readiness").

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

/// Where the process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Binding listeners, connecting backends.
    Starting = 0,
    /// Serving.
    Ready = 1,
    /// A shutdown signal arrived: finishing in-flight work, taking no new.
    Draining = 2,
}

impl Phase {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Phase::Ready,
            2 => Phase::Draining,
            _ => Phase::Starting,
        }
    }

    /// Lower-case name, as reported in reasons and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Ready => "ready",
            Phase::Draining => "draining",
        }
    }
}

/// Shared health state; cheap to clone.
#[derive(Debug, Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    phase: AtomicU8,
    /// Name -> its state. A BTreeMap so reasons come out in a stable order.
    components: RwLock<BTreeMap<&'static str, Entry>>,
    metrics: HealthMetrics,
}

#[derive(Debug, Default)]
struct HealthMetrics {
    /// 1 when the component is up.
    component_up: Family<Vec<(&'static str, &'static str)>, Gauge>,
    /// 0 starting, 1 ready, 2 draining.
    phase: Gauge,
}

/// One component's state.
#[derive(Debug, Clone)]
struct Entry {
    /// `None` when up, `Some(reason)` when down.
    down: Option<String>,
    /// Whether `/readyz` counts it (else only `/health` does).
    readiness: bool,
}

/// A handle to one component's entry in [`Health`].
#[derive(Debug, Clone)]
pub struct Component {
    name: &'static str,
    readiness: bool,
    health: Health,
}

/// What `/health` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// True when the instance can serve.
    pub up: bool,
    /// Why not, one entry per problem (`draining`, `redis: connection refused`).
    pub reasons: Vec<String>,
}

impl Health {
    /// A new state in [`Phase::Starting`], with its metrics registered.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = HealthMetrics::default();
        registry.register(
            "component_up",
            "Whether a component this instance depends on is usable (1) or not (0)",
            metrics.component_up.clone(),
        );
        registry.register(
            "lifecycle_phase",
            "Phase of the process: 0 starting, 1 ready, 2 draining",
            metrics.phase.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                phase: AtomicU8::new(Phase::Starting as u8),
                components: RwLock::new(BTreeMap::new()),
                metrics,
            }),
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        Phase::from_u8(self.inner.phase.load(Ordering::Acquire))
    }

    /// Moves to `phase`. Draining is final: nothing moves the process back.
    pub fn set_phase(&self, phase: Phase) {
        let _ = self.inner.phase.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            (cur != Phase::Draining as u8).then_some(phase as u8)
        });
        self.inner.metrics.phase.set(self.phase() as i64);
    }

    /// Adds a component that counts for `/health` and `/readyz`, initially
    /// down with reason `not checked yet`.
    pub fn component(&self, name: &'static str) -> Component {
        let component = Component { name, readiness: true, health: self.clone() };
        component.set_down("not checked yet");
        component
    }

    /// Adds a component that counts for `/health` only (whether the region
    /// can serve), initially down with reason `not checked yet`.
    pub fn region_component(&self, name: &'static str) -> Component {
        let component = Component { name, readiness: false, health: self.clone() };
        component.set_down("not checked yet");
        component
    }

    /// The answer for `/health`: the phase and every component.
    pub fn report(&self) -> HealthReport {
        self.collect(false)
    }

    /// The answer for `/readyz`: the phase and the components that count
    /// for readiness.
    pub fn readiness(&self) -> HealthReport {
        self.collect(true)
    }

    fn collect(&self, readiness_only: bool) -> HealthReport {
        let mut reasons = Vec::new();
        let phase = self.phase();
        if phase != Phase::Ready {
            reasons.push(phase.as_str().to_owned());
        }
        let components = self.inner.components.read().unwrap_or_else(|p| p.into_inner());
        for (name, entry) in components.iter() {
            if readiness_only && !entry.readiness {
                continue;
            }
            if let Some(reason) = &entry.down {
                reasons.push(format!("{name}: {reason}"));
            }
        }
        HealthReport { up: reasons.is_empty(), reasons }
    }

    fn set(&self, name: &'static str, readiness: bool, down: Option<String>) {
        let up = down.is_none();
        let mut components = self.inner.components.write().unwrap_or_else(|p| p.into_inner());
        components.insert(name, Entry { down, readiness });
        drop(components);
        self.inner.metrics.component_up.get_or_create(&vec![("component", name)]).set(i64::from(up));
    }
}

impl Component {
    /// Marks the component usable.
    pub fn set_up(&self) {
        self.health.set(self.name, self.readiness, None);
    }

    /// Marks the component unusable, with a one-line reason for `/health`.
    pub fn set_down(&self, reason: impl Into<String>) {
        self.health.set(self.name, self.readiness, Some(reason.into()));
    }

    /// The component's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_only_when_ready_and_all_components_up() {
        let h = Health::register(&mut Registry::default());
        assert_eq!(h.report().reasons, vec!["starting"]);
        let redis = h.component("redis");
        h.set_phase(Phase::Ready);
        assert_eq!(h.report().reasons, vec!["redis: not checked yet"]);
        redis.set_up();
        assert!(h.report().up);
        redis.set_down("connection refused");
        assert_eq!(h.report(), HealthReport { up: false, reasons: vec!["redis: connection refused".into()] });
        redis.set_up();
        h.set_phase(Phase::Draining);
        assert_eq!(h.report().reasons, vec!["draining"]);
    }

    #[test]
    fn a_region_component_counts_for_health_not_readiness() {
        let h = Health::register(&mut Registry::default());
        h.set_phase(Phase::Ready);
        let smpp = h.region_component("smpp");
        smpp.set_down("account primary: 0 of 2 binds up for 31s");
        assert_eq!(h.report().reasons, vec!["smpp: account primary: 0 of 2 binds up for 31s"]);
        assert!(h.readiness().up, "{:?}", h.readiness());
        let redis = h.component("redis");
        redis.set_down("connection refused");
        assert_eq!(h.readiness().reasons, vec!["redis: connection refused"]);
        assert_eq!(h.report().reasons.len(), 2);
        smpp.set_up();
        redis.set_up();
        assert!(h.report().up && h.readiness().up);
        h.set_phase(Phase::Draining);
        assert_eq!(h.readiness().reasons, vec!["draining"]);
    }

    #[test]
    fn draining_is_final() {
        let h = Health::register(&mut Registry::default());
        h.set_phase(Phase::Draining);
        h.set_phase(Phase::Ready);
        assert_eq!(h.phase(), Phase::Draining);
    }
}
