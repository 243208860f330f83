#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what is
# missing, checks formatting and lints, starts the local stack, runs every
# test against it, runs each fuzz target briefly from its stored corpus
# (docs/fuzzing.md), and stops the stack again, also on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need_rust
need_cmd promtool prometheus
# The font `simgate load --plot` draws its text with (docs/load-testing.md).
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || apt_install fonts-dejavu-core
use_shared_target
started=$SECONDS

step() { log "== $* ($((SECONDS - started))s)"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "protocol code builds without backends"
cargo check --locked --lib --no-default-features
# The benchmarks build the binary with the server feature alone.
cargo check --locked --no-default-features --features server --bin simgate --example applet_listener

step "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

# The comparison's ESME drivers are a package of their own (scripts/bench-compare.sh);
# linting them here keeps them building as simgate's protocol API changes.
# A new dependency of simgate's protocol code needs `cargo update -w` there.
step "bench drivers (benches/peers)"
(cd benches/peers && CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-peers" cargo clippy --locked --all-targets -- -D warnings)

step "local stack"
trap 'scripts/stack.sh stop || true' EXIT
scripts/stack.sh start
set -a
# shellcheck disable=SC1091
source "$ROOT/.stack/stack.env"
set +a
export SIMGATE_STACK_ENV="$ROOT/.stack/stack.env"

step "tests"
cargo nextest run --locked --no-fail-fast --profile ci

# Uses the simgate binary the tests just built ($CARGO_TARGET_DIR/debug/simgate).
step "deploy manifests"
scripts/validate-deploy.sh

step "fuzz targets"
scripts/fuzz.sh 5

step "done"
