//! A session's socket, polled in place by its task: one poll writes some
//! of the frame being sent, or reads what has arrived and hands it to the
//! [`AppletSession`] at once. The read buffer is a local of that poll, on
//! the worker thread's stack, so an idle session's task holds none; and
//! reading and writing borrow the one stream in turn, so no split halves
//! (with their `Arc` and lock) are made. Any `AsyncRead + AsyncWrite` works
//! (a `TcpStream` in the listener, a duplex pipe in tests).

use crate::sim::session::AppletSession;
use bytes::{Buf, Bytes};
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::{Instant, timeout};

/// Octets read per poll; a SIM sends about 160 at a time.
const READ_CHUNK: usize = 512;
/// How long the last frames (the close) get to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);
/// After the close, how long unread input is discarded before the socket
/// is dropped (dropping it with unread input would reset the connection
/// and could destroy the close frame in flight), and how much at most.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_MAX: usize = 16 * 1024;

/// The frame being written, one at a time.
#[derive(Debug, Default)]
pub(super) struct Outgoing {
    /// What is left of it; `None` once written.
    frame: Option<Bytes>,
    /// A frame was written since the last flush.
    unflushed: bool,
}

impl Outgoing {
    /// Whether the next frame can be taken.
    pub(super) fn is_idle(&self) -> bool {
        self.frame.is_none()
    }

    /// The next frame to write, if any.
    pub(super) fn set(&mut self, frame: Option<Bytes>) {
        self.frame = frame.filter(|f| !f.is_empty());
    }
}

/// Polls the socket once: flush, then some of the outgoing frame, then
/// input (given to `session`). `Ready(true)`: something moved, go round
/// the loop; `Ready(false)`: the peer is gone (end of stream, a reset, a
/// write that takes nothing).
pub(super) fn poll_io<S>(
    cx: &mut Context<'_>,
    io: &mut S,
    out: &mut Outgoing,
    session: &mut AppletSession,
) -> Poll<bool>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if out.unflushed {
        match Pin::new(&mut *io).poll_flush(cx) {
            Poll::Ready(Ok(())) => out.unflushed = false,
            Poll::Ready(Err(_)) => return Poll::Ready(false),
            Poll::Pending => {}
        }
    }
    if let Some(frame) = out.frame.as_mut() {
        match Pin::new(&mut *io).poll_write(cx, frame) {
            Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(false),
            Poll::Ready(Ok(n)) => {
                frame.advance(n);
                if frame.is_empty() {
                    out.frame = None;
                    out.unflushed = true;
                }
                return Poll::Ready(true);
            }
            Poll::Pending => {}
        }
    }
    let mut buf = [0u8; READ_CHUNK];
    let mut input = ReadBuf::new(&mut buf);
    match Pin::new(io).poll_read(cx, &mut input) {
        Poll::Ready(Ok(())) if input.filled().is_empty() => Poll::Ready(false),
        Poll::Ready(Ok(())) => {
            session.handle_bytes(Instant::now().into_std(), input.filled());
            Poll::Ready(true)
        }
        Poll::Ready(Err(_)) => Poll::Ready(false),
        Poll::Pending => Poll::Pending,
    }
}

/// The end of a session that still has a peer: the rest of `out` and every
/// frame left (the close), a shutdown of the write side, then up to
/// [`LINGER`] of discarding input. Each step is bounded in time.
pub(super) async fn goodbye<S>(io: &mut S, out: Outgoing, session: &mut AppletSession)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = timeout(FLUSH_TIMEOUT, async {
        if let Some(rest) = out.frame {
            io.write_all(&rest).await?;
        }
        while let Some(frame) = session.poll_transmit() {
            io.write_all(&frame).await?;
        }
        io.flush().await?;
        io.shutdown().await
    })
    .await;
    let _ = timeout(LINGER, async {
        let mut discarded = 0;
        while discarded < LINGER_MAX {
            match poll_fn(|cx| poll_discard(cx, io)).await {
                0 => break,
                n => discarded += n,
            }
        }
    })
    .await;
}

/// Reads and drops what has arrived; 0 at the end of the stream or on an
/// error.
fn poll_discard<S: AsyncRead + Unpin>(cx: &mut Context<'_>, io: &mut S) -> Poll<usize> {
    let mut buf = [0u8; READ_CHUNK];
    let mut input = ReadBuf::new(&mut buf);
    match Pin::new(io).poll_read(cx, &mut input) {
        Poll::Ready(Ok(())) => Poll::Ready(input.filled().len()),
        Poll::Ready(Err(_)) => Poll::Ready(0),
        Poll::Pending => Poll::Pending,
    }
}
