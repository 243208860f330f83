//! The task that owns one socket: a thin driver around [`SmscSession`]
//! (shared/STYLE.md rule 6). Each wakeup reads what is there, lets the
//! session answer all of it, and writes everything pending in one call,
//! at once after the read (with no latency configured the answers are
//! written on the same turn as the requests); reading pauses while more
//! than [`HIGH_WATER`] octets wait to be written, so a peer that does not
//! read cannot grow the buffer.

use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::deliver::{BindId, DeliveryJob};
use super::hub::Hub;
use super::session::{Effect, SmscSession};
use super::state::{Now, lock};

/// Output octets above which the connection stops reading.
pub const HIGH_WATER: usize = 1 << 20;

/// Deliveries taken from the channel per wakeup.
const DELIVERY_BATCH: usize = 256;

/// The first arming of a connection's timer, before the session has told
/// its first deadline (re-armed at once).
const IDLE_TIMER: std::time::Duration = std::time::Duration::from_secs(3600);

/// The clock reading passed to the session.
pub fn now() -> Now {
    Now {
        at: tokio::time::Instant::now().into_std(),
        unix: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
    }
}

/// Serves one connection until it closes, is dropped, or the sim stops.
pub(super) async fn run<S>(
    io: S,
    id: BindId,
    peer: String,
    hub: Arc<Hub>,
    rx: mpsc::Receiver<DeliveryJob>,
    drop: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let span = tracing::debug_span!("smsc_sim_conn", bind_id = id, %peer);
    drive(io, id, &hub, rx, drop).instrument(span).await;
}

async fn drive<S>(io: S, id: BindId, hub: &Hub, mut rx: mpsc::Receiver<DeliveryJob>, drop: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let st = &*hub.state;
    let (mut rd, mut wr) = tokio::io::split(io);
    let mut session = SmscSession::new(id, now(), st);
    let mut input = BytesMut::with_capacity(64 * 1024);
    let mut unbinding = false;
    let mut batch = Vec::with_capacity(DELIVERY_BATCH);
    // Made once, not per wakeup: the cancellations and one timer. The
    // timer is re-armed only when the session's next deadline moves
    // earlier or it fired; most reads move the inactivity deadline later,
    // and a timer that fires early costs one handle_timeout that finds
    // nothing due.
    let dropped = drop.cancelled();
    let stopping = hub.cancel.cancelled();
    let timer = tokio::time::sleep(IDLE_TIMER);
    tokio::pin!(dropped, stopping, timer);
    let mut armed = Some(timer.deadline());
    loop {
        for Effect::Schedule { due, job } in session.take_effects() {
            hub.schedule(due, job);
        }
        if session.is_closed() && session.output().is_empty() {
            break;
        }
        let deadline = session.poll_timeout(st).map(tokio::time::Instant::from_std);
        match (deadline, armed) {
            (Some(want), Some(at)) if want >= at => {}
            (Some(want), _) => {
                timer.as_mut().reset(want);
                armed = Some(want);
            }
            (None, _) => armed = None,
        }
        let can_read = !session.is_closed() && session.output().len() < HIGH_WATER;
        let has_output = !session.output().is_empty();
        tokio::select! {
            biased;
            () = &mut dropped => {
                tracing::debug!("dropped on command");
                break;
            }
            () = &mut stopping, if !unbinding => {
                unbinding = true;
                session.start_unbind(now(), st.config.shutdown_grace, st);
            }
            written = wr.write(session.output()), if has_output => match written {
                Ok(0) | Err(_) => break,
                Ok(n) => session.output().advance(n),
            },
            read = rd.read_buf(&mut input), if can_read => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    session.handle_input(now(), &mut input, st);
                    // The answers to everything read go out now, in one
                    // write, rather than on the next turn of the loop.
                    if write_now(&mut wr, session.output()).await.is_err() {
                        break;
                    }
                }
            },
            n = rx.recv_many(&mut batch, DELIVERY_BATCH) => {
                let at = now();
                for job in batch.drain(..) {
                    session.handle_delivery(at, job, st);
                }
                if n == 0 {
                    // Cannot happen while the hub holds the sender; stop
                    // rather than spin.
                    break;
                }
            }
            () = &mut timer, if armed.is_some() => {
                armed = None;
                session.handle_timeout(now(), st);
            }
        }
    }
    let _ = wr.flush().await;
    session.close_connection(st);
    lock(&hub.conns).remove(&id);
    // Whatever this bind still owed goes to another bind of the account.
    rx.close();
    let at = now().at;
    let mut leftovers = session.take_undelivered();
    while let Ok(job) = rx.try_recv() {
        leftovers.push(job);
    }
    for job in leftovers {
        hub.schedule(at, job);
    }
    for Effect::Schedule { due, job } in session.take_effects() {
        hub.schedule(due, job);
    }
    tracing::debug!("connection closed");
}

/// Writes what `out` holds if the socket takes it without waiting, and
/// advances past what was written; whatever is left goes out through the
/// loop's write branch. An error means the connection is gone.
async fn write_now<W: AsyncWrite + Unpin>(wr: &mut W, out: &mut BytesMut) -> std::io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let polled = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *wr).poll_write(cx, out))).await;
    match polled {
        Poll::Ready(Ok(0)) => Err(std::io::ErrorKind::WriteZero.into()),
        Poll::Ready(Ok(n)) => {
            out.advance(n);
            Ok(())
        }
        Poll::Ready(Err(e)) => Err(e),
        Poll::Pending => Ok(()),
    }
}
