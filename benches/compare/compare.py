"""The SMPP ESME comparison (issue 7 item 5), run by scripts/bench-compare.sh.

For every row (binds 1|4 x window 1|10|64) and every implementation in
IMPLEMENTATIONS it starts a fresh target on 127.0.0.1 (simgate smsc-sim:
receipts off, no latency, window 1024; or, for the reverse rows, the smpp34
server), runs the implementation's driver with the same flags, and measures
both processes from /proc: CPU (utime+stime of /proc/PID/stat, the client's
read on its zombie so nothing after its last tick is lost, the target's as
the difference over the run), and peak resident memory (VmHWM of
/proc/PID/status, sampled while the process lives). The driver reports
messages, seconds, errors and p50/p99 latency as one JSON line; simgate's
own tool, `simgate load smpp`, writes its JSON report to a file instead,
read here into the same fields (its process is measured the same way).

A run that makes no progress (neither the client's nor the target's CPU
time moves for STALL_SECONDS) or outlives --timeout is stopped and recorded
as "stalled" with what is known (wall time, CPU, memory, and the submits
the simulator accepted); it is tried once more, and the note says whether
the retry completed.

Writes results.json, table.md and a PNG plot into --out.
"""

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
ROWS = [(b, w) for b in (1, 4) for w in (1, 10, 64)]
ACCOUNT = ("bench", "bench")
# A 160-character text in the GSM 7-bit default alphabet (ASCII subset).
TEXT = ("simgate comparison run: one hundred and sixty characters of GSM "
        "default alphabet text, the longest single-part SMS, sent unpacked "
        "as data_coding 0 in every run.")
assert len(TEXT) == 160, len(TEXT)
# Simulator CPU over wall time above which the target may be the bottleneck.
SIM_BUSY = 0.85
# Seconds without a CPU tick on either side after which a run is stalled.
STALL_SECONDS = 15
# The submit_sm every `simgate load smpp` run replays: the same fields as
# the drivers send (benches/peers/src/lib.rs: SOURCE_ADDR, DESTINATION_ADDR).
SOURCE_ADDR, DESTINATION_ADDR = "simgate", "46700000001"


def submit_sm_hex(text):
    """One submit_sm (SMPP v3.4 4.4.1) as a hex fixture line, sequence 1."""
    c = lambda v: v.encode() + b"\0"
    body = (c("") + bytes([5, 0]) + c(SOURCE_ADDR) + bytes([1, 1]) + c(DESTINATION_ADDR)
            + bytes([0, 0, 0]) + c("") + c("") + bytes([0, 0, 0, 0, len(text)]) + text.encode())
    header = (16 + len(body)).to_bytes(4, "big") + (4).to_bytes(4, "big") + bytes(4) + (1).to_bytes(4, "big")
    return (header + body).hex()


def cpu_seconds(pid):
    """utime + stime of a process (alive or zombie), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the ')' of comm: state is field 3, utime 14, stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Sampler(threading.Thread):
    """Keeps the latest VmHWM of a process until told to stop."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.hwm, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            v = vm_hwm_kib(self.pid)
            if v is not None:
                self.hwm = max(self.hwm, v)
            self.stop.wait(0.02)


def start_target(kind, paths, work):
    """Starts a target on 127.0.0.1, returns (process, 'host:port')."""
    if kind == "smsc-sim":
        config = work / "smsc-sim.toml"
        config.write_text(
            'listen = "127.0.0.1:0"\nwindow = 1024\nmax_connections = 64\n'
            'latency = { kind = "fixed", delay = "0ms" }\n'
            f'[[accounts]]\nsystem_id = "{ACCOUNT[0]}"\npassword = "{ACCOUNT[1]}"\nmax_binds = 16\n'
            '[receipts]\nenabled = false\n')
        cmd = [paths["simgate"], "smsc-sim", "--config", str(config), "--receipts", "off",
               "--stats-interval", "0s", "--duration", "900s"]
    else:
        port = free_port()
        cmd = [paths["smpp34-smsc"], "--listen", f"127.0.0.1:{port}", "--duration", "900"]
    err = open(work / "target.stderr", "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    err.close()
    line = read_line(proc, 20)
    if not line.startswith("listening on "):
        proc.kill()
        sys.exit(f"{kind} did not start: {line!r}")
    return proc, line.removeprefix("listening on ").strip()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_line(proc, timeout):
    out = []
    t = threading.Thread(target=lambda: out.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return out[0] if out else ""


def stop_target(proc, work):
    """Stops the target; the simulator's final count of accepted submits, if
    it printed one."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for line in (work / "target.stderr").read_text(errors="replace").splitlines():
        if line.startswith("smsc-sim: final "):
            fields = dict(f.split("=", 1) for f in line.split()[2:] if "=" in f)
            if fields.get("submits", "").isdigit():
                return int(fields["submits"])
    return None


def run_one(impl, binds, window, count, target_kind, paths, work, timeout):
    """One run of `impl`; tried once more if it stalls."""
    first = run_once(impl, binds, window, count, target_kind, paths, work, timeout)
    if "stalled" not in first:
        return first
    print(f"[compare] {impl} binds {binds} window {window}: {first['stalled']}; trying once more",
          file=sys.stderr, flush=True)
    second = run_once(impl, binds, window, count, target_kind, paths, work, timeout)
    second["first_try"] = {k: first.get(k) for k in ("stalled", "wall_s", "sim_submits")}
    return second


def run_once(impl, binds, window, count, target_kind, paths, work, timeout):
    target, addr = start_target(target_kind, paths, work)
    spec = IMPLEMENTATIONS[impl]
    flags = {"target": addr, "system_id": ACCOUNT[0], "password": ACCOUNT[1], "binds": binds,
             "window": window, "count": count, "text": TEXT, "timeout": timeout, "work": work}
    stalled = None
    try:
        target_cpu0 = cpu_seconds(target.pid)
        cmd = spec["cmd"](paths, flags)
        env = dict(os.environ, **spec.get("env", lambda p: {})(paths))
        wall0 = time.monotonic()
        client = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        sampler = Sampler(client.pid)
        sampler.start()
        # Drain both pipes while the client runs so it never blocks on them.
        pipes = {}
        readers = [threading.Thread(target=lambda n=n, f=f: pipes.__setitem__(n, f.read()), daemon=True)
                   for n, f in (("out", client.stdout), ("err", client.stderr))]
        for t in readers:
            t.start()
        # Wait for the exit without reaping, so /proc/PID/stat still holds
        # the final CPU times; stop a run past its deadline or without a
        # CPU tick on either side for STALL_SECONDS (both idle: stalled).
        # The drivers stop themselves at --timeout; this is the backstop.
        deadline = wall0 + timeout + 10
        last_cpu, last_move = None, time.monotonic()
        while True:
            r = os.waitid(os.P_PID, client.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            if r is not None:
                break
            now = time.monotonic()
            cpu = (cpu_seconds(client.pid), cpu_seconds(target.pid))
            if cpu != last_cpu:
                last_cpu, last_move = cpu, now
            if stalled is None and now - last_move > STALL_SECONDS:
                stalled = f"stalled: no CPU on either side for {STALL_SECONDS} s, stopped after {now - wall0:.0f} s"
                client.kill()
            elif stalled is None and now > deadline:
                stalled = f"stalled: not done within {timeout} s"
                client.kill()
            time.sleep(0.05)
        wall = time.monotonic() - wall0
        client_cpu = cpu_seconds(client.pid)
        sampler.stop.set()
        sampler.join()
        client.wait()
        for t in readers:
            t.join(5)
        stdout, stderr = pipes.get("out", b""), pipes.get("err", b"")
        target_cpu = cpu_seconds(target.pid) - target_cpu0
        target_hwm = vm_hwm_kib(target.pid) or 0
    finally:
        sim_submits = stop_target(target, work)
    result = {"impl": impl, "target": target_kind, "binds": binds, "window": window, "count": count,
              "exit": client.returncode, "wall_s": wall, "client_cpu_s": client_cpu,
              "client_hwm_kib": sampler.hwm, "target_cpu_s": target_cpu, "target_hwm_kib": target_hwm,
              "sim_submits": sim_submits}
    if stalled:
        result["stalled"] = stalled
        return result
    try:
        report = spec.get("parse", parse_json_line)(stdout.decode(errors="replace"), flags)
    except (OSError, ValueError, KeyError) as e:
        report = None
        result["failure"] = f"unreadable result: {e}"[:300]
    if client.returncode != 0 or report is None:
        result.setdefault("failure", (stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1][:300])
        return result
    result.update({k: report[k] for k in ("messages", "errors", "seconds", "p50_us", "p99_us", "pipelined")})
    m = max(report["messages"], 1)
    result["rate"] = report["messages"] / report["seconds"] if report["seconds"] > 0 else 0.0
    result["client_cpu_per_100k"] = client_cpu * 100_000 / m
    result["target_cpu_per_100k"] = target_cpu * 100_000 / m
    result["target_busy"] = target_cpu / report["seconds"] if report["seconds"] > 0 else 0.0
    return result


def parse_json_line(stdout, flags):
    """The drivers' one JSON line (the last line starting with '{')."""
    lines = [l for l in stdout.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def simgate_load_cmd(paths, f):
    """`simgate load smpp` on the harness's workload: transmitter binds, a
    closed-loop window, the count, the same submit_sm as a fixture."""
    fixture = f["work"] / "submit_sm.hex"
    fixture.write_text(submit_sm_hex(f["text"]) + "\n")
    report = f["work"] / "load-smpp.json"
    report.unlink(missing_ok=True)
    return [paths["simgate"], "load", "smpp", "--target", f["target"], "--system-id", f["system_id"],
            "--bind", "transmitter", "--sessions", str(f["binds"]), "--window", str(f["window"]),
            "--count", str(f["count"]), "--fixtures", str(fixture), "--response-timeout", "30s",
            "--duration", f"{f['timeout']}s", "--json", str(report)]


def simgate_load_parse(stdout, f):
    """The JSON report of `simgate load smpp` in the drivers' fields."""
    r = json.loads((f["work"] / "load-smpp.json").read_text())
    lat = r["latency"]
    return {"messages": lat["count"], "errors": r["errors"] + r["unanswered"], "seconds": r["elapsed_s"],
            "p50_us": round(lat["p50_ms"] * 1000), "p99_us": round(lat["p99_ms"] * 1000), "pipelined": True}


def driver_flags(f):
    return ["--target", f["target"], "--system-id", f["system_id"], "--password", f["password"],
            "--binds", str(f["binds"]), "--window", str(f["window"]), "--count", str(f["count"]),
            "--text", f["text"], "--timeout", str(f["timeout"])]


def peers_bin(name):
    return lambda p, f: [str(pathlib.Path(p["peers"]) / name)] + driver_flags(f)


# One entry per implementation: the command line of a run (from the
# paths and the run's flags) and, when it does not print the drivers' JSON
# line, how to read its result. simgate's entry is its own tool,
# `simgate load smpp`; "simgate-driver" is the bench driver on the same
# sans-IO EsmeSession (benches/peers/src/bin/simgate_esme.rs), kept as a
# second row to show what the tool's run bookkeeping costs.
IMPLEMENTATIONS = {
    "simgate": {"cmd": simgate_load_cmd, "parse": simgate_load_parse,
                "env": lambda p: {"SIMGATE_LOAD_SMPP_PASSWORD": ACCOUNT[1]}, "label": "simgate load smpp"},
    "simgate-driver": {"cmd": peers_bin("simgate-esme"), "label": "simgate EsmeSession (driver)"},
    "smpp34": {"cmd": peers_bin("smpp34-esme"), "label": "smpp34 1.5.1 (Rust)"},
    "rusmppc": {"cmd": peers_bin("rusmppc-esme"), "label": "rusmppc 0.4.0 (Rust)"},
    "node-smpp": {"cmd": lambda p, f: [p["node"], str(p["here"] / "node_smpp_esme.js")] + driver_flags(f),
                  "env": lambda p: {"NODE_PATH": p["node_path"]}, "label": "smpp 0.5.1 (npm)", "slow": False},
    "smpplib": {"cmd": lambda p, f: [p["python"], str(p["here"] / "smpplib_esme.py")] + driver_flags(f),
                "label": "smpplib 2.2.4 (PyPI)", "slow": True},
}


def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def ratio(v, base):
    return "–" if v is None or not base else f"{v / base:.2f}"


def stall_note(r):
    """The note of a run that stalled on both tries."""
    first = r.get("first_try", {}).get("stalled")
    note = f"**{r['stalled']}**" + (f"; the first try too ({first.removeprefix('stalled: ')})" if first else "")
    if r.get("sim_submits") is not None:
        note += f"; the simulator had answered {r['sim_submits']:,} of {r['count']:,} submits"
    return note


def retry_note(r):
    """The note of a run whose first try stalled and whose retry completed."""
    first = r["first_try"]
    known = f", the simulator had answered {first['sim_submits']:,}" if first.get("sim_submits") is not None else ""
    return f"first try {first['stalled']}{known}; **the retry completed**"


def table(results):
    fwd = [r for r in results if r["target"] == "smsc-sim"]
    out = ["| binds | window | implementation | msg/s | ×simgate | client CPU s/100k | ×simgate | "
           "peak RSS MiB | ×simgate | p99 µs | ×simgate | sim CPU s/100k | sim busy | note |",
           "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for binds, window in ROWS:
        row = [r for r in fwd if r["binds"] == binds and r["window"] == window]
        base = next((r for r in row if r["impl"] == "simgate" and "failure" not in r), None)
        for r in sorted(row, key=lambda r: list(IMPLEMENTATIONS).index(r["impl"])):
            label = IMPLEMENTATIONS[r["impl"]]["label"]
            if "failure" in r:
                out.append(f"| {binds} | {window} | {label} | failed: {r['failure']} |" + " |" * 10)
                continue
            if "stalled" in r:
                mib = r["client_hwm_kib"] / 1024
                out.append(f"| {binds} | {window} | {label} | – | – | – | – | {fmt(mib, 1)} | – | – | – | – | – | "
                           f"{stall_note(r)} |")
                continue
            note = [retry_note(r)] if "first_try" in r else []
            if r["target_busy"] > SIM_BUSY:
                note.append(f"**sim near a full core ({r['target_busy']:.2f})**")
            if r["errors"]:
                note.append(f"{r['errors']} errors")
            if r["count"] != (base or r)["count"]:
                note.append(f"{r['count']:,} messages")
            b = base or {}
            mib = r["client_hwm_kib"] / 1024
            out.append(
                f"| {binds} | {window} | {label} | {fmt(r['rate'])} | {ratio(r['rate'], b.get('rate'))} | "
                f"{fmt(r['client_cpu_per_100k'], 2)} | {ratio(r['client_cpu_per_100k'], b.get('client_cpu_per_100k'))} | "
                f"{fmt(mib, 1)} | {ratio(mib, b.get('client_hwm_kib', 0) / 1024)} | "
                f"{fmt(r['p99_us'])} | {ratio(r['p99_us'], b.get('p99_us'))} | "
                f"{fmt(r['target_cpu_per_100k'], 2)} | {r['target_busy']:.2f} | {'; '.join(note)} |")
    rev = [r for r in results if r["impl"] == "simgate"]
    out += ["", "Reverse: `simgate load smpp` against each target (the target's side measured).", "",
            "| binds | window | target | msg/s | ×smsc-sim | target CPU s/100k | ×smsc-sim | target peak RSS MiB | ×smsc-sim | p99 µs | ×smsc-sim | note |",
            "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for binds, window in ROWS:
        row = [r for r in rev if r["binds"] == binds and r["window"] == window]
        base = next((r for r in row if r["target"] == "smsc-sim" and "failure" not in r), {})
        for r in sorted(row, key=lambda r: r["target"] != "smsc-sim"):
            label = "simgate smsc-sim" if r["target"] == "smsc-sim" else "smpp34 1.5.1 server"
            if "failure" in r:
                out.append(f"| {binds} | {window} | {label} | failed: {r['failure']} |" + " |" * 8)
                continue
            mib = r["target_hwm_kib"] / 1024
            if "stalled" in r:
                out.append(f"| {binds} | {window} | {label} | – | – | – | – | {fmt(mib, 1)} | – | – | – | "
                           f"{stall_note(r)} |")
                continue
            note = "; ".join(n for n in [retry_note(r) if "first_try" in r else "",
                                         f"{r['errors']} errors" if r["errors"] else ""] if n)
            out.append(
                f"| {binds} | {window} | {label} | {fmt(r['rate'])} | {ratio(r['rate'], base.get('rate'))} | "
                f"{fmt(r['target_cpu_per_100k'], 2)} | {ratio(r['target_cpu_per_100k'], base.get('target_cpu_per_100k'))} | "
                f"{fmt(mib, 1)} | {ratio(mib, base.get('target_hwm_kib', 0) / 1024)} | "
                f"{fmt(r['p99_us'])} | {ratio(r['p99_us'], base.get('p99_us'))} | {note} |")
    return "\n".join(out)


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fwd = [r for r in results if r["target"] == "smsc-sim" and "failure" not in r and "stalled" not in r]
    impls = [i for i in IMPLEMENTATIONS if any(r["impl"] == i for r in fwd)]
    labels = [f"{b} bind{'s' if b > 1 else ''}\nwindow {w}" for b, w in ROWS]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    width = 0.8 / max(len(impls), 1)
    metrics = [("rate", "messages per second (log)", True),
               ("client_cpu_per_100k", "client CPU seconds per 100k messages (log)", True),
               ("p99_us", "p99 latency, µs (log)", True)]
    for ax, (key, title, log) in zip(axes, metrics):
        for k, impl in enumerate(impls):
            ys = []
            for b, w in ROWS:
                r = next((r for r in fwd if r["impl"] == impl and r["binds"] == b and r["window"] == w), None)
                ys.append(r[key] if r else 0)
            ax.bar([x + k * width for x in range(len(ROWS))], ys, width, label=IMPLEMENTATIONS[impl]["label"])
        ax.set_xticks([x + width * (len(impls) - 1) / 2 for x in range(len(ROWS))], labels, fontsize=8)
        ax.set_title(title, fontsize=10)
        if log:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("submit_sm + submit_sm_resp against simgate smsc-sim on 127.0.0.1 (160-character GSM text)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True, type=pathlib.Path)
    p.add_argument("--simgate", required=True)
    p.add_argument("--peers", required=True)
    p.add_argument("--node", default="node")
    p.add_argument("--node-path", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--slow-count", type=int, default=20_000)
    p.add_argument("--timeout", type=int, default=240)
    p.add_argument("--only", default="", help="comma-separated implementations")
    p.add_argument("--report", action="store_true", help="no runs: table and plot from results.json")
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    results_path = a.out / "results.json"
    if a.report:
        doc = json.loads(results_path.read_text())
        results = doc["results"]
    else:
        paths = {"simgate": a.simgate, "peers": a.peers, "node": a.node, "node_path": a.node_path,
                 "python": a.python, "here": pathlib.Path(__file__).resolve().parent,
                 "smpp34-smsc": str(pathlib.Path(a.peers) / "smpp34-smsc")}
        only = [x for x in a.only.split(",") if x] or list(IMPLEMENTATIONS)
        results = []
        runs = [(i, b, w, "smsc-sim") for b, w in ROWS for i in only]
        runs += [("simgate", b, w, "smpp34-server") for b, w in ROWS if "simgate" in only]
        for impl, binds, window, target in runs:
            count = a.slow_count if IMPLEMENTATIONS[impl].get("slow") else a.count
            r = run_one(impl, binds, window, count, target, paths, a.out, a.timeout)
            results.append(r)
            if "failure" in r:
                summary = f"FAILED: {r['failure']}"
            elif "stalled" in r:
                summary = stall_note(r)
            else:
                summary = (f"{r['rate']:,.0f} msg/s, client {r['client_cpu_per_100k']:.2f} CPU s/100k, "
                           f"target busy {r['target_busy']:.2f}, p99 {r['p99_us']} us")
            print(f"[compare] {impl:>9} -> {target:<13} binds {binds} window {window:>2}: {summary}",
                  file=sys.stderr, flush=True)
        doc = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "text": TEXT,
               "count": a.count, "slow_count": a.slow_count, "results": results}
        results_path.write_text(json.dumps(doc, indent=1))
    md = table(results)
    (a.out / "table.md").write_text(md + "\n")
    plot(results, a.out / "compare.png")
    print(md)


if __name__ == "__main__":
    main()
