//! The bounded queue of frames a session side has made and the driver has
//! not written yet; it takes memory only while frames wait.

use crate::sim::frame::{FrameError, write_frame};
use bytes::Bytes;
use std::collections::VecDeque;

/// Frames waiting for the socket, at most `max` (shared/STYLE.md rule 7).
#[derive(Debug)]
pub(crate) struct Outbox {
    /// Whole frames, length prefix included; unallocated when empty.
    frames: VecDeque<Bytes>,
    /// The bound.
    max: usize,
    /// The largest payload the peer accepts.
    max_payload: u16,
}

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutboxError {
    /// `max` frames are already waiting.
    Full,
    /// The payload does not fit a frame the peer accepts.
    Frame(FrameError),
}

impl Outbox {
    pub(crate) fn new(max: usize, max_payload: u16) -> Self {
        Self { frames: VecDeque::new(), max: max.max(1), max_payload }
    }

    pub(crate) fn set_max_payload(&mut self, max_payload: u16) {
        self.max_payload = max_payload;
    }

    pub(crate) fn has_room(&self) -> bool {
        self.frames.len() < self.max
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Queues one frame carrying `payload`.
    pub(crate) fn push(&mut self, payload: &[u8]) -> Result<(), OutboxError> {
        if !self.has_room() {
            return Err(OutboxError::Full);
        }
        let mut frame = Vec::new();
        write_frame(payload, self.max_payload, &mut frame).map_err(OutboxError::Frame)?;
        self.frames.push_back(Bytes::from(frame));
        Ok(())
    }

    /// Queues the last frame of a session (its close), even when full: the
    /// session makes no frame after it, so the bound holds to within one.
    pub(crate) fn push_last(&mut self, payload: &[u8]) {
        let mut frame = Vec::new();
        if write_frame(payload, self.max_payload, &mut frame).is_ok() {
            self.frames.push_back(Bytes::from(frame));
        }
    }

    /// Queues raw octets as they are (the client's misbehaviour hook).
    pub(crate) fn push_raw(&mut self, octets: &[u8]) -> Result<(), OutboxError> {
        if !self.has_room() {
            return Err(OutboxError::Full);
        }
        self.frames.push_back(Bytes::copy_from_slice(octets));
        Ok(())
    }

    /// The oldest frame; a drained queue gives its memory back, so an idle
    /// session holds no frame room.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        let frame = self.frames.pop_front();
        if self.frames.is_empty() && self.frames.capacity() > 0 {
            self.frames = VecDeque::new();
        }
        frame
    }

    /// Drops what is waiting (a session closing for overload).
    pub(crate) fn clear(&mut self) {
        self.frames = VecDeque::new();
    }

    /// Frames there is room for without allocating (for the tests).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.frames.capacity()
    }
}
