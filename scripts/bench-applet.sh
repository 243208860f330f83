#!/usr/bin/env bash
# Applet endpoint benchmark (issue 5 item 8): idle sessions held by one
# listener process and its resident memory per session, and authenticated
# handshakes per second. Not a timed test.
#
#   scripts/bench-applet.sh                 steps of 4,750 sessions up to
#                                           19,000, then the handshake run
#   scripts/bench-applet.sh --step 2000 --steps 4 --handshakes 6000 \
#       --handshake-clients 3
#
# One process, examples/applet_listener.rs (the listener with
# MemoryCredentials, release build, no backend), holds the sessions; each
# step is one `simgate load applet` process that opens STEP sessions at
# RATE per second and holds them. After each step has opened, VmRSS of the
# listener is read from /proc/PID/status; KiB per session is the median of
# the steps' slopes (RSS added / sessions added). The client processes'
# VmRSS is read too. Then every client stops, and HANDSHAKE_CLIENTS
# `load applet` processes at once open HANDSHAKES sessions in all, each at
# 10,000/s (open loop, together above what the machine does): every
# opening over the longest opening phase is the handshake rate.
#
# The machine caps RLIMIT_NOFILE at 20,000 per process (hard limit), so the
# listener holds at most ~19,900 sockets; the default stays below that.
# Results go to $CARGO_TARGET_DIR/bench-applet/ (results.txt and the JSON
# of every load run). All traffic is on 127.0.0.1; every wait is bounded.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

step=4750
steps=4
rate=2000
handshakes=15000
hs_clients=1
port=19506 # below the ephemeral range, so TIME_WAIT of a past run cannot hold it
while [[ $# -gt 0 ]]; do
  case "$1" in
    --step) step="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --handshakes) handshakes="$2"; shift 2 ;;
    --handshake-clients) hs_clients="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) die "unknown flag $1 (--step N --steps N --rate R --handshakes N --handshake-clients N --port P)" ;;
  esac
done
total=$((step * steps))
(( total + 64 < $(ulimit -Hn) )) || die "$total sessions do not fit under RLIMIT_NOFILE $(ulimit -Hn)"
(( handshakes + 64 < $(ulimit -Hn) )) || die "$handshakes handshakes do not fit under RLIMIT_NOFILE"
ulimit -n "$(ulimit -Hn)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
log "cargo build --release: simgate and examples/applet_listener (server feature only)"
cargo build --locked --release --no-default-features --features server --bin simgate --example applet_listener
bin="$CARGO_TARGET_DIR/release/simgate"
listener_bin="$CARGO_TARGET_DIR/release/examples/applet_listener"

out="$CARGO_TARGET_DIR/bench-applet"
rm -rf "$out"
mkdir -p "$out"
sims_total=$((total + handshakes))
(( sims_total <= 1000000 )) || die "at most 1,000,000 SIMs in a set"
log "generating $sims_total SIMs"
"$bin" applet-sim generate --count "$sims_total" --out "$out/sims.csv" >/dev/null
header="$(head -n 1 "$out/sims.csv")"
# slice FIRST COUNT FILE: SIMs FIRST.. (0-based) into FILE, with the header.
slice() {
  { echo "$header"; sed -n "$(($1 + 2)),$(($1 + $2 + 1))p" "$out/sims.csv"; } >"$3"
}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

"$listener_bin" --sims "$out/sims.csv" --listen "127.0.0.1:$port" --max-sessions 19900 \
  >"$out/listener.log" 2>&1 &
lpid=$!
pids+=("$lpid")
for _ in $(seq 100); do
  grep -q '^listening' "$out/listener.log" 2>/dev/null && break
  sleep 0.1
done
grep -q '^listening' "$out/listener.log" || die "the listener did not start: $(cat "$out/listener.log")"

# open_now: the listener's last "open N" line.
open_now() { awk '/^open / { n = $2 } END { print n + 0 }' "$out/listener.log"; }
# wait_open N SECONDS: until the listener holds N sessions.
wait_open() {
  local deadline=$((SECONDS + $2))
  while (( $(open_now) < $1 )); do
    (( SECONDS < deadline )) || die "the listener holds $(open_now) sessions, not $1, after $2 s"
    sleep 0.5
  done
}

sleep 2
base=$(rss_kib "$lpid")
log "listener pid $lpid: VmRSS $base KiB with no session"
rows=("| 0 | $base | | |")
slopes=()
prev_open=0
prev_rss=$base
clients=()
hold=$(( steps * (step / rate + 20) + 60 ))
for i in $(seq 1 "$steps"); do
  slice $(((i - 1) * step)) "$step" "$out/step$i.csv"
  "$bin" load applet --target "127.0.0.1:$port" --sims "$out/step$i.csv" --count "$step" \
    --rate "$rate" --hold "${hold}s" --duration "$((hold + step / rate + 30))s" \
    --json "$out/step$i.json" >"$out/step$i.log" 2>&1 &
  pids+=("$!")
  clients+=("$!")
  wait_open $((i * step)) $((step / rate + 60))
  sleep 3 # let the last handshakes' garbage settle
  now_open=$(open_now)
  rss=$(rss_kib "$lpid")
  slope=$(awk -v a="$rss" -v b="$prev_rss" -v n="$now_open" -v m="$prev_open" \
    'BEGIN { printf "%.2f", (a - b) / (n - m) }')
  client_rss=$(rss_kib "${clients[-1]}")
  log "step $i: $now_open sessions, listener VmRSS $rss KiB (+$slope KiB/session), client VmRSS $client_rss KiB"
  rows+=("| $now_open | $rss | $slope | $client_rss |")
  slopes+=("$slope")
  prev_open=$now_open
  prev_rss=$rss
done
held=$prev_open
median=$(printf '%s\n' "${slopes[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
client_median=$(for r in "${rows[@]:1}"; do echo "$r"; done | awk -F'|' -v s="$step" '{ printf "%.2f\n", $5 / s }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

log "stopping the step clients"
for pid in "${clients[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${clients[@]}"; do wait "$pid" 2>/dev/null || true; done
deadline=$((SECONDS + 60))
while (( $(open_now) > 0 && SECONDS < deadline )); do sleep 0.5; done

hs_each=$((handshakes / hs_clients))
log "handshake run: $hs_clients clients, $hs_each sessions each at 10000/s"
hs_pids=()
for c in $(seq 1 "$hs_clients"); do
  slice $((total + (c - 1) * hs_each)) "$hs_each" "$out/handshakes$c.csv"
  "$bin" load applet --target "127.0.0.1:$port" --sims "$out/handshakes$c.csv" --count "$hs_each" \
    --rate 10000 --duration 120s --json "$out/handshakes$c.json" >"$out/handshakes$c.log" 2>&1 &
  hs_pids+=("$!")
  pids+=("$!")
done
for pid in "${hs_pids[@]}"; do wait "$pid" || die "a handshake run failed: $(cat "$out"/handshakes*.log)"; done
# The clients open at once: the rate is every opening over the longest
# opening phase (each client's opened / opened_per_s).
# A few SYNs dropped when the accept backlog overflows come back 1 s later
# and stretch that phase, so the busiest second (openings in one second of
# the timeline, summed over the clients) is given too.
read -r hs_opened hs_rate hs_peak hs_p50 hs_p99 < <(python3 - "$out"/handshakes*.json <<'PY'
import json, sys
reports = [json.load(open(p)) for p in sys.argv[1:]]
runs = [r["applet"] for r in reports]
opened = sum(r["opened"] for r in runs)
longest = max(r["opened"] / r["opened_per_s"] for r in runs if r["opened_per_s"] > 0)
seconds = {}
for rep in reports:
    for s in rep["timeline"]:
        seconds[s["second"]] = seconds.get(s["second"], 0) + s["ok"]
peak = max(seconds.values())
p50 = sorted(r["handshake"]["p50_ms"] for r in runs)[len(runs) // 2]
p99 = max(r["handshake"]["p99_ms"] for r in runs)
print(opened, "%.0f" % (opened / longest), peak, "%.1f" % p50, "%.1f" % p99)
PY
)

{
  echo "Run on $(date -u +%Y-%m-%d) at simgate $(git rev-parse --short=12 HEAD), $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(rustc --version)."
  echo
  echo '```sh'
  echo "scripts/bench-applet.sh --step $step --steps $steps --rate $rate --handshakes $handshakes"
  echo '```'
  echo
  echo "| sessions held | listener VmRSS KiB | KiB per session added | client VmRSS KiB (its step) |"
  echo "| ---: | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "- sessions held by one listener: **$held** (RLIMIT_NOFILE $(ulimit -Hn) per process)"
  echo "- listener resident memory per idle session: **$median KiB** (median of the steps' slopes; goal 4 KiB)"
  echo "- load client resident memory per session: $client_median KiB (its whole VmRSS over its sessions)"
  echo "- authenticated handshakes: **$hs_peak in the busiest second**, $hs_rate per second over the whole opening phase ($hs_opened opened by $hs_clients client(s) offering 10,000/s each; handshake p50 $hs_p50 ms (median client), p99 $hs_p99 ms (worst client); the clients and the listener share the $(nproc) cores)"
} | tee "$out/results.txt"
