//! Records the git revision for `--version` and the build-info metric.
//! A build outside a checkout (a source tarball, a Docker context without
//! .git) passes it in `SIMGATE_GIT_REVISION` or gets `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SIMGATE_GIT_REVISION");
    // In a worktree .git is a file, so ask git where HEAD and the refs are;
    // watching a path that does not exist would rebuild every time.
    for name in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]).filter(|p| Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let revision = std::env::var("SIMGATE_GIT_REVISION")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .filter(|r| r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SIMGATE_GIT_REVISION={revision}");
}

/// One line of git's output, or `None` outside a checkout or without git.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
