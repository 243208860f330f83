"""The PyPI package smpplib as an ESME in the SMPP comparison
(scripts/bench-compare.sh), through its public API only: Client.connect(),
bind_transmitter(), send_message() (one submit_sm, written at once) and
read_once() (reads one PDU and calls the message-sent handler for a
submit_sm_resp). Writing and reading are separate calls, so it pipelines:
each bind keeps `window` submits outstanding, matching responses to their
send time by sequence number. One thread per bind (the GIL serialises
them, as it would in any smpplib application).

Same flags and the same JSON line as the Rust drivers (benches/peers/):
  python smpplib_esme.py --target HOST:PORT --system-id ID --password PW \
    --binds N --window W --count N --text TEXT [--timeout SECS]
"""

import argparse
import json
import math
import sys
import threading
import time

import smpplib.client
import smpplib.consts


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True)
    p.add_argument("--system-id", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--binds", type=int, default=1)
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--timeout", type=int, default=300)
    try:
        a = p.parse_args()
    except SystemExit as e:
        sys.exit(64 if e.code else 0)
    if a.binds < 1 or a.window < 1 or a.count < 1 or not (1 <= len(a.text) <= 160):
        print("error: usage: --binds, --window, --count must be >= 1, --text 1..160 characters", file=sys.stderr)
        sys.exit(64)
    return a


def percentile(sorted_us, p):
    if not sorted_us:
        return 0
    rank = math.ceil(p / 100 * len(sorted_us))
    return sorted_us[min(max(rank, 1), len(sorted_us)) - 1]


class Bind:
    """One transmitter bind and its share of the submits."""

    def __init__(self, args, host, port, share):
        self.args = args
        self.share = share
        self.latencies = []
        self.errors = 0
        self.sent = 0
        self.answered = 0
        self.sent_at = {}
        self.failure = None
        self.client = smpplib.client.Client(host, port, timeout=30)
        self.client.set_message_sent_handler(self.on_response)
        self.client.set_error_pdu_handler(self.on_error)
        self.text = args.text.encode("ascii")

    def bind(self):
        self.client.connect()
        self.client.bind_transmitter(system_id=self.args.system_id, password=self.args.password)

    def on_error(self, pdu):
        self.errors += 1

    def on_response(self, pdu, **_):
        start = self.sent_at.pop(pdu.sequence, None)
        if start is None:
            return
        self.latencies.append((time.perf_counter_ns() - start) // 1000)
        self.answered += 1
        if self.sent < self.share:
            self.send_one()

    def send_one(self):
        self.sent += 1
        # Stamped before the call that builds and writes the PDU, as every
        # driver stamps it; the response is read on this thread only after
        # the stamp is filed under the PDU's sequence number.
        start = time.perf_counter_ns()
        pdu = self.client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="simgate",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr="46700000001",
            data_coding=0,
            short_message=self.text,
        )
        self.sent_at[pdu.sequence] = start

    def run(self, barrier):
        try:
            barrier.wait()
            for _ in range(min(self.args.window, self.share)):
                self.send_one()
            while self.answered < self.share:
                self.client.read_once()
            self.finished = time.perf_counter()
        except Exception as e:  # reported by the main thread
            self.failure = e


def main():
    args = parse_args()
    host, _, port = args.target.rpartition(":")
    shares = [args.count // args.binds + (1 if i < args.count % args.binds else 0) for i in range(args.binds)]
    binds = [Bind(args, host, int(port), s) for s in shares]
    try:
        for b in binds:
            b.bind()
    except Exception as e:
        print(f"error: bind failed: {e}", file=sys.stderr)
        sys.exit(1)
    barrier = threading.Barrier(args.binds + 1)
    threads = [threading.Thread(target=b.run, args=(barrier,), daemon=True) for b in binds]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    deadline = started + args.timeout
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()))
        if t.is_alive():
            print(f"error: run did not finish within {args.timeout}s", file=sys.stderr)
            sys.exit(1)
    failed = [b.failure for b in binds if b.failure is not None]
    if failed:
        print(f"error: {failed[0]!r}", file=sys.stderr)
        sys.exit(1)
    seconds = max(b.finished for b in binds) - started
    for b in binds:
        try:
            b.client.unbind()
            b.client.disconnect()
        except Exception:
            pass
    latencies = sorted(x for b in binds for x in b.latencies)
    print(json.dumps({
        "impl": "smpplib", "binds": args.binds, "window": args.window, "pipelined": True,
        "messages": len(latencies), "errors": sum(b.errors for b in binds), "seconds": seconds,
        "p50_us": percentile(latencies, 50), "p99_us": percentile(latencies, 99),
    }))


if __name__ == "__main__":
    main()
