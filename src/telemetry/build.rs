//! What binary this is: version and git revision, for `--version`, the
//! `simgate_build_info` metric and the first log line.

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Version and revision of this build.
#[derive(Debug, Clone, Copy)]
pub struct BuildInfo {
    /// Crate version from Cargo.toml.
    pub version: &'static str,
    /// Git revision the binary was built from, `unknown` outside a checkout.
    pub revision: &'static str,
}

/// This binary's build information.
pub const BUILD: BuildInfo =
    BuildInfo { version: env!("CARGO_PKG_VERSION"), revision: env!("SIMGATE_GIT_REVISION") };

impl BuildInfo {
    /// `0.1.0 (rev 1a2b3c4d5e6f)`, as `--version` prints it.
    pub const fn long_version() -> &'static str {
        concat!(env!("CARGO_PKG_VERSION"), " (rev ", env!("SIMGATE_GIT_REVISION"), ")")
    }

    /// Registers `build_info{version,revision} 1` (a gauge, the convention
    /// Prometheus text parsers all accept).
    pub fn register(&self, registry: &mut Registry) {
        let family = Family::<Vec<(&'static str, &'static str)>, Gauge>::default();
        family.get_or_create(&vec![("version", self.version), ("revision", self.revision)]).set(1);
        registry.register("build_info", "Build of the running binary; always 1", family);
    }
}
