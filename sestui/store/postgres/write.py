"""Writing a `Rows` batch (see store/rows.py) into PostgreSQL, inside the caller's transaction.

Two ways, same result (tests run both):
- "copy" (the default, write_copy): COPY straight into the tables for every row that cannot
  collide with a stored one, one upsert statement per table for the rest (see write_copy);
- "pipeline": executemany of the row-by-row ON CONFLICT statements, which psycopg sends in
  pipeline mode; also what a "copy" batch is redone with should a row collide after all.

Messages and per-recipient statuses are upserts that merge with what is stored. A single INSERT
may not update one row twice, so the batch is first folded in Python into one row per key with
the same merge the SQL does; the merges are associative, so the outcome equals SQLite's
statement-per-row executemany.

All of that, and the roll-up counts, needs no database: `prepare` does it (for `sestui ingest`, in
the thread that parses the next batch), and a write under the lock only redoes the part of the
messages it finds stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sestui.store.base import AddResult
from sestui.store.history import RECORD_COLUMNS
from sestui.store.postgres import rollups as pgrollups
from sestui.store.postgres import schema as pgschema
from sestui.store.rows import EVENT_COLUMNS, MESSAGE_COLUMNS, RECIPIENT_COLUMNS, RECIPIENT_MERGE, Rows, message_merge

QUARANTINE_COLUMNS = ("received", "reason", "body")

EVENTS_CONFLICT = "ON CONFLICT (message_id, event_type, recipient, ts) DO NOTHING"
RECORDS_CONFLICT = "ON CONFLICT (message_id, event_type, ts) DO NOTHING"
MESSAGES_CONFLICT = message_merge("greatest")
RECIPIENTS_CONFLICT = RECIPIENT_MERGE

TABLES = (  # (table, columns, conflict clause)
    ("events", EVENT_COLUMNS, EVENTS_CONFLICT),
    ("records", RECORD_COLUMNS, RECORDS_CONFLICT),
    ("messages", MESSAGE_COLUMNS, MESSAGES_CONFLICT),
    ("message_recipients", RECIPIENT_COLUMNS, RECIPIENTS_CONFLICT),
    ("quarantine", QUARANTINE_COLUMNS, ""),
)


def _clean(value: Any) -> Any:
    # PostgreSQL text cannot hold NUL; SQLite can. The one character stored differently.
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def clean_rows(rows: list[tuple]) -> list[tuple]:
    return [tuple(_clean(v) for v in row) if any(isinstance(v, str) and "\x00" in v for v in row) else row
            for row in rows]


def fold_messages(rows: list[tuple]) -> list[tuple]:
    out: dict[str, list] = {}
    for row in rows:
        cur = out.get(row[0])
        if cur is None:
            out[row[0]] = list(row)
            continue
        cur[2] = cur[2] if cur[2] is not None else row[2]
        cur[3] = max(cur[3] if cur[3] is not None else 0, row[3])
        for i in (4, 5, 7):
            cur[i] = cur[i] if cur[i] is not None else row[i]
        if cur[6] is None or cur[6] == "[]":
            cur[6] = row[6]
        if cur[8] is None or cur[8] == "{}":
            cur[8] = row[8]
    return [tuple(v) for v in out.values()]


def fold_recipients(rows: list[tuple]) -> list[tuple]:
    out: dict[tuple[str, str], tuple] = {}
    for row in rows:
        key = (row[0], row[1])
        cur = out.get(key)
        if cur is None or row[3] > cur[3] or (row[3] == cur[3] and row[4] > cur[4]):
            out[key] = row
    return list(out.values())


def has_nul(exc: Exception) -> bool:
    """Whether a write failed on a NUL character (psycopg refuses to send one in text)."""
    return "NUL" in str(exc) or "0x00" in str(exc)


def batch_tables(rows, *, clean: bool = False) -> dict[str, list[tuple]]:
    """Table -> its rows, for each table with rows, in write order; message and recipient rows one
    per key. `clean`: replace NULs first (scanning every value costs a third of a write: done only
    for the rare batch that failed on one, see has_nul)."""
    tidy = clean_rows if clean else list
    data = {
        "events": tidy(rows.events),
        "records": tidy(rows.records),
        "messages": fold_messages(tidy(rows.messages)),
        "message_recipients": fold_recipients(tidy(rows.recipients)),
        "quarantine": tidy(rows.quarantine),
    }
    return {table: data[table] for table, _cols, _conflict in TABLES if data[table]}


def message_ids(data: dict[str, list[tuple]]) -> list[str]:
    """The messages a batch's rows belong to."""
    return list({m[0] for m in data.get("messages", ())} | {e[0] for e in data.get("events", ())}
                | {r[0] for r in data.get("records", ())})


@dataclass(slots=True)
class Prepared:
    """A batch in the shape PostgresStore.write sends it, with all the work that needs no database
    done (prepare): the ingest's parse thread makes it while the batch before is being written, so
    the writer, which holds the write lock, does only what depends on what is stored."""

    rows: Rows
    data: dict[str, list[tuple]]  # batch_tables, each event and record identity once, events with sets given
    raw_events: list[tuple]  # data["events"] before they were given their message's set
    ids: list[str]  # message_ids
    batch: dict[str, pgrollups.Attribution]  # each message's set and tags as this batch gives them
    counts: pgrollups.Counts  # the roll-up counts of data["events"] under `batch`
    bounds: set[tuple[int, int]]  # the event partitions the batch needs
    clean: bool  # NULs replaced (see batch_tables)


def prepare(rows: Rows, clean: bool = False) -> Prepared:
    """`rows` ready for PostgresStore.write_prepared; `clean` as in batch_tables."""
    data = batch_tables(rows, clean=clean)
    raw = data["events"] = _first_of_each(data["events"], 4) if "events" in data else []
    if "records" in data:
        data["records"] = _first_of_each(data["records"], 3)
    batch = pgrollups.batch_attribution(data.get("messages", []))
    counts = pgrollups.Counts()
    if raw:
        data["events"] = pgrollups.with_sets(raw, batch)
        counts.add_events(data["events"], batch)
        counts.ready_columns()
    else:
        del data["events"]
    origin, width = pgschema.PARTITION_ORIGIN_MS, pgschema.PARTITION_MS
    bounds = {pgschema.partition_bounds(n * width + origin) for n in {(ev[3] - origin) // width for ev in raw}}
    return Prepared(rows, data, raw, message_ids(data), batch, counts, bounds, clean)


def write_pipeline(conn, data: dict[str, list[tuple]], known: Iterable[str] = (), total: int = 0) -> tuple[AddResult, None]:
    """The batch as row-by-row ON CONFLICT statements (`known` unused: every row may collide; `total`:
    the batch's events before the identities repeated in it were taken out). Which events it stored
    is not told (None): they are those above the newest id before it."""
    stored = 0
    with conn.cursor() as cur:  # quarantine first: a NUL, the usual failure, fails before ids are drawn
        for table, cols, conflict in sorted(TABLES, key=lambda t: t[0] != "quarantine"):
            if table in data:
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) {conflict}"
                cur.executemany(sql, data[table])
                if table == "events":
                    stored = cur.rowcount
    return AddResult(stored, max(total, len(data.get("events", ()))) - stored, len(data.get("quarantine", ()))), None


def _first_of_each(rows: list[tuple], width: int) -> list[tuple]:
    """The rows whose identity (the first `width` values) has not come earlier in the batch."""
    seen: set[tuple] = set()
    return [row for row in rows if (key := row[:width]) not in seen and not seen.add(key)]  # type: ignore[func-returns-value]


def _stored(conn, sql: str, params: tuple) -> set[tuple]:
    return set(conn.execute(sql, params).fetchall())


def copy_rows(cur, table: str, cols: tuple, data: list[tuple]) -> None:
    """COPY in the binary format: no escaping on either side (a record's kB of JSON is sent as it is),
    half the client's time of the text format. A NUL in a text value fails at the server (a
    DataError naming 0x00, see has_nul), as in the text format."""
    if data:
        with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(COPY_TYPES[table])
            for row in data:
                copy.write_row(row)


def _upsert(cur, table: str, cols: tuple, types: tuple, conflict: str, data: list[tuple]) -> None:
    """One INSERT ... SELECT FROM unnest(column arrays) ON CONFLICT: a statement per table, however many rows."""
    if data:
        arrays = ", ".join(f"%b::{t}[]" for t in types)  # binary: no quoting of every value
        cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays}) {conflict}",
                    [list(column) for column in zip(*data, strict=True)])


MESSAGE_TYPES = ("text", "bigint", "bigint", "bigint", "text", "text", "text", "text", "text")
RECIPIENT_TYPES = ("text", "text", "text", "integer", "bigint")
COPY_TYPES = {  # each table's columns' types, as the binary COPY format needs them (schema.py)
    "events": ("text", "text", "text", "bigint") + ("text",) * (len(EVENT_COLUMNS) - 4),
    "records": ("text", "text", "bigint", "text"),
    "messages": MESSAGE_TYPES,
    "message_recipients": RECIPIENT_TYPES,
    "quarantine": ("bigint", "text", "text"),
}


def write_copy(conn, data: dict[str, list[tuple]], known: Iterable[str], total: int = 0) -> tuple[AddResult, list[tuple]]:
    """COPY straight into the tables, with no conflict handling, every row that cannot collide with a
    stored one; merge the rest; return the events it stored. Which can: `known`, the batch's messages
    already stored (an event, record or recipient row is always written with its message's row, and
    pruned before it); only those messages' events and records are looked up, and only their
    message and recipient rows are upserts. Safe because writers hold EVENTS_WRITE_LOCK: nothing is
    stored between the look-up and the COPY. Should a row collide anyway (a message row deleted by
    hand), COPY fails with a unique violation and PostgresStore.write redoes the batch with
    write_pipeline, whose every statement is ON CONFLICT. The batch's events and records are each
    identity once (prepare); `total`: its events before that."""
    events, records = data.get("events", []), data.get("records", [])
    messages, recipients = data.get("messages", []), data.get("message_recipients", [])
    known = frozenset(known)
    if known:
        probe = [e for e in events if e[0] in known]
        if probe:  # the ts bounds let the planner read only the partitions those events fall in
            have = _stored(conn, "SELECT message_id, event_type, recipient, ts FROM events WHERE message_id = ANY(%b)"
                                 " AND ts BETWEEN %s AND %s",
                           (list({e[0] for e in probe}), min(e[3] for e in probe), max(e[3] for e in probe)))
            events = [e for e in events if e[:4] not in have]
        if any(r[0] in known for r in records):
            have = _stored(conn, "SELECT message_id, event_type, ts FROM records WHERE message_id = ANY(%b)",
                           (list({r[0] for r in records if r[0] in known}),))
            records = [r for r in records if r[:3] not in have]
    with conn.cursor() as cur:
        copy_rows(cur, "quarantine", QUARANTINE_COLUMNS, data.get("quarantine", []))
        copy_rows(cur, "events", EVENT_COLUMNS, events)
        copy_rows(cur, "records", RECORD_COLUMNS, records)
        copy_rows(cur, "messages", MESSAGE_COLUMNS, [m for m in messages if m[0] not in known])
        copy_rows(cur, "message_recipients", RECIPIENT_COLUMNS, [r for r in recipients if r[0] not in known])
    with conn.pipeline(), conn.cursor() as cur:  # one round trip for both
        _upsert(cur, "messages", MESSAGE_COLUMNS, MESSAGE_TYPES, MESSAGES_CONFLICT,
                [m for m in messages if m[0] in known])
        _upsert(cur, "message_recipients", RECIPIENT_COLUMNS, RECIPIENT_TYPES, RECIPIENTS_CONFLICT,
                [r for r in recipients if r[0] in known])
    return AddResult(len(events), max(total, len(data.get("events", ()))) - len(events),
                     len(data.get("quarantine", ()))), events


# (conn, Prepared.data, ids of the batch's stored messages, the batch's events) -> (result, the events stored, or None: unknown)
Writer = Callable[[Any, dict[str, list[tuple]], Iterable[str], int], tuple[AddResult, list[tuple] | None]]
WRITERS: dict[str, Writer] = {"copy": write_copy, "pipeline": write_pipeline}

