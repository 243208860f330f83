#!/usr/bin/env bash
# The demo: builds simgate, starts the local stack (Redis, Tansu, a
# MongoDB-wire server) and the SMSC simulator, imports a generated set of 20
# SIMs, runs the gateway bound to the simulator with its applet listener on,
# connects 15 simulated applets (the other 5 stay offline), sends MT traffic
# through the API (10 messages a second) and a command a second to a random
# SIM, all on loopback, and prints a live summary every two seconds: binds,
# messages accepted, submitted and delivered, MO received, applet sessions,
# commands posted, answered and waiting for a woken SIM. It stops at Ctrl-C
# (or after --duration SECONDS): traffic first, then the applets, the
# gateway with SIGTERM, the simulator and the stack.
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
SMSC_PORT="${SIMGATE_DEMO_SMSC_PORT:-39775}"
APPLET_PORT="${SIMGATE_DEMO_APPLET_PORT:-39506}"
# A fresh master key per run: the demo's SIM keys are sealed with it.
MASTER_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
API_KEY="demo-key-$(date +%s)-0123456789"

need_rust
need_cmd curl curl
use_shared_target

log "building simgate"
cargo build --locked --bin simgate
BIN="$CARGO_TARGET_DIR/debug/simgate"

gateway_pid=""
sim_pid=""
traffic_pid=""
commands_pid=""
applets_pid=""
cleanup() {
  if [[ -n "$traffic_pid" ]]; then kill "$traffic_pid" 2>/dev/null || true; wait "$traffic_pid" 2>/dev/null || true; fi
  if [[ -n "$commands_pid" ]]; then kill "$commands_pid" 2>/dev/null || true; wait "$commands_pid" 2>/dev/null || true; fi
  if [[ -n "$applets_pid" ]]; then kill -TERM "$applets_pid" 2>/dev/null || true; wait "$applets_pid" 2>/dev/null || true; fi
  if [[ -n "$gateway_pid" ]] && kill -0 "$gateway_pid" 2>/dev/null; then
    log "SIGTERM to the gateway; it drains and exits"
    kill -TERM "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  if [[ -n "$sim_pid" ]]; then kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
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
"$BIN" smsc-sim --listen "127.0.0.1:$SMSC_PORT" --account simgate:demo:4 --mo-rate 1 \
  >"$ROOT/.stack/smsc-sim.out" 2>"$ROOT/.stack/smsc-sim.log" &
sim_pid=$!
for _ in $(seq 1 50); do grep -q "listening on" "$ROOT/.stack/smsc-sim.out" 2>/dev/null && break; sleep 0.1; done
log "SMSC simulator pid $sim_pid on 127.0.0.1:$SMSC_PORT, logs in .stack/smsc-sim.log"

# 20 SIMs with their keys; the gateway's registry gets them sealed.
"$BIN" applet-sim generate --count 20 --out "$ROOT/.stack/demo-sims.csv" >/dev/null
SIMGATE__MONGO__URI="$SIMGATE__MONGO__URI" SIMGATE__SIM__MASTER_KEY="$MASTER_KEY" \
  "$BIN" sims import --config "$ROOT/config/simgate.example.toml" "$ROOT/.stack/demo-sims.csv" >/dev/null
log "20 SIMs imported into the registry (keys sealed with this run's master key)"

SIMGATE__SIM__ENABLED=true \
SIMGATE__SIM__MASTER_KEY="$MASTER_KEY" \
SIMGATE__SIM__LISTEN="127.0.0.1:$APPLET_PORT" \
SIMGATE__SMPP__ACCOUNTS__PRIMARY__HOST=127.0.0.1 \
SIMGATE__SMPP__ACCOUNTS__PRIMARY__PORT="$SMSC_PORT" \
SIMGATE__SMPP__ACCOUNTS__PRIMARY__SYSTEM_ID=simgate \
SIMGATE__SMPP__ACCOUNTS__PRIMARY__PASSWORD=demo \
SIMGATE__SMPP__ACCOUNTS__PRIMARY__BINDS=2 \
SIMGATE__SMPP__ACCOUNTS__PRIMARY__MAX_BINDS=4 \
SIMGATE__API__KEYS="$API_KEY" \
SIMGATE__HTTP__LISTEN="127.0.0.1:$HTTP_PORT" \
SIMGATE__INSTANCE__ID="demo-1" \
SIMGATE__SHUTDOWN__DRAIN_DELAY="1s" \
SIMGATE__LOG__FORMAT="json" \
  "$BIN" serve --config "$ROOT/config/simgate.example.toml" 2>"$ROOT/.stack/gateway.log" &
gateway_pid=$!
log "gateway pid $gateway_pid, logs in .stack/gateway.log"

base="http://127.0.0.1:$HTTP_PORT"
metric() { awk -v m="$1" '$1 == m { print $2 }' <<<"$2"; }
# The sum of a metric over all its label sets.
total() { awk -v m="$1" 'index($1, m) == 1 && (substr($1, length(m) + 1, 1) == "{" || length($1) == length(m)) { s += $2 } END { print s + 0 }' <<<"$2"; }
published() {
  awk -v m="simgate_events_published_total{event_type=\"$1\"" 'index($1, m) == 1 { s += $2 } END { print s + 0 }' <<<"$2"
}

# 15 of the 20 applets connect; the other 5 are woken by SMS when a
# command comes for them (the simulator takes the wake-up, no applet wakes).
for _ in $(seq 1 100); do curl -s -o /dev/null "$base/readyz" && break; sleep 0.1; done
"$BIN" applet-sim run --target "127.0.0.1:$APPLET_PORT" --sims "$ROOT/.stack/demo-sims.csv" \
  --sessions 15 --rate 5 --stats-interval 0s >"$ROOT/.stack/applet-sim.out" 2>"$ROOT/.stack/applet-sim.log" &
applets_pid=$!
log "15 simulated applets connecting to 127.0.0.1:$APPLET_PORT, logs in .stack/applet-sim.log"

# A command a second to a random SIM of the 20, until the demo ends.
mapfile -t iccids < <(tail -n +2 "$ROOT/.stack/demo-sims.csv" | cut -d, -f1)
(
  while kill -0 "$gateway_pid" 2>/dev/null; do
    iccid="${iccids[RANDOM % ${#iccids[@]}]}"
    curl -s -o /dev/null -X POST "$base/v1/sims/$iccid/commands" -H "Authorization: Bearer $API_KEY" \
      -H 'Content-Type: application/json' -d '{"type":"ping","payload":"00a4040007","ttl":"2m"}' || true
    sleep 1
  done
) &
commands_pid=$!

# MT traffic: 10 messages a second to loopback, until the demo ends.
(
  n=0
  while kill -0 "$gateway_pid" 2>/dev/null; do
    for _ in 1 2 3 4 5; do
      n=$((n + 1))
      curl -s -o /dev/null -X POST "$base/v1/messages" -H "Authorization: Bearer $API_KEY" \
        -H 'Content-Type: application/json' \
        -d "{\"destination\":\"+1555$(printf '%07d' "$n")\",\"source\":\"SIMGATE\",\"text\":\"demo message $n\"}" || true
    done
    sleep 0.5
  done
) &
traffic_pid=$!

started=$SECONDS
printf '\n%-7s %-6s %-30s %-6s %-9s %-10s %-10s %-5s %-8s %-9s %-8s %-6s %-7s %s\n' "time" "health" \
  "components (redis mongo kafka)" "binds" "accepted" "submitted" "delivered" "MO" "applets" "commands" "results" \
  "woken" "rss_MB" "cpu_s"
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
  printf '%-7s %-6s %-30s %-6s %-9s %-10s %-10s %-5s %-8s %-9s %-8s %-6s %-7s %s\n' "$((SECONDS - started))s" \
    "$([[ "$health" == 200 ]] && echo UP || echo "DOWN")" "$comps" \
    "$(total simgate_smpp_bind_up "$metrics")" "$(published sms.mt.accepted "$metrics")" \
    "$(published sms.mt.submitted "$metrics")" "$(published sms.mt.delivered "$metrics")" \
    "$(published sms.mo.received "$metrics")" "$(total simgate_applet_sessions_open "$metrics")" \
    "$(total simgate_sim_commands_accepted_total "$metrics")" "$(published sim.command.result "$metrics")" \
    "$(published sim.ota.sent "$metrics")" "$(( ${rss:-0} / 1048576 ))" \
    "$(metric process_cpu_seconds_total "$metrics")"
  if [[ "$duration" -gt 0 && $((SECONDS - started)) -ge "$duration" ]]; then break; fi
  sleep 2
done
