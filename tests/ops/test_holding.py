"""While sestui cannot store or cannot decide a signature, nothing drains to the dead-letter queue
and nothing is lost; a database deleted under the collector stops it; a redrive brings back what
reached the DLQ, stored exactly once. Against the session sandbox, with a queue wired as `sestui
setup` wires it (a dead-letter queue after MAX_RECEIVE_COUNT receives)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.request
from collections import Counter

import pytest
from polling import wait_for
from fixtures import sns_envelope

from sestui.aws import Aws
from sestui.aws.signatures import SnsVerifier
from sestui.core.health import feed_state
from sestui.ops.dlq import depth, redrive
from sestui.ops.setup import MAX_RECEIVE_COUNT
from sestui.store import Store, now_ms

_names = iter(range(1, 100_000))


@pytest.fixture
def wired_queue(aws):
    """(queue url, DLQ url): a fresh queue whose RedrivePolicy moves a message to its DLQ after
    MAX_RECEIVE_COUNT receives, as `sestui setup` makes it."""
    name = f"hold-{next(_names)}-{os.getpid()}"
    dlq = aws.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = aws.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = aws.sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})})["QueueUrl"]
    return url, dlq


def record(n: int, tag: str) -> dict:
    mid = f"0100hold-{tag}-{n:04d}"
    return {"eventType": "Delivery",
            "mail": {"timestamp": "2026-03-01T12:00:00.000Z", "messageId": mid, "source": "a@hold.test",
                     "destination": [f"r{n}@hold.test"]},
            "delivery": {"timestamp": "2026-03-01T12:00:01.000Z", "recipients": [f"r{n}@hold.test"]}}


def fill(aws, url: str, count: int, tag: str) -> set[str]:
    """`count` SNS-wrapped Delivery records in the queue; returns their SES message ids."""
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": sns_envelope(record(start + i, tag))}
                   for i in range(min(10, count - start))]
        aws.sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return {record(n, tag)["mail"]["messageId"] for n in range(count)}


def queue_count(aws, url: str) -> int:
    a = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def stored_ids(store: Store, ids: set[str]) -> Counter:
    return Counter(r["message_id"] for r in store.iter_events() if r["message_id"] in ids)


@pytest.fixture
def collector_for(start_collector):
    """start_collector with a 2 s visibility timeout: a message not deleted comes back quickly."""
    return lambda url, store, **overrides: start_collector(url, store, **{"visibility_timeout": 2, **overrides})


def test_a_full_disk_for_several_visibility_timeouts_sends_nothing_to_the_dlq_and_loses_nothing(
        aws, wired_queue, store, collector_for, monkeypatch):
    url, dlq = wired_queue
    ids = fill(aws, url, 40, "disk")
    real_add, full_until = store.add, [time.monotonic() + 1e9]

    def add(items, **kwargs):
        if time.monotonic() < full_until[0]:
            raise sqlite3.OperationalError("database or disk is full")
        return real_add(items, **kwargs)

    monkeypatch.setattr(store, "add", add)
    full_until[0] = time.monotonic() + 16.0  # eight visibility timeouts of 2 s
    collector = collector_for(url, store)

    row = wait_for(lambda: (r := store.collector_states()) and "disk is full" in (r[0]["last_error"] or "") and r[0],
                   10, "the full disk in the state row")
    assert "receiving paused" in row["last_error"] and row["last_error_at"] >= (row["last_success"] or 0)
    assert collector.paused
    wait_for(lambda: time.monotonic() > full_until[0], 20, "the end of the fault")
    found = wait_for(lambda: (c := stored_ids(store, ids)) and set(c) == ids and queue_count(aws, url) == 0 and c,
                     30, "everything stored and deleted")
    assert [m for m, n in found.items() if n > 1] == []
    assert queue_count(aws, dlq) == 0, "messages went to the dead-letter queue"
    wait_for(lambda: not collector.paused, 5, "receiving to resume")
    assert store.quarantined() == []


def unreachable(url: str) -> bytes:
    """The certificate host does not answer: a real refused connection on the loopback."""
    with urllib.request.urlopen("https://127.0.0.1:9/cert.pem", timeout=2) as resp:
        return resp.read()


def test_an_unreachable_certificate_host_holds_the_messages_instead_of_draining_them(
        aws, wired_queue, store, collector_for):
    url, dlq = wired_queue
    fill(aws, url, 20, "cert")
    collector = collector_for(url, store, verify=SnsVerifier(fetch=unreachable))

    wait_for(lambda: (r := store.collector_states()) and "cannot verify signatures" in (r[0]["last_error"] or ""),
             10, "the verification failure in the state row")
    feeds = []
    until = time.monotonic() + 14  # seven visibility timeouts
    while time.monotonic() < until:
        feeds.append(feed_state(store.collector_states(), now_ms(), queue_url=url).state)
        time.sleep(0.5)
    assert set(feeds) == {"stale"}, "the feed said LIVE while nothing could be verified"
    assert collector.paused and "receiving paused" in collector.paused
    assert queue_count(aws, dlq) == 0, "messages went to the dead-letter queue"
    assert queue_count(aws, url) == 20
    assert store.count("events") == 0 and store.quarantined() == []


def test_redrive_moves_the_dlq_back_and_the_collector_stores_it_exactly_once(
        sandbox, aws, wired_queue, store, collector_for):
    url, dlq = wired_queue
    ids = fill(aws, dlq, 25, "redrive")
    sestui_aws = Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url)
    assert depth(sestui_aws, url) == 25

    moved = redrive(sestui_aws, url)

    assert (moved.moved, moved.refused) == (25, 0)
    assert queue_count(aws, dlq) == 0
    collector_for(url, store)
    found = wait_for(lambda: (c := stored_ids(store, ids)) and set(c) == ids and queue_count(aws, url) == 0 and c,
                     30, "the redriven messages stored")
    assert all(n == 1 for n in found.values())
    assert queue_count(aws, dlq) == 0


def test_the_database_deleted_under_the_collector_stops_it_receiving(aws, wired_queue, tmp_path, collector_for):
    url, _ = wired_queue
    path = tmp_path / "doomed.db"
    store = Store(path)
    try:
        first = fill(aws, url, 5, "before")
        collector = collector_for(url, store)
        wait_for(lambda: set(stored_ids(store, first)) == first, 20, "the first messages stored")
        for suffix in ("", "-wal", "-shm"):
            os.unlink(f"{path}{suffix}")

        reason = wait_for(lambda: collector.paused, 5, "the collector to notice")
        assert reason.startswith(f"the database {path} was deleted") and "stopped receiving" in reason
        row = wait_for(lambda: (r := store.collector_states()) and "was deleted" in (r[0]["last_error"] or "") and r[0],
                       5, "the state row to say so")
        assert row["last_error"] == reason
        fill(aws, url, 5, "after")
        time.sleep(3)  # receivers would have taken them by now
        assert queue_count(aws, url) == 5, "messages were taken into a deleted database"
    finally:
        store.close()


def test_a_replaced_database_is_named_as_replaced(tmp_path):
    from sestui.ops.dbwatch import FileIdentity

    path = tmp_path / "events.db"
    Store(path).close()
    watch = FileIdentity(path)
    assert watch.problem() is None
    other = tmp_path / "other.db"
    Store(other).close()
    os.replace(other, path)
    assert watch.problem() == f"the database {path} was replaced by another file"


def test_the_collector_reports_the_dead_letter_queues_depth(aws, wired_queue, store, collector_for):
    url, dlq = wired_queue
    fill(aws, dlq, 3, "depth")
    collector = collector_for(url, store, depth_interval=1)
    wait_for(lambda: collector.stats.dlq_backlog == 3, 10, "the DLQ depth")
    assert collector.stats.backlog == 0
