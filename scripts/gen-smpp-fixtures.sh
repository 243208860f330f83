#!/usr/bin/env bash
# Regenerates the SMPP fixtures produced by other implementations (the PyPI
# package smpplib and the npm package smpp) in proto-fixtures/smpp/, and the
# README that lists every fixture with where it came from. Fixtures written
# by simgate's developers are listed in proto-fixtures/smpp/handmade.tsv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

SMPPLIB_VERSION="2.2.4"
NODE_SMPP_VERSION="0.5.1"
OUT="$ROOT/proto-fixtures/smpp"

need_python_venv
need_cmd npm npm
[[ -x "$SIMGATE_TOOLS/venv/bin/python" ]] || python3 -m venv "$SIMGATE_TOOLS/venv"
"$SIMGATE_TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "smpplib==$SMPPLIB_VERSION"
mkdir -p "$SIMGATE_TOOLS/npm-fixtures"
npm install --silent --no-audit --no-fund --prefix "$SIMGATE_TOOLS/npm-fixtures" "smpp@$NODE_SMPP_VERSION" >/dev/null

rm -f "$OUT"/smpplib-*.hex "$OUT"/node-smpp-*.hex
listing="$(mktemp)"
trap 'rm -f "$listing"' EXIT
"$SIMGATE_TOOLS/venv/bin/python" "$ROOT/scripts/fixtures/smpplib_gen.py" "$OUT" >>"$listing"
NODE_PATH="$SIMGATE_TOOLS/npm-fixtures/node_modules" node "$ROOT/scripts/fixtures/node_smpp.js" "$OUT" >>"$listing"

{
  cat <<'HEAD'
# SMPP fixtures

One PDU per file, as hex on one line. Tests decode every file, check its
fields, and re-encode it byte-exact. `scripts/gen-smpp-fixtures.sh`
regenerates the files made by other implementations and this README;
hand-made files are listed in `handmade.tsv`.

| File | What it holds; where it came from |
|---|---|
HEAD
  sort "$listing" | awk -F'\t' '{ printf "| `%s` | %s |\n", $1, $2 }'
  grep -v '^#' "$OUT/handmade.tsv" | awk -F'\t' 'NF >= 2 { printf "| `%s` | %s; written by hand by simgate developers |\n", $1, $2 }'
} >"$OUT/README.md"
log "wrote $(wc -l <"$listing") generated fixtures; README lists $(grep -c '^| `' "$OUT/README.md") files"
