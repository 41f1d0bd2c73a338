"""`Ingester` reads and parses batch n+1 in a thread while batch n is written: the batches reach
the store in order, a read error is raised after the batches before it were written, and a failing
write stops the reading thread (nothing read or parsed after it is written, no thread is left)."""

from __future__ import annotations

import threading

import pytest
from fixtures import sns_envelope

from sestui.ops import ingest as ingest_mod
from sestui.ops.ingest import BATCH, Ingester
from sestui.store import AddResult, Rows


def body(i: int) -> str:
    return sns_envelope({"eventType": "Delivery",
                         "mail": {"timestamp": "2026-03-01T12:00:00.000Z", "messageId": f"0100ahead-{i:06d}",
                                  "source": "a@ahead.test", "destination": ["r@ahead.test"]},
                         "delivery": {"timestamp": "2026-03-01T12:00:01.000Z", "recipients": ["r@ahead.test"]}})


class RecordingStore:
    """Keeps the message ids of each batch written; optionally fails on write number `fail_on`."""

    def __init__(self, fail_on: int | None = None):
        self.batches: list[list[str]] = []
        self.fail_on = fail_on
        self.threads: set[str] = set()

    def write(self, rows: Rows) -> AddResult:
        self.threads.add(threading.current_thread().name)
        if self.fail_on is not None and len(self.batches) == self.fail_on:
            raise RuntimeError("disk full")
        self.batches.append([e[0] for e in rows.events])
        return AddResult(len(rows.events), 0, len(rows.quarantine))


def ids(n: int) -> list[str]:
    return [f"0100ahead-{i:06d}" for i in range(n)]


def test_batches_are_written_in_order_by_the_thread_that_owns_the_store():
    n = 3 * BATCH + 17
    store = RecordingStore()
    ingester = Ingester(store, parallel=False)
    ingester.run(body(i) for i in range(n))
    assert [len(b) for b in store.batches] == [BATCH, BATCH, BATCH, 17]
    assert [i for b in store.batches for i in b] == ids(n)
    assert store.threads == {threading.current_thread().name}  # a SQLite connection is bound to its thread
    assert ingester.total == AddResult(n, 0, 0)


def test_a_read_error_comes_after_every_batch_read_before_it_is_written():
    def bodies():
        for i in range(2 * BATCH + 5):
            yield body(i)
        raise ValueError("line 4006: not JSON")

    store = RecordingStore()
    ingester = Ingester(store, parallel=False)
    with pytest.raises(ValueError, match="line 4006"):
        ingester.run(bodies())
    assert [i for b in store.batches for i in b] == ids(2 * BATCH + 5)
    assert ingester.total.stored == 2 * BATCH + 5


def test_a_failing_write_stops_the_reading_thread():
    read = []

    def bodies():
        for i in range(50 * BATCH):
            read.append(i)
            yield body(i)

    before = set(threading.enumerate())
    store = RecordingStore(fail_on=1)
    ingester = Ingester(store, parallel=False)
    with pytest.raises(RuntimeError, match="disk full"):
        ingester.run(bodies())
    assert store.batches == [ids(BATCH)]
    # the thread was joined before the error came out (threads of earlier tests may end meanwhile:
    # only a thread that was not there before counts)
    assert set(threading.enumerate()) - before == set()
    # it stopped at most the queue's depth (and the batch in its hands) beyond the failed batch
    assert len(read) <= (2 + ingest_mod.AHEAD + 1) * BATCH


class PreparingStore(RecordingStore):
    """A store that has batches put in its write shape beforehand (as PostgresStore does)."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared_in: set[str] = set()

    def prepare_write(self, rows: Rows) -> tuple[str, Rows]:
        self.prepared_in.add(threading.current_thread().name)
        return ("prepared", rows)

    def write_prepared(self, batch: tuple[str, Rows]) -> AddResult:
        assert batch[0] == "prepared"
        return self.write(batch[1])


def test_a_store_that_prepares_its_batches_has_them_prepared_by_the_parse_thread_and_written_by_its_own():
    n = 2 * BATCH + 3
    store = PreparingStore()
    Ingester(store, parallel=False).run(body(i) for i in range(n))
    assert [i for b in store.batches for i in b] == ids(n)
    assert store.threads == {threading.current_thread().name}
    assert store.prepared_in == {"sestui-ingest-parse"}
