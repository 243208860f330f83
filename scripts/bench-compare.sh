#!/usr/bin/env bash
# SMPP ESME comparison (issue 7 item 5): the same workload (submit_sm and
# submit_sm_resp, 160-character GSM text; 1 and 4 binds; windows 1, 10, 64)
# against the same target, simgate smsc-sim on 127.0.0.1, by simgate's own
# tool `simgate load smpp`, by the bench driver on simgate's EsmeSession,
# and by four peers: the Rust crates smpp34 and rusmppc, the npm package
# smpp and the PyPI package smpplib; and `simgate load smpp` against the
# smpp34 server as the reverse target. Each peer's driver is our own small
# program on the peer's public API (benches/peers/, benches/compare/); the
# peers are installed here, pinned, into $SIMGATE_TOOLS (never into the
# repository). A run that stalls is stopped, kept as "stalled" and tried
# once more (benches/compare/compare.py).
#
#   scripts/bench-compare.sh               full run (100,000 messages per
#                                          run, 20,000 for smpplib), print
#                                          the table
#   scripts/bench-compare.sh --quick       small counts (5,000 / 2,000), to
#                                          check that everything works
#   scripts/bench-compare.sh --write       also rewrite the "SMPP ESME
#                                          comparison" section of
#                                          docs/benchmarks.md and the plot
#                                          docs/bench-compare.png
#   scripts/bench-compare.sh --report      no run: table and plot from the
#                                          last run's results.json
#   scripts/bench-compare.sh --only simgate,smpp34   some implementations
#                                          (simgate, simgate-driver, smpp34,
#                                          rusmppc, node-smpp, smpplib)
#
# Results go to $CARGO_TARGET_DIR/bench-compare/ (results.json, table.md,
# compare.png). Every run has a timeout and stops itself; all traffic is on
# 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# The peers' versions, pinned (the Rust ones are pinned in
# benches/peers/Cargo.toml and its Cargo.lock).
NODE_SMPP_VERSION=0.5.1
SMPPLIB_VERSION=2.2.4
MATPLOTLIB_VERSION=3.9.2

write=0
run=1
count=100000
slow_count=20000
only=""
quick=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --write) write=1 ;;
    --report) run=0 ;;
    --quick) quick=1; count=5000; slow_count=2000 ;;
    --only) shift; only="${1:?--only needs a list}" ;;
    *) die "unknown argument: $1 (see the header of $0)" ;;
  esac
  shift
done

# Private target dirs: this build must not block or evict the test builds.
# simgate and the peers' package are two workspaces, each with its own
# directory so neither waits on the other's lock.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SIMGATE_TOOLS/target-bench}"
peers_target="${CARGO_TARGET_DIR}-peers"
# A fixed revision, so that a new commit does not rebuild simgate.
export SIMGATE_GIT_REVISION=bench
out="$CARGO_TARGET_DIR/bench-compare"
tools="$SIMGATE_TOOLS/bench-compare"
venv="$tools/venv"
node_dir="$tools/node"
mkdir -p "$out" "$tools"

need_python_venv
if [[ ! -x "$venv/bin/python" ]]; then
  log "python venv for smpplib and matplotlib: $venv"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import smpplib, matplotlib, importlib.metadata as m; assert m.version('smpplib') == '$SMPPLIB_VERSION'" 2>/dev/null; then
  log "pip install smpplib==$SMPPLIB_VERSION matplotlib==$MATPLOTLIB_VERSION"
  "$venv/bin/pip" install -q "smpplib==$SMPPLIB_VERSION" "matplotlib==$MATPLOTLIB_VERSION"
fi

if [[ $run -eq 1 ]]; then
  need_cmd node nodejs
  need_cmd npm npm
  mkdir -p "$node_dir"
  if [[ "$(node -p "try { require('$node_dir/node_modules/smpp/package.json').version } catch (e) { '' }")" != "$NODE_SMPP_VERSION" ]]; then
    log "npm install smpp@$NODE_SMPP_VERSION into $node_dir"
    [[ -f "$node_dir/package.json" ]] || echo '{"private": true}' >"$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --save-exact "smpp@$NODE_SMPP_VERSION" >/dev/null)
  fi

  need_rust
  log "cargo build --release: simgate (server feature only) and benches/peers"
  cargo build --locked --release --no-default-features --features server --bin simgate
  (cd benches/peers && CARGO_TARGET_DIR="$peers_target" cargo build --locked --release)
fi

args=(--out "$out" --simgate "$CARGO_TARGET_DIR/release/simgate" --peers "$peers_target/release"
  --node-path "$node_dir/node_modules" --python "$venv/bin/python" --count "$count" --slow-count "$slow_count")
[[ -n "$only" ]] && args+=(--only "$only")
[[ $run -eq 0 ]] && args+=(--report)

script_command="scripts/bench-compare.sh"
[[ $quick -eq 1 ]] && script_command+=" --quick"
[[ -n "$only" ]] && script_command+=" --only $only"
[[ $write -eq 1 ]] && script_command+=" --write"
if [[ $run -eq 1 ]]; then
  printf '%s\n%s\n%s\n' "$script_command" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short=12 HEAD)" >"$out/run-info.txt"
fi

"$venv/bin/python" benches/compare/compare.py "${args[@]}"

if [[ $write -eq 1 ]]; then
  [[ -f "$out/run-info.txt" ]] || die "no run-info.txt in $out: run without --report first"
  cp "$out/compare.png" docs/bench-compare.png
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  machine="$(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); Linux $(uname -r); $(rustc --version | cut -d' ' -f1-2), node $(node --version), $("$venv/bin/python" --version)"
  python3 - "$out/table.md" "$out/run-info.txt" "$machine" docs/benchmarks.md <<'PY'
import pathlib, sys
table, info, machine, doc = sys.argv[1:]
command, date, rev = pathlib.Path(info).read_text().splitlines()[:3]
section = f"""Run on {date} at simgate {rev}; {machine}.

```sh
{command}
```

![messages per second, client CPU per 100k messages and p99 latency per row](bench-compare.png)

{pathlib.Path(table).read_text().strip()}"""
begin, end = "<!-- smpp-compare:begin -->", "<!-- smpp-compare:end -->"
path = pathlib.Path(doc)
text = path.read_text()
if begin not in text or end not in text:
    sys.exit(f"{doc} lacks the {begin} ... {end} markers")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
path.write_text(f"{head}{begin}\n{section}\n{end}{tail}")
print(f"rewrote the SMPP ESME comparison in {doc}", file=sys.stderr)
PY
fi
