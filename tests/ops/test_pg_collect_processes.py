"""`sestui collect` processes on one PostgreSQL database and one sandbox queue: two collectors with
kill -9 of each during a burst, and the server itself restarted mid-collect. Every event is stored
exactly once, and nothing leaves the queue before it is committed (what was deleted without being
stored would be missing at the end). The SQLite twins are in test_collector.py."""

from __future__ import annotations

import random
import time

import pytest
from polling import wait_for

import pg_server as pg_helpers
import test_collector
import test_pg_collector_policies
from pg_server import PgServer
from sestui.core.health import feed_state
from sestui.store import StoreError, iso_ms, now_ms
from sestui.store.postgres import PostgresStore
from test_collector import (assert_exactly_once, exported, kill_9, killable_collect, log_of, published, queue_empty,
                            send_burst, stop_all, stored, wait_all_stored, wait_running)

# The fixtures: PostgreSQL's, this module's own sandbox (as test_pg_collector_policies.py makes it:
# test_collector's wiring would collide with its own in a shared one), and test_collector's helpers.
pg_server, pg_url = pg_helpers.pg_server, pg_helpers.pg_url
sandbox, aws = test_pg_collector_policies.sandbox, test_pg_collector_policies.aws
make_queue, topic_arn = test_collector.make_queue, test_collector.topic_arn
spawn_collect, send_in_background = test_collector.spawn_collect, test_collector.send_in_background
no_user_config = test_collector.no_user_config


def test_two_collectors_with_kill_9_of_each_during_a_burst_store_every_event_once(
        sandbox, aws, make_queue, pg_url, spawn_collect, send_in_background, capsys):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    queue, reference = make_queue(), make_queue()
    with PostgresStore(pg_url) as store:
        collect = killable_collect(spawn_collect, queue.url, pg_url, store)
        procs = [collect(), collect()]
        burst = send_in_background(200)
        kills_while_sending = 0
        for round_ in range(4):
            before = store.count("events")
            wait_for(lambda before=before: store.count("events") > before or burst.done(), 30,
                     f"the collectors to store (seed {seed})")
            if burst.done() and round_ >= 2:
                break
            time.sleep(rng.uniform(0.0, 0.3))  # a random moment of their work
            victim = round_ % 2  # each of the two in turn
            kills_while_sending += kill_9(procs[victim], burst)
            procs[victim] = collect()
        sent = burst.result()
        assert kills_while_sending >= 1
        expected = published(sandbox, reference, sent)
        wait_all_stored(store, aws, queue.url, sent, expected)
        stop_all(*procs)
        worked = [r for r in store.collector_states() if r["queue_url"] == queue.url and r["received"]]
    assert len(worked) >= 2, worked  # both shared the queue, not one alone
    assert_exactly_once(exported(pg_url, sent, capsys), {(m, t, r, iso_ms(ts)) for m, t, r, ts in expected})


# --- the server restarted mid-collect -------------------------------------------------------------


@pytest.fixture(scope="module")
def own_server(pg_server):  # the session's: it decides whether PG tests run (or skip, or fail in CI)
    """A server of this module's own: the test below shuts it down, which no other test must see."""
    server = PgServer().start()
    try:
        with server.admin() as conn:
            conn.execute("CREATE DATABASE restarted")
        yield server
    finally:
        server.stop()


def test_a_server_restart_mid_collect_is_reported_survived_and_loses_nothing(
        sandbox, aws, make_queue, own_server, spawn_collect, capsys):
    url = own_server.url("restarted")
    queue, reference = make_queue(), make_queue()
    with PostgresStore(url) as store:
        proc = spawn_collect(queue.url, url, "--visibility-timeout", "3")
        collector_id = wait_running(store, proc)["collector_id"]
        sent = send_burst(aws.sesv2, 30)
        wait_for(lambda: store.count("events") > 0, 30, "the collector to store")

        own_server.pause()
        down_ms = now_ms()
        try:
            sent |= send_burst(aws.sesv2, 30)  # published while the database is down
            # The collector says why it cannot store, holds what it received and keeps running.
            line = wait_for(lambda: next((ln for ln in log_of(proc).splitlines()
                                          if "database write failed" in ln and "left in the queue" in ln), None),
                            30, "the collector to report the failed write")
            reason = line.split("left in the queue: ", 1)[1]  # one line naming the server's state, no traceback
            assert reason.startswith(f"{store.path}: ") and "PostgreSQL server" in reason, line
            assert proc.poll() is None, log_of(proc)
            # A console's read fails in one line too (the console shows it beside STALE).
            with pytest.raises(StoreError) as failed:
                store.collector_states()
            assert "\n" not in str(failed.value) and str(failed.value).startswith(store.path)
            # Received but not committed: still in the queue (held invisible), not deleted.
            assert not queue_empty(aws, queue.url)
            time.sleep(2)  # several retries fail while it is down
        finally:
            own_server.resume()

        expected = published(sandbox, reference, sent)
        wait_all_stored(store, aws, queue.url, sent, expected, timeout=60)

        def recovered():
            row = next((r for r in store.collector_states() if r["collector_id"] == collector_id), None)
            return row if row and row["last_error_at"] and (row["last_success"] or 0) > row["last_error_at"] \
                else None
        row = wait_for(recovered, 20, "the collector's state to show the recovery")
        assert row["last_error_at"] >= down_ms  # the outage was recorded...
        assert feed_state([row], row["heartbeat"]).state == "live"  # ...and it recovered by itself
        assert proc.poll() is None, log_of(proc)  # the same process: no restart needed
        found = stored(store, sent)
        stop_all(proc)
    assert_exactly_once(found, expected)
    assert_exactly_once(exported(url, sent, capsys), {(m, t, r, iso_ms(ts)) for m, t, r, ts in expected})
