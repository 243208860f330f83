//! Records the git revision for `--version` and the build-info metric.
//! A build outside a checkout (a source tarball, a Docker context without
//! .git) passes it in `SIMGATE_GIT_REVISION` or gets `unknown`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SIMGATE_GIT_REVISION");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let revision = std::env::var("SIMGATE_GIT_REVISION")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(|| {
            let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        })
        .filter(|r| r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SIMGATE_GIT_REVISION={revision}");
}
