#!/usr/bin/env bash
# SMS pipeline throughput: the full MT-plus-receipt cycle through a release
# `simgate serve` with the local stack (Redis, Tansu, the MongoDB-wire
# server) and the SMSC simulator (receipts on), measured from the first
# POST until every receipt is matched. Reports messages per second and CPU
# seconds per 1,000 messages of the gateway, and for context of the
# simulator, the broker, the MongoDB-wire server and Redis (utime+stime
# from /proc/PID/stat, before and after). Three runs, medians.
#
#   scripts/bench-pipeline.sh                 20,000 messages, one gateway
#   scripts/bench-pipeline.sh --count 2000    fewer messages per run
#   scripts/bench-pipeline.sh --gateways 2    two gateways sharing the account
#   scripts/bench-pipeline.sh --runs 5 --concurrency 32
#
# Each run uses a database and account name of its own. The load loop is
# examples/mt_load.rs; `simgate load api` can replace it (same POST body,
# concurrency and gateway list) once it exists. The stack runs on the
# ports of SIMGATE_STACK_*_PORT (scripts/stack.sh), started and stopped here
# unless it is already running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

count=20000
runs=3
gateways=1
concurrency=16
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --gateways) gateways="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    *) die "unknown argument: $1 (see the header of $0)" ;;
  esac
  shift
done
[[ "$gateways" == 1 || "$gateways" == 2 ]] || die "--gateways is 1 or 2"

need_rust
use_shared_target
log "release build (simgate, examples/mt_load)"
cargo build --locked --release --bin simgate --example mt_load
BIN="$CARGO_TARGET_DIR/release/simgate"
LOAD="$CARGO_TARGET_DIR/release/examples/mt_load"
KEY="bench-key-0123456789abcdef"
OUT="$ROOT/.stack/bench"
mkdir -p "$OUT"

pids=()
started_stack=0
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ "$started_stack" == 1 ]]; then scripts/stack.sh stop || true; fi
}
trap cleanup EXIT

if ! scripts/stack.sh status >/dev/null 2>&1; then
  scripts/stack.sh start
  started_stack=1
fi
set -a
# shellcheck disable=SC1091
source "$ROOT/.stack/stack.env"
set +a

# CPU seconds (utime+stime) of a process so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
stack_pid() { cat "$ROOT/.stack/$1.pid"; }

"$BIN" smsc-sim --listen 127.0.0.1:0 --account simgate:pw:8 --receipts on --stats-interval 0s \
  >"$OUT/sim.out" 2>"$OUT/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
for _ in $(seq 1 100); do grep -q "listening on" "$OUT/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$OUT/sim.out" | head -1)"
[[ -n "$sim_port" ]] || die "the simulator did not start (see $OUT/sim.log)"

results=()
for run in $(seq 1 "$runs"); do
  tag="bench$$r$run"
  acct="$(tr '[:lower:]' '[:upper:]' <<<"$tag")"
  gw_pids=()
  gw_addrs=()
  for g in $(seq 1 "$gateways"); do
    env -i PATH="$PATH" HOME="$HOME" \
      SIMGATE__INSTANCE__ID="$tag-g$g" \
      SIMGATE__HTTP__LISTEN=127.0.0.1:0 \
      SIMGATE__LOG__FORMAT=json SIMGATE__LOG__LEVEL=warn,simgate::serve=info \
      SIMGATE__REDIS__URL="$SIMGATE__REDIS__URL" \
      SIMGATE__MONGO__URI="$SIMGATE__MONGO__URI" SIMGATE__MONGO__DATABASE="$tag" \
      SIMGATE__KAFKA__BROKERS="$SIMGATE__KAFKA__BROKERS" \
      SIMGATE__API__KEYS="$KEY" SIMGATE__SMS__MT_ACCOUNT="$tag" \
      SIMGATE__SHUTDOWN__DRAIN_DELAY=100ms \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__HOST=127.0.0.1" \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__PORT=$sim_port" \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__SYSTEM_ID=simgate" \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__PASSWORD=pw" \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__BINDS=$((4 / gateways))" \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__MAX_BINDS=4" \
      "SIMGATE__SMPP__ACCOUNTS__${acct}__WINDOW=50" \
      "$BIN" serve 2>"$OUT/$tag-g$g.log" &
    gw_pids+=("$!")
    pids+=("$!")
  done
  for g in $(seq 1 "$gateways"); do
    log_file="$OUT/$tag-g$g.log"
    for _ in $(seq 1 100); do grep -q "http listener bound" "$log_file" 2>/dev/null && break; sleep 0.1; done
    addr="$(sed -n 's/.*"local_addr":"\([0-9.:]*\)".*/\1/p' "$log_file" | head -1)"
    [[ -n "$addr" ]] || die "gateway $g did not start (see $log_file)"
    gw_addrs+=("$addr")
  done
  for _ in $(seq 1 200); do
    up=0
    for a in "${gw_addrs[@]}"; do
      up=$((up + $(curl -s "http://$a/metrics" | awk '$1 ~ /^simgate_smpp_bind_up/ { s += $2 } END { print s + 0 }')))
    done
    [[ "$up" -ge 4 ]] && break
    sleep 0.1
  done
  cpu_before=()
  for p in "${gw_pids[@]}" "$sim_pid" "$(stack_pid kafka)" "$(stack_pid mongo)" "$(stack_pid redis)"; do
    cpu_before+=("$(cpu "$p")")
  done
  gw_flags=()
  for a in "${gw_addrs[@]}"; do gw_flags+=(--gateway "$a"); done
  log "run $run: $count messages, $gateways gateway(s), concurrency $concurrency"
  line="$("$LOAD" "${gw_flags[@]}" --key "$KEY" --count "$count" --concurrency "$concurrency" --tag "$tag")" \
    || die "run $run failed: $line"
  cpu_after=()
  for p in "${gw_pids[@]}" "$sim_pid" "$(stack_pid kafka)" "$(stack_pid mongo)" "$(stack_pid redis)"; do
    cpu_after+=("$(cpu "$p")")
  done
  n="${#gw_pids[@]}"
  gw_cpu=0
  for i in $(seq 0 $((n - 1))); do
    gw_cpu="$(awk -v s="$gw_cpu" -v a="${cpu_after[$i]}" -v b="${cpu_before[$i]}" 'BEGIN { print s + a - b }')"
  done
  per_k() { awk -v a="$1" -v b="$2" -v c="$count" 'BEGIN { printf "%.2f", (a - b) * 1000 / c }'; }
  settled="$(sed -n 's/.*settled_secs=\([0-9.]*\).*/\1/p' <<<"$line")"
  rate="$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' <<<"$line")"
  row="$rate $(awk -v g="$gw_cpu" -v c="$count" 'BEGIN { printf "%.2f", g * 1000 / c }')"
  row+=" $(per_k "${cpu_after[$n]}" "${cpu_before[$n]}")"
  row+=" $(per_k "${cpu_after[$((n + 1))]}" "${cpu_before[$((n + 1))]}")"
  row+=" $(per_k "${cpu_after[$((n + 2))]}" "${cpu_before[$((n + 2))]}")"
  row+=" $(per_k "${cpu_after[$((n + 3))]}" "${cpu_before[$((n + 3))]}")"
  results+=("$row")
  log "run $run: $line; CPU s/1000 (gateway sim broker mongo redis): ${row#* }; settled in ${settled}s"
  for p in "${gw_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { for r in "${results[@]}"; do awk -v c="$1" '{ print $c }' <<<"$r"; done | median; }
printf '\n| msg/s | gateway CPU s / 1000 | simulator | broker | MongoDB-wire | Redis |\n|---|---|---|---|---|---|\n'
printf '| %s | %s | %s | %s | %s | %s |\n' "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)"
printf '\n%s messages per run, %s runs (medians), %s gateway(s), concurrency %s, %s\n' \
  "$count" "$runs" "$gateways" "$concurrency" "$(date -u +%Y-%m-%d)"
