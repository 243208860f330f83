#!/usr/bin/env bash
# Helpers shared by the scripts: logging, and installing what is missing on a
# Debian machine (apt-get as root, or through sudo).

SIMGATE_TOOLS="${SIMGATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/simgate}"
mkdir -p "$SIMGATE_TOOLS"
export SIMGATE_TOOLS

log() { printf '[simgate %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[simgate] error: %s\n' "$*" >&2; exit 1; }

_apt_updated=0
apt_install() {
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root or sudo to install: $*"
    sudo="sudo"
  fi
  if [[ $_apt_updated -eq 0 ]]; then
    log "apt-get update"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _apt_updated=1
  fi
  log "apt-get install $*"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need_cmd COMMAND PACKAGE: installs PACKAGE when COMMAND is missing.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
  command -v "$1" >/dev/null 2>&1 || die "$1 still missing after installing $2"
}

# need_deb PACKAGE: installs a Debian package (a library, no command to
# look for) unless dpkg has it.
need_deb() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || apt_install "$1"
}

need_python_venv() {
  need_cmd python3 python3
  if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    apt_install python3-venv python3-pip
  fi
}

# need_rust: cargo and rustc new enough for edition 2024, with clippy,
# rustfmt and cargo-nextest.
need_rust() {
  if [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    source "$HOME/.cargo/env"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    die "cargo is missing: install Rust 1.85 or newer with rustup (https://rustup.rs), then run this again"
  fi
  local minor
  minor="$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')"
  if [[ "$minor" -lt 85 ]]; then
    die "rustc $(rustc --version) is too old: simgate needs 1.85 or newer (edition 2024)"
  fi
  need_cmd cc gcc
  need_cmd make make
  need_cmd g++ g++
  need_cmd perl perl
  need_cmd curl curl
  # librdkafka's TLS and SASL SCRAM build on the system OpenSSL.
  need_cmd pkg-config pkg-config
  need_deb libssl-dev
  if ! cargo fmt --version >/dev/null 2>&1 && command -v rustup >/dev/null; then rustup component add rustfmt; fi
  if ! cargo clippy --version >/dev/null 2>&1 && command -v rustup >/dev/null; then rustup component add clippy; fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest"
    cargo install --locked cargo-nextest
  fi
}

# The build cache shared by every clone on this machine: CI and a second
# checkout reuse it where present and rebuild where not.
use_shared_target() {
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SIMGATE_TOOLS/target}"
}
