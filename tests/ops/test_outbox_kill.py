"""kill -9 of a process running the deliverer, between the commit and the delivery and during a
delivery, then a restart: every matching event is delivered, each delivery id at least once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console_data import envelope, record
from webhook_receiver import SECRET, Receiver

ROOT = Path(__file__).resolve().parents[2]
N = 24

DRIVER = r"""
import json, sys, time
from sestui.core.events import parse_body
from sestui.ops import routing
from sestui.store import Store

db, tables, bodies_path, mode = sys.argv[1:5]
store = Store(db)
config = routing.load(json.loads(tables))
config.delivery.retry_base_s, config.delivery.retry_cap_s, config.delivery.idle_poll_s = 0.05, 0.2, 0.05
deliverer = routing.wire(store, None, config)
if "ingest" in mode:
    for body in open(bodies_path).read().splitlines():
        store.add([(body, parse_body(body))])  # one commit per event, as a slow queue would
    print("committed", flush=True)
if "deliver" in mode:
    deliverer.start()
    print("delivering", flush=True)
time.sleep(600)
"""


def bodies(tmp_path: Path) -> Path:
    t = datetime(2024, 6, 1, tzinfo=UTC)
    lines = [envelope(record("Bounce", n, f"kill-{n}@example.org", t, t + timedelta(seconds=n), "kill test"))
             for n in range(1, N + 1)]
    lines += [envelope(record("Delivery", n, f"kill-{n}@example.org", t, t + timedelta(seconds=n), "kill test"))
              for n in range(1, N + 1)]  # deliveries match no rule
    path = tmp_path / "bodies.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def start(tmp_path: Path, url: str, mode: str) -> subprocess.Popen:
    tables = {"rules": [{"name": "feedback-to-app", "mode": "on", "when": {"event_types": ["bounce", "complaint"]},
                         "do": [{"action": "webhook", "url": url, "secret_env": "SESTUI_WEBHOOK_SECRET",
                                 "timeout": 10}]}]}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SESTUI_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path / "events.db"), json.dumps(tables),
                             str(bodies(tmp_path)), mode], stdout=subprocess.PIPE, text=True, env=env)
    return proc


def wait_line(proc: subprocess.Popen, text: str) -> None:
    line = proc.stdout.readline()
    assert line.strip() == text, f"driver said {line!r}"


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def outbox_states(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT lower(hex(dedup)), state FROM outbox").fetchall()
    finally:
        conn.close()


def wait_all_done(db: Path, timeout: float = 40.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = outbox_states(db)
        if len(rows) == N and all(state == "done" for _, state in rows):
            return [d for d, _ in rows]
        time.sleep(0.05)
    raise AssertionError(f"not all done: {sorted({s for _, s in outbox_states(db)})}")


def check_every_event_delivered(db: Path, rx: Receiver, ids: list[str]) -> None:
    acked = {r["delivery"]: r["body"] for r in rx.acked}
    assert set(ids) <= set(acked), "a delivery id was never acknowledged"
    conn = sqlite3.connect(db)
    bounces = {(m, r) for m, r in conn.execute("SELECT message_id, recipient FROM events WHERE event_type = 'bounce'")}
    conn.close()
    assert len(bounces) == N
    assert {(b["message_id"], b["recipient"]) for b in acked.values()} == bounces


class AckingReceiver(Receiver):
    """Records the requests it answered 200 (after answering), and can be made slow."""

    def __init__(self):
        self.slow = threading.Event()
        self.acked: list[dict] = []
        super().__init__(plan=lambda _id, _n: ("sleep", 3.0) if self.slow.is_set() else 200)

    def handle(self, h, body):
        slow = self.slow.is_set()  # a slow answer goes to a process about to be killed: not an ack
        super().handle(h, body)
        if slow:
            return
        with self.lock:
            self.acked.append({"delivery": h.headers.get("X-Sestui-Delivery"), "body": json.loads(body)})


def deliver_the_rest(tmp_path: Path, rx: Receiver) -> None:
    """A fresh `deliver` process finishes what the killed one left: every event delivered."""
    proc = start(tmp_path, rx.url, "deliver")
    try:
        wait_line(proc, "delivering")
        ids = wait_all_done(tmp_path / "events.db")
    finally:
        kill(proc)
    check_every_event_delivered(tmp_path / "events.db", rx, ids)


def test_kill_between_commit_and_delivery(tmp_path):
    with AckingReceiver() as rx:
        proc = start(tmp_path, rx.url, "ingest")
        try:
            wait_line(proc, "committed")
        finally:
            kill(proc)
        assert rx.requests == [] and len(outbox_states(tmp_path / "events.db")) == N
        deliver_the_rest(tmp_path, rx)


def test_kill_during_a_delivery(tmp_path):
    with AckingReceiver() as rx:
        rx.slow.set()
        proc = start(tmp_path, rx.url, "ingest+deliver")
        try:
            wait_line(proc, "committed")
            rx.wait_for(lambda seen: len(seen) >= 1)  # a POST is in progress
        finally:
            kill(proc)
        states = {s for _, s in outbox_states(tmp_path / "events.db")}
        assert "running" in states  # killed with a delivery leased and unfinished
        rx.slow.clear()
        deliver_the_rest(tmp_path, rx)
