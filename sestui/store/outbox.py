"""The actions outbox: what events and guards make sestui do elsewhere, written in the transaction
that stores the event, drained at least once by the deliverer (ops/outbox.py). Every SQL statement
about it lives here; each function takes the sqlite3 connection it runs on.

An item's `dedup` key is a digest of (rule, action index and kind, event identity): a redelivered
SQS message, or the same event arriving in both notification styles, enqueues nothing new. The
same digest is the delivery id a webhook receiver sees, stable across retries and restarts.

States: pending -> running (leased) -> done | retrying -> ... | dead (after N attempts, kept);
dry-run items are recorded and never run; an operator may discard a dead item or retry it.

Rows are lean because every stored event may make one: an item names its event by identity (the
payload is read from `events` at delivery, so it is never copied) and its action by key (the
action's settings live once in `outbox_actions`; the key is also the item's channel, for
per-channel concurrency and per-recipient ordering). Guard items carry their own payload.
The tables are created by `ensure_schema` (IF NOT EXISTS), outside the store's numbered migrations.

What an item is (its rows, dedup key, event payload) is store/outbox_items.py, shared with the
PostgreSQL backend (store/postgres/outbox.py); store/sqlite_outbox.py's `SqliteOutbox` is this module's functions as the
backend object the rest of sestui uses (`store.outbox`, store/base.py's Outbox protocol).

Leases and owners: a claim stamps each item with its deliverer's `owner`, registered in
`outbox_owners` (host, pid, process start). `recover` re-runs a running item only when its lease
expired or its owner is gone: a deliverer that stopped (it unregisters) or whose process no
longer exists. A live deliverer's items are left alone, so two deliverers on one file never run
an item twice. Owner liveness is the process table because a SQLite file in WAL mode is shared by
processes on one host only; an owner on another host (a file on a network share) is never judged
gone, its lease decides.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from sestui.store.outbox_items import (  # noqa: F401  (re-exported: callers know them from here)
    COLUMNS,
    EVENT_KEYS,
    EVENT_SELECT,
    STATES,
    action_row,
    dedup_key,
    encode_json,
    event_object,
    event_view,
    item,
    items_for_rows,
    iso_ms,
    new_owner,
    now_ms,
    process_alive,
    process_start,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_actions (
  key TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  action_kind TEXT NOT NULL,
  action TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup BLOB NOT NULL UNIQUE,
  channel TEXT NOT NULL REFERENCES outbox_actions(key),
  recipient TEXT,
  message_id TEXT,
  event_type TEXT,
  event_ts INTEGER,
  payload TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT,
  created INTEGER NOT NULL,
  updated INTEGER,
  owner TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_ms);
-- Only unfinished items: "is an earlier item of this recipient still to run?" must not walk its
-- finished history (the claim's NOT EXISTS repeats this WHERE, so SQLite uses the index).
CREATE INDEX IF NOT EXISTS outbox_order ON outbox(channel, recipient, id)
  WHERE state IN ('pending', 'retrying', 'running');
CREATE TABLE IF NOT EXISTS outbox_owners (
  owner TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started TEXT,
  since INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS guard_state (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since INTEGER NOT NULL,
  rate REAL,
  volume INTEGER
);
"""

_INSERT = f"INSERT OR IGNORE INTO outbox ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_INSERT_ACTION = ("INSERT OR IGNORE INTO outbox_actions (key, rule, action_index, action_kind, action)"
                  " VALUES (?, ?, ?, ?, ?)")
# What readers get: an item with its action and its delivery id (the dedup key in hex).
_SELECT = ("SELECT o.id, lower(hex(o.dedup)) AS dedup, a.rule, a.action_index, a.action_kind, o.channel, a.action,"
           " o.payload, o.recipient, o.message_id, o.event_type, o.event_ts, o.state, o.attempts,"
           " o.next_attempt_ms, o.last_error, o.created, o.updated"
           " FROM outbox o JOIN outbox_actions a ON a.key = o.channel")


def ensure_schema(conn: sqlite3.Connection) -> None:
    for statement in (s.strip() for s in SCHEMA.split(";")):
        if statement:
            conn.execute(statement)
    # A file an older sestui made: its items have no owner (recover treats them as ownerless).
    if "owner" not in {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}:
        conn.execute("ALTER TABLE outbox ADD COLUMN owner TEXT")
    if not _ids_kept(conn):
        _rebuild_with_kept_ids(conn)


def _ids_kept(conn: sqlite3.Connection) -> bool:
    """Whether the outbox table never hands out an id again. Without AUTOINCREMENT SQLite gives the
    next item max(id) + 1, so once prune removed the newest items their ids named other items than
    those an operator had noted (`outbox retry ID`)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").fetchone()
    return row is None or "AUTOINCREMENT" in row[0].upper()


def _rebuild_with_kept_ids(conn: sqlite3.Connection) -> None:
    """The table of a file an older sestui made, moved into the AUTOINCREMENT one (once, ids kept)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        if not _ids_kept(conn):  # another process may have done it meanwhile
            columns = ", ".join(row[1] for row in conn.execute("PRAGMA table_info(outbox)"))
            conn.execute("DROP INDEX IF EXISTS outbox_due")
            conn.execute("DROP INDEX IF EXISTS outbox_order")
            conn.execute("ALTER TABLE outbox RENAME TO outbox_before_autoincrement")
            for statement in (s.strip() for s in SCHEMA.split(";")):
                if any(f"EXISTS {name} " in statement for name in ("outbox", "outbox_due", "outbox_order")):
                    conn.execute(statement)
            conn.execute(f"INSERT INTO outbox ({columns}) SELECT {columns} FROM outbox_before_autoincrement")
            conn.execute("DROP TABLE outbox_before_autoincrement")
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def connect(path: str | os.PathLike, timeout_s: float = 15.0) -> sqlite3.Connection:
    """A connection of its own for the deliverer (WAL lets it work beside the collector's writer)."""
    conn = sqlite3.connect(path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    ensure_schema(conn)
    return conn


def enqueue(conn: sqlite3.Connection, items: Iterable[tuple]) -> int:
    """Insert (action row, outbox row) items inside the caller's transaction; returns how many were new."""
    items = list(items)
    if not items:
        return 0
    conn.executemany(_INSERT_ACTION, list({a[0]: a for a, _ in items}.values()))
    return conn.executemany(_INSERT, [row for _, row in items]).rowcount


def route(conn: sqlite3.Connection, rows: Any, ruleset: Any) -> int:
    """The store's write-path hook: enqueue what `rows` trigger, in the open transaction."""
    return enqueue(conn, items_for_rows(rows, ruleset, now_ms()))


# --- owners: who holds a lease, and whether it is still there ------------------------------------

def register_owner(conn: sqlite3.Connection, owner: str, now: int | None = None) -> None:
    conn.execute("INSERT OR REPLACE INTO outbox_owners (owner, host, pid, started, since) VALUES (?, ?, ?, ?, ?)",
                 (owner, socket.gethostname(), os.getpid(), process_start(os.getpid()),
                  now if now is not None else now_ms()))


def unregister_owner(conn: sqlite3.Connection, owner: str) -> None:
    """A deliverer stopping: what it still holds may be recovered by the next one at once."""
    conn.execute("DELETE FROM outbox_owners WHERE owner = ?", (owner,))

# --- the deliverer's side -----------------------------------------------------------------------

def _rows(cur: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=False)) for row in cur.fetchall()]


def claim(conn: sqlite3.Connection, *, now: int, lease_ms: int, limit: int = 64,
          exclude_channels: Iterable[str] = (), owner: str | None = None) -> list[dict]:
    """Lease up to `limit` due items: the oldest first, and for each channel and recipient only the
    earliest unfinished one (ordering per recipient). Leased items show as running; if the process
    dies, the lease expires (or `recover` runs) and they are delivered again."""
    excluded = list(exclude_channels)
    not_in = f" AND o.channel NOT IN ({', '.join('?' * len(excluded))})" if excluded else ""
    items: list[dict] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        # One query per state, each walking outbox_due in order (no sort of the whole backlog);
        # `running` items here are leases that expired (their process died).
        for state in ("retrying", "running", "pending"):
            if len(items) >= limit:
                break
            cur = conn.execute(
                _SELECT + " WHERE o.state = ? AND o.next_attempt_ms <= ?" + not_in +
                " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.recipient = o.recipient"
                "   AND p.id < o.id AND p.state IN ('pending', 'retrying', 'running'))"
                " ORDER BY o.next_attempt_ms LIMIT ?",
                [state, now, *excluded, limit - len(items)])
            items += _rows(cur)
        items.sort(key=lambda i: i["id"])
        conn.executemany("UPDATE outbox SET state = 'running', attempts = attempts + 1, next_attempt_ms = ?,"
                         " updated = ?, owner = ? WHERE id = ?", [(now + lease_ms, now, owner, i["id"]) for i in items])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    for i in items:
        i["attempts"] += 1
    fill_payloads(conn, items)
    return items


def fill_payloads(conn: sqlite3.Connection, items: list[dict]) -> None:
    """An event's item carries no copy of the event: read it (and its raw record when the action
    asks) from the tables it was committed to. An event pruned since keeps payload None."""
    for i in items:
        if i["payload"] is not None or i["event_type"] is None:
            continue
        row = conn.execute(f"SELECT {EVENT_SELECT} FROM events WHERE message_id = ? AND event_type = ?"
                           " AND recipient = ? AND ts = ?",
                           (i["message_id"], i["event_type"], i["recipient"], i["event_ts"])).fetchone()
        if row is None:
            continue
        event = event_object(row)
        if '"include_raw":true' in i["action"]:
            raw = conn.execute("SELECT body FROM records WHERE message_id = ? AND event_type = ?"
                               " ORDER BY abs(ts - ?) LIMIT 1", (i["message_id"], i["event_type"], i["event_ts"])
                               ).fetchone()
            if raw is not None:
                event["raw"] = raw[0]
        i["payload"] = encode_json(event)


def finish(conn: sqlite3.Connection, item_id: int, state: str, *, error: str | None = None,
           next_attempt_ms: int | None = None, now: int | None = None, owner: str | None = None) -> None:
    """Record a leased item's outcome; nothing if its lease was recovered (by `recover`) since."""
    if state not in ("done", "retrying", "dead"):
        raise ValueError(state)
    now = now if now is not None else now_ms()
    conn.execute("UPDATE outbox SET state = ?, last_error = ?, next_attempt_ms = coalesce(?, next_attempt_ms),"
                 " updated = ? WHERE id = ? AND state = 'running' AND owner IS ?",
                 (state, error, next_attempt_ms, now, item_id, owner))


def recover(conn: sqlite3.Connection, now: int | None = None, *,
            alive: Callable[[str, int, str | None], bool] = process_alive) -> int:
    """Running items whose lease expired or whose owner is gone (stopped, or its process died)
    are due again now (at least once). A live deliverer's leases are left alone."""
    now = now if now is not None else now_ms()
    if conn.execute("SELECT 1 FROM outbox WHERE state = 'running' LIMIT 1").fetchone() is None:
        return 0  # nothing leased: no write transaction (this runs every few seconds)
    conn.execute("BEGIN IMMEDIATE")
    try:
        gone = [owner for owner, host, pid, started in conn.execute(
            "SELECT owner, host, pid, started FROM outbox_owners").fetchall() if not alive(host, pid, started)]
        conn.executemany("DELETE FROM outbox_owners WHERE owner = ?", [(o,) for o in gone])
        n = conn.execute("UPDATE outbox SET state = 'retrying', next_attempt_ms = ?, updated = ?, owner = NULL,"
                         " last_error = coalesce(last_error, 'interrupted') WHERE state = 'running'"
                         " AND (next_attempt_ms <= ? OR owner IS NULL"
                         "      OR owner NOT IN (SELECT owner FROM outbox_owners))", (now, now, now)).rowcount
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return n


def release(conn: sqlite3.Connection, ids: Iterable[int], now: int | None = None) -> None:
    """Leased items that never started (the deliverer is stopping): due again, attempt not counted."""
    now = now if now is not None else now_ms()
    conn.executemany("UPDATE outbox SET state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'pending' END,"
                     " attempts = attempts - 1, next_attempt_ms = ?, owner = NULL WHERE id = ? AND state = 'running'",
                     [(now, i) for i in ids])


def prune(conn: sqlite3.Connection, before_ms: int) -> int:
    """Forget finished items (done, dead, discarded, dry-run) created before `before_ms`. Their dedup
    key goes with them: use the events' retention cutoff (or older), so that an event still stored
    and delivered again by SQS is not acted on twice."""
    try:
        return conn.execute("DELETE FROM outbox WHERE created < ? AND state IN ('done', 'dead', 'discarded',"
                            " 'dry-run')", (before_ms,)).rowcount
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # no rule ever wrote to this file
            return 0
        raise


def due_count(conn: sqlite3.Connection, now: int) -> int:
    """Items running, or due to run by `now`."""
    return conn.execute("SELECT count(*) FROM outbox WHERE state = 'running'"
                        " OR (state IN ('pending', 'retrying') AND next_attempt_ms <= ?)", (now,)).fetchone()[0]


def next_due_ms(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT min(next_attempt_ms) FROM outbox WHERE state IN ('pending', 'retrying', 'running')"
                       ).fetchone()
    return row[0] if row else None


def list_items(conn: sqlite3.Connection, states: Iterable[str] | None = None, limit: int = 200) -> list[dict]:
    try:
        if states:
            states = list(states)
            cur = conn.execute(_SELECT + f" WHERE o.state IN ({', '.join('?' * len(states))})"
                               " ORDER BY o.id DESC LIMIT ?", [*states, limit])
        else:
            cur = conn.execute(_SELECT + " ORDER BY o.id DESC LIMIT ?", (limit,))
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return _rows(cur)


def get(conn: sqlite3.Connection, item_id: int) -> dict | None:
    rows = _rows(conn.execute(_SELECT + " WHERE o.id = ?", (item_id,)))
    return rows[0] if rows else None


def retry(conn: sqlite3.Connection, ids: Iterable[int], now: int | None = None) -> int:
    """Dead, retrying or discarded items become due now with a fresh attempt count."""
    now = now if now is not None else now_ms()
    return conn.executemany("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?, updated = ?"
                            " WHERE id = ? AND state IN ('dead', 'retrying', 'discarded')",
                            [(now, now, i) for i in ids]).rowcount


def discard(conn: sqlite3.Connection, ids: Iterable[int], now: int | None = None) -> int:
    now = now if now is not None else now_ms()
    return conn.executemany("UPDATE outbox SET state = 'discarded', updated = ? WHERE id = ?"
                            " AND state IN ('dead', 'retrying', 'pending')", [(now, i) for i in ids]).rowcount


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    try:
        return dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    except sqlite3.OperationalError:
        return {}


def rule_hits(conn: sqlite3.Connection, since_ms: int) -> dict[str, int]:
    """Events each rule matched since `since_ms` (one per event, whatever its number of actions)."""
    try:
        return dict(conn.execute("SELECT a.rule, count(*) FROM outbox o JOIN outbox_actions a ON a.key = o.channel"
                                 " WHERE o.created >= ? AND a.action_index = 0 GROUP BY a.rule", (since_ms,)).fetchall())
    except sqlite3.OperationalError:
        return {}


def attach(store: Any, ruleset: Any) -> None:
    """Make `store`'s write path enqueue what `ruleset` triggers (None or empty: nothing), on
    either backend (its tables made if missing)."""
    store.outbox.ensure()
    store.outbox_rules = ruleset if ruleset else None
