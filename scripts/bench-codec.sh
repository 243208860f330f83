#!/usr/bin/env bash
# SMPP codec benchmark: simgate against rusmpp and smpp34 (benches/), in
# one run, then a table of medians and of ratios against the faster peer.
#
#   scripts/bench-codec.sh            run, print the table
#   scripts/bench-codec.sh --write    run, print, and rewrite the "SMPP
#                                     codec" section of docs/benchmarks.md
#   scripts/bench-codec.sh --report   no run: table from the last run
#   scripts/bench-codec.sh --callgrind   also count instructions per PDU
#                                     under callgrind (noise-free; after
#                                     the timed run, ~1 minute)
#   scripts/bench-codec.sh -- ARGS    pass ARGS to criterion instead of the
#                                     defaults (e.g. a filter: submit_sm)
#
# Criterion's defaults are kept except for a 1 s warm-up and 4 s of
# measurement per benchmark (38 benchmarks, ~4 minutes with the build). Its results
# go to $CARGO_TARGET_DIR/criterion-codec, emptied before every run so the
# table never mixes runs. Medians are criterion's median point estimates
# (new/estimates.json), in nanoseconds per PDU.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

write=0
run=1
callgrind=0
criterion_args=(--warm-up-time 1 --measurement-time 4 --noplot)
passthrough=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --write) write=1 ;;
    --report) run=0 ;;
    --callgrind) callgrind=1 ;;
    --) shift; criterion_args=("$@"); passthrough=" -- $*"; break ;;
    *) die "unknown argument: $1 (see the header of $0)" ;;
  esac
  shift
done

# Not the shared target: the benches package is its own workspace with its
# own release profile, and a bench build must not evict the test builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SIMGATE_TOOLS/target-bench}"
export CRITERION_HOME="$CARGO_TARGET_DIR/criterion-codec"
# A fixed revision, so that a new commit does not rebuild simgate.
export SIMGATE_GIT_REVISION=bench
command="cargo bench --locked --bench codec -- ${criterion_args[*]}"
script_command="scripts/bench-codec.sh"
if [[ $callgrind -eq 1 ]]; then script_command+=" --callgrind"; fi
if [[ $write -eq 1 ]]; then script_command+=" --write"; fi
script_command+="$passthrough"

if [[ $run -eq 1 ]]; then
  need_cmd python3 python3
  rm -rf "$CRITERION_HOME"
  log "(cd benches && $command)"
  (cd benches && cargo bench --locked --bench codec -- "${criterion_args[@]}")
fi
counts="$CARGO_TARGET_DIR/callgrind-codec.tsv"
if [[ $run -eq 1 ]]; then rm -f "$counts"; fi
if [[ $callgrind -eq 1 ]]; then
  need_cmd valgrind valgrind
  bin="$(cd benches && cargo bench --locked --bench codec --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "codec":
        print(m["executable"])')"
  [[ -x "$bin" ]] || die "could not find the codec bench binary"
  iters=2000
  log "callgrind: $iters calls per case, counting inside counted_op only"
  : >"$counts"
  while read -r case; do
    ir="$(CODEC_COUNT="$case" CODEC_ITERS=$iters valgrind --tool=callgrind \
      --toggle-collect='*counted_op*' --callgrind-out-file=/dev/null "$bin" 2>&1 |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p')"
    [[ -n "$ir" ]] || die "callgrind gave no count for $case"
    printf '%s\t%s\n' "$case" "$((ir / iters))" >>"$counts"
  done < <(CODEC_COUNT=list "$bin")
fi

[[ -d "$CRITERION_HOME" ]] || die "no results in $CRITERION_HOME: run without --report first"

# The command, date and revision of the run, kept with its results so that
# --report quotes the run it reports.
run_info="$CRITERION_HOME/run-info.txt"
if [[ $run -eq 1 || ! -f "$run_info" ]]; then
  printf '%s\n%s\n%s\n' "$script_command"$'\n'"# which runs: (cd benches && $command)" \
    "$(date -u +%Y-%m-%d)" "$(git rev-parse --short=12 HEAD)" | tr '\n' '\036' >"$run_info"
fi
IFS=$'\036' read -r run_command run_command2 run_date run_rev _ <"$run_info" || true

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
python3 - "$CRITERION_HOME" "$counts" "$write" "$ROOT/docs/benchmarks.md" \
  "$run_command"$'\n'"$run_command2" "$(nproc)" "${cpu:-unknown}" "$(rustc --version)" \
  "$run_date" "$run_rev" <<'PY'
import json, pathlib, sys

home, counts, write, doc, command, nproc, cpu, rustc, date, rev = sys.argv[1:]
home = pathlib.Path(home)

def median(group, function):
    path = home / group / function / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]

PDUS = ["submit_sm", "deliver_sm", "submit_sm_resp"]
OPS = ["decode", "encode"]
PEERS = [("rusmpp", "rusmpp"), ("rusmpp_owned", "rusmpp (owned)"), ("smpp34", "smpp34")]

def ns(v):
    return "–" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}")

def ratio(peer, ours):
    return "–" if peer is None or ours is None else f"{peer / ours:.2f}x"

rows = []
extra = []
found = False
for pdu in PDUS:
    for op in OPS:
        group = f"{pdu}-{op}"
        ours = median(group, "simgate")
        peers = {name: median(group, name) for name, _ in PEERS}
        found = found or ours is not None
        best = min(((v, n) for n, v in peers.items() if v is not None), default=(None, None))
        best_label = dict(PEERS).get(best[1], "–")
        rows.append(
            f"| {pdu} | {op} | {ns(ours)} | "
            + " | ".join(ns(peers[n]) for n, _ in PEERS)
            + f" | {best_label} | **{ratio(best[0], ours)}** |"
        )
        variants = (
            [("simgate+tlvs", "decode, then read every TLV")]
            if op == "decode"
            else [
                ("simgate_decoded", "encode the decoded PDU (TLVs still wire octets)"),
                ("simgate_to_vec", "`to_vec`: a new exact-size `Vec` per PDU"),
                ("simgate_slice", "into a reused `[u8]`, as `rusmpp`"),
                ("simgate_bytes", "into a reused `BytesMut`, as `rusmpp_owned`"),
            ]
        )
        for name, what in variants:
            v = median(group, name)
            if v is not None:
                extra.append(
                    f"| {pdu} | {op} | `{name}`: {what} | {ns(v)} | {ratio(best[0], v)} "
                    f"| {ratio(peers['smpp34'], v)} |"
                )

if not found:
    sys.exit(f"no simgate results under {home}")

# Encode with the same output and the same reuse of it on both sides.
LIKE = [
    ("simgate_slice", "rusmpp", "a reused `[u8]`"),
    ("simgate_bytes", "rusmpp_owned", "a reused `BytesMut`"),
    ("simgate_to_vec", "smpp34", "a new `Vec` per PDU"),
]

def like_rows(value):
    out = []
    for pdu in PDUS:
        g = f"{pdu}-encode"
        for ours, peer, what in LIKE:
            a, b = value(g, ours), value(g, peer)
            if a is not None and b is not None:
                out.append(f"| {pdu} | {what} | {value_fmt(a)} | {dict(PEERS)[peer]} | {value_fmt(b)} | **{ratio(b, a)}** |")
    return out

value_fmt = ns
like = "\n".join(
    [
        "| PDU | encode into | simgate | peer | peer's | peer / simgate |",
        "| --- | --- | ---: | --- | ---: | ---: |",
        *like_rows(median),
    ]
)

table = "\n".join(
    [
        "| PDU | op | simgate | rusmpp | rusmpp (owned) | smpp34 | faster peer | faster peer / simgate |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
        *rows,
    ]
)
variants = "\n".join(
    [
        "| PDU | op | simgate variant | median | faster peer / it | smpp34 / it |",
        "| --- | --- | --- | ---: | ---: | ---: |",
        *extra,
    ]
)
machine = f"{nproc} cores, {cpu}; {rustc}"
section = f"""Run on {date} at simgate {rev}, {machine}.

```sh
{command}
```

Medians in nanoseconds per PDU (criterion's median point estimate); the
ratio is the faster peer's median divided by simgate's, so above 1 means
simgate is faster, and the goal is 1.5.

{table}

simgate variants, against the same peers' medians:

{variants}

Encode like for like (the same output type, reused or not in the same
way, on both sides):

{like}"""

counts = pathlib.Path(counts)
if counts.exists() and counts.stat().st_size:
    ir = dict(line.split("\t") for line in counts.read_text().splitlines())
    ir = {k: int(v) for k, v in ir.items()}
    lines = [
        "| PDU | op | simgate | rusmpp | rusmpp (owned) | smpp34 | faster peer / simgate |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for pdu in PDUS:
        for op in OPS:
            g = f"{pdu}-{op}"
            ours = ir.get(f"{g}/simgate")
            peers = [ir.get(f"{g}/{n}") for n, _ in PEERS]
            best = min((v for v in peers if v is not None), default=None)
            lines.append(
                f"| {pdu} | {op} | {ours} | "
                + " | ".join(str(v) for v in peers)
                + f" | {ratio(best, ours)} |"
            )
    var = [
        f"`{k}` {v}"
        for k, v in ir.items()
        if k.split("/")[1] in ("simgate+tlvs", "simgate_decoded", "simgate_to_vec", "simgate_slice", "simgate_bytes")
    ]
    value_fmt = str
    like_ir = "\n".join(
        [
            "| PDU | encode into | simgate | peer | peer's | peer / simgate |",
            "| --- | --- | ---: | --- | ---: | ---: |",
            *like_rows(lambda g, f: ir.get(f"{g}/{f}")),
        ]
    )
    section += f"""

Instructions per PDU under callgrind (`--callgrind`: each case run 2000
times, counted inside the measured call only; deterministic, so these
ratios do not move with the machine's load, though instructions are not
time):

""" + "\n".join(lines) + "\n\nsimgate variants: " + ", ".join(var) + ".\n\nEncode like for like, in instructions:\n\n" + like_ir

print(section)

if write == "1":
    begin, end = "<!-- smpp-codec:begin -->", "<!-- smpp-codec:end -->"
    path = pathlib.Path(doc)
    text = path.read_text()
    if begin not in text or end not in text:
        sys.exit(f"{doc} lacks the {begin} ... {end} markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{section}\n{end}{tail}")
    print(f"\nrewrote the SMPP codec results in {doc}", file=sys.stderr)
PY
