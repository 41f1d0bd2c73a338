"""`sestui ingest`: bodies from files -> parse -> store, in batches.

Batch n+1 is read and parsed while batch n is written, in order. For big inputs on a machine with
a spare core a second process parses (at most a few batches in flight); otherwise a thread of this
process does (a write mostly waits for the database, sqlite3 and psycopg release the GIL meanwhile),
at most AHEAD batches ahead. A store with a `prepare_write` (PostgreSQL's) has the parser also put
each batch in the shape it writes (`write_prepared`): what needs no database is then done off the
writer's path, while it waits for the server. The store is only ever used by the thread that opened it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sestui.core.events import Memo, Parsed, parse_body
from sestui.ops.bodies import Oversized
from sestui.store import AddResult, Rows, now_ms

if TYPE_CHECKING:
    from sestui.store import Store

BATCH = 2000
IN_FLIGHT = 3
AHEAD = 2  # parsed batches waiting for the writer (each a few MB)
PARALLEL_MIN_BYTES = 4 << 20


def parse_batch(bodies: list, received_ms: int) -> Rows:
    rows = Rows(received_ms)
    add, memo = rows.add, Memo()
    for body in bodies:
        if isinstance(body, Oversized):
            add(body.head, Parsed(reason=body.reason))
        else:
            add(body, parse_body(body, None, memo))
    return rows


def _parse_prepared(bodies: list, received_ms: int, prepare: Callable[[Rows], Any] | None) -> Any:
    rows = parse_batch(bodies, received_ms)
    return rows if prepare is None else prepare(rows)


def _batches(bodies: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` bodies; if reading fails, the partial batch is yielded before the error."""
    batch: list = []
    it = iter(bodies)
    while True:
        try:
            body = next(it)
        except StopIteration:
            break
        except Exception:
            if batch:
                yield batch
            raise
        batch.append(body)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_END = object()


def _parsed_ahead(bodies: Iterable, received_ms: int, depth: int = AHEAD,
                  prepare: Callable[[Rows], Any] | None = None) -> Iterator[Any]:
    """parse_batch of each batch (then `prepare` of it), read and parsed by a thread ahead of the consumer, in order. An
    error in reading is raised here once the batches before it were consumed; when the consumer
    stops (its own error), so does the thread, before this generator returns."""
    ready: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def produce() -> None:
        try:
            for batch in _batches(bodies, BATCH):
                if not hand_over(_parse_prepared(batch, received_ms, prepare)):
                    return
        except BaseException as exc:  # noqa: BLE001  (raised in the consumer's thread)
            hand_over(exc)
            return
        hand_over(_END)

    thread = threading.Thread(target=produce, name="sestui-ingest-parse", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


class Ingester:
    """Stores every body it is given; `total` says what happened so far (also after an error)."""

    def __init__(self, store: Store, *, parallel: bool, on_progress: Callable[[AddResult], None] | None = None):
        self.store = store
        # PostgresStore: a batch is put in table shape ahead of the writer (see the module's doc)
        self._prepare: Callable[[Rows], Any] | None = getattr(store, "prepare_write", None)
        self._store_write: Callable[[Any], AddResult] = (getattr(store, "write_prepared", store.write) if self._prepare
                                                         else store.write)
        self.total = AddResult()
        self.on_progress = on_progress or (lambda total: None)
        self._pool = None
        # a spare core: one beyond those the writing takes (SQLite's is this process; a PostgreSQL
        # server on this machine takes another, and a parse worker would slow its writes down)
        if parallel and (os.cpu_count() or 1) > getattr(store, "writing_cores", 1):
            self._pool = multiprocessing.get_context("spawn").Pool(1)

    @staticmethod
    def worth_parallel(size_bytes: int) -> bool:
        return size_bytes >= PARALLEL_MIN_BYTES

    def run(self, bodies: Iterable) -> None:
        received = now_ms()
        if self._pool is None:
            for rows in _parsed_ahead(bodies, received, prepare=self._prepare):
                self._write(rows)
            return
        pending: deque = deque()
        try:
            for batch in _batches(bodies, BATCH):
                pending.append(self._pool.apply_async(_parse_prepared, (batch, received, self._prepare)))
                if len(pending) >= IN_FLIGHT:
                    self._write(pending.popleft().get())
        finally:  # what was read before an error in the file is still stored
            while pending:
                self._write(pending.popleft().get())

    def _write(self, rows: Any) -> None:
        self.total += self._store_write(rows)
        self.on_progress(self.total)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
