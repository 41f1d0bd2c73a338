"""Writing a `Rows` batch (see store/rows.py) into PostgreSQL, inside the caller's transaction.

Two ways, same result (tests run both):
- "copy": COPY each table's rows into a temporary table, then one INSERT ... SELECT ... ON CONFLICT
  per table;
- "pipeline": executemany of the row-by-row statements, which psycopg sends in pipeline mode.

Messages and per-recipient statuses are upserts that merge with what is stored. A single INSERT
may not update one row twice, so the batch is first folded in Python into one row per key with
the same merge the SQL does; the merges are associative, so the outcome equals SQLite's
statement-per-row executemany.
"""

from __future__ import annotations

import weakref
from typing import Any

from sestui.store.base import AddResult
from sestui.store.rows import EVENT_COLUMNS

MESSAGE_COLUMNS = ("message_id", "first_seen", "mail_ts", "last_event_ts", "source", "subject", "destinations",
                   "configuration_set", "tags")
RECIPIENT_COLUMNS = ("message_id", "recipient", "status", "rank", "ts")
RECORD_COLUMNS = ("message_id", "event_type", "ts", "body")
QUARANTINE_COLUMNS = ("received", "reason", "body")

EVENTS_CONFLICT = "ON CONFLICT (message_id, event_type, recipient, ts) DO NOTHING"
RECORDS_CONFLICT = "ON CONFLICT (message_id, event_type, ts) DO NOTHING"
MESSAGES_CONFLICT = """ON CONFLICT (message_id) DO UPDATE SET
  mail_ts = coalesce(messages.mail_ts, excluded.mail_ts),
  last_event_ts = greatest(coalesce(messages.last_event_ts, 0), excluded.last_event_ts),
  source = coalesce(messages.source, excluded.source),
  subject = coalesce(messages.subject, excluded.subject),
  destinations = CASE WHEN messages.destinations IS NULL OR messages.destinations = '[]'
                      THEN excluded.destinations ELSE messages.destinations END,
  configuration_set = coalesce(messages.configuration_set, excluded.configuration_set),
  tags = CASE WHEN messages.tags IS NULL OR messages.tags = '{}' THEN excluded.tags ELSE messages.tags END"""
RECIPIENTS_CONFLICT = """ON CONFLICT (message_id, recipient) DO UPDATE SET
  status = excluded.status, rank = excluded.rank, ts = excluded.ts
  WHERE excluded.rank > message_recipients.rank
     OR (excluded.rank = message_recipients.rank AND excluded.ts > message_recipients.ts)"""

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


def batch_tables(rows, *, clean: bool = False) -> list[tuple[str, tuple, str, list[tuple]]]:
    """(table, columns, conflict clause, rows) for each table with rows, in write order. `clean`:
    replace NULs first (scanning every value costs a third of a write: done only for the rare
    batch that failed on one, see has_nul)."""
    tidy = clean_rows if clean else list
    data = {
        "events": tidy(rows.events),
        "records": tidy(rows.records),
        "messages": fold_messages(tidy(rows.messages)),
        "message_recipients": fold_recipients(tidy(rows.recipients)),
        "quarantine": tidy(rows.quarantine),
    }
    return [(table, cols, conflict, data[table]) for table, cols, conflict in TABLES if data[table]]


def write_pipeline(conn, rows, *, clean: bool = False) -> AddResult:
    stored = 0
    with conn.cursor() as cur:
        for table, cols, conflict, data in batch_tables(rows, clean=clean):
            sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) {conflict}")
            cur.executemany(sql, data)
            if table == "events":
                stored = cur.rowcount
    return AddResult(stored, len(rows.events) - stored, len(rows.quarantine))


_STAGED: weakref.WeakSet = weakref.WeakSet()  # connections that hold the staging tables


def _staging_tables(conn, cur) -> None:
    """The temporary tables COPY fills, once per connection (they live as long as it). `_seq`, an
    identity, keeps the batch's order for the INSERT ... SELECT (ids in the order SQLite gives)."""
    if conn in _STAGED:
        return
    for table, cols, _conflict in TABLES:
        if table != "quarantine":
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS _in_{table} ON COMMIT DELETE ROWS AS "
                        f"SELECT {', '.join(cols)} FROM {table} WITH NO DATA")
            cur.execute(f"ALTER TABLE _in_{table} ADD COLUMN IF NOT EXISTS _seq BIGINT GENERATED ALWAYS AS IDENTITY")
    _STAGED.add(conn)


def forget_staging(conn) -> None:
    """After a rollback: the staging tables made in that transaction are gone."""
    _STAGED.discard(conn)


def write_copy(conn, rows, *, clean: bool = False) -> AddResult:
    stored = 0
    with conn.cursor() as cur:
        for table, cols, conflict, data in batch_tables(rows, clean=clean):
            names = ", ".join(cols)
            if table == "quarantine":  # nothing to merge: straight in
                target = f"quarantine ({names})"
            else:
                target = f"_in_{table} ({names})"
                _staging_tables(conn, cur)
            with cur.copy(f"COPY {target} FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            if table != "quarantine":
                cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _in_{table} ORDER BY _seq {conflict}")
                if table == "events":
                    stored = cur.rowcount
    return AddResult(stored, len(rows.events) - stored, len(rows.quarantine))


WRITERS = {"copy": write_copy, "pipeline": write_pipeline}

