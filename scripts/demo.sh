#!/usr/bin/env bash
# The demo: builds simgate, starts the local stack (Redis, Tansu, a
# MongoDB-wire server), runs the gateway against it and prints a live summary
# every two seconds until Ctrl-C (or --duration SECONDS), then shuts the
# gateway down with SIGTERM and stops the stack.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

duration=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="${2:?--duration needs seconds}"; shift 2 ;;
    *) echo "usage: $0 [--duration SECONDS]" >&2; exit 64 ;;
  esac
done
HTTP_PORT="${SIMGATE_DEMO_HTTP_PORT:-39080}"

need_rust
need_cmd curl curl
use_shared_target

log "building simgate"
cargo build --locked --bin simgate
BIN="$CARGO_TARGET_DIR/debug/simgate"

gateway_pid=""
cleanup() {
  if [[ -n "$gateway_pid" ]] && kill -0 "$gateway_pid" 2>/dev/null; then
    log "SIGTERM to the gateway; it drains and exits"
    kill -TERM "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  scripts/stack.sh stop || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

scripts/stack.sh start
set -a
# shellcheck disable=SC1091
source "$ROOT/.stack/stack.env"
set +a

mkdir -p "$ROOT/.stack"
SIMGATE__HTTP__LISTEN="127.0.0.1:$HTTP_PORT" \
SIMGATE__INSTANCE__ID="demo-1" \
SIMGATE__SHUTDOWN__DRAIN_DELAY="1s" \
SIMGATE__LOG__FORMAT="json" \
  "$BIN" serve --config "$ROOT/config/simgate.example.toml" 2>"$ROOT/.stack/gateway.log" &
gateway_pid=$!
log "gateway pid $gateway_pid, logs in .stack/gateway.log"

base="http://127.0.0.1:$HTTP_PORT"
metric() { awk -v m="$1" '$1 == m { print $2 }' <<<"$2"; }
started=$SECONDS
printf '\n%-8s %-6s %-44s %-7s %-8s %s\n' "time" "health" "components (redis mongo kafka)" "rss_MB" "cpu_s" "fds"
while :; do
  if ! kill -0 "$gateway_pid" 2>/dev/null; then
    tail -n 5 "$ROOT/.stack/gateway.log" >&2
    die "the gateway exited"
  fi
  health="$(curl -s -o /dev/null -w '%{http_code}' "$base/health" || echo 000)"
  metrics="$(curl -s "$base/metrics" || true)"
  comps=""
  for c in redis mongo kafka; do
    v="$(metric "simgate_component_up{component=\"$c\"}" "$metrics")"
    comps+="$c=$([[ "$v" == 1 ]] && echo up || echo down) "
  done
  rss="$(metric process_resident_memory_bytes "$metrics")"
  printf '%-8s %-6s %-44s %-7s %-8s %s\n' "$((SECONDS - started))s" \
    "$([[ "$health" == 200 ]] && echo UP || echo "DOWN")" "$comps" \
    "$(( ${rss:-0} / 1048576 ))" "$(metric process_cpu_seconds_total "$metrics")" \
    "$(metric process_open_fds "$metrics")"
  if [[ "$duration" -gt 0 && $((SECONDS - started)) -ge "$duration" ]]; then break; fi
  sleep 2
done
