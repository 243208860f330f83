//! Logs and metrics: the tracing subscriber, the Prometheus registry every
//! component registers its metrics in, build information and process
//! metrics.

mod build;
mod exposition;
mod logging;
mod process;

pub use build::{BUILD, BuildInfo};
pub use exposition::{CLASSIC_CONTENT_TYPE, Exposition, OPENMETRICS_CONTENT_TYPE, render, to_classic_text};
pub use logging::init_logging;
pub use process::ProcessCollector;

use prometheus_client::registry::Registry;

/// Prefix of every simgate metric.
pub const METRIC_PREFIX: &str = "simgate";

/// Builds the registry for one process: the `simgate_` sub-registry that
/// components register into, plus build info and process metrics.
pub fn new_registry() -> Registry {
    let mut root = Registry::default();
    root.register_collector(Box::new(ProcessCollector));
    BUILD.register(root.sub_registry_with_prefix(METRIC_PREFIX));
    root
}
