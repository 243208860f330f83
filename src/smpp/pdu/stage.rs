//! [`Stage`]: the writer the PDU encoders write through (all but the
//! one-string responses, see `direct.rs`). It gathers the
//! fields in a small buffer on the caller's stack and hands them to the
//! output [`BufMut`] in one `put_slice`, instead of one `BufMut` call (and
//! one capacity check on a `Vec` or `BytesMut`) per field.
//!
//! A PDU is mostly short fields: a submit_sm has 16 one-octet fields and
//! NUL terminators around five short strings. Writing them into a slice is
//! a bounds check and a store each; the output sees a single copy of the
//! whole PDU. A PDU larger than the buffer is written in pieces: the
//! buffer is passed on whenever it is full, and a value at least as large
//! as the buffer (a long message_payload) goes to the output directly.
//! Nothing here can panic, and no code here is `unsafe`. The writes are
//! `inline(always)`: a write of a few constant octets must become a few
//! stores, not a call to copy them.

use bytes::BufMut;

/// A write buffer in front of a [`BufMut`]; see the module doc. Octets are
/// passed on to the output only when the buffer is full or [`Stage::finish`]
/// is called, so an encoder must call `finish` once it has written all.
pub struct Stage<'s, B> {
    /// The buffer; `stage[..pos]` holds octets not yet passed on.
    stage: &'s mut [u8],
    /// Octets held in `stage`; never more than `stage.len()`.
    pos: usize,
    /// Where the octets go.
    out: &'s mut B,
}

impl<'s, B: BufMut> Stage<'s, B> {
    /// Writes to `out` through `stage` (any length; empty means every
    /// write goes to `out` directly).
    pub fn new(stage: &'s mut [u8], out: &'s mut B) -> Self {
        Stage { stage, pos: 0, out }
    }

    /// Write `src`.
    #[inline(always)]
    pub fn put_slice(&mut self, src: &[u8]) {
        // `pos <= stage.len()` and both lengths are at most isize::MAX, so
        // the sum does not overflow.
        let end = self.pos + src.len();
        match self.stage.get_mut(self.pos..end) {
            Some(dst) => {
                dst.copy_from_slice(src);
                self.pos = end;
            }
            None => self.spill(src),
        }
    }

    /// Write one octet.
    #[inline(always)]
    pub fn put_u8(&mut self, octet: u8) {
        match self.stage.get_mut(self.pos) {
            Some(dst) => {
                *dst = octet;
                self.pos += 1;
            }
            None => self.spill(&[octet]),
        }
    }

    /// Write a 2-octet integer, big-endian (SMPP v3.4 3.1).
    #[inline(always)]
    pub fn put_u16(&mut self, value: u16) {
        self.put_slice(&value.to_be_bytes());
    }

    /// Write a 4-octet integer, big-endian (SMPP v3.4 3.1).
    #[inline(always)]
    pub fn put_u32(&mut self, value: u32) {
        self.put_slice(&value.to_be_bytes());
    }

    /// Write a C-octet string: the characters, then the NUL (v3.4 3.1).
    #[inline(always)]
    pub fn put_cstr(&mut self, chars: &[u8]) {
        // A NULL string is common (service_type, the times) and skipping
        // it saves a call to copy nothing.
        if !chars.is_empty() {
            self.put_slice(chars);
        }
        self.put_u8(0);
    }

    /// Pass on what the buffer holds, then `src`: into the emptied buffer
    /// when it fits there, else straight to the output.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, src: &[u8]) {
        self.flush();
        let room = self.stage.len();
        match self.stage.get_mut(..src.len()) {
            Some(dst) if src.len() < room => {
                dst.copy_from_slice(src);
                self.pos = src.len();
            }
            _ => self.out.put_slice(src),
        }
    }

    /// Pass the buffered octets on to the output.
    fn flush(&mut self) {
        self.out.put_slice(self.stage.get(..self.pos).unwrap_or_default());
        self.pos = 0;
    }

    /// Pass everything written on to the output.
    #[inline]
    pub fn finish(mut self) {
        self.flush();
    }
}

impl<B> std::fmt::Debug for Stage<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stage").field("held", &self.pos).field("capacity", &self.stage.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::Stage;

    /// The octets of a mixed sequence of writes, through a buffer of
    /// `stage_len` octets.
    fn write_through(stage_len: usize, big: &[u8]) -> Vec<u8> {
        let mut stage = vec![0u8; stage_len];
        let mut out = Vec::new();
        let mut w = Stage::new(&mut stage, &mut out);
        w.put_u8(1);
        w.put_u16(0x0203);
        w.put_cstr(b"abc");
        w.put_slice(big);
        w.put_u32(0x0405_0607);
        w.put_cstr(b"");
        w.finish();
        out
    }

    #[test]
    fn smpp_stage_writes_the_same_octets_whatever_its_size() {
        let big: Vec<u8> = (0..=255u8).cycle().take(600).collect();
        let mut expected = vec![1, 2, 3, b'a', b'b', b'c', 0];
        expected.extend_from_slice(&big);
        expected.extend_from_slice(&[4, 5, 6, 7, 0]);
        // Empty, smaller than one write, around the large slice's size,
        // and larger than everything.
        for stage_len in [0, 1, 2, 3, 5, 8, 64, 599, 600, 601, 1024] {
            assert_eq!(write_through(stage_len, &big), expected, "stage of {stage_len}");
        }
    }

    #[test]
    fn smpp_stage_passes_nothing_on_before_finish_when_it_fits() {
        let mut stage = [0u8; 16];
        let mut out = Vec::new();
        {
            // Never finished: what it holds is not passed on.
            let mut w = Stage::new(&mut stage, &mut out);
            w.put_slice(b"0123456789");
        }
        assert!(out.is_empty());
    }
}
