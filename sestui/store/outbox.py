"""The actions outbox: what events and guards make sestui do elsewhere, written in the transaction
that stores the event, drained at least once by the deliverer (ops/outbox.py). Every SQL statement
about it lives here; each function takes the sqlite3 connection it runs on.

An item's `dedup` key is a digest of (rule, action index and kind, event identity): a redelivered
SQS message, or the same event arriving in both notification styles, enqueues nothing new. The
same digest is the delivery id a webhook receiver sees, stable across retries and restarts.

States: pending -> running (leased) -> done | retrying -> ... | dead (after N attempts, kept);
dry-run items are recorded and never run; an operator may discard a dead item or retry it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  dedup TEXT NOT NULL UNIQUE,
  rule TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  action_kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  action TEXT NOT NULL,
  payload TEXT NOT NULL,
  recipient TEXT,
  message_id TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX IF NOT EXISTS outbox_order ON outbox(channel, recipient, id);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox(created);
CREATE TABLE IF NOT EXISTS guard_state (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since INTEGER NOT NULL,
  rate REAL,
  volume INTEGER
);
"""

STATES = ("pending", "running", "retrying", "done", "dead", "dry-run", "discarded")
COLUMNS = ("dedup", "rule", "action_index", "action_kind", "channel", "action", "payload", "recipient",
           "message_id", "state", "next_attempt_ms", "created", "updated")
_INSERT = (f"INSERT OR IGNORE INTO outbox ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})")
# The event columns of store/sqlite.py's Rows.events tuples, in order.
EVENT_KEYS = ("message_id", "event_type", "recipient", "timestamp", "bounce_type", "bounce_subtype",
              "diagnostic_code", "complaint_feedback_type", "delay_type", "link", "user_agent", "ip_address",
              "reject_reason", "error_message", "subject", "source", "configuration_set")
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(ms: int) -> str:
    when = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def ensure_schema(conn: sqlite3.Connection) -> None:
    for statement in (s.strip() for s in SCHEMA.split(";")):
        if statement:
            conn.execute(statement)


def connect(path: str | Path, timeout_s: float = 15.0) -> sqlite3.Connection:
    """A connection of its own for the deliverer (WAL lets it work beside the collector's writer)."""
    conn = sqlite3.connect(path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    ensure_schema(conn)
    return conn


def dedup_key(rule: str, index: int, kind: str, identity: Sequence[Any]) -> str:
    text = "\x1f".join([rule, f"{index}:{kind}", *(str(part) for part in identity)])
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:32]


def event_object(values: Sequence[Any]) -> dict[str, Any]:
    """A Rows.events tuple as the normalized event of the export: ISO timestamp, no empty keys."""
    event = {k: v for k, v in zip(EVENT_KEYS, values) if v is not None}
    event["timestamp"] = iso_ms(values[3])
    return event


def event_view(values: Sequence[Any], tags: dict | None) -> dict[str, Any]:
    view = dict(zip(EVENT_KEYS, values))
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
    """Outbox rows for every (rule, action) the events in `rows` trigger (duplicates included:
    the unique dedup key absorbs them)."""
    if not ruleset or not rows.events:
        return []
    now = now if now is not None else now_ms()
    tags = _message_tags(rows) if ruleset.needs_tags else {}
    raw = {(r[0], r[1]): r[3] for r in rows.records} if ruleset.needs_raw else {}
    actions: dict[int, str] = {}
    items: list[tuple] = []
    for values in rows.events:
        rules = ruleset.candidates(values[1])
        if not rules:
            continue
        view = None
        payload = None
        for rule in rules:
            if view is None:
                view = event_view(values, tags.get(values[0]))
            mode = rule.current_mode
            if mode == "off" or not rule.when.matches(view):
                continue
            if payload is None:
                payload = event_object(values)
            for action in rule.do:
                body = payload
                if action.get("include_raw") and (values[0], values[1]) in raw:
                    body = {**payload, "raw": raw[(values[0], values[1])]}
                encoded = actions.get(id(action))
                if encoded is None:
                    encoded = actions[id(action)] = _json(action.params)
                identity = (values[0], values[1], values[2], values[3])
                items.append((dedup_key(rule.name, action.index, action.kind, identity), rule.name, action.index,
                              action.kind, f"{rule.name}#{action.index}", encoded, _json(body), values[2],
                              values[0], "dry-run" if mode == "dry-run" else "pending", now, now, now))
    return items


def item(rule: str, index: int, kind: str, params: dict, payload: dict, identity: Sequence[Any], *,
         recipient: str | None = None, message_id: str | None = None, dry_run: bool = False,
         now: int | None = None) -> tuple:
    """One outbox row built by hand (a guard's crossing, a `rules test`)."""
    now = now if now is not None else now_ms()
    return (dedup_key(rule, index, kind, identity), rule, index, kind, f"{rule}#{index}", _json(params),
            _json(payload), recipient, message_id, "dry-run" if dry_run else "pending", now, now, now)


def enqueue(conn: sqlite3.Connection, items: Iterable[tuple]) -> int:
    """Insert items inside the caller's transaction; returns how many were new."""
    items = list(items)
    if not items:
        return 0
    return conn.executemany(_INSERT, items).rowcount


def route(conn: sqlite3.Connection, rows: Any, ruleset: Any) -> int:
    """The store's write-path hook: enqueue what `rows` trigger, in the open transaction."""
    return enqueue(conn, items_for_rows(rows, ruleset))


# --- the deliverer's side -----------------------------------------------------------------------

def _rows(cur: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def claim(conn: sqlite3.Connection, *, now: int, lease_ms: int, limit: int = 64,
          exclude_channels: Iterable[str] = ()) -> list[dict]:
    """Lease up to `limit` due items: the oldest first, and for each channel and recipient only the
    earliest unfinished one (ordering per recipient). Leased items show as running; if the process
    dies, the lease expires (or `recover` runs) and they are delivered again."""
    excluded = list(exclude_channels)
    not_in = f" AND o.channel NOT IN ({', '.join('?' * len(excluded))})" if excluded else ""
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute(
            "SELECT id, dedup, rule, action_index, action_kind, channel, action, payload, recipient, message_id,"
            " attempts FROM outbox o WHERE ((o.state IN ('pending', 'retrying') AND o.next_attempt_ms <= ?)"
            "   OR (o.state = 'running' AND o.next_attempt_ms <= ?))" + not_in +
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.recipient = o.recipient"
            "   AND p.id < o.id AND p.state IN ('pending', 'retrying', 'running'))"
            " ORDER BY o.next_attempt_ms, o.id LIMIT ?",
            [now, now, *excluded, limit])
        items = _rows(cur)
        conn.executemany("UPDATE outbox SET state = 'running', attempts = attempts + 1, next_attempt_ms = ?,"
                         " updated = ? WHERE id = ?", [(now + lease_ms, now, i["id"]) for i in items])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    for i in items:
        i["attempts"] += 1
    return items


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
            cur = conn.execute(f"SELECT * FROM outbox WHERE state IN ({', '.join('?' * len(states))})"
                               " ORDER BY id DESC LIMIT ?", [*states, limit])
        else:
            cur = conn.execute("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return _rows(cur)


def get(conn: sqlite3.Connection, item_id: int) -> dict | None:
    rows = _rows(conn.execute("SELECT * FROM outbox WHERE id = ?", (item_id,)))
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
        return dict(conn.execute("SELECT rule, count(*) FROM outbox WHERE created >= ? AND action_index = 0"
                                 " GROUP BY rule", (since_ms,)).fetchall())
    except sqlite3.OperationalError:
        return {}


# --- guards -------------------------------------------------------------------------------------

def guard_states(conn: sqlite3.Connection) -> dict[str, dict]:
    try:
        return {r["name"]: r for r in _rows(conn.execute("SELECT * FROM guard_state"))}
    except sqlite3.OperationalError:
        return {}


def save_guard_state(conn: sqlite3.Connection, name: str, state: str, since: int, rate: float | None,
                     volume: int | None) -> None:
    conn.execute("INSERT INTO guard_state (name, state, since, rate, volume) VALUES (?, ?, ?, ?, ?)"
                 " ON CONFLICT (name) DO UPDATE SET state = excluded.state, since = excluded.since,"
                 " rate = excluded.rate, volume = excluded.volume", (name, state, since, rate, volume))


def local_counts(conn: sqlite3.Connection, since_ms: int, *, configuration_set: str | None = None,
                 recipient_domain: str | None = None) -> dict[str, int]:
    """Events by type since `since_ms` for one group (a configuration set, a recipient domain)."""
    sql = "SELECT event_type, count(*) FROM events WHERE ts >= ?"
    params: list[Any] = [since_ms]
    if configuration_set:
        sql += " AND configuration_set = ?"
        params.append(configuration_set)
    if recipient_domain:
        sql += " AND recipient LIKE ? ESCAPE '\\'"
        params.append("%@" + recipient_domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return dict(conn.execute(sql + " GROUP BY event_type", params).fetchall())


def attach(store: Any, ruleset: Any) -> None:
    """Make `store`'s write path enqueue what `ruleset` triggers (None or empty: nothing)."""
    with store._lock:
        ensure_schema(store.conn)
        store.outbox_rules = ruleset if ruleset else None
