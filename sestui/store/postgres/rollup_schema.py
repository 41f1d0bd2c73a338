"""The roll-up tables' migrations on PostgreSQL (schema versions 5 and 6). Released entries: never
edit what a version creates, add a version.

Version 5 rolled the events up hourly in SQL (rollup_hourly, one row per combination of every
dimension, and rollup_tags); version 6 sums rollup_hourly into rollup_groups (one row per dimension
per hour, 6 hours and UTC day: store/postgres/rollups.py's TIERS) and drops it: from then on
the write path keeps rollup_groups and rollup_tags from the batch (store/postgres/rollups.py).
"""

from __future__ import annotations

from sestui.store import rollups
from sestui.store.postgres.reports import COMPLAINT_COUNTED, GROUP_EXPR, HARD
from sestui.store.postgres.rollups import GROUP_COLUMNS, TIERS, retier

_HOUR = f"(e.ts / {rollups.HOUR_MS}) * {rollups.HOUR_MS}"
_MESSAGE = "events e LEFT JOIN messages m ON m.message_id = e.message_id"


def _hourly() -> str:
    dims = ", ".join(GROUP_EXPR[d] for d in rollups.COLUMNS[3:])
    return (f"INSERT INTO rollup_hourly ({', '.join(rollups.COLUMNS)}, n)"
            f" SELECT {_HOUR}, e.event_type, {HARD}::int, {dims}, count(*) FROM {_MESSAGE}"
            f" WHERE {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8")


def _tags() -> str:
    """Each string value of each list in a message's tags object, once (SQLite's message_tags)."""
    tags_of = ("SELECT DISTINCT m.message_id, t.key AS tag_key, v.value #>> '{}' AS tag_value FROM messages m"
               " CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(m.tags::jsonb) = 'object'"
               " THEN m.tags::jsonb ELSE '{}'::jsonb END) AS t"
               " CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.value) = 'array'"
               " THEN t.value ELSE '[]'::jsonb END) AS v"
               " WHERE jsonb_typeof(v.value) = 'string' AND m.message_id IS NOT NULL")
    return (f"INSERT INTO rollup_tags ({', '.join(rollups.TAG_COLUMNS)}, n)"
            f" SELECT mt.tag_key, {_HOUR}, e.event_type, {HARD}::int, mt.tag_value, count(*)"
            f" FROM events e JOIN ({tags_of}) mt ON mt.message_id = e.message_id"
            f" WHERE {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4, 5")


def _column(name: str) -> str:
    return f"{name} {'BIGINT' if name == 'hour' else 'INTEGER' if name == 'hard' else 'TEXT'} NOT NULL"


def migration_5() -> str:
    """rollup_hourly and rollup_tags, filled from the events already stored (statements without
    parameters: psycopg's %% escapes undone)."""
    return ";\n".join([
        f"CREATE TABLE rollup_hourly ({', '.join(map(_column, rollups.COLUMNS))}, n INTEGER NOT NULL,"
        f" PRIMARY KEY ({', '.join(rollups.COLUMNS)}))",
        f"CREATE TABLE rollup_tags ({', '.join(map(_column, rollups.TAG_COLUMNS))}, n INTEGER NOT NULL,"
        f" PRIMARY KEY ({', '.join(rollups.TAG_COLUMNS)}))",
        _hourly().replace("%%", "%"),
        _tags().replace("%%", "%"),
    ])


def migration_6() -> str:
    """rollup_groups, summed from rollup_hourly (which the events filled) and rollup_tags; then
    rollup_hourly goes."""
    hourly = [f"SELECT '{d}', hour, event_type, hard, {d}, sum(n) FROM rollup_hourly GROUP BY hour, event_type, hard, {d}"
              for d in rollups.GROUP_DIMENSIONS]
    hourly.append(f"SELECT '{rollups.TOTALS}', hour, event_type, hard, '', sum(n) FROM rollup_hourly"
                  f" GROUP BY hour, event_type, hard")
    return ";\n".join([
        f"CREATE TABLE rollup_groups ({', '.join(map(_column, GROUP_COLUMNS))}, n INTEGER NOT NULL,"
        f" PRIMARY KEY ({', '.join(GROUP_COLUMNS)}))",
        f"INSERT INTO rollup_groups ({', '.join(GROUP_COLUMNS)}, n) " + " UNION ALL ".join(hourly),
        *(statement for prefix, unit in TIERS[1:] for statement in retier(prefix, unit, "TRUE")),
        "DROP TABLE rollup_hourly",
    ])
