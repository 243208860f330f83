//! The SMPP protocol core: PDUs of SMPP v3.4 and v5.0, short-message text
//! encodings and segmentation, and delivery receipts.
//!
//! Everything here is pure (shared/STYLE.md rule 1): bytes and `now` go in,
//! values, bytes and deadlines come out. No sockets, no tokio, no clock
//! reads. It builds with `--no-default-features`.

pub mod frame;
pub mod json;
pub mod pdu;
pub mod receipt;
pub mod session;
pub mod text;
