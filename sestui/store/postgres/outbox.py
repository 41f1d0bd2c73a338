"""The actions outbox on PostgreSQL (store/base.py's Outbox; the SQLite twin is store/outbox.py with
store/sqlite_outbox.py): the same items, states and answers, for deliverers on many hosts.

- Enqueue: `route` runs inside PostgresStore.write's transaction (the one that stores the events),
  `INSERT ... ON CONFLICT (dedup) DO NOTHING`, so a redelivered event enqueues nothing new.
- Claim: one UPDATE over a `SELECT ... FOR UPDATE SKIP LOCKED`: two deliverers never lease the
  same item, and neither waits for the other's rows.
- Owners: a deliverer (`worker()`) holds a session advisory lock (OWNER_LOCK, its owner number) on a
  connection of its own for as long as it runs, and stamps its claims with that number. The server
  drops the lock when the process dies (its connection closes), so "owner gone" is a fact the
  server knows, on any host: `recover` re-runs a running item only when its lease expired or no
  session holds its owner's lock. A host that vanishes without closing its TCP connection keeps
  its lock until the server's keepalive gives up; the lease bounds that too. A lock connection
  that broke (the server restarted) is replaced and the lock taken again before the next claim.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from sestui.core.classify import RATE_COUNTED_RECIPIENT
from sestui.store.base import StoreError
from sestui.store.outbox_items import COLUMNS, EVENT_SELECT, encode_json, event_object, items_for_rows, now_ms
from sestui.store.postgres.write import clean_rows

OWNER_LOCK = 0x5E57_0004  # the advisory lock class of deliverer owners (pg_advisory_lock(int4, int4))

_ACTIVE = "('pending', 'retrying', 'running')"
_SELECT = ("SELECT o.id, encode(o.dedup, 'hex') AS dedup, a.rule, a.action_index, a.action_kind, o.channel,"
           " a.action, o.payload, o.recipient, o.message_id, o.event_type, o.event_ts, o.state, o.attempts,"
           " o.next_attempt_ms, o.last_error, o.created, o.updated"
           " FROM outbox o JOIN outbox_actions a ON a.key = o.channel")
_INSERT_ACTION = ("INSERT INTO outbox_actions (key, rule, action_index, action_kind, action)"
                  " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING")
_TYPES = ("bytea", "text", "text", "text", "text", "bigint", "text", "text", "bigint", "bigint")  # of COLUMNS
_INSERT = (f"INSERT INTO outbox ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM unnest("
           + ", ".join(f"%s::{t}[]" for t in _TYPES)
           + f") WITH ORDINALITY AS t({', '.join(COLUMNS)}, n) ORDER BY n ON CONFLICT (dedup) DO NOTHING")
_CLAIM = f"""
WITH c AS (
  SELECT o.id, o.channel FROM outbox o
  WHERE o.state IN {_ACTIVE} AND o.next_attempt_ms <= %(now)s AND NOT (o.channel = ANY(%(excluded)s))
    AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.recipient = o.recipient
                    AND p.id < o.id AND p.state IN {_ACTIVE})
  ORDER BY o.next_attempt_ms, o.id LIMIT %(limit)s
  FOR UPDATE OF o SKIP LOCKED)
UPDATE outbox o SET state = 'running', attempts = o.attempts + 1, next_attempt_ms = %(lease)s, updated = %(now)s,
  owner = %(owner)s
FROM c JOIN outbox_actions a ON a.key = c.channel
WHERE o.id = c.id
RETURNING {_SELECT.removeprefix("SELECT ").split(" FROM ")[0]}"""
# Owners whose deliverer still runs: their advisory lock is held, in this database.
_LIVE_OWNERS = ("SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
                f" AND classid::bigint = {OWNER_LOCK}"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


def enqueue(conn: psycopg.Connection, items: Iterable[tuple]) -> int:
    """Insert (action row, outbox row) items in the caller's transaction; how many were new."""
    items = list(items)
    if not items:
        return 0
    with conn.cursor() as cur:
        cur.executemany(_INSERT_ACTION, list({a[0]: a for a, _ in items}.values()))
        rows = clean_rows([row for _, row in items])  # the identity as the events table holds it
        cur.execute(_INSERT, [list(column) for column in zip(*rows, strict=True)])
        return cur.rowcount


def route(conn: psycopg.Connection, rows: Any, ruleset: Any) -> int:
    """PostgresStore.write's hook: enqueue what `rows` trigger, in its open transaction."""
    return enqueue(conn, items_for_rows(rows, ruleset))


class PgOutbox:
    def __init__(self, store: Any, owner: int | None = None, lock_conn: psycopg.Connection | None = None):
        self.store, self.owner, self._lock_conn = store, owner, lock_conn
        self.path = store.path
        self._owner_checked = time.monotonic()

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        try:
            with self.store._conn() as conn, conn.cursor(row_factory=dict_row) as cur:
                yield cur
        except psycopg.Error as exc:
            first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            raise StoreError(f"{self.path}: outbox: {first}") from exc

    def _rows(self, sql: str, params: Any = ()) -> list[dict]:
        with self._cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _count(self, sql: str, params: Any = ()) -> int:
        with self._cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    # -- lifecycle ----------------------------------------------------------------------------

    def worker(self) -> PgOutbox:
        """A deliverer's handle: an owner number whose advisory lock it holds while it runs."""
        conn, owner = self._take_owner(None)
        return PgOutbox(self.store, owner, conn)

    def _take_owner(self, wanted: int | None) -> tuple[psycopg.Connection, int]:
        """A connection holding the advisory lock of owner `wanted` (if still free) or of a new one."""
        try:
            conn = psycopg.connect(self.store.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: outbox: cannot open the deliverer's connection: {exc}") from exc
        try:
            for attempt in range(16):
                owner = wanted if wanted is not None and attempt == 0 else 1 + secrets.randbelow(2**31 - 2)
                got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (OWNER_LOCK, owner)).fetchone()
                if got and got[0]:
                    return conn, owner
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"{self.path}: outbox: {exc}") from exc
        conn.close()
        raise StoreError(f"{self.path}: outbox: no free owner number")  # 16 collisions in 2**31: never

    def _keep_owner(self, every_s: float = 2.0) -> None:
        """Before a claim (every `every_s` at most): if the lock connection broke, others now take
        this owner for gone; take the lock again on a new connection before leasing anything more."""
        if self._lock_conn is None or time.monotonic() - self._owner_checked < every_s:
            return
        self._owner_checked = time.monotonic()
        try:
            self._lock_conn.execute("SELECT 1")
            return
        except psycopg.Error:
            self._lock_conn.close()
        self._lock_conn, self.owner = self._take_owner(self.owner)

    def close(self) -> None:
        """A worker's: closing its lock connection releases the owner (its leases become recoverable)."""
        if self._lock_conn is not None:
            try:  # at once, not whenever the server notices the connection closed
                self._lock_conn.execute("SELECT pg_advisory_unlock_all()")
            except psycopg.Error:
                pass  # a broken connection holds nothing any more
            self._lock_conn.close()

    def ensure(self) -> None:
        """Nothing to do: the tables are part of the store's migrations (store/postgres/schema.py)."""

    # -- writing ------------------------------------------------------------------------------

    def enqueue(self, items: Iterable[tuple]) -> int:
        return self.enqueue_with(items)

    def enqueue_with(self, items: Iterable[tuple], guard: tuple | None = None) -> int:
        """Items (and a guard's new state, (name, old, new, since, rate, volume)) in one transaction.
        A guard whose stored state is no longer `old` (another collector stepped it) enqueues nothing: -1."""
        items = list(items)
        try:
            with self.store._conn() as conn, conn.transaction():
                if guard is not None:
                    name, old, new, since, rate, volume = guard
                    stored = conn.execute("SELECT state FROM guard_state WHERE name = %s FOR UPDATE",
                                          (name,)).fetchone()
                    if (stored[0] if stored else "armed") != old:
                        return -1
                    changed = conn.execute(
                        "INSERT INTO guard_state (name, state, since, rate, volume) VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT (name) DO UPDATE SET state = excluded.state, since = excluded.since,"
                        " rate = excluded.rate, volume = excluded.volume WHERE guard_state.state = %s",
                        (name, new, since, rate, volume, old)).rowcount
                    if not changed:  # a first state inserted by another collector meanwhile
                        raise _Lost
                return enqueue(conn, items)
        except _Lost:
            return -1
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: outbox: {str(exc).strip().splitlines()[0]}") from exc

    # -- the deliverer's side -----------------------------------------------------------------

    def claim(self, *, now: int, lease_ms: int, limit: int = 64, exclude_channels: Iterable[str] = ()) -> list[dict]:
        """Lease up to `limit` due items, oldest due first, per channel and recipient only the
        earliest unfinished one; rows another deliverer is claiming are skipped, not waited for."""
        if limit <= 0:
            return []
        self._keep_owner()
        items = self._rows(_CLAIM, {"now": now, "lease": now + lease_ms, "limit": limit, "owner": self.owner,
                                    "excluded": list(exclude_channels)})
        items.sort(key=lambda i: i["id"])
        self.fill_payloads(items)
        return items

    def fill_payloads(self, items: list[dict]) -> None:
        """As store/outbox.py's: the event (and its raw record when asked) read from the tables."""
        wanted = [i for i in items if i["payload"] is None and i["event_type"] is not None]
        if not wanted:
            return
        with self._cursor() as cur:
            for i in wanted:
                cur.execute(f"SELECT {EVENT_SELECT} FROM events WHERE message_id = %s AND event_type = %s"
                            " AND recipient = %s AND ts = %s",
                            (i["message_id"], i["event_type"], i["recipient"], i["event_ts"]))
                row = cur.fetchone()
                if row is None:
                    continue
                event = event_object(list(row.values()))
                if '"include_raw":true' in i["action"]:
                    cur.execute("SELECT body FROM records WHERE message_id = %s AND event_type = %s"
                                " ORDER BY abs(ts - %s) LIMIT 1", (i["message_id"], i["event_type"], i["event_ts"]))
                    raw = cur.fetchone()
                    if raw is not None:
                        event["raw"] = raw["body"]
                i["payload"] = encode_json(event)

    def finish(self, item_id: int, state: str, *, error: str | None = None, next_attempt_ms: int | None = None,
               now: int | None = None) -> None:
        if state not in ("done", "retrying", "dead"):
            raise ValueError(state)
        self._count("UPDATE outbox SET state = %s, last_error = %s, next_attempt_ms = coalesce(%s, next_attempt_ms),"
                    " updated = %s WHERE id = %s AND state = 'running' AND owner IS NOT DISTINCT FROM %s",
                    (state, error, next_attempt_ms, now if now is not None else now_ms(), item_id, self.owner))

    def recover(self, now: int | None = None) -> int:
        """Running items whose lease expired or whose owner's deliverer is gone are due again now."""
        now = now if now is not None else now_ms()
        return self._count("UPDATE outbox SET state = 'retrying', next_attempt_ms = %(now)s, updated = %(now)s,"
                           " owner = NULL, last_error = coalesce(last_error, 'interrupted')"
                           " WHERE state = 'running' AND (next_attempt_ms <= %(now)s OR owner IS NULL"
                           f" OR owner NOT IN ({_LIVE_OWNERS}))", {"now": now})

    def release(self, ids: Iterable[int], now: int | None = None) -> None:
        self._count("UPDATE outbox SET state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'pending' END,"
                    " attempts = attempts - 1, next_attempt_ms = %s, owner = NULL"
                    " WHERE id = ANY(%s) AND state = 'running'", (now if now is not None else now_ms(), list(ids)))

    # -- the operator's side ------------------------------------------------------------------

    def retry(self, ids: Iterable[int], now: int | None = None) -> int:
        now = now if now is not None else now_ms()
        return self._count("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = %s, updated = %s"
                           " WHERE id = ANY(%s) AND state IN ('dead', 'retrying', 'discarded')", (now, now, list(ids)))

    def discard(self, ids: Iterable[int], now: int | None = None) -> int:
        return self._count("UPDATE outbox SET state = 'discarded', updated = %s WHERE id = ANY(%s)"
                           " AND state IN ('dead', 'retrying', 'pending')",
                           (now if now is not None else now_ms(), list(ids)))

    def prune(self, before_ms: int) -> int:
        """Finished items created before `before_ms` (see store/outbox.py's prune for the cutoff)."""
        return self._count("DELETE FROM outbox WHERE created < %s AND state IN ('done', 'dead', 'discarded',"
                           " 'dry-run')", (before_ms,))

    def counts(self) -> dict[str, int]:
        return {r["state"]: r["n"] for r in self._rows("SELECT state, count(*) AS n FROM outbox GROUP BY state")}

    def rule_hits(self, since_ms: int) -> dict[str, int]:
        return {r["rule"]: r["n"] for r in self._rows(
            "SELECT a.rule, count(*) AS n FROM outbox o JOIN outbox_actions a ON a.key = o.channel"
            " WHERE o.created >= %s AND a.action_index = 0 GROUP BY a.rule", (since_ms,))}

    def list_items(self, states: Iterable[str] | None = None, limit: int = 200) -> list[dict]:
        if states:
            return self._rows(_SELECT + " WHERE o.state = ANY(%s) ORDER BY o.id DESC LIMIT %s", (list(states), limit))
        return self._rows(_SELECT + " ORDER BY o.id DESC LIMIT %s", (limit,))

    def get(self, item_id: int) -> dict | None:
        rows = self._rows(_SELECT + " WHERE o.id = %s", (item_id,))
        return rows[0] if rows else None

    def due_count(self, now: int) -> int:
        return self._rows("SELECT count(*) AS n FROM outbox WHERE state = 'running'"
                          " OR (state IN ('pending', 'retrying') AND next_attempt_ms <= %s)", (now,))[0]["n"]

    def next_due_ms(self) -> int | None:
        return self._rows(f"SELECT min(next_attempt_ms) AS t FROM outbox WHERE state IN {_ACTIVE}")[0]["t"]

    # -- guards -------------------------------------------------------------------------------

    def guard_states(self) -> dict[str, dict]:
        return {r["name"]: r for r in self._rows("SELECT name, state, since, rate, volume FROM guard_state")}

    def local_counts(self, since_ms: int, *, configuration_set: str | None = None,
                     recipient_domain: str | None = None) -> dict[str, int]:
        """As store/guard_state.py's: events by type since `since_ms` for one group, and `bounce_hard`."""
        sql = ("SELECT event_type, count(*) AS n, count(*) FILTER (WHERE event_type = 'bounce'"
               " AND coalesce(bounce_type, '') = 'Permanent') AS hard FROM events e WHERE ts >= %s"
               f" AND {RATE_COUNTED_RECIPIENT.replace('%', '%%')}")
        params: list[Any] = [since_ms]
        if configuration_set:  # an identity notification names no set: its message's records do
            sql += (" AND (configuration_set = %s OR (configuration_set IS NULL AND EXISTS (SELECT 1 FROM messages m"
                    " WHERE m.message_id = e.message_id AND m.configuration_set = %s)))")
            params += [configuration_set, configuration_set]
        if recipient_domain:
            sql += r" AND recipient ILIKE %s ESCAPE '\'"
            params.append("%@" + recipient_domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        counts: dict[str, int] = {}
        for r in self._rows(sql + " GROUP BY event_type", params):
            counts[r["event_type"]] = r["n"]
            if r["event_type"] == "bounce":
                counts["bounce_hard"] = r["hard"]
        return counts


class _Lost(Exception):
    """The guard's state changed under us: roll the transaction back."""
