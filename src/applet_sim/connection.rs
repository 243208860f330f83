//! One session of one simulated applet: a thin driver around the sans-IO
//! [`AppletClient`] over a `TcpStream` (shared/STYLE.md rule 1). It writes
//! what the client queues (octet by octet when fragmenting), feeds it what
//! it reads and the clock when it asks, answers commands, and carries out
//! its misbehaviour once the session is open.

use super::config::{MisbehaviourMode, SwarmConfig};
use super::stats::SwarmStats;
use crate::sim::applet::{CloseReason, CommandId, ResultStatus};
use crate::sim::secured::Counter;
use crate::sim::session::{AppletClient, ClientEvent, Misbehaviour};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Commands waiting for their result latency, at most; beyond, the applet
/// answers "busy" at once.
const MAX_PENDING_RESULTS: usize = 16;
/// Octets read per call; the client reassembles frames of any length, and
/// a smaller buffer is less memory per held session.
const READ_CHUNK: usize = 512;
/// The longest garbage frame payload.
const MAX_GARBAGE: usize = 64;

/// A command waiting for its result latency.
struct Pending {
    /// When it is answered.
    due: Instant,
    id: CommandId,
    /// When it arrived (the round trip is timed from here).
    arrived: Instant,
    /// Its payload (echoed with `echo_commands`).
    payload: Vec<u8>,
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionEnd {
    /// Whether the gateway's hello arrived.
    pub opened: bool,
    /// The close reason; `None` when the socket ended without one.
    pub reason: Option<CloseReason>,
    /// Whether the gateway closed it.
    pub by_gateway: bool,
    /// Whether the swarm is stopping.
    pub stopped: bool,
}

/// The driver of one session.
pub(crate) struct Connection<'a> {
    pub stream: TcpStream,
    pub client: AppletClient,
    pub mode: Option<MisbehaviourMode>,
    pub config: &'a SwarmConfig,
    pub stats: &'a SwarmStats,
    pub rng: &'a mut fastrand::Rng,
    /// The card's counter, updated when the session ends (it survives
    /// reconnections, TS 102 225 5.1.1).
    pub counter: &'a mut Counter,
    /// When the TCP connect began (the handshake is timed from here).
    pub started: Instant,
}

impl Connection<'_> {
    /// Runs the session to its end.
    pub async fn run(mut self, cancel: &CancellationToken) -> SessionEnd {
        let end = self.drive(cancel).await;
        *self.counter = self.client.counter();
        end
    }

    async fn drive(&mut self, cancel: &CancellationToken) -> SessionEnd {
        let mut end = SessionEnd { opened: false, reason: None, by_gateway: false, stopped: false };
        let mut silent = false;
        // Both allocate on first use: an idle session holds neither.
        let mut pending: VecDeque<Pending> = VecDeque::new();
        // Results sent and not yet acknowledged: (counter, command arrival).
        let mut unacked: VecDeque<(Counter, Instant)> = VecDeque::new();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let mut closed = false;
            while let Some(event) = self.client.poll_event() {
                match event {
                    ClientEvent::Opened { .. } => {
                        end.opened = true;
                        self.stats.opened();
                        if let Some(probe) = &self.config.probe {
                            let now = Instant::now();
                            probe.opened(now, now.saturating_duration_since(self.started));
                        }
                        silent = self.on_open();
                    }
                    ClientEvent::Command { id, payload, .. } if !silent => {
                        let arrived = Instant::now();
                        let command =
                            Pending { due: arrived + self.config.result_latency, id, arrived, payload };
                        if self.config.result_latency.is_zero() {
                            self.answer(command, ResultStatus::Ok, &mut unacked);
                        } else if pending.len() < MAX_PENDING_RESULTS {
                            pending.push_back(command);
                        } else {
                            self.answer(command, ResultStatus::Busy, &mut unacked);
                        }
                    }
                    ClientEvent::ProofOfReceipt { counter, .. } => {
                        if let Some(i) = unacked.iter().position(|(c, _)| *c == counter)
                            && let Some((_, arrived)) = unacked.remove(i)
                            && let Some(probe) = &self.config.probe
                        {
                            let now = Instant::now();
                            probe.round_trip(now, now.saturating_duration_since(arrived));
                        }
                    }
                    ClientEvent::Closed { reason, by_peer } => {
                        (end.reason, end.by_gateway, closed) = (Some(reason), by_peer, true);
                    }
                    ClientEvent::Command { .. } => {}
                }
            }
            if self.flush(silent).await.is_err() {
                return end;
            }
            if closed || self.client.is_closed() {
                let _ = self.stream.shutdown().await;
                return end;
            }
            let mut deadline = self.client.poll_timeout().unwrap_or_else(far_future);
            if let Some(first) = pending.front() {
                deadline = deadline.min(first.due);
            }
            tokio::select! {
                () = cancel.cancelled() => {
                    end.stopped = true;
                    self.client.begin_close(CloseReason::Normal);
                    let _ = tokio::time::timeout(self.config.close_grace, self.flush(false)).await;
                    let _ = self.stream.shutdown().await;
                    return end;
                }
                read = self.stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return end,
                    Ok(n) => self.client.handle_bytes(Instant::now(), buf.get(..n).unwrap_or_default()),
                },
                () = tokio::time::sleep_until(deadline.into()) => {
                    let now = Instant::now();
                    self.client.handle_timeout(now);
                    while pending.front().is_some_and(|p| p.due <= now) {
                        if let Some(command) = pending.pop_front() {
                            self.answer(command, ResultStatus::Ok, &mut unacked);
                        }
                    }
                }
            }
        }
    }

    /// The session just opened: misbehave. Returns whether to go silent.
    fn on_open(&mut self) -> bool {
        let now = Instant::now();
        match self.mode {
            Some(MisbehaviourMode::Replay) => {
                self.client.misbehave(Misbehaviour::ReplayCounter);
                if self.client.send_heartbeat(now).is_ok() {
                    self.stats.misbehaved();
                }
            }
            Some(MisbehaviourMode::Garbage) => {
                let garbage = self.garbage();
                if self.client.send_raw(&garbage).is_ok() {
                    self.stats.misbehaved();
                }
            }
            Some(MisbehaviourMode::Storm) => {
                self.client.begin_close(CloseReason::Normal);
                self.stats.misbehaved();
            }
            Some(MisbehaviourMode::Silent) => return true,
            Some(MisbehaviourMode::Fragment) | None => {}
        }
        false
    }

    /// A whole frame of random octets whose packet length field cannot
    /// match, so it is refused as malformed, never as a bad checksum.
    fn garbage(&mut self) -> Vec<u8> {
        let len = self.rng.usize(24..=MAX_GARBAGE);
        let mut frame = Vec::with_capacity(len + 2);
        frame.extend_from_slice(&u16::try_from(len).unwrap_or(0).to_be_bytes());
        frame.extend(std::iter::repeat_with(|| self.rng.u8(..)).take(len));
        // CPL (TS 102 225 5.1) is the payload's first two octets: make it
        // larger than the payload.
        if let Some(cpl) = frame.get_mut(2) {
            *cpl |= 0x80;
        }
        frame
    }

    /// Sends the result of `command` and, when a probe listens, remembers
    /// its counter to time the gateway's proof of receipt (the oldest is
    /// forgotten beyond [`MAX_PENDING_RESULTS`]).
    fn answer(&mut self, command: Pending, status: ResultStatus, unacked: &mut VecDeque<(Counter, Instant)>) {
        let Pending { id, arrived, mut payload, .. } = command;
        if self.config.echo_commands {
            payload.truncate(super::config::MAX_RESULT_PAYLOAD);
        } else {
            payload.clone_from(&self.config.result_payload);
        }
        if let Ok(counter) = self.client.send_result(Instant::now(), id, status, payload) {
            self.stats.answered();
            if self.config.probe.is_some() {
                if unacked.len() == MAX_PENDING_RESULTS {
                    unacked.pop_front();
                }
                unacked.push_back((counter, arrived));
            }
        }
    }

    /// Writes every queued frame; a silent applet drops them instead.
    async fn flush(&mut self, silent: bool) -> std::io::Result<()> {
        let fragment = self.mode == Some(MisbehaviourMode::Fragment);
        while let Some(frame) = self.client.poll_transmit() {
            if silent {
                continue;
            }
            if fragment {
                for octet in frame.iter() {
                    self.stream.write_all(std::slice::from_ref(octet)).await?;
                    self.stream.flush().await?;
                }
            } else {
                self.stream.write_all(&frame).await?;
            }
        }
        self.stream.flush().await
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}
