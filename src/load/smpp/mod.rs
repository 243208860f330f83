//! `simgate load smpp`: an ESME load generator. Binds N sessions (any bind
//! type, plus optional receiver binds) to a target, replays PDU fixtures
//! ([`crate::load::fixtures`]) with their sequence numbers rewritten and,
//! optionally, destination_addr templated, paced open loop or closed loop;
//! counts responses by command_status, receipts received and matched to
//! the submits' message ids, and records latency.

mod driver;
mod feed;
mod receipts;
mod run;

pub use driver::{BoundSession, Job, RunShared, bind, status_name};
pub use feed::{Claim, Feed};
pub use receipts::ReceiptBook;
pub use run::{SmppLoad, replayable, run};
