"""The actions outbox of a SQLite store as the backend object the rest of sestui uses
(`store.outbox`; store/base.py's Outbox protocol): store/outbox.py's functions on one connection,
under one lock, database errors as StoreError. The PostgreSQL twin is store/postgres/outbox.py."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sestui.store import guard_state
from sestui.store import outbox as sql
from sestui.store.base import StoreError


@contextmanager
def _translated(path: Any) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"database error on {path}: {exc}") from exc


class SqliteOutbox:
    """The outbox of one SQLite file (store/base.py's Outbox): this module's functions on one
    connection under one lock. `store.outbox` shares the store's connection; `worker()` is a
    deliverer's own connection and owner."""

    def __init__(self, conn: sqlite3.Connection, lock: Any, path: Any, owner: str | None = None):
        self.conn, self._lock, self.path, self.owner = conn, lock, path, owner

    def _call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        with self._lock, _translated(self.path):
            return fn(self.conn, *args, **kw)

    def worker(self) -> SqliteOutbox:
        with _translated(self.path):
            conn = sql.connect(self.path)
            owner = sql.new_owner()
            sql.register_owner(conn, owner)
        return SqliteOutbox(conn, threading.Lock(), self.path, owner)

    def close(self) -> None:
        """A worker's: unregister (what it still holds is recoverable at once) and close."""
        if self.owner is not None:
            with self._lock:
                try:
                    sql.unregister_owner(self.conn, self.owner)
                finally:
                    self.conn.close()

    def ensure(self) -> None:
        self._call(sql.ensure_schema)

    def enqueue(self, items: Iterable[tuple]) -> int:
        return self.enqueue_with(items)

    def enqueue_with(self, items: Iterable[tuple], guard: tuple | None = None) -> int:
        """Items (and a guard's new state, (name, old, new, since, rate, volume)) in one transaction.
        A guard whose stored state is no longer `old` (another process stepped it) enqueues nothing: -1."""
        with self._lock, _translated(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                if guard is not None:
                    name, old, new, since, rate, volume = guard
                    if guard_state.guard_states(self.conn).get(name, {}).get("state", "armed") != old:
                        self.conn.execute("ROLLBACK")
                        return -1
                    guard_state.save_guard_state(self.conn, name, new, since, rate, volume)
                n = sql.enqueue(self.conn, items)
                self.conn.execute("COMMIT")
                return n
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def claim(self, *, now: int, lease_ms: int, limit: int = 64, exclude_channels: Iterable[str] = ()) -> list[dict]:
        return self._call(sql.claim, now=now, lease_ms=lease_ms, limit=limit, exclude_channels=exclude_channels,
                          owner=self.owner)

    def finish(self, item_id: int, state: str, *, error: str | None = None, next_attempt_ms: int | None = None,
               now: int | None = None) -> None:
        self._call(sql.finish, item_id, state, error=error, next_attempt_ms=next_attempt_ms, now=now, owner=self.owner)

    def recover(self, now: int | None = None) -> int:
        return self._call(sql.recover, now)

    def release(self, ids: Iterable[int], now: int | None = None) -> None:
        self._call(sql.release, list(ids), now)

    def retry(self, ids: Iterable[int], now: int | None = None) -> int:
        return self._call(sql.retry, list(ids), now)

    def discard(self, ids: Iterable[int], now: int | None = None) -> int:
        return self._call(sql.discard, list(ids), now)

    def prune(self, before_ms: int) -> int:
        return self._call(sql.prune, before_ms)

    def counts(self) -> dict[str, int]:
        return self._call(sql.counts)

    def rule_hits(self, since_ms: int) -> dict[str, int]:
        return self._call(sql.rule_hits, since_ms)

    def list_items(self, states: Iterable[str] | None = None, limit: int = 200) -> list[dict]:
        return self._call(sql.list_items, states, limit)

    def get(self, item_id: int) -> dict | None:
        return self._call(sql.get, item_id)

    def due_count(self, now: int) -> int:
        return self._call(sql.due_count, now)

    def next_due_ms(self) -> int | None:
        return self._call(sql.next_due_ms)

    def fill_payloads(self, items: list[dict]) -> None:
        self._call(sql.fill_payloads, items)

    def guard_states(self) -> dict[str, dict]:
        return self._call(guard_state.guard_states)

    def local_counts(self, since_ms: int, *, configuration_set: str | None = None,
                     recipient_domain: str | None = None) -> dict[str, int]:
        return self._call(guard_state.local_counts, since_ms, configuration_set=configuration_set,
                          recipient_domain=recipient_domain)


