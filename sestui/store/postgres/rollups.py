"""Hourly roll-ups on PostgreSQL: the same tables, dimensions and rules as SQLite's (store/rollups.py),
kept in the transaction that writes the events, so a breakdown reads what its window's hours hold
instead of grouping their events.

PostgreSQL does not copy a message's configuration set into its events: an event counts under its
own set, else its message's (reports.GROUP_EXPR). A write that gives a stored message its first set
or tags moves that message's earlier events from "(none)" (the set) or adds them (the tags), as
SQLite's after_write does. Writers hold EVENTS_WRITE_LOCK, so "ids above the newest before the
write" are exactly the events the write added.
"""

from __future__ import annotations

from typing import Any

from sestui.store import rollups
from sestui.store.postgres.reports import COMPLAINT_COUNTED, GROUP_EXPR, HARD

HOUR = f"(e.ts / {rollups.HOUR_MS}) * {rollups.HOUR_MS}"
_MESSAGE = "events e LEFT JOIN messages m ON m.message_id = e.message_id"


def _hourly(where: str, sign: str = "", configuration_set: str = GROUP_EXPR["configuration_set"]) -> str:
    dims = ", ".join([configuration_set] + [GROUP_EXPR[d] for d in rollups.COLUMNS[4:]
                                            if d != "configuration_set"])
    return (f"INSERT INTO rollup_hourly ({', '.join(rollups.COLUMNS)}, n)"
            f" SELECT {HOUR}, e.event_type, {HARD}::int, {dims}, {sign}count(*) FROM {_MESSAGE}"
            f" WHERE {where} AND {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
            f" ON CONFLICT ({', '.join(rollups.COLUMNS)}) DO UPDATE SET n = rollup_hourly.n + excluded.n")


def _tags_of(messages: str) -> str:
    """(message_id, tag_key, tag_value) of the messages `messages` selects: each string value of each
    list in their tags object, once (SQLite's message_tags)."""
    return ("SELECT DISTINCT m.message_id, t.key AS tag_key, v.value #>> '{}' AS tag_value FROM messages m"
            " CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(m.tags::jsonb) = 'object'"
            " THEN m.tags::jsonb ELSE '{}'::jsonb END) AS t"
            " CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.value) = 'array'"
            " THEN t.value ELSE '[]'::jsonb END) AS v"
            f" WHERE jsonb_typeof(v.value) = 'string' AND m.message_id {messages}")


def _tags(where: str, messages: str) -> str:
    return (f"INSERT INTO rollup_tags ({', '.join(rollups.TAG_COLUMNS)}, n)"
            f" SELECT mt.tag_key, {HOUR}, e.event_type, {HARD}::int, mt.tag_value, count(*)"
            f" FROM events e JOIN ({_tags_of(messages)}) mt ON mt.message_id = e.message_id"
            f" WHERE {where} AND {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4, 5"
            f" ON CONFLICT ({', '.join(rollups.TAG_COLUMNS)}) DO UPDATE SET n = rollup_tags.n + excluded.n")


_ATTRIBUTION = ("SELECT message_id, configuration_set IS NOT NULL,"
                " coalesce(tags, '{}') NOT IN ('{}', '') FROM messages WHERE message_id = ANY(%s)")
NEWEST = "SELECT coalesce(max(id), 0) FROM events"


def before_write(conn: Any, message_ids: list[str]) -> tuple[int, dict[str, tuple[bool, bool]]]:
    """The newest event id, and whether each stored message of the batch has a set and tags yet."""
    newest = conn.execute(NEWEST).fetchone()[0]
    return newest, {m: (has_set, has_tags) for m, has_set, has_tags in conn.execute(_ATTRIBUTION, (message_ids,))}


def after_write(conn: Any, newest: int, before: dict[str, tuple[bool, bool]], message_ids: list[str]) -> None:
    """Roll up the events above `newest`; move or add the earlier events of the messages this write
    gave their first set or tags."""
    got_set: list[str] = []
    got_tags: list[str] = []
    incomplete = [m for m, (has_set, has_tags) in before.items() if not (has_set and has_tags)]
    if incomplete:
        for m, has_set, has_tags in conn.execute(_ATTRIBUTION, (incomplete,)):
            if has_set and not before[m][0]:
                got_set.append(m)
            if has_tags and not before[m][1]:
                got_tags.append(m)
    if got_set:
        earlier = "e.id <= %s AND e.message_id = ANY(%s) AND e.configuration_set IS NULL"
        conn.execute(_hourly(earlier, "-", "''"), (newest, got_set))
        conn.execute(_hourly(earlier), (newest, got_set))
        conn.execute("DELETE FROM rollup_hourly WHERE n = 0")
    if got_tags:
        conn.execute(_tags("e.id <= %s AND e.message_id = ANY(%s)", "= ANY(%s)"), (got_tags, newest, got_tags))
    conn.execute(_hourly("e.id > %s"), (newest,))
    conn.execute(_tags("e.id > %s", "= ANY(%s)"), (message_ids, newest))


def prune(conn: Any, before_ms: int) -> None:
    """After events older than `before_ms` were deleted: drop the hours they filled, recount the
    hour the cut falls in."""
    boundary = before_ms // rollups.HOUR_MS * rollups.HOUR_MS
    for table in ("rollup_hourly", "rollup_tags"):
        conn.execute(f"DELETE FROM {table} WHERE hour < %s", (boundary + rollups.HOUR_MS,))
    hour = "e.ts >= %s AND e.ts < %s"
    conn.execute(_hourly(hour), (boundary, boundary + rollups.HOUR_MS))
    conn.execute(_tags(hour, "IN (SELECT message_id FROM events WHERE ts >= %s AND ts < %s)"),
                 (boundary, boundary + rollups.HOUR_MS) * 2)


def migration() -> str:
    """Schema version 5: the tables, filled from the events already stored (statements without
    parameters: psycopg's %% escapes undone)."""
    cols = ", ".join(f"{c} {'BIGINT' if c == 'hour' else 'INTEGER' if c == 'hard' else 'TEXT'} NOT NULL"
                     for c in rollups.COLUMNS)
    tag_cols = ", ".join(f"{c} {'BIGINT' if c == 'hour' else 'INTEGER' if c == 'hard' else 'TEXT'} NOT NULL"
                         for c in rollups.TAG_COLUMNS)
    return ";\n".join([
        f"CREATE TABLE rollup_hourly ({cols}, n INTEGER NOT NULL, PRIMARY KEY ({', '.join(rollups.COLUMNS)}))",
        f"CREATE TABLE rollup_tags ({tag_cols}, n INTEGER NOT NULL, PRIMARY KEY ({', '.join(rollups.TAG_COLUMNS)}))",
        _hourly("TRUE").replace("%%", "%"),
        _tags("TRUE", "IS NOT NULL").replace("%%", "%"),
    ])
