"""The local event database in SQLite, through sqlite-utils. Implements store.base.Store.

Times are stored as integer milliseconds since the epoch, UTC: compact, indexable, and exactly the
precision SES reports. The schema and its migrations are in store/schema.py, the write path in
store/rows.py; every other SQL statement is here or in store/queries.py.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import sqlite_utils

from sestui.core.classify import RATE_COUNTED_RECIPIENT
from sestui.core.classify import STATUS_RANK, status_of  # noqa: F401  (re-exported for older imports)
from sestui.core.events import Parsed
from sestui.private_file import open_private
from sestui.store import base, queries, rollups
from sestui.store.base import (  # noqa: F401
    COLLECTOR_FIELDS,
    AddResult,
    StoreError,
    StoreFull,
    from_ms,
    iso_ms,
    now_ms,
    to_ms,
)
from sestui.store.base import (
    BounceRow,
    BreakdownRow,
    EventRow,
    PruneCounts,
    TimelineEntry,
)
from sestui.store.history import HistoryQueries
from sestui.store.reads import SharedReads, by_configuration_set
from sestui.store.rows import EVENT_COLUMNS, Rows
from sestui.store.schema import APPLICATION_ID, MIGRATIONS, SESTUI_TABLES, migrate
from sestui.store.state import StateQueries
from sestui.store import outbox  # outbox hook
from sestui.store.sqlite_outbox import SqliteOutbox  # outbox hook

BUSY_TIMEOUT_S = 15.0

_EVENT_COLS = ", ".join(("id",) + EVENT_COLUMNS)


def _open_private(path: Path) -> None:
    """Create the database file (and its folder) readable by the owner only: it holds addresses."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(FileExistsError), open_private(path, "x"):
        pass


class Store(SharedReads, StateQueries, HistoryQueries):
    """One connection to the event database. Safe to share between threads (calls are serialized).
    The operational state (collector, account, suppressions, audit) is in store/state.py."""

    COLLECTOR_FIELDS = COLLECTOR_FIELDS
    _event_where = staticmethod(queries.event_where)  # for store/reads.py

    outbox_rules = None  # outbox hook: a core.rules.RuleSet, set by store.outbox.attach()

    @functools.cached_property
    def outbox(self) -> SqliteOutbox:
        """The actions outbox on this store's connection (store/base.py's Outbox)."""
        return SqliteOutbox(self.conn, self._lock, self.path)

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = Path(path)
        self.identity = str(self.path.absolute())  # a relative --db names the same file from elsewhere
        self._lock = threading.RLock()
        try:
            if not readonly:
                _open_private(self.path)
            elif not self.path.exists():
                raise StoreError(f"no database at {self.path}")
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
            )
            st = os.stat(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self._file_identity = (st.st_dev, st.st_ino)
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            # A timeline or recipient lookup touches a handful of pages scattered over a big file:
            # read them through the OS page cache by mmap rather than a small private cache.
            conn.execute("PRAGMA cache_size = -32768")
            conn.execute("PRAGMA mmap_size = 1073741824")
            self._check_identity(readonly)
            if not readonly:
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def file_replaced(self) -> bool:
        """Whether the path no longer names the file this store has open (deleted, or replaced)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self._file_identity

    def _refuse_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this sestui understands"
                f" ({len(MIGRATIONS)}): upgrade sestui"
            )

    def _check_identity(self, readonly: bool) -> None:
        """Refuse a file that is not sestui's before anything is changed in it. Reading the header
        also rejects a file that is not SQLite."""
        app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        version = self.schema_version
        tables = set(self.db.table_names())
        if app_id == 0 and not tables and version == 0:
            if readonly:
                raise StoreError(f"{self.path} is not a sestui database (it has no sestui schema)")
            return  # a new, empty file: the migrations make it sestui's
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{self.path} is not a sestui database (it belongs to another application,"
                             f" application_id {app_id:#x}); refusing to use it")
        # An unmarked file is adopted only if it holds the schema an older sestui wrote.
        if app_id == 0 and tables and not (version >= 1 and SESTUI_TABLES <= tables):
            raise StoreError(f"{self.path} is not a sestui database (it has no sestui schema); refusing to use it")
        self._refuse_newer(version)
        if app_id == 0 and not tables and version <= len(MIGRATIONS):
            raise StoreError(f"{self.path} is not a sestui database (it has no sestui schema)")

    def _migrate(self) -> None:
        with self._lock:
            marked = self.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
            if self.schema_version == len(MIGRATIONS) and marked:
                return
            with self._transaction():
                # Another process may have migrated while we waited for the write lock.
                version = self.schema_version
                self._refuse_newer(version)
                migrate(self.db, version)

    # -- writing ------------------------------------------------------------------------------

    def add(self, items: Iterable[tuple[str | bytes, Parsed]], *, received_ms: int | None = None) -> AddResult:
        """Store parsed bodies (each with its raw body, kept if quarantined) in one transaction.

        Returns what happened; after it returns, everything is committed.
        """
        return self.write(Rows.of(items, received_ms))

    def write(self, rows: Rows) -> AddResult:
        """Write rows flattened elsewhere (another process may have parsed them) in one transaction."""
        with self._transaction():
            result = rows.write(self.conn)
            if self.outbox_rules:  # outbox hook: the actions these events trigger, in the same transaction
                outbox.route(self.conn, rows, self.outbox_rules)
            return result

    # -- reading ------------------------------------------------------------------------------

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock, self._translated():
            return list(self.db.query(sql, tuple(params)))

    def latest(self, limit: int = 200, *, before: tuple[int, int] | None = None) -> list[EventRow]:
        """The newest events, newest first; `before` = (ts, id) of the last row of the previous page."""
        if before is None:
            return self._query(f"SELECT {_EVENT_COLS} FROM events ORDER BY ts DESC, id DESC LIMIT ?", (limit,))
        return self._query(
            f"SELECT {_EVENT_COLS} FROM events WHERE ts < ? OR (ts = ? AND id < ?) ORDER BY ts DESC, id DESC LIMIT ?",
            (before[0], before[0], before[1], limit),
        )

    def flow_page(self, *, after_id: int | None = None, before_id: int | None = None, text: str | None = None,
                  types: Iterable[str] | None = None, configuration_set: str | None = None,
                  tag: tuple[str, str] | None = None, limit: int = 200) -> list[EventRow]:
        """Events by arrival (rowid) for the live flow: newest first, or after `after_id` oldest first
        (so a reader can catch up contiguously), or before `before_id` newest first (paging back).
        `text` matches recipient, message id or subject as a substring, case-insensitively;
        `configuration_set` and `tag` (key, value) are those of the event's message, exactly."""
        tagged = self._tag_messages(tag)
        if tagged == 0:
            return []
        order = "ASC" if after_id is not None else "DESC"
        source, where, params, key = queries.flow_where(after_id=after_id, before_id=before_id, types=types,
                                                        text=text, configuration_set=configuration_set, tag=tag,
                                                        tag_messages=tagged, match=self._text_match(text))
        return self._query(f"SELECT {queries.FLOW_COLUMNS} {source}{queries.where_sql(where)}"
                           f" ORDER BY {key} {order} LIMIT ?", params + [limit])

    def flow_count(self, *, after_id: int, text: str | None = None, types: Iterable[str] | None = None,
                   configuration_set: str | None = None, tag: tuple[str, str] | None = None) -> int:
        """How many events matching the flow's filter arrived after `after_id`."""
        tagged = self._tag_messages(tag)
        if tagged == 0:
            return 0
        source, where, params, _ = queries.flow_where(after_id=after_id, types=types, text=text,
                                                      configuration_set=configuration_set, tag=tag,
                                                      tag_messages=tagged, match=self._text_match(text))
        return self._query(f"SELECT count(*) AS n {source}{queries.where_sql(where)}", params)[0]["n"]

    def _text_match(self, text: str | None) -> str | None:
        """The trigram index's query for the flow's text, from how common each trigram is (probed)."""
        if not text or len(text) < queries.FTS_MIN_CHARS:
            return None
        with self._lock, self._translated():
            lowest, highest = self.conn.execute(queries.ID_RANGE).fetchone()
            if lowest is None:
                return None
            estimates = {}
            for trigram in queries.trigrams(text):
                found, last_id = self.conn.execute(queries.TRIGRAM_PROBE, (trigram,)).fetchone()
                estimates[trigram] = queries.estimated_rows(found, last_id, (lowest, highest))
                if not found:  # in no event: the text matches nothing, as the index says at once
                    break
        return queries.rare_trigrams_match(text, estimates, highest - lowest + 1)

    def _tag_messages(self, tag: tuple[str, str] | None) -> int | None:
        """How many messages carry the tag, counted up to just past queries.TAG_LOOKUP_MAX (None: no tag)."""
        if tag is None:
            return None
        with self._lock, self._translated():
            return self.conn.execute(queries.TAG_COUNT, tuple(tag)).fetchone()[0]

    def timeline(self, message_id: str) -> list[EventRow]:
        return self._query(f"SELECT {_EVENT_COLS} FROM events WHERE message_id = ? ORDER BY ts, id", (message_id,))

    def timeline_index(self, message_id: str) -> list[TimelineEntry]:
        """(ts, id, event type, recipient) of every event of a message in time order: tuples read
        from the events_identity index alone, without a dict per row (a big message has tens of
        thousands of events; the console reads whole rows only for the part it shows)."""
        with self._lock, self._translated():
            return self.conn.execute(queries.TIMELINE_INDEX, (message_id,)).fetchall()

    def events_by_id(self, ids: Iterable[int]) -> list[EventRow]:
        """The events with these ids (those still stored), in time order."""
        ids = list(ids)
        rows: list[EventRow] = []
        for i in range(0, len(ids), queries.IDS_PER_QUERY):
            chunk = ids[i:i + queries.IDS_PER_QUERY]
            rows += self._query(f"SELECT {_EVENT_COLS} FROM events WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
        return sorted(rows, key=lambda row: (row["ts"], row["id"]))

    def recipient_history(self, recipient: str, limit: int = 200) -> list[EventRow]:
        return self._query(
            f"SELECT {_EVENT_COLS} FROM events WHERE recipient = ? COLLATE NOCASE ORDER BY ts DESC, id DESC LIMIT ?",
            (recipient, limit),
        )

    def counts_by_configuration_set(self, since_ms: int) -> dict[str | None, tuple[dict[str, int], int]]:
        """configuration set (None: sent without one) -> (counts by event type, hard bounces), for the
        types the reputation rates are made of."""
        types = ("send", "delivery", "bounce", "complaint", "reject")
        rows = self._query(  # an event's set is its message's: the write path fills it in (rollups.after_write)
            f"SELECT e.configuration_set AS cs, e.event_type, count(*) AS n,"
            f" sum(CASE WHEN e.event_type = 'bounce' AND e.bounce_type = 'Permanent' THEN 1 ELSE 0 END) AS hard"
            f" FROM events e WHERE e.event_type IN ({', '.join('?' * len(types))}) AND e.ts >= ?"
            # a not-spam feedback report is not a complaint
            f" AND NOT (e.event_type = 'complaint' AND coalesce(e.complaint_feedback_type, '') = 'not-spam')"
            f" AND {RATE_COUNTED_RECIPIENT}"
            f" GROUP BY cs, e.event_type", [*types, since_ms])
        return by_configuration_set(rows)

    def bounces_for(self, recipient: str, since_ms: int) -> list[BounceRow]:
        """A recipient's bounces since a time (case-insensitive address), for the soft-bounce policy."""
        return self._query(
            "SELECT message_id, ts, bounce_type, bounce_subtype, diagnostic_code, bounce_class FROM events "
            "WHERE recipient = ? COLLATE NOCASE AND ts >= ? AND event_type = 'bounce' ORDER BY ts",
            (recipient, since_ms),
        )

    def prune(self, before_ms: int) -> PruneCounts:
        """Delete events, raw records and quarantined bodies older than a time, and the messages
        left with no events. Audit rows are kept: they are the record of who changed what."""
        with self._transaction():
            events = self.conn.execute("DELETE FROM events WHERE ts < ?", (before_ms,)).rowcount
            records = self.conn.execute("DELETE FROM records WHERE ts < ?", (before_ms,)).rowcount
            quarantine = self.conn.execute("DELETE FROM quarantine WHERE received < ?", (before_ms,)).rowcount
            gone = ("SELECT message_id FROM messages WHERE coalesce(last_event_ts, first_seen) < ? AND NOT EXISTS "
                    "(SELECT 1 FROM events e WHERE e.message_id = messages.message_id)")
            self.conn.execute(f"DELETE FROM message_tags WHERE message_id IN ({gone})", (before_ms,))
            messages = self.conn.execute(f"DELETE FROM messages WHERE message_id IN ({gone})", (before_ms,)).rowcount
            self.conn.execute(
                "DELETE FROM message_recipients WHERE ts < ? AND NOT EXISTS "
                "(SELECT 1 FROM messages m WHERE m.message_id = message_recipients.message_id)", (before_ms,))
            rollups.prune(self.conn, before_ms)
        return {"events": events, "records": records, "quarantine": quarantine, "messages": messages}

    def breakdown(self, window_ms: int, group_by: str, *, now: int | None = None,
                  campaign_tag: str = rollups.CAMPAIGN_TAG) -> list[BreakdownRow]:
        """Events per type (and hard bounces) for each value of a dimension (rollups.DIMENSIONS) over
        the hours that overlap the last `window_ms`, read from the roll-ups only (rollups.breakdown)."""
        return rollups.breakdown(self._query, window_ms, group_by, now if now is not None else now_ms(),
                                 campaign_tag)

    def vacuum(self) -> None:
        """VACUUM, the flow filter's index first merged into one segment: its look-ups cost per
        segment, and writes leave several (a rare text at 1M events: ~2-5 ms in 10 segments, ~1 in one)."""
        with self._transaction():
            self.conn.execute("INSERT INTO events_fts (events_fts) VALUES ('optimize')")
        with self._lock, self._translated():
            self.db.vacuum()

    # -- plumbing -----------------------------------------------------------------------------

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """sqlite3 errors -> one-line StoreErrors the CLI and the console can show."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._store_error(exc) from exc

    def _store_error(self, exc: sqlite3.Error) -> StoreError:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return StoreFull(f"database or disk is full: {self.path}: the last write was not stored ({exc})")
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return StoreError(f"{self.path} is not a usable sestui database: {exc}")
        return StoreError(f"database error on {self.path}: {exc}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock, self._translated():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                # SQLite rolls some failures (a full disk among them) back by itself: a second
                # ROLLBACK would fail and hide what happened.
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _write(self, sql: str, params: Iterable[Any] = ()) -> None:
        with self._lock, self._translated():
            self.conn.execute(sql, tuple(params))


if TYPE_CHECKING:
    def _implements_the_protocol(store: Store) -> base.Store:
        return store  # mypy checks every method, argument and row type against store/base.py
