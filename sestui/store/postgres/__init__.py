"""The team event store on PostgreSQL: the same public methods, return types and row dicts as the
SQLite store (store/sqlite.py, the protocol in store/base.py), for a `postgresql://` URL (libpq's
environment variables and ~/.pgpass apply).

Connections come from a psycopg-pool pool (autocommit; explicit transactions for writes), so one
`PostgresStore` is safe to share between threads. New events are announced with NOTIFY in the
transaction that stores them; `wait_for_events` is how a console learns of them without polling.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import PoolTimeout

from sestui.core.events import Parsed
from sestui.store import queries
from sestui.store.base import COLLECTOR_FIELDS, AddResult, BounceRow, EventRow, StoreError, TimelineEntry
from sestui.store.history import HistoryQueries
from sestui.store.reads import SharedReads
from sestui.store.postgres import filters
from sestui.store.postgres import outbox as pgoutbox  # outbox hook
from sestui.store.postgres import schema as pgschema
from sestui.store.postgres.outbox import PgOutbox  # outbox hook
from sestui.store.postgres.messages import connect_error, display_url, lost_error
from sestui.store.postgres.notify import CONNECT_TIMEOUT_S, PgNotify
from sestui.store.postgres.pool import POOL_TIMEOUT_S, getconn, open_pool
from sestui.store.postgres import rollups as pgrollups
from sestui.store.postgres.reports import PgReportsMixin
from sestui.store.postgres.reports import pg_sql as _pg
from sestui.store.postgres.state import PgStateMixin
from sestui.store.postgres.write import WRITERS, Prepared, has_nul, prepare, write_pipeline
from sestui.store.rows import EVENT_COLUMNS, Rows

COLS = ", ".join(("id",) + EVENT_COLUMNS)
EVENTS = ", ".join(EVENT_COLUMNS)
NEWEST = "SELECT coalesce(max(id), 0) FROM events"
DEFAULT_WRITE_MODE = "copy"  # measured faster: benchmarks/ingest_pg.py

_EVENT_CONDITIONS = {
    "after_id": "id > %s",
    "before_id": "id < %s",
    "event_type": "event_type = %s",
    "message_id": "message_id = %s",
    "recipient": "lower(recipient) = lower(%s)",
    "since_ms": "ts >= %s",
    "until_ms": "ts < %s",
}


def _event_where(*, types: Iterable[str] | None = None, text: str | None = None,
                 **conditions: Any) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for name, value in conditions.items():
        if value is not None and value != "":
            where.append(_EVENT_CONDITIONS[name])
            params.append(value)
    if types is not None:
        where.append("event_type = ANY(%s)")
        params.append(list(types))
    if text:
        like = f"%{queries.like_escape(text)}%"
        where.append(r"(recipient ILIKE %s ESCAPE '\' OR message_id ILIKE %s ESCAPE '\' OR subject ILIKE %s ESCAPE '\')")
        params += [like, like, like]
    return where, params


class PostgresStore(SharedReads, PgNotify, PgStateMixin, PgReportsMixin, HistoryQueries):
    """A pool of connections to one PostgreSQL database holding the sestui schema."""

    COLLECTOR_FIELDS = COLLECTOR_FIELDS
    _p = "%s"  # psycopg's placeholder, for store/history.py, state.py and reads.py
    _AFTER_KEY = ("(ts, id) > (%s, %s)", ("ts", "id"))
    _BYTE_ORDER = ' COLLATE "C"'  # SQLite's text order
    _event_where = staticmethod(_event_where)
    _portable = staticmethod(_pg)
    outbox_rules = None  # outbox hook: a core.rules.RuleSet, set by store.outbox.attach()

    @functools.cached_property
    def outbox(self) -> PgOutbox:
        """The actions outbox in this database (store/base.py's Outbox)."""
        return PgOutbox(self)

    def __init__(self, url: str, *, readonly: bool = False, pool_size: int = 4,
                 write_mode: str = DEFAULT_WRITE_MODE):
        self.url = url
        self.path = display_url(url)  # what messages call the database (`Store.path` for SQLite)
        self.readonly = readonly
        self._write_rows = WRITERS[write_mode]
        self._partitions: set[str] = set()
        self._listener: psycopg.Connection | None = None
        self._listen_lock = threading.Lock()
        try:
            first = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise connect_error(exc, self.path) from exc
        try:
            # The database's own name and oid: the same for every role, host alias or pooler that
            # reaches it; a database made from it as a template (with its rows) has another oid.
            row = first.execute("SELECT current_database() || '#' || oid FROM pg_database"
                                " WHERE datname = current_database()").fetchone()
            self.identity = f"postgresql:{row[0] if row else self.path}"
            if readonly:
                self._check_readable(first)
            else:
                self._migrate(first)
        except errors.InsufficientPrivilege as exc:  # the tables are another role's
            raise self._not_a_member(first) from exc
        finally:
            first.close()
        self.pool = open_pool(url, size=pool_size, configure=self._configure)

    @functools.cached_property
    def writing_cores(self) -> int:
        """Cores a write keeps busy on this machine: this process's, and the server's where it runs here
        (a unix socket or a loopback address): ops/ingest.py parses in a second process only beyond them."""
        host = str(conninfo_to_dict(self.url).get("host") or os.environ.get("PGHOST") or "")
        local = not host or any(h.startswith("/") or h in ("localhost", "127.0.0.1", "::1") for h in host.split(","))
        return 2 if local else 1

    def _not_a_member(self, conn: psycopg.Connection) -> StoreError:
        user, owner = conn.execute(
            "SELECT current_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'sestui_schema' "
            "AND schemaname = current_schema())").fetchone() or (None, None)
        return StoreError(f"{self.path}: role {user} may not use sestui's tables (owned by {owner}): ask an "
                          f"administrator to run GRANT {owner} TO {user}")

    def _configure(self, conn: psycopg.Connection) -> None:
        # Short statements whose row estimates can pass jit_above_cost (a write's roll-up upsert
        # guesses 600k rows for 2k): compiling them cost more than running them (~20 ms each).
        conn.execute("SET jit = off")
        if self.readonly:
            conn.execute("SET default_transaction_read_only = on")

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        with self._listen_lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
        self.pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        try:
            conn = getconn(self.pool)  # within about a second of a restarted server answering (pool.py)
        except PoolTimeout as exc:
            raise self._why_no_connection() from exc
        try:
            with conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise lost_error(exc, self.path) from exc
        finally:
            self.pool.putconn(conn)

    def _why_no_connection(self) -> StoreError:
        """The pool had no connection for us in time: a direct attempt tells the server's refusal."""
        try:
            psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.Error as exc:
            return connect_error(exc, self.path)
        # The server takes a new connection, yet the pool had none: all in use (an overload), or
        # it is still re-making the ones a server restart broke (psycopg_pool's backoff).
        return StoreError(f"{self.path}: no free database connection within {POOL_TIMEOUT_S} s, though the server"
                          f" answers: all in use, or still reconnecting after a restart")

    @property
    def schema_version(self) -> int:
        with self._conn() as conn:
            return self._version(conn)

    def file_replaced(self) -> bool:
        """Always False: a server has no file to be deleted or replaced under a running console."""
        return False

    @staticmethod
    def _version(conn: psycopg.Connection) -> int:
        # pg_class itself, not to_regclass(): a name lookup may use a catalog cache that has not yet
        # seen the table another process just created (after we waited for its migration lock)
        found = conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'sestui_schema' "
                             "AND relnamespace = current_schema()::regnamespace").fetchone()
        if not found or not found[0]:
            return 0
        row = conn.execute("SELECT version FROM sestui_schema").fetchone()
        return row[0] if row else 0

    def _refuse_newer(self, version: int) -> None:
        if version > len(pgschema.MIGRATIONS):
            raise StoreError(f"{self.path} has schema version {version}, newer than this sestui understands"
                             f" ({len(pgschema.MIGRATIONS)}): upgrade sestui")

    def _check_readable(self, conn: psycopg.Connection) -> None:
        version = self._version(conn)
        if version == 0:
            raise StoreError(f"{self.path} is not a sestui database (it has no sestui schema)")
        self._refuse_newer(version)

    def _migrate(self, conn: psycopg.Connection) -> None:
        version = self._version(conn)
        self._refuse_newer(version)
        if version == len(pgschema.MIGRATIONS):
            return
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (pgschema.MIGRATION_LOCK,))
                version = self._version(conn)  # another process may have migrated while we waited
                self._refuse_newer(version)
                for target, script in enumerate(pgschema.MIGRATIONS[version:], start=version + 1):
                    for statement in pgschema.statements(script):
                        conn.execute(statement)
                    conn.execute("INSERT INTO sestui_schema (version) VALUES (%s) ON CONFLICT (only_row) "
                                 "DO UPDATE SET version = excluded.version", (target,))
        except (errors.InsufficientPrivilege, errors.InvalidSchemaName) as exc:
            user, schema = conn.execute("SELECT current_user, current_schema()").fetchone() or (None, None)
            if schema is None:
                raise StoreError(f"{self.path}: role {user} has no schema to create sestui's tables in: ask for "
                                 f"CREATE SCHEMA sestui AUTHORIZATION {user}") from exc
            raise StoreError(f"{self.path}: role {user} may not create tables in schema {schema}: ask an "
                             f"administrator to run GRANT USAGE, CREATE ON SCHEMA {schema} TO {user}") from exc
        except errors.DuplicateTable as exc:
            raise StoreError(f"{self.path} already holds tables that are not sestui's ({exc.diag.message_primary}):"
                             f" use an empty database or schema") from exc

    # -- writing ------------------------------------------------------------------------------

    def add(self, items: Iterable[tuple[str | bytes, Parsed]], *, received_ms: int | None = None) -> AddResult:
        return self.write(Rows.of(items, received_ms))

    def write(self, rows: Rows) -> AddResult:
        """Store a batch in one transaction; NOTIFY listeners in it when new events were stored."""
        return self.write_prepared(prepare(rows)) if len(rows) else AddResult()

    prepare_write = staticmethod(prepare)  # what ops/ingest.py's parse thread does ahead of write_prepared

    def write_prepared(self, batch: Prepared) -> AddResult:
        """write() of a batch that prepare_write made (in any thread)."""
        if not len(batch.rows):
            return AddResult()
        fresh = False
        write_rows = self._write_rows
        events = len(batch.rows.events)
        with self._conn() as conn:
            while True:
                self._ensure_bounds(conn, batch.bounds, fresh=fresh)
                data = batch.data
                try:
                    with conn.transaction():
                        # ids in commit order: a reader of "id > last seen" never misses a row. Sent
                        # with the first read (one round trip), as the last statements are together.
                        with conn.pipeline():
                            conn.execute("SELECT pg_advisory_xact_lock(%s)", (pgschema.EVENTS_WRITE_LOCK,))
                            # the batch's stored messages, before it: what COPY may skip, what roll-ups move
                            stored = pgrollups.stored_attribution(conn, batch.ids) if batch.ids else {}
                        upkeep = pgrollups.Upkeep(conn, stored, data.get("messages", []), batch.batch) if events else None
                        if upkeep is not None:
                            data = {**data, "events": upkeep.with_sets(batch.raw_events, data["events"])}
                        newest = (conn.execute(NEWEST).fetchone() or (0,))[0] if write_rows is write_pipeline else 0
                        result, new_events = write_rows(conn, data, stored, events)
                        if self.outbox_rules:  # outbox hook: the actions these events trigger, same transaction
                            pgoutbox.route(conn, batch.rows, self.outbox_rules)
                        with conn.pipeline():
                            if upkeep is not None:  # new_events None: those above the newest id before
                                upkeep.apply(conn, new_events if new_events is not None else
                                             conn.execute(f"SELECT {EVENTS} FROM events WHERE id > %s", (newest,)),
                                             None if new_events is None else (batch.counts, batch.data["events"]))
                            if result.stored:  # delivered to listeners when (and if) this commits
                                conn.execute("SELECT pg_notify(%s, %s)", (pgschema.NOTIFY_CHANNEL, str(result.stored)))
                    return result
                except BaseException as exc:
                    if isinstance(exc, errors.UniqueViolation) and write_rows is not write_pipeline:
                        write_rows = write_pipeline  # a row the fast path took for new was stored: ON CONFLICT
                    elif isinstance(exc, errors.CheckViolation) and not fresh:  # "no partition for row": pruned
                        fresh = True  # by another process
                    elif isinstance(exc, psycopg.DataError) and not batch.clean and has_nul(exc):
                        batch = prepare(batch.rows, clean=True)  # a NUL, which PostgreSQL text cannot hold: again, cleaned
                    else:
                        raise

    def _ensure_bounds(self, conn: psycopg.Connection, wanted: set[tuple[int, int]], *, fresh: bool = False) -> None:
        if fresh:
            self._partitions.clear()
        missing = {b for b in wanted if pgschema.partition_name(b[0]) not in self._partitions}
        if not missing:
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (pgschema.PARTITION_LOCK,))
            self._partitions = set(self._partition_list(conn))
            for lo, hi in sorted(missing):
                if pgschema.partition_name(lo) not in self._partitions:
                    conn.execute(pgschema.partition_ddl(lo, hi))
                    self._partitions.add(pgschema.partition_name(lo))

    @staticmethod
    def _partition_list(conn: psycopg.Connection) -> dict[str, tuple[int, int]]:
        """Partition name -> [lo, hi) of its ts range."""
        rows = conn.execute("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass").fetchall()
        out = {}
        for name, bound in rows:
            lo, hi = re.findall(r"\('?(-?\d+)'?\)", bound)
            out[name] = (int(lo), int(hi))
        return out

    # -- reading ------------------------------------------------------------------------------

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._conn() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, tuple(params))
            return cur.fetchall()

    def _write(self, sql: str, params: Iterable[Any] = ()) -> None:
        with self._conn() as conn:
            conn.execute(sql, tuple(params))

    def latest(self, limit: int = 200, *, before: tuple[int, int] | None = None) -> list[EventRow]:
        if before is None:
            return self._query(f"SELECT {COLS} FROM events ORDER BY ts DESC, id DESC LIMIT %s", (limit,))
        return self._query(f"SELECT {COLS} FROM events WHERE (ts, id) < (%s, %s) ORDER BY ts DESC, id DESC LIMIT %s",
                           (before[0], before[1], limit))

    def flow_page(self, *, after_id: int | None = None, before_id: int | None = None, text: str | None = None,
                  types: Iterable[str] | None = None, configuration_set: str | None = None,
                  tag: tuple[str, str] | None = None, limit: int = 200) -> list[EventRow]:
        none, extra, extra_params, key = filters.narrowed(self._query, configuration_set, tag)
        if none:
            return []
        where, params = _event_where(after_id=after_id, before_id=before_id, types=types, text=text)
        order = "ASC" if after_id is not None else "DESC"
        return self._query(f"SELECT {COLS} FROM events{queries.where_sql(where + extra)} ORDER BY {key} {order} LIMIT %s",
                           params + extra_params + [limit])

    def flow_count(self, *, after_id: int, text: str | None = None, types: Iterable[str] | None = None,
                   configuration_set: str | None = None, tag: tuple[str, str] | None = None) -> int:
        none, extra, extra_params, _ = filters.narrowed(self._query, configuration_set, tag)
        if none:
            return 0
        where, params = _event_where(after_id=after_id, types=types, text=text)
        return self._query(f"SELECT count(*) AS n FROM events{queries.where_sql(where + extra)}", params + extra_params)[0]["n"]

    def timeline(self, message_id: str) -> list[EventRow]:
        return self._query(f"SELECT {COLS} FROM events WHERE message_id = %s ORDER BY ts, id", (message_id,))

    def timeline_index(self, message_id: str) -> list[TimelineEntry]:
        with self._conn() as conn, conn.cursor(row_factory=tuple_row) as cur:
            return cur.execute(_pg(queries.TIMELINE_INDEX), (message_id,)).fetchall()

    def events_by_id(self, ids: Iterable[int]) -> list[EventRow]:
        return self._query(f"SELECT {COLS} FROM events WHERE id = ANY(%s) ORDER BY ts, id", ([int(i) for i in ids],))

    def recipients_suppressed(self, message_id: str) -> dict[str, str]:
        rows = self._query("SELECT email, reason FROM suppressions WHERE lower(email) IN"  # its index: lower(email)
                           " (SELECT lower(recipient) FROM message_recipients WHERE message_id = %s)", (message_id,))
        return {row["email"].lower(): row["reason"] for row in rows}

    def recipient_history(self, recipient: str, limit: int = 200) -> list[EventRow]:
        return self._query(f"SELECT {COLS} FROM events WHERE lower(recipient) = lower(%s) "
                           f"ORDER BY ts DESC, id DESC LIMIT %s", (recipient, limit))

    def bounces_for(self, recipient: str, since_ms: int) -> list[BounceRow]:
        return self._query(
            "SELECT message_id, ts, bounce_type, bounce_subtype, diagnostic_code, bounce_class FROM events"
            " WHERE lower(recipient) = lower(%s) AND ts >= %s AND event_type = 'bounce' ORDER BY ts, id",
            (recipient, since_ms))


if TYPE_CHECKING:
    from sestui.store import base

    def _implements_the_protocol(store: PostgresStore) -> base.Store:
        return store  # mypy checks every method, argument and row type against store/base.py
