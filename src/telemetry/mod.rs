//! Logs and metrics: the tracing subscriber, the Prometheus registry every
//! component registers its metrics in, build information and process
//! metrics.

mod build;
mod logging;
mod process;

pub use build::{BUILD, BuildInfo};
pub use logging::init_logging;
pub use process::ProcessCollector;

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

/// Prefix of every simgate metric.
pub const METRIC_PREFIX: &str = "simgate";

/// Content type of `/metrics` (OpenMetrics text).
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Builds the registry for one process: the `simgate_` sub-registry that
/// components register into, plus build info and process metrics.
pub fn new_registry() -> Registry {
    let mut root = Registry::default();
    root.register_collector(Box::new(ProcessCollector::default()));
    BUILD.register(root.sub_registry_with_prefix(METRIC_PREFIX));
    root
}

/// Renders the registry in OpenMetrics text.
pub fn render(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut out = String::with_capacity(8 * 1024);
    encode(&mut out, registry)?;
    Ok(out)
}
