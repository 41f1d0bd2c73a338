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
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_actions (
  key TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  action_kind TEXT NOT NULL,
  action TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
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
  updated INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_ms);
-- Only unfinished items: "is an earlier item of this recipient still to run?" must not walk its
-- finished history (the claim's NOT EXISTS repeats this WHERE, so SQLite uses the index).
CREATE INDEX IF NOT EXISTS outbox_order ON outbox(channel, recipient, id)
  WHERE state IN ('pending', 'retrying', 'running');
CREATE TABLE IF NOT EXISTS guard_state (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since INTEGER NOT NULL,
  rate REAL,
  volume INTEGER
);
"""

STATES = ("pending", "running", "retrying", "done", "dead", "dry-run", "discarded")
COLUMNS = ("dedup", "channel", "recipient", "message_id", "event_type", "event_ts", "payload", "state",
           "next_attempt_ms", "created")
_INSERT = f"INSERT OR IGNORE INTO outbox ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_INSERT_ACTION = ("INSERT OR IGNORE INTO outbox_actions (key, rule, action_index, action_kind, action)"
                  " VALUES (?, ?, ?, ?, ?)")
# What readers get: an item with its action and its delivery id (the dedup key in hex).
_SELECT = ("SELECT o.id, lower(hex(o.dedup)) AS dedup, a.rule, a.action_index, a.action_kind, o.channel, a.action,"
           " o.payload, o.recipient, o.message_id, o.event_type, o.event_ts, o.state, o.attempts,"
           " o.next_attempt_ms, o.last_error, o.created, o.updated"
           " FROM outbox o JOIN outbox_actions a ON a.key = o.channel")
# The event columns of store/sqlite.py's Rows.events tuples, in order.
EVENT_KEYS = ("message_id", "event_type", "recipient", "timestamp", "bounce_type", "bounce_subtype",
              "diagnostic_code", "complaint_feedback_type", "delay_type", "link", "user_agent", "ip_address",
              "reject_reason", "error_message", "subject", "source", "configuration_set")
_EVENT_COLUMNS = ", ".join("ts" if k == "timestamp" else k for k in EVENT_KEYS)
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(ms: int) -> str:
    when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def ensure_schema(conn: sqlite3.Connection) -> None:
    for statement in (s.strip() for s in SCHEMA.split(";")):
        if statement:
            conn.execute(statement)


def connect(path: str | os.PathLike, timeout_s: float = 15.0) -> sqlite3.Connection:
    """A connection of its own for the deliverer (WAL lets it work beside the collector's writer)."""
    conn = sqlite3.connect(path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    ensure_schema(conn)
    return conn


def dedup_key(rule: str, index: int, kind: str, identity: Sequence[Any]) -> bytes:
    """128 bits of (rule, action, event identity): the outbox's unique key and, in hex, the delivery id."""
    text = "\x1f".join([rule, f"{index}:{kind}", *(str(part) for part in identity)])
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=16).digest()


def action_row(rule: str, index: int, kind: str, params: dict) -> tuple:
    """(key, rule, index, kind, JSON): what an item does, stored once however many items share it.
    The key (the item's channel) changes when the action's settings do."""
    encoded = _json(params)
    key = hashlib.blake2b(f"{rule}\x1f{index}\x1f{encoded}".encode("utf-8", "backslashreplace"),
                          digest_size=8).hexdigest()
    return (key, rule, index, kind, encoded)


def event_object(values: Sequence[Any]) -> dict[str, Any]:
    """A Rows.events tuple (or an events row in that column order) as the normalized event of the
    export: ISO timestamp, no empty keys."""
    event = {k: v for k, v in zip(EVENT_KEYS, values, strict=False) if v is not None}
    event["timestamp"] = iso_ms(values[3])
    return event


def event_view(values: Sequence[Any], tags: dict | None) -> dict[str, Any]:
    view = dict(zip(EVENT_KEYS, values, strict=False))
    view["tags"] = tags or {}
    return view


def _message_tags(rows: Any) -> dict[str, dict]:
    tags: dict[str, dict] = {}
    for mid, cached in getattr(rows, "_mail_json", {}).items():
        tags[mid] = cached[1]
    for message in rows.messages:
        if message[0] not in tags and message[8]:
            tags[message[0]] = json.loads(message[8])
    return tags


def items_for_rows(rows: Any, ruleset: Any, now: int | None = None) -> list[tuple]:
    """(action row, outbox row) for every (rule, action) the events in `rows` trigger (duplicates
    included: the unique dedup key absorbs them). The payload is not copied: the deliverer reads
    the event from the events table, committed in the same transaction."""
    if not ruleset or not rows.events:
        return []
    now = now if now is not None else now_ms()
    tags = _message_tags(rows) if ruleset.needs_tags else {}
    keys: dict[int, tuple] = {}
    items: list[tuple] = []
    blake = hashlib.blake2b
    for values in rows.events:
        rules = ruleset.candidates(values[1])
        if not rules:
            continue
        view = None
        for rule in rules:
            mode = rule.current_mode
            if mode == "off":
                continue
            when = rule.when
            if when.by_type_only:  # the common rule: the event type was the whole test
                if not when.quick_match(values[1], values[4], values[6], values[7]):
                    continue
            else:
                if view is None:
                    view = event_view(values, tags.get(values[0]))
                if not when.matches(view):
                    continue
            state = "dry-run" if mode == "dry-run" else "pending"
            identity = f"{values[0]}\x1f{values[1]}\x1f{values[2]}\x1f{values[3]}"
            for action in rule.do:
                act = keys.get(id(action))
                if act is None:
                    act = keys[id(action)] = action_row(rule.name, action.index, action.kind, action.params)
                dedup = blake(f"{rule.name}\x1f{action.index}:{action.kind}\x1f{identity}".encode(
                    "utf-8", "backslashreplace"), digest_size=16).digest()
                items.append((act, (dedup, act[0], values[2], values[0], values[1], values[3], None, state, now, now)))
    return items


def item(rule: str, index: int, kind: str, params: dict, payload: dict, identity: Sequence[Any], *,
         recipient: str | None = None, message_id: str | None = None, dry_run: bool = False,
         now: int | None = None) -> tuple:
    """One (action row, outbox row) built by hand, with its payload (a guard's crossing)."""
    now = now if now is not None else now_ms()
    act = action_row(rule, index, kind, params)
    return (act, (dedup_key(rule, index, kind, identity), act[0], recipient, message_id, None, None, _json(payload),
                  "dry-run" if dry_run else "pending", now, now))


def enqueue(conn: sqlite3.Connection, items: Iterable[tuple]) -> int:
    """Insert (action row, outbox row) items inside the caller's transaction; returns how many were new."""
    items = list(items)
    if not items:
        return 0
    conn.executemany(_INSERT_ACTION, list({a[0]: a for a, _ in items}.values()))
    return conn.executemany(_INSERT, [row for _, row in items]).rowcount


def route(conn: sqlite3.Connection, rows: Any, ruleset: Any) -> int:
    """The store's write-path hook: enqueue what `rows` trigger, in the open transaction."""
    return enqueue(conn, items_for_rows(rows, ruleset))


# --- the deliverer's side -----------------------------------------------------------------------

def _rows(cur: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=False)) for row in cur.fetchall()]


def claim(conn: sqlite3.Connection, *, now: int, lease_ms: int, limit: int = 64,
          exclude_channels: Iterable[str] = ()) -> list[dict]:
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
                         " updated = ? WHERE id = ?", [(now + lease_ms, now, i["id"]) for i in items])
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
        row = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE message_id = ? AND event_type = ?"
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
        i["payload"] = _json(event)


def finish(conn: sqlite3.Connection, item_id: int, state: str, *, error: str | None = None,
           next_attempt_ms: int | None = None, now: int | None = None) -> None:
    if state not in ("done", "retrying", "dead"):
        raise ValueError(state)
    now = now if now is not None else now_ms()
    conn.execute("UPDATE outbox SET state = ?, last_error = ?, next_attempt_ms = coalesce(?, next_attempt_ms),"
                 " updated = ? WHERE id = ? AND state = 'running'",
                 (state, error, next_attempt_ms, now, item_id))


def recover(conn: sqlite3.Connection, now: int | None = None) -> int:
    """On start: items a dead process had leased are due again now (at least once)."""
    now = now if now is not None else now_ms()
    return conn.execute("UPDATE outbox SET state = 'retrying', next_attempt_ms = ?, updated = ?,"
                        " last_error = coalesce(last_error, 'interrupted') WHERE state = 'running'",
                        (now, now)).rowcount


def release(conn: sqlite3.Connection, ids: Iterable[int], now: int | None = None) -> None:
    """Leased items that never started (the deliverer is stopping): due again, attempt not counted."""
    now = now if now is not None else now_ms()
    conn.executemany("UPDATE outbox SET state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'pending' END,"
                     " attempts = attempts - 1, next_attempt_ms = ? WHERE id = ? AND state = 'running'",
                     [(now, i) for i in ids])


def prune(conn: sqlite3.Connection, before_ms: int) -> int:
    """Forget finished items (done, dead, discarded, dry-run) created before `before_ms`. Their dedup
    key goes with them: use the events' retention cutoff (or older), so that an event still stored
    and delivered again by SQS is not acted on twice."""
    return conn.execute("DELETE FROM outbox WHERE created < ? AND state IN ('done', 'dead', 'discarded', 'dry-run')",
                        (before_ms,)).rowcount


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
    """Make `store`'s write path enqueue what `ruleset` triggers (None or empty: nothing)."""
    with store._lock:
        ensure_schema(store.conn)
        store.outbox_rules = ruleset if ruleset else None
