//! The MT path: what a client asks to send ([`request`]), and how a
//! validated request becomes the submit_sm parts a bind sends ([`plan`]).

pub mod plan;
pub mod request;

pub use plan::{ConcatMode, PlanError, plan_parts};
pub use request::{Content, MtRequest, RequestError, ValidMt};
