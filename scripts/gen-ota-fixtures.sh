#!/usr/bin/env bash
# Regenerates the OTA packet fixtures, proto-fixtures/ota/*.hex, with
# `simgate ota encode`: each NAME.json is the packet as `ota decode` prints
# it (the fields encode reads), NAME.keys its keys and how it is carried:
#
#   kic HEX         ciphering key (omitted when the packet is not ciphered)
#   kid HEX         checksum key
#   form sms|packet SMS user data (one part per line) or the bare packet
#   reference N     concatenation reference of the SMS parts (default 0)
#
# Sealing is deterministic (zero initial chaining values, the counter in
# the JSON), so running this again rewrites the same octets; tests/ota_fixtures.rs
# checks them byte-exact. Builds the binary unless SIMGATE_BIN names one.
#
#   scripts/gen-ota-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

if [[ -z "${SIMGATE_BIN:-}" ]]; then
  need_rust
  use_shared_target
  cargo build --locked --quiet --bin simgate
  SIMGATE_BIN="$CARGO_TARGET_DIR/debug/simgate"
fi

for json in proto-fixtures/ota/*.json; do
  base="${json%.json}"
  args=()
  while read -r key value; do
    case "$key" in
      kic) args+=(--kic "$value") ;;
      kid) args+=(--kid "$value") ;;
      form) [[ "$value" == sms ]] && args+=(--sms) ;;
      reference) args+=(--reference "$value") ;;
      ''|'#'*) ;;
      *) die "$base.keys: unknown key $key" ;;
    esac
  done <"$base.keys"
  "$SIMGATE_BIN" ota encode "${args[@]}" "$(cat "$json")" >"$base.hex"
  log "wrote $base.hex"
done
