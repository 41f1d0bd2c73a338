"""The local event database. Knows SQLite (through sqlite-utils), not AWS; every SQL statement lives here.

Times are stored as integer milliseconds since the epoch, UTC: compact, indexable, and exactly the
precision SES reports. An event is identified by (message_id, event_type, recipient, ts); the
unique index on those columns is what makes redelivered or doubly-published events land once.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from sestui.core.events import DETAIL_FIELDS, EVENT_TYPES, Parsed, is_auto_response, valid_text
from sestui.store import outbox  # outbox hook

BUSY_TIMEOUT_S = 15.0

EVENT_COLUMNS = ("message_id", "event_type", "recipient", "ts") + DETAIL_FIELDS

# Per-recipient status of a message: the most significant outcome wins, whatever the arrival order.
STATUS_RANK = {
    "sent": 1,
    "subscription": 1,
    "delayed": 2,
    "delivered": 3,
    "opened": 4,
    "clicked": 5,
    "auto_reply": 3,
    "soft_bounce": 6,
    "rendering_failed": 7,
    "rejected": 7,
    "hard_bounce": 8,
    "complained": 9,
}
_TYPE_STATUS = {
    "send": "sent",
    "subscription": "subscription",
    "delivery_delay": "delayed",
    "delivery": "delivered",
    "open": "opened",
    "click": "clicked",
    "rendering_failure": "rendering_failed",
    "reject": "rejected",
    "complaint": "complained",
}


def status_of(event_type: str, bounce_type: str | None, diagnostic_code: str | None = None) -> str:
    if event_type == "bounce":
        if bounce_type == "Permanent":
            return "hard_bounce"
        return "auto_reply" if is_auto_response(bounce_type, diagnostic_code) else "soft_bounce"
    return _TYPE_STATUS[event_type]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)


def to_ms(when: datetime) -> int:
    return (when - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def iso_ms(ms: int) -> str:
    """Milliseconds -> `2017-08-05T00:41:02.669Z`."""
    when = from_ms(ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def now_ms() -> int:
    return int(time.time() * 1000)


# --- schema -------------------------------------------------------------------------------------

_EVENT_DETAIL_DDL = ",\n  ".join(f"{name} TEXT" for name in DETAIL_FIELDS)

_V1 = f"""
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  recipient TEXT NOT NULL,
  ts INTEGER NOT NULL,
  {_EVENT_DETAIL_DDL}
);
CREATE UNIQUE INDEX events_identity ON events(message_id, event_type, recipient, ts);
CREATE INDEX events_ts ON events(ts);
CREATE INDEX events_recipient ON events(recipient COLLATE NOCASE, ts);
CREATE INDEX events_type_ts ON events(event_type, ts);

CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  ts INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX records_identity ON records(message_id, event_type, ts);

CREATE TABLE messages (
  message_id TEXT PRIMARY KEY,
  first_seen INTEGER NOT NULL,
  mail_ts INTEGER,
  last_event_ts INTEGER,
  source TEXT,
  subject TEXT,
  destinations TEXT,
  configuration_set TEXT,
  tags TEXT
);

CREATE TABLE message_recipients (
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  status TEXT NOT NULL,
  rank INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (message_id, recipient)
) WITHOUT ROWID;

CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  received INTEGER NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX quarantine_received ON quarantine(received);
"""

# Operational state shared between a collector and any number of consoles.
_V2 = """
CREATE TABLE collector_state (
  collector_id TEXT PRIMARY KEY,
  queue_url TEXT,
  state TEXT NOT NULL,
  started INTEGER NOT NULL,
  heartbeat INTEGER NOT NULL,
  last_success INTEGER,
  last_error TEXT,
  last_error_at INTEGER,
  events_per_s REAL NOT NULL DEFAULT 0,
  backlog INTEGER,
  received INTEGER NOT NULL DEFAULT 0,
  stored INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE account_snapshots (
  id INTEGER PRIMARY KEY,
  taken INTEGER NOT NULL,
  profile TEXT,
  region TEXT,
  status TEXT,
  error TEXT
);

CREATE TABLE send_stats (
  ts INTEGER PRIMARY KEY,
  delivery_attempts INTEGER NOT NULL,
  bounces INTEGER NOT NULL,
  complaints INTEGER NOT NULL,
  rejects INTEGER NOT NULL
);

CREATE TABLE suppressions (
  email TEXT PRIMARY KEY COLLATE NOCASE,
  reason TEXT NOT NULL,
  last_update INTEGER,
  message_id TEXT,
  feedback_id TEXT,
  fetched INTEGER NOT NULL
);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT,
  origin TEXT NOT NULL,
  action TEXT NOT NULL,
  email TEXT,
  reason TEXT,
  outcome TEXT NOT NULL,
  detail TEXT,
  message_id TEXT
);
CREATE INDEX audit_at ON audit(at);
"""

# Each entry moves the schema from version i to i+1. Append; never edit a released entry.
MIGRATIONS: list[str] = [_V1, _V2]


def _open_private(path: Path) -> None:
    """Create the database file (and its folder) readable by the owner only: it holds addresses."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


@dataclass
class AddResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def __iadd__(self, other: "AddResult") -> "AddResult":
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        return self

    def summary(self) -> str:
        return f"stored={self.stored} duplicates={self.duplicates} quarantined={self.quarantined}"


class StoreError(Exception):
    """A database problem worth one line to the operator."""


class Store:
    """One connection to the event database. Safe to share between threads (calls are serialized)."""

    outbox_rules = None  # outbox hook: a core.rules.RuleSet, set by store.outbox.attach()

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            if not readonly:
                _open_private(self.path)
            elif not self.path.exists():
                raise StoreError(f"no database at {self.path}")
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            # A timeline or recipient lookup touches a handful of pages scattered over a big file:
            # read them through the OS page cache by mmap rather than a small private cache.
            conn.execute("PRAGMA cache_size = -32768")
            conn.execute("PRAGMA mmap_size = 1073741824")
            if readonly:
                self._check_readable()
            else:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path} is not a usable sestui database: {exc}") from exc
        except StoreError:
            conn.close()
            raise

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _refuse_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this sestui understands"
                f" ({len(MIGRATIONS)}): upgrade sestui"
            )

    def _check_readable(self) -> None:
        """A read-only open migrates nothing, so it must find a schema it can read."""
        version = self.schema_version  # reading the header also rejects a file that is not SQLite
        if version == 0:
            raise StoreError(f"{self.path} is not a sestui database (it has no sestui schema)")
        self._refuse_newer(version)

    def _migrate(self) -> None:
        with self._lock:
            version = self.schema_version
            self._refuse_newer(version)
            if version == len(MIGRATIONS):
                return
            with self._transaction():
                # Another process may have migrated while we waited for the write lock.
                version = self.schema_version
                for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    for statement in _statements(script):
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version = {target}")

    # -- writing ------------------------------------------------------------------------------

    def add(self, items: Iterable[tuple[str, Parsed]], *, received_ms: int | None = None) -> AddResult:
        """Store parsed bodies (each with its raw body, kept if quarantined) in one transaction.

        Returns what happened; after it returns, everything is committed.
        """
        rows = Rows(received_ms if received_ms is not None else now_ms())
        for body, parsed in items:
            rows.add(body, parsed)
        return self.write(rows)

    def write(self, rows: "Rows") -> AddResult:
        """Write rows flattened elsewhere (another process may have parsed them) in one transaction."""
        with self._transaction():
            result = rows.write(self.conn)
            if self.outbox_rules:  # outbox hook: the actions these events trigger, in the same transaction
                outbox.route(self.conn, rows, self.outbox_rules)
            return result

    # -- reading ------------------------------------------------------------------------------

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        with self._lock:
            cur = self.conn.execute(sql, tuple(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def iter_events(
        self,
        *,
        event_type: str | None = None,
        message_id: str | None = None,
        recipient: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        batch: int = 5000,
    ) -> Iterator[dict]:
        """Events in timestamp order (ties by arrival), streamed in keyset pages."""
        where, params = _event_where(event_type=event_type, message_id=message_id, recipient=recipient,
                                     since_ms=since_ms, until_ms=until_ms)
        last: tuple[int, int] | None = None
        cols = ", ".join(("id",) + EVENT_COLUMNS)
        while True:
            clauses = list(where)
            page_params = list(params)
            if last is not None:
                clauses.append("(ts > ? OR (ts = ? AND id > ?))")
                page_params += [last[0], last[0], last[1]]
            sql = f"SELECT {cols} FROM events{_where_sql(clauses)} ORDER BY ts, id LIMIT {int(batch)}"
            rows = self._query(sql, page_params)
            yield from rows
            if len(rows) < batch:
                return
            last = (rows[-1]["ts"], rows[-1]["id"])

    def latest(self, limit: int = 200, *, before: tuple[int, int] | None = None) -> list[dict]:
        """The newest events, newest first; `before` = (ts, id) of the last row of the previous page."""
        cols = ", ".join(("id",) + EVENT_COLUMNS)
        if before is None:
            return self._query(f"SELECT {cols} FROM events ORDER BY ts DESC, id DESC LIMIT ?", (limit,))
        return self._query(
            f"SELECT {cols} FROM events WHERE ts < ? OR (ts = ? AND id < ?) ORDER BY ts DESC, id DESC LIMIT ?",
            (before[0], before[0], before[1], limit),
        )

    def flow_page(self, *, after_id: int | None = None, before_id: int | None = None, text: str | None = None,
                  types: Iterable[str] | None = None, limit: int = 200) -> list[dict]:
        """Events by arrival (rowid) for the live flow: newest first, or after `after_id` oldest first
        (so a reader can catch up contiguously), or before `before_id` newest first (paging back).
        `text` matches recipient, message id or subject, case-insensitively."""
        where, params = _event_where(after_id=after_id, before_id=before_id, types=types, text=text)
        order = "ASC" if after_id is not None else "DESC"
        cols = ", ".join(("id",) + EVENT_COLUMNS)
        return self._query(f"SELECT {cols} FROM events{_where_sql(where)} ORDER BY id {order} LIMIT ?",
                           params + [limit])

    def flow_count(self, *, after_id: int, text: str | None = None, types: Iterable[str] | None = None) -> int:
        """How many events matching the flow's filter arrived after `after_id`."""
        where, params = _event_where(after_id=after_id, types=types, text=text)
        return self._query(f"SELECT count(*) AS n FROM events{_where_sql(where)}", params)[0]["n"]

    def timeline(self, message_id: str) -> list[dict]:
        cols = ", ".join(("id",) + EVENT_COLUMNS)
        return self._query(
            f"SELECT {cols} FROM events WHERE message_id = ? ORDER BY ts, id", (message_id,)
        )

    def recipient_history(self, recipient: str, limit: int = 200) -> list[dict]:
        cols = ", ".join(("id",) + EVENT_COLUMNS)
        return self._query(
            f"SELECT {cols} FROM events WHERE recipient = ? COLLATE NOCASE ORDER BY ts DESC, id DESC LIMIT ?",
            (recipient, limit),
        )

    def counts_by_type(self, since_ms: int, until_ms: int | None = None) -> dict[str, int]:
        # Naming the types turns this into one (event_type, ts) index range per type; without them
        # SQLite scans the whole index, which grows with history however small the window.
        params: list[Any] = [*EVENT_TYPES, since_ms]
        sql = (f"SELECT event_type, count(*) AS n FROM events"
               f" WHERE event_type IN ({', '.join('?' * len(EVENT_TYPES))}) AND ts >= ?")
        if until_ms is not None:
            sql += " AND ts < ?"
            params.append(until_ms)
        sql += " GROUP BY event_type"
        return {row["event_type"]: row["n"] for row in self._query(sql, params)}

    def hourly_counts(self, since_ms: int) -> dict[str, dict[int, int]]:
        """event_type -> {hour (ms) -> count} since a time; bounces split into bounce_hard/bounce_soft."""
        rows = self._query(
            "SELECT (ts / 3600000) * 3600000 AS hour, CASE WHEN event_type = 'bounce' THEN "
            "CASE WHEN bounce_type = 'Permanent' THEN 'bounce_hard' ELSE 'bounce_soft' END "
            "ELSE event_type END AS kind, count(*) AS n FROM events WHERE ts >= ? GROUP BY hour, kind",
            (since_ms,),
        )
        out: dict[str, dict[int, int]] = {}
        for row in rows:
            out.setdefault(row["kind"], {})[row["hour"]] = row["n"]
        return out

    def bounces_for(self, recipient: str, since_ms: int) -> list[dict]:
        """A recipient's bounces since a time (case-insensitive address), for the soft-bounce policy."""
        return self._query(
            "SELECT message_id, ts, bounce_type, bounce_subtype, diagnostic_code FROM events "
            "WHERE recipient = ? COLLATE NOCASE AND ts >= ? AND event_type = 'bounce' ORDER BY ts",
            (recipient, since_ms),
        )

    def prune(self, before_ms: int) -> dict[str, int]:
        """Delete events, raw records and quarantined bodies older than a time, and the messages
        left with no events. Audit rows are kept: they are the record of who changed what."""
        with self._transaction():
            counts = {
                "events": self.conn.execute("DELETE FROM events WHERE ts < ?", (before_ms,)).rowcount,
                "records": self.conn.execute("DELETE FROM records WHERE ts < ?", (before_ms,)).rowcount,
                "quarantine": self.conn.execute("DELETE FROM quarantine WHERE received < ?", (before_ms,)).rowcount,
            }
            counts["messages"] = self.conn.execute(
                "DELETE FROM messages WHERE coalesce(last_event_ts, first_seen) < ? AND NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.message_id = messages.message_id)", (before_ms,)).rowcount
            self.conn.execute(
                "DELETE FROM message_recipients WHERE ts < ? AND NOT EXISTS "
                "(SELECT 1 FROM messages m WHERE m.message_id = message_recipients.message_id)", (before_ms,))
        return counts

    def vacuum(self) -> None:
        with self._lock:
            self.conn.execute("VACUUM")

    def message(self, message_id: str) -> dict | None:
        rows = self._query("SELECT * FROM messages WHERE message_id = ?", (message_id,))
        if not rows:
            return None
        msg = rows[0]
        msg["destinations"] = json.loads(msg["destinations"]) if msg["destinations"] else []
        msg["tags"] = json.loads(msg["tags"]) if msg["tags"] else {}
        msg["recipients"] = self._query(
            "SELECT recipient, status, ts FROM message_recipients WHERE message_id = ? ORDER BY recipient",
            (message_id,),
        )
        return msg

    def record(self, message_id: str, event_type: str, ts: int) -> str | None:
        rows = self._query(
            "SELECT body FROM records WHERE message_id = ? AND event_type = ? AND ts = ?",
            (message_id, event_type, ts),
        )
        return rows[0]["body"] if rows else None

    def quarantined(self, limit: int = 100) -> list[dict]:
        return self._query("SELECT * FROM quarantine ORDER BY id DESC LIMIT ?", (limit,))

    # -- collector, account and statistics state ------------------------------------------------

    COLLECTOR_FIELDS = ("queue_url", "state", "started", "heartbeat", "last_success", "last_error",
                        "last_error_at", "events_per_s", "backlog", "received", "stored", "duplicates",
                        "quarantined")

    def save_collector_state(self, collector_id: str, state: dict[str, Any]) -> None:
        cols = ("collector_id",) + self.COLLECTOR_FIELDS
        values = [collector_id] + [state.get(c) for c in self.COLLECTOR_FIELDS]
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.COLLECTOR_FIELDS)
        self._write(
            f"INSERT INTO collector_state ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (collector_id) DO UPDATE SET {updates}",
            values,
        )

    def collector_states(self, fresher_than_ms: int | None = None) -> list[dict]:
        """Collectors that reported, the most recent heartbeat first."""
        if fresher_than_ms is None:
            return self._query("SELECT * FROM collector_state ORDER BY heartbeat DESC")
        return self._query("SELECT * FROM collector_state WHERE heartbeat >= ? ORDER BY heartbeat DESC",
                           (fresher_than_ms,))

    def save_account_snapshot(self, *, taken_ms: int, profile: str | None, region: str | None,
                              status: dict | None, error: str | None = None, keep: int = 1000) -> None:
        with self._transaction():
            self.conn.execute(
                "INSERT INTO account_snapshots (taken, profile, region, status, error) VALUES (?, ?, ?, ?, ?)",
                (taken_ms, profile, region, json.dumps(status) if status is not None else None, error),
            )
            self.conn.execute(
                "DELETE FROM account_snapshots WHERE id <= (SELECT max(id) FROM account_snapshots) - ?", (keep,)
            )

    def account_snapshot(self, *, ok_only: bool = False) -> dict | None:
        """The newest snapshot (with `status` decoded), or the newest successful one."""
        where = "WHERE error IS NULL " if ok_only else ""
        rows = self._query(f"SELECT * FROM account_snapshots {where}ORDER BY id DESC LIMIT 1")
        if not rows:
            return None
        row = rows[0]
        row["status"] = json.loads(row["status"]) if row["status"] else None
        return row

    def save_send_stats(self, points: Iterable[tuple[int, int, int, int, int]]) -> None:
        """(ts_ms, delivery_attempts, bounces, complaints, rejects) points; newer figures replace older."""
        with self._transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO send_stats (ts, delivery_attempts, bounces, complaints, rejects) "
                "VALUES (?, ?, ?, ?, ?)",
                list(points),
            )

    def send_stats(self, since_ms: int) -> list[dict]:
        return self._query("SELECT * FROM send_stats WHERE ts >= ? ORDER BY ts", (since_ms,))

    # -- suppression list cache and audit ------------------------------------------------------

    def replace_suppressions(self, entries: Iterable[tuple], fetched_ms: int) -> int:
        """Replace the cache with a full listing: (email, reason, last_update_ms) tuples."""
        rows = [(e, r, u, fetched_ms) for e, r, u in entries]
        with self._transaction():
            self.conn.execute("DELETE FROM suppressions")
            self.conn.executemany(
                "INSERT OR REPLACE INTO suppressions (email, reason, last_update, fetched) VALUES (?, ?, ?, ?)", rows
            )
        return len(rows)

    def cache_suppression(self, email: str, reason: str, last_update_ms: int | None, fetched_ms: int,
                          message_id: str | None = None, feedback_id: str | None = None) -> None:
        self._write(
            "INSERT INTO suppressions (email, reason, last_update, message_id, feedback_id, fetched) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET reason = excluded.reason, "
            "last_update = excluded.last_update, fetched = excluded.fetched, "
            "message_id = coalesce(excluded.message_id, suppressions.message_id), "
            "feedback_id = coalesce(excluded.feedback_id, suppressions.feedback_id)",
            (email, reason, last_update_ms, message_id, feedback_id, fetched_ms),
        )

    def suppressions_for(self, emails: Iterable[str]) -> list[dict]:
        """Cached entries for these addresses (case-insensitive)."""
        emails = list(emails)
        if not emails:
            return []
        return self._query(f"SELECT * FROM suppressions WHERE email IN ({', '.join('?' * len(emails))})", emails)

    def uncache_suppression(self, email: str) -> None:
        self._write("DELETE FROM suppressions WHERE email = ?", (email,))

    def suppressions(self, text: str | None = None, limit: int = 10000) -> list[dict]:
        if text:
            return self._query(
                "SELECT * FROM suppressions WHERE email LIKE ? ESCAPE '\\' ORDER BY last_update DESC, email LIMIT ?",
                (f"%{_like_escape(text)}%", limit),
            )
        return self._query("SELECT * FROM suppressions ORDER BY last_update DESC, email LIMIT ?", (limit,))

    def add_audit(self, *, action: str, origin: str, outcome: str, email: str | None = None,
                  reason: str | None = None, actor: str | None = None, detail: str | None = None,
                  message_id: str | None = None, at_ms: int | None = None) -> None:
        self._write(
            "INSERT INTO audit (at, actor, origin, action, email, reason, outcome, detail, message_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at_ms if at_ms is not None else now_ms(), actor, origin, action, email, reason, outcome, detail,
             message_id),
        )

    def audit(self, limit: int = 500, email: str | None = None) -> list[dict]:
        if email:
            return self._query("SELECT * FROM audit WHERE email = ? COLLATE NOCASE ORDER BY id DESC LIMIT ?",
                               (email, limit))
        return self._query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))

    # -- plumbing -----------------------------------------------------------------------------

    @contextmanager
    def _transaction(self):
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def _write(self, sql: str, params: Iterable[Any] = ()) -> None:
        with self._lock:
            self.conn.execute(sql, tuple(params))

    def count(self, table: str) -> int:
        if table not in ("events", "messages", "quarantine", "records"):
            raise ValueError(table)
        return self._query(f"SELECT count(*) AS n FROM {table}")[0]["n"]


# Equality and range filters on events, by keyword.
_EVENT_CONDITIONS = {
    "after_id": "id > ?",
    "before_id": "id < ?",
    "event_type": "event_type = ?",
    "message_id": "message_id = ?",
    "recipient": "recipient = ? COLLATE NOCASE",
    "since_ms": "ts >= ?",
    "until_ms": "ts < ?",
}


def _event_where(*, types: Iterable[str] | None = None, text: str | None = None,
                 **conditions: Any) -> tuple[list[str], list[Any]]:
    """WHERE clauses and their parameters; `text` matches recipient, message id or subject."""
    where: list[str] = []
    params: list[Any] = []
    for name, value in conditions.items():
        if value is not None and value != "":
            where.append(_EVENT_CONDITIONS[name])
            params.append(value)
    if types is not None:
        types = list(types)
        where.append(f"event_type IN ({', '.join('?' * len(types))})")
        params += types
    if text:
        like = f"%{_like_escape(text)}%"
        where.append("(recipient LIKE ? ESCAPE '\\' OR message_id LIKE ? ESCAPE '\\'"
                     " OR subject LIKE ? ESCAPE '\\')")
        params += [like, like, like]
    return where, params


def _where_sql(clauses: list[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False) without a new encoder per call


class Rows:
    """Parsed bodies flattened into the rows each table receives, ready for executemany.
    Plain lists of tuples, so they pickle cheaply from a parsing process to the writer."""

    EVENT_SQL = (
        f"INSERT OR IGNORE INTO events ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
    )
    RECORD_SQL = "INSERT OR IGNORE INTO records (message_id, event_type, ts, body) VALUES (?, ?, ?, ?)"
    MESSAGE_SQL = """
        INSERT INTO messages (message_id, first_seen, mail_ts, last_event_ts, source, subject,
                              destinations, configuration_set, tags)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (message_id) DO UPDATE SET
          mail_ts = coalesce(messages.mail_ts, excluded.mail_ts),
          last_event_ts = max(coalesce(messages.last_event_ts, 0), excluded.last_event_ts),
          source = coalesce(messages.source, excluded.source),
          subject = coalesce(messages.subject, excluded.subject),
          destinations = CASE WHEN messages.destinations IS NULL OR messages.destinations = '[]'
                              THEN excluded.destinations ELSE messages.destinations END,
          configuration_set = coalesce(messages.configuration_set, excluded.configuration_set),
          tags = CASE WHEN messages.tags IS NULL OR messages.tags = '{}'
                      THEN excluded.tags ELSE messages.tags END
    """
    RECIPIENT_SQL = """
        INSERT INTO message_recipients (message_id, recipient, status, rank, ts) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (message_id, recipient) DO UPDATE SET
          status = excluded.status, rank = excluded.rank, ts = excluded.ts
        WHERE excluded.rank > message_recipients.rank
           OR (excluded.rank = message_recipients.rank AND excluded.ts > message_recipients.ts)
    """
    QUARANTINE_SQL = "INSERT INTO quarantine (received, reason, body) VALUES (?, ?, ?)"

    def __init__(self, received_ms: int):
        self.received_ms = received_ms
        self.events: list[tuple] = []
        self.records: list[tuple] = []
        self.messages: list[tuple] = []
        self.recipients: list[tuple] = []
        self.quarantine: list[tuple] = []
        # message id -> (destinations, tags, their JSON): a message's records tend to share a batch
        self._mail_json: dict[str, tuple[list, dict, str, str]] = {}

    def add(self, body: str | bytes, parsed: Parsed) -> None:
        if not parsed.ok:
            if isinstance(body, (bytes, bytearray)):
                body = body.decode("utf-8", errors="backslashreplace")
            else:
                body = valid_text(body)  # SQLite text must be UTF-8: no lone surrogates
            self.quarantine.append((self.received_ms, parsed.reason, body))
            return
        mail = parsed.mail
        last_ts = 0
        for ev in parsed.events:
            ts = to_ms(ev.timestamp)
            last_ts = max(last_ts, ts)
            self.events.append(
                (ev.message_id, ev.event_type, ev.recipient, ts, ev.bounce_type, ev.bounce_subtype,
                 ev.diagnostic_code, ev.complaint_feedback_type, ev.delay_type, ev.link, ev.user_agent,
                 ev.ip_address, ev.reject_reason, ev.error_message, ev.subject, ev.source,
                 ev.configuration_set)
            )
            status = status_of(ev.event_type, ev.bounce_type, ev.diagnostic_code)
            self.recipients.append((ev.message_id, ev.recipient, status, STATUS_RANK[status], ts))
        self.records.append((mail.message_id, parsed.event_type, last_ts, parsed.record))
        cached = self._mail_json.get(mail.message_id)
        if cached is not None and cached[0] == mail.destinations and cached[1] == mail.tags:
            destinations, tags = cached[2], cached[3]
        else:
            destinations, tags = _json_text(mail.destinations), _json_text(mail.tags)
            self._mail_json[mail.message_id] = (mail.destinations, mail.tags, destinations, tags)
        self.messages.append(
            (mail.message_id, self.received_ms, to_ms(mail.timestamp) if mail.timestamp else None, last_ts,
             mail.source, mail.subject, destinations, mail.configuration_set, tags)
        )

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_mail_json"] = {}
        return state

    def __len__(self) -> int:
        return len(self.events) + len(self.quarantine)

    def write(self, conn: sqlite3.Connection) -> AddResult:
        stored = 0
        if self.events:
            stored = conn.executemany(self.EVENT_SQL, self.events).rowcount
            conn.executemany(self.RECORD_SQL, self.records)
            conn.executemany(self.MESSAGE_SQL, self.messages)
            conn.executemany(self.RECIPIENT_SQL, self.recipients)
        if self.quarantine:
            conn.executemany(self.QUARANTINE_SQL, self.quarantine)
        return AddResult(stored, len(self.events) - stored, len(self.quarantine))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
