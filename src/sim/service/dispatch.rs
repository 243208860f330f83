//! [`Dispatcher`]: where every command goes. A new command goes to the
//! SIM's session if this instance holds it, else to the instance the
//! session registry names (a notification in its inbox), else to a
//! wake-up SMS. A session that opens gets every waiting command of its
//! SIM; results, unanswered commands and expiry move commands on.
//!
//! A command is marked `delivered` before it is handed to the session (the
//! filtered update is the claim: of two instances, or the sweep and a
//! notification, exactly one sends it); if the session then refuses it,
//! it goes back to `queued`. The periodic sweeps are in `sweeps.rs`.

use super::metrics::{SimServiceMetrics, WakeTrigger};
use super::rewake::WakePolicy;
use super::sweeps::future;
use crate::events::payload_sim::{CommandResult, CommandState as CommandEvent, SessionClosed, SessionOpened};
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::sim::Iccid;
use crate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use crate::sim::commands::request::encode_hex;
use crate::sim::commands::{
    ChangeMark, CommandDocument, CommandResultDocument, CommandState, CommandStore, StoredCommandId,
};
use crate::sim::listener::{SessionHandle, Sessions};
use crate::sim::registry::SimRegistry;
use crate::sim::wake::{WakeSent, WakeUp};
use crate::state::SessionPresence;
use mongodb::bson::{DateTime, doc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most commands handed to one session in one go (its queue's bound).
pub const DELIVERY_BATCH: i64 = 16;
/// How long a wake-up may take before the command just stays queued.
const WAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the commands layer shares. Cheap to clone through `Arc`.
pub struct Dispatcher {
    pub(crate) store: CommandStore,
    pub(crate) presence: SessionPresence,
    pub(crate) sessions: Sessions,
    pub(crate) registry: SimRegistry,
    pub(crate) wake: Arc<dyn WakeUp>,
    pub(crate) events: EventSink,
    pub(crate) origin: EventOrigin,
    pub(crate) metrics: SimServiceMetrics,
    /// The SIMs with a session here, with their MSISDN (the event key),
    /// so the sweeps and refreshes know what to look at.
    pub(crate) local: Mutex<HashMap<Iccid, Option<String>>>,
    /// When SIMs are woken again, and how often at most.
    pub(crate) wakes: WakePolicy,
    /// How far the waiting sweep has read the changes of commands.
    pub(crate) changes: Mutex<ChangeMark>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("instance", &self.origin.instance).finish()
    }
}

impl Dispatcher {
    /// The live session of `iccid` here, if any.
    pub(crate) fn session(&self, iccid: &Iccid) -> Option<SessionHandle> {
        self.sessions.get(iccid).filter(|h| !h.is_closed())
    }

    pub(crate) fn local_iccids(&self) -> Vec<Iccid> {
        self.local.lock().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    fn local_msisdn(&self, iccid: &Iccid) -> Option<String> {
        self.local.lock().ok().and_then(|m| m.get(iccid).cloned().flatten())
    }

    /// Stores a new command, publishes `sim.command.queued`, and routes
    /// it; returns the state it is in now. Its SIM may be woken again from
    /// `sim.rewake_interval` after now.
    pub async fn submit(
        &self,
        mut command: CommandDocument,
    ) -> Result<CommandState, crate::sim::commands::StoreError> {
        command.wake_due_at = Some(future(self.wakes.rewake_interval));
        self.store.insert(&command).await.inspect_err(|_| self.metrics.error("store"))?;
        self.metrics.accepted();
        self.metrics.entered(CommandState::Queued);
        self.publish_state(&command, EventData::SimCommandQueued).await;
        Ok(self.route(&command).await)
    }

    /// Sends `command` where its SIM's session is, or wakes the SIM.
    async fn route(&self, command: &CommandDocument) -> CommandState {
        let Ok(iccid) = Iccid::new(&command.iccid) else { return command.state };
        if let Some(session) = self.session(&iccid) {
            self.metrics.routed("local");
            return if self.deliver(&session, command).await {
                CommandState::Delivered
            } else {
                command.state
            };
        }
        match self.presence.holder(&iccid).await {
            Ok(Some(holder)) if holder != self.presence.instance() => {
                self.metrics.routed("remote");
                if let Err(err) = self.presence.notify(&holder, &iccid).await {
                    // The holder's sweep still finds it.
                    self.metrics.error("presence");
                    tracing::warn!(error = %err, %holder, "holder of the session not notified");
                }
                command.state
            }
            Ok(_) => {
                self.metrics.routed("wake");
                match self.send_wake(&iccid, &command.id, WakeTrigger::Route).await {
                    Some(sent) => self.record_wake(command, &sent).await,
                    None => command.state,
                }
            }
            Err(err) => {
                self.metrics.error("presence");
                tracing::warn!(error = %err, "session registry unreadable; command stays queued");
                command.state
            }
        }
    }

    /// Asks for a wake-up SMS to `iccid` (for `command_id`, in the logs);
    /// the SMS when one was sent. A refusal or failure is counted and
    /// logged: the command stays as it is.
    pub(crate) async fn send_wake(
        &self,
        iccid: &Iccid,
        command_id: &str,
        trigger: WakeTrigger,
    ) -> Option<WakeSent> {
        let trigger_name = trigger.as_str();
        match tokio::time::timeout(WAKE_TIMEOUT, self.wake.wake(iccid)).await {
            Ok(Ok(sent)) => {
                self.metrics.woke(trigger);
                Some(sent)
            }
            Ok(Err(err)) => {
                let reason = super::metrics::wake_reason(&err);
                self.metrics.wake_failed(reason);
                if matches!(reason, "not_configured" | "recently_woken") {
                    tracing::debug!(%command_id, trigger = trigger_name, reason, "no wake-up sent; command waits");
                } else {
                    tracing::info!(%command_id, trigger = trigger_name, error = %err, "wake-up not sent; command waits");
                }
                None
            }
            Err(_) => {
                self.metrics.wake_failed("timeout");
                tracing::warn!(%command_id, trigger = trigger_name, "wake-up timed out; command waits");
                None
            }
        }
    }

    /// Records on `command` that `sent` woke its SIM: `woken`, one more
    /// wake-up, the next one due a `sim.rewake_interval` from now. Returns
    /// the state it is in now.
    pub(crate) async fn record_wake(&self, command: &CommandDocument, sent: &WakeSent) -> CommandState {
        let extra = doc! {
            "wake_message_id": sent.message_id.as_str(),
            "woken_at": DateTime::now(),
            "wake_due_at": future(self.wakes.rewake_interval),
        };
        let detail = if command.wakes == 0 { "wake-up sent" } else { "wake-up sent again" };
        match self
            .store
            .transition(
                command,
                &CommandState::WAITING,
                CommandState::Woken,
                extra,
                Some(doc! { "wakes": 1 }),
                Some(detail),
            )
            .await
        {
            Ok(true) => {
                if command.state != CommandState::Woken {
                    self.metrics.entered(CommandState::Woken);
                }
                CommandState::Woken
            }
            Ok(false) => command.state,
            Err(err) => {
                self.metrics.error("store");
                tracing::warn!(error = %err, command_id = %command.id, "woken state not stored");
                command.state
            }
        }
    }

    /// Claims `command` as delivered and hands it to `session`; `true`
    /// when the session took it.
    pub(crate) async fn deliver(&self, session: &SessionHandle, command: &CommandDocument) -> bool {
        let Ok(kind) = CommandType::new(&command.command_type) else { return false };
        let Some(id) = StoredCommandId::parse(&command.id) else { return false };
        let claimed = self
            .store
            .transition(
                command,
                &CommandState::WAITING,
                CommandState::Delivered,
                doc! {},
                Some(doc! { "deliveries": 1 }),
                Some("handed to the session"),
            )
            .await;
        match claimed {
            Ok(true) => {}
            Ok(false) => return false,
            Err(err) => {
                self.metrics.error("store");
                tracing::warn!(error = %err, "delivery not claimed; command stays queued");
                return false;
            }
        }
        match session.send_command(id.channel_id(), kind, command.payload_octets()).await {
            Ok(()) => {
                self.metrics.entered(CommandState::Delivered);
                self.publish_state(command, EventData::SimCommandDelivered).await;
                true
            }
            Err(err) => {
                self.metrics.error("session");
                tracing::info!(command_id = %command.id, error = %err, "session did not take the command; queued again");
                self.requeue(command, "session refused it").await;
                false
            }
        }
    }

    async fn requeue(&self, command: &CommandDocument, why: &str) {
        match self
            .store
            .transition(command, &[CommandState::Delivered], CommandState::Queued, doc! {}, None, Some(why))
            .await
        {
            Ok(true) => self.metrics.entered(CommandState::Queued),
            Ok(false) => {}
            Err(err) => {
                self.metrics.error("store");
                tracing::warn!(error = %err, command_id = %command.id, "command not queued again; it waits for its expiry");
            }
        }
    }

    /// Hands every waiting command of `iccid` to its session here.
    pub async fn deliver_waiting(&self, iccid: &Iccid) {
        let Some(session) = self.session(iccid) else { return };
        let waiting = match self.store.waiting_for(&[iccid.as_str().to_owned()], DELIVERY_BATCH).await {
            Ok(w) => w,
            Err(err) => {
                self.metrics.error("store");
                tracing::warn!(error = %err, "waiting commands not read");
                return;
            }
        };
        for command in waiting {
            if !self.deliver(&session, &command).await {
                break;
            }
        }
    }

    /// A session opened here: register it and publish; the caller then
    /// delivers what waits ([`Dispatcher::deliver_waiting`]).
    pub async fn on_opened(&self, session: SessionHandle, applet_version: u16) {
        let iccid = session.iccid().clone();
        let msisdn = match self.registry.get(&iccid).await {
            Ok(entry) => entry.map(|e| e.msisdn.as_str().to_owned()),
            Err(err) => {
                tracing::debug!(error = %err, "SIM entry not read; events keyed by ICCID");
                None
            }
        };
        let registered = self.local.lock().map(|mut m| {
            m.insert(iccid.clone(), msisdn.clone());
            m.len()
        });
        self.metrics.set_registered(registered.unwrap_or(0));
        if let Err(err) = self.presence.claim(&iccid).await {
            self.metrics.error("presence");
            tracing::warn!(error = %err, "session not registered in Redis; commands from other instances wait for the sweep");
        }
        let data = EventData::SimSessionOpened(SessionOpened {
            iccid: iccid.as_str().to_owned(),
            instance: self.origin.instance.clone(),
            applet_version,
        });
        self.publish(msisdn.as_deref().unwrap_or(iccid.as_str()), data).await;
    }

    /// The applet answered: record the result (from any open state, even
    /// of an earlier session's delivery).
    pub async fn on_result(&self, iccid: &Iccid, id: CommandId, status: ResultStatus, payload: &[u8]) {
        let id = StoredCommandId::from_channel(id).as_string();
        let command = match self.store.find(&id).await {
            Ok(Some(c)) if c.iccid == iccid.as_str() => c,
            Ok(_) => {
                tracing::info!(command_id = %id, "result for a command this SIM was not sent; ignored");
                return;
            }
            Err(err) => {
                self.metrics.error("store");
                tracing::error!(error = %err, command_id = %id, "result not recorded: the store is unavailable");
                return;
            }
        };
        let name = status.label();
        let result = CommandResultDocument {
            status: name.to_owned(),
            status_code: i32::from(status.octet()),
            payload: encode_hex(payload),
        };
        let extra = match mongodb::bson::to_document(&result) {
            Ok(r) => doc! { "result": r },
            Err(_) => return,
        };
        match self
            .store
            .transition(&command, &CommandState::OPEN, CommandState::Result, extra, None, Some(name))
            .await
        {
            Ok(true) => {
                self.metrics.entered(CommandState::Result);
                let data = EventData::SimCommandResult(CommandResult {
                    command_id: command.id.clone(),
                    iccid: command.iccid.clone(),
                    status: name.to_owned(),
                    payload: result.payload,
                });
                self.publish(command.msisdn.as_deref().unwrap_or(&command.iccid), data).await;
            }
            Ok(false) => tracing::debug!(command_id = %id, "result for a command that already ended"),
            Err(err) => {
                self.metrics.error("store");
                tracing::error!(error = %err, command_id = %id, "result not recorded");
            }
        }
    }

    /// A session ended: its unanswered commands wait again, its Redis
    /// entry goes (unless a newer session of the SIM took its place).
    pub async fn on_closed(
        &self,
        iccid: &Iccid,
        reason: CloseReason,
        by_peer: bool,
        unanswered: &[CommandId],
    ) {
        for id in unanswered {
            let id = StoredCommandId::from_channel(*id).as_string();
            match self.store.find(&id).await {
                Ok(Some(command)) => self.requeue(&command, "session closed before the result").await,
                Ok(None) => {}
                Err(err) => {
                    self.metrics.error("store");
                    tracing::warn!(error = %err, command_id = %id, "unanswered command not queued again");
                }
            }
        }
        let msisdn = self.local_msisdn(iccid);
        let successor = self.session(iccid).is_some();
        if !successor {
            let left = self.local.lock().map(|mut m| {
                m.remove(iccid);
                m.len()
            });
            self.metrics.set_registered(left.unwrap_or(0));
            if let Err(err) = self.presence.release(iccid).await {
                self.metrics.error("presence");
                tracing::warn!(error = %err, "session entry not removed; it lapses after sim.session_ttl");
            }
        }
        let data = EventData::SimSessionClosed(SessionClosed {
            iccid: iccid.as_str().to_owned(),
            instance: self.origin.instance.clone(),
            reason: reason.as_str().to_owned(),
            by_peer,
        });
        self.publish(msisdn.as_deref().unwrap_or(iccid.as_str()), data).await;
        if successor && !unanswered.is_empty() {
            self.deliver_waiting(iccid).await;
        }
    }

    pub(crate) async fn publish_state(&self, command: &CommandDocument, make: fn(CommandEvent) -> EventData) {
        let data = make(CommandEvent {
            command_id: command.id.clone(),
            iccid: command.iccid.clone(),
            command_type: command.command_type.clone(),
            instance: self.origin.instance.clone(),
        });
        self.publish(command.msisdn.as_deref().unwrap_or(&command.iccid), data).await;
    }

    async fn publish(&self, key: &str, data: EventData) {
        let Ok(key) = EventKey::new(key) else { return };
        if let Err(err) = self.events.publish(&self.origin.event(key, data)).await {
            self.metrics.error("events");
            tracing::warn!(error = %err, "sim event lost");
        }
    }
}
