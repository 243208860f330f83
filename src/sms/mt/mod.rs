//! The MT path: what a client asks to send ([`request`]), and how a
//! validated request becomes the submit_sm parts a bind sends ([`plan`]).

pub mod plan;
pub mod request;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod worker;

pub use plan::{ConcatMode, PlanError, plan_parts};
pub use request::{Content, MtRequest, RequestError, ValidMt};
