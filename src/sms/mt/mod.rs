//! The MT path: what a client asks to send ([`request`]), and how a
//! validated request becomes the submit_sm parts a bind sends ([`plan`]),
//! how the parts are sent ([`worker`]), and how parts whose outcome is not
//! known are settled and messages past their validity expired
//! ([`resolver`]).

#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod metrics;
pub mod plan;
pub mod request;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod resolver;
#[cfg(all(feature = "kafka", feature = "mongo", feature = "redis"))]
pub mod worker;

pub use plan::{ConcatMode, PlanError, plan_parts};
pub use request::{Content, MtRequest, RequestError, ValidMt};
