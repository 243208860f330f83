#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each one for SECONDS
# (default 5) from its stored corpus, fuzz/corpus/<target>/, plus the
# reproducers in fuzz/regressions/<target>/. Exits non-zero when any target
# crashes; the crashing input lands in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Installs what is missing: cargo-fuzz 0.13.2 (into ~/.cargo/bin) and the
# C++ compiler libfuzzer-sys builds libFuzzer with. docs/fuzzing.md says how
# to run long campaigns and what each target checks.
#
# Toolchain: cargo-fuzz passes nightly-only flags (-Zsanitizer, and -Z
# options in RUSTFLAGS). Only a stable toolchain is installed here and CI,
# so RUSTC_BOOTSTRAP=1 lets stable rustc accept them. It changes nothing
# else and is confined to this build, which has its own target directory.
#
# Sanitizer: AddressSanitizer. Stable rustc ships the ASan runtime for
# x86_64-unknown-linux-gnu (librustc-stable_rt.asan.a in the std
# component), so `-Zsanitizer=address` links on stable. simgate forbids
# unsafe code, so ASan mostly guards the libFuzzer glue and dependencies;
# it costs little here. Where the runtime is missing (another target
# triple), the script falls back to `--sanitizer none` and says so: panics,
# failed assertions and overflows are still caught, since the targets build
# with debug assertions (and so overflow checks) on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

CARGO_FUZZ_VERSION="0.13.2"
RUN_SECONDS="${1:-5}"
shift || true
[[ "$RUN_SECONDS" =~ ^[0-9]+$ && "$RUN_SECONDS" -gt 0 ]] || die "usage: scripts/fuzz.sh [SECONDS] [TARGET...]"

need_rust
need_cmd c++ g++
if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

export RUSTC_BOOTSTRAP=1
# Its own target directory: the instrumented build never invalidates the
# shared one (scripts/test.sh exports CARGO_TARGET_DIR for that).
export CARGO_TARGET_DIR="${SIMGATE_FUZZ_TARGET_DIR:-$SIMGATE_TOOLS/target-fuzz}"
# simgate's build script embeds the git revision; fuzz binaries need none,
# and a fixed value spares the git call.
export SIMGATE_GIT_REVISION="fuzz"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

sanitizer="${SIMGATE_FUZZ_SANITIZER:-address}"
if [[ "$sanitizer" == "address" ]] && ! compgen -G "$(rustc --print target-libdir)/librustc-*_rt.asan.a" >/dev/null; then
  log "no ASan runtime in $(rustc --print target-libdir): fuzzing with --sanitizer none"
  sanitizer="none"
fi

started=$SECONDS
# Refuse a stale fuzz/Cargo.lock, as --locked does for the main build.
cargo fetch --locked --quiet --manifest-path fuzz/Cargo.toml
log "building fuzz targets (sanitizer $sanitizer, debug assertions on)"
cargo fuzz build --sanitizer "$sanitizer" --debug-assertions
log "built in $((SECONDS - started))s"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  bin="$CARGO_TARGET_DIR/$TRIPLE/release/$target"
  [[ -x "$bin" ]] || die "no fuzz target $target (cargo fuzz list names them)"
  mkdir -p "$work/$target" "fuzz/artifacts/$target"
  corpora=("$work/$target")
  for dir in "fuzz/corpus/$target" "fuzz/regressions/$target"; do
    [[ -d "$dir" ]] && corpora+=("$dir")
  done
  # New inputs go to the first directory, a scratch one, so the stored
  # corpus stays as committed. -timeout: an input taking over 10 s is a hang.
  if "$bin" -max_total_time="$RUN_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$ROOT/fuzz/artifacts/$target/" "${corpora[@]}" >"$work/$target.log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")"
    cov="$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -n 1)"
    log "fuzz $target: ok, ${runs:-?} runs, ${cov:-cov: ?}"
  else
    cp "$work/$target.log" "fuzz/artifacts/$target/fuzz.log"
    log "fuzz $target: FAILED (whole log: fuzz/artifacts/$target/fuzz.log)"
    grep -m 1 -A 1 -E 'panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$work/$target.log" >&2 || true
    grep -E '^(Test unit written to|Base64:)|^artifact_prefix' "$work/$target.log" >&2 || tail -n 20 "$work/$target.log" >&2
    failed+=("$target")
  fi
done

log "fuzzing done in $((SECONDS - started))s"
if [[ ${#failed[@]} -gt 0 ]]; then
  die "fuzz targets failed: ${failed[*]} (inputs in fuzz/artifacts/<target>/; see docs/fuzzing.md)"
fi
