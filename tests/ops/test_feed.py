"""The feed the header shows is the truth: LIVE only for a collector of this queue into this
database that receives and stores now, with its real rate; STALE with the reason; STOPPED; and
NO FEED without a queue. A poller without a queue is not a feed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from polling import wait_for
from fixtures import sns_envelope

from sestui.aws import Aws
from sestui.core.health import HEARTBEAT_STALE_MS, feed_state
from sestui.ops.collector import Collector, CollectorOptions
from sestui.store import Store, now_ms

NOW = 1_800_000_000_000
Q = "https://sqs.eu-west-1.amazonaws.com/123456789012/sestui-ops"


def row(**changes) -> dict:
    base = {"collector_id": "host:1:a", "queue_url": Q, "state": "running", "started": NOW - 60_000,
            "heartbeat": NOW - 500, "last_success": NOW - 700, "last_error": None, "last_error_at": None,
            "events_per_s": 12.5, "backlog": 3, "received": 10, "stored": 10, "duplicates": 0, "quarantined": 0}
    return base | changes


POLLER = row(collector_id="host:2:console", queue_url=None, events_per_s=0.0, heartbeat=NOW - 100)


def test_a_poller_without_a_queue_is_not_a_feed():
    assert feed_state([POLLER], NOW).state == "none"
    stopped = feed_state([POLLER], NOW, queue_url=Q)
    assert (stopped.state, stopped.error) == ("stopped", "no collector reads this queue into this database")


def test_the_collectors_real_rate_wins_over_a_fresher_queueless_poller():
    feed = feed_state([POLLER, row()], NOW, queue_url=Q)
    assert (feed.state, feed.events_per_s, feed.backlog) == ("live", 12.5, 3)
    assert feed_state([POLLER, row()], NOW).events_per_s == 12.5  # console without a queue, collect beside it


def test_only_this_queue_and_this_database_count():
    other_queue = row(queue_url=Q + "-other")
    assert feed_state([other_queue], NOW, queue_url=Q).state == "stopped"
    copied = row(db_path="/elsewhere/events.db")
    assert feed_state([copied], NOW, queue_url=Q, db_path="/here/events.db").state == "stopped"
    assert feed_state([row(db_path="/here/events.db")], NOW, queue_url=Q, db_path="/here/events.db").state == "live"


def test_two_live_collectors_add_their_rates():
    feed = feed_state([row(), row(collector_id="host:3:b", events_per_s=7.5, backlog=9)], NOW, queue_url=Q)
    assert (feed.state, feed.events_per_s, feed.backlog, feed.collectors) == ("live", 20.0, 9, 2)


def test_failing_silent_and_stopped():
    failing = row(last_error="cannot store: database write failed: database or disk is full",
                  last_error_at=NOW - 400)
    feed = feed_state([failing], NOW, queue_url=Q)
    assert (feed.state, feed.error, feed.since_ms) == ("stale", failing["last_error"], NOW - 700)
    silent = row(heartbeat=NOW - HEARTBEAT_STALE_MS - 1)
    feed = feed_state([silent], NOW, queue_url=Q)
    assert (feed.state, feed.error, feed.since_ms) == ("stale", "collector stopped reporting", silent["heartbeat"])
    stopped = row(state="stopped", heartbeat=NOW - 30_000)
    assert (feed_state([stopped], NOW, queue_url=Q).state, feed_state([stopped], NOW).since_ms) == \
        ("stopped", NOW - 30_000)
    # A fresh failing collector is STALE even beside a poller and an old stopped row.
    assert feed_state([POLLER, stopped, failing], NOW, queue_url=Q).state == "stale"


def fill(aws, url: str, count: int) -> None:
    for start in range(0, count, 10):
        entries = []
        for i in range(start, min(count, start + 10)):
            rec = {"eventType": "Delivery",
                   "mail": {"timestamp": "2026-03-01T12:00:00.000Z", "messageId": f"0100feed-{i:05d}",
                            "source": "a@feed.test", "destination": [f"r{i}@feed.test"]},
                   "delivery": {"timestamp": "2026-03-01T12:00:01.000Z", "recipients": [f"r{i}@feed.test"]}}
            entries.append({"Id": str(i - start), "MessageBody": sns_envelope(rec)})
        aws.sqs.send_message_batch(QueueUrl=url, Entries=entries)


def test_a_console_on_a_sestui_collect_database_shows_its_real_rate_then_stopped(sandbox, aws, tmp_path,
                                                                                  monkeypatch):
    from sestui.ui.app import ConsoleContext

    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "none.toml"))
    url = aws.sqs.create_queue(QueueName=f"feed-{os.getpid()}-{time.monotonic_ns()}")["QueueUrl"]
    db = tmp_path / "events.db"
    proc = subprocess.Popen([sys.executable, "-m", "sestui.cli", "collect", "--queue-url", url, "--db", str(db),
                             "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
                             "--wait-seconds", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = Store(db)
    # The console without a queue runs its account poller on the same database, as launch.py does.
    poller = Collector(Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url), store,
                       CollectorOptions(None, account_interval=3600, stats_interval=3600, status_interval=0.1))
    poller.start()
    try:
        ctx = ConsoleContext(store=store, aws=None, queue_url=None)
        fill(aws, url, 300)
        live = wait_for(lambda: (f := ctx.health_summary().feed).state == "live" and f.events_per_s > 0 and f,
                        30, "LIVE with the collector's rate")
        assert live.collectors == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        stopped = wait_for(lambda: (f := ctx.health_summary().feed).state == "stopped" and f, 5, "STOPPED")
        assert stopped.since_ms is not None and stopped.since_ms <= now_ms()
    finally:
        if proc.poll() is None:
            proc.kill()
        poller.stop()
        store.close()


@pytest.fixture
def hung_endpoint():
    """An endpoint that accepts connections and never answers, like a SIGSTOPped server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_hung_endpoint_is_stale_within_the_wait_plus_the_margin(hung_endpoint, tmp_path):
    url = f"{hung_endpoint}/123456789012/hung"
    with Store(tmp_path / "events.db") as store:
        collector = Collector(Aws(region="us-east-1", endpoint_url=hung_endpoint, sqs_wait_seconds=1), store,
                              CollectorOptions(url, receivers=1, wait_seconds=1, receive_margin=1.0,
                                               account_interval=3600, stats_interval=3600, status_interval=0.1))
        collector.start()
        try:
            # The client's own read timeout is 15 s (times its retries): the feed must not wait for it.
            feed = wait_for(lambda: (f := feed_state(store.collector_states(), now_ms(), queue_url=url)).state
                            == "stale" and f, 8, "STALE")
            assert feed.error.startswith("no answer from SQS for ") and "the endpoint hangs" in feed.error
            assert "\n" not in feed.error
        finally:
            collector.stop(timeout=0.5)
