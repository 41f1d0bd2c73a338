"""Actions: the outbox's cost on the write path, and webhook deliveries per second.

    python benchmarks/actions.py [--events N] [--write-events M] [--repeat R]

1. write path: M generated SNS-wrapped notifications (benchmarks/corpus.py) parsed and stored as
   the collector does (parse_body, Store.add per batch of 1000 bodies), into a fresh database,
   without rules and with one rule whose webhook action matches every event (the outbox rows are
   written in the same transactions). Interleaved, best of R each; `ratio` = with / without
   (target >= 0.9).
2. deliveries: N events through the same write path with that rule, then the deliverer drains
   the outbox to a signed-webhook receiver on 127.0.0.1 (another process, HTTP/1.1 keep-alive,
   checking every HMAC): deliveries per second, from the deliverer's start to the last done.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from sestui.core.events import parse_body
from sestui.ops import routing
from sestui.ops.outbox import DeliveryOptions
from sestui.store import Store
from sestui.store import outbox as sql

BATCH = 1000
SECRET = "bench-secret"

RECEIVER = r"""
import hashlib, hmac, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
secret, lock, seen = sys.argv[1].encode(), threading.Lock(), set()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        good = hmac.compare_digest("sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
                                   self.headers.get("X-Sestui-Signature", ""))
        with lock:
            seen.add(self.headers.get("X-Sestui-Delivery"))
        self.send_response(200 if good else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def rule_tables(url: str, concurrency: int) -> dict:
    return {"rules": [{"name": "everything", "mode": "on",
                       "do": [{"action": "webhook", "url": url, "secret": SECRET, "concurrency": concurrency}]}]}


def write_path(bodies: list[str], db: Path, tables: dict | None) -> tuple[float, int]:
    store = Store(db)
    if tables is not None:
        routing.wire(store, None, routing.load(tables))
    start = time.perf_counter()
    for i in range(0, len(bodies), BATCH):
        store.add([(b, parse_body(b)) for b in bodies[i:i + BATCH]])
    elapsed = time.perf_counter() - start
    queued = sum(sql.counts(store.conn).values())
    store.close()
    return elapsed, queued


def deliveries(bodies: list[str], db: Path, concurrency: int, workers: int) -> dict:
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, SECRET], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}/ses"
        store = Store(db)
        config = routing.load(rule_tables(url, concurrency))
        config.delivery = DeliveryOptions(workers=workers, idle_poll_s=0.05)
        deliverer = routing.wire(store, None, config)
        for i in range(0, len(bodies), BATCH):
            store.add([(b, parse_body(b)) for b in bodies[i:i + BATCH]])
        items = sum(sql.counts(store.conn).values())
        start = time.perf_counter()
        deliverer.start()
        while True:
            states = sql.counts(store.conn)
            if states.get("done", 0) + states.get("dead", 0) >= items:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        deliverer.stop()
        store.close()
        return {"deliveries": items, "dead": states.get("dead", 0), "seconds": round(elapsed, 2),
                "deliveries_per_s": round(items / elapsed), "concurrency": concurrency, "workers": workers}
    finally:
        proc.terminate()
        proc.wait(5)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="bodies for the delivery run (default 10000)")
    parser.add_argument("--write-events", type=int, default=50_000, help="bodies for the write path (default 50000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="the webhook's concurrency (default 8)")
    args = parser.parse_args(argv)
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="sestui-bench-") as tmp:
        tmp_path = Path(tmp)
        bodies = list(corpus.bodies(args.write_events, seed=1, duplicate_rate=0.0))
        plain, routed, queued = [], [], 0
        for i in range(args.repeat):  # interleaved, so load elsewhere hits both sides
            plain.append(write_path(bodies, tmp_path / f"plain-{i}.db", None)[0])
            elapsed, queued = write_path(bodies, tmp_path / f"routed-{i}.db", rule_tables("http://127.0.0.1:9/", 4))
            routed.append(elapsed)
            print(f"run {i + 1}: without rules {plain[-1]:.2f}s, with a rule matching every event "
                  f"{routed[-1]:.2f}s ({queued} outbox rows)", file=sys.stderr)
            for name in os.listdir(tmp_path):
                os.unlink(tmp_path / name)
        result["write_path"] = {"bodies": len(bodies), "outbox_rows": queued,
                                "without_rules_bodies_per_s": round(len(bodies) / min(plain)),
                                "with_rule_bodies_per_s": round(len(bodies) / min(routed)),
                                "ratio": round(min(plain) / min(routed), 3)}
        result["delivery"] = deliveries(bodies[:args.events], tmp_path / "deliver.db", args.concurrency,
                                        max(8, args.concurrency))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
