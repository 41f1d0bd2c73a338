"""The roll-up tables' migrations on PostgreSQL (schema versions 5 to 7). Released entries: never
edit what a version creates, add a version (so each names the columns and tiers of its time).

Version 5 rolled the events up hourly in SQL (rollup_hourly, one row per combination of every
dimension, and rollup_tags); version 6 sums rollup_hourly into rollup_groups (one row per dimension
per hour, 6 hours and UTC day, and per event type and hard) and drops it: from then on the write
path keeps rollup_groups and rollup_tags from the batch (store/postgres/rollups.py). Version 7 gives
rollup_groups SQLite's shape (schema 9): one row per dimension x unit x value with a count per event
type and of hard bounces, summed from version 6's rows; and moves rollup_tags into it, as hourly
rows of dimension "tag:KEY" beside the 6-hour and day ones version 6 kept there, so the campaign
breakdown reads one table in one shape. At 1M events an hour held nearly every type of every
value, so a breakdown read several times the rows it reads at 10k; now a row per group.
"""

from __future__ import annotations

from sestui.store import rollups
from sestui.store.postgres.reports import COMPLAINT_COUNTED, GROUP_EXPR, HARD
from sestui.store.postgres import rollups as pgrollups

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


_V6_KEY = ("dimension", "hour", "event_type", "hard", "value")
_V6_TIERS = (("6h:", 6 * rollups.HOUR_MS), ("day:", rollups.DAY_MS))
_V6_DIMENSIONS = ("", "configuration_set", "from_domain", "recipient_domain", "bounce_class", "feedback_type")


def _retier_v6(prefix: str, unit: int) -> list[str]:
    floor = f"hour / {unit} * {unit}"
    dims = ", ".join(f"'{d}'" for d in _V6_DIMENSIONS)
    return [f"INSERT INTO rollup_groups ({', '.join(_V6_KEY)}, n)"
            f" SELECT '{prefix}' || dimension, {floor}, event_type, hard, value, sum(n) FROM rollup_groups"
            f" WHERE dimension IN ({dims}) GROUP BY 1, 2, 3, 4, 5",
            f"INSERT INTO rollup_groups ({', '.join(_V6_KEY)}, n)"
            f" SELECT '{prefix}tag:' || tag_key, {floor}, event_type, hard, tag_value, sum(n) FROM rollup_tags"
            f" GROUP BY 1, 2, 3, 4, 5"]


def migration_6() -> str:
    """rollup_groups, summed from rollup_hourly (which the events filled) and rollup_tags; then
    rollup_hourly goes."""
    hourly = [f"SELECT '{d}', hour, event_type, hard, {d}, sum(n) FROM rollup_hourly GROUP BY hour, event_type, hard, {d}"
              for d in _V6_DIMENSIONS[1:]]
    hourly.append("SELECT '', hour, event_type, hard, '', sum(n) FROM rollup_hourly GROUP BY hour, event_type, hard")
    return ";\n".join([
        f"CREATE TABLE rollup_groups ({', '.join(map(_column, _V6_KEY))}, n INTEGER NOT NULL,"
        f" PRIMARY KEY ({', '.join(_V6_KEY)}))",
        f"INSERT INTO rollup_groups ({', '.join(_V6_KEY)}, n) " + " UNION ALL ".join(hourly),
        *(statement for prefix, unit in _V6_TIERS for statement in _retier_v6(prefix, unit)),
        "DROP TABLE rollup_hourly",
    ])


# Version 7's count columns: core.events.EVENT_TYPES then, and the hard bounces.
_V7_COUNTS = ("send", "reject", "bounce", "complaint", "delivery", "open", "click", "rendering_failure",
              "delivery_delay", "subscription", "bounce_hard")
assert _V7_COUNTS == pgrollups.COUNTS, "a new event type needs a migration adding its column"


def migration_7() -> str:
    """rollup_groups with a count column per event type and of hard bounces, summed from version 6's
    row per type, and rollup_tags' rows as its hourly "tag:KEY" rows; then rollup_tags goes."""
    pivot = ", ".join([f"sum(CASE WHEN event_type = '{t}' THEN n ELSE 0 END)" for t in _V7_COUNTS[:-1]]
                      + ["sum(CASE WHEN hard = 1 THEN n ELSE 0 END)"])
    quoted = [f'"{c}"' for c in _V7_COUNTS]
    counts = ", ".join(quoted)
    return ";\n".join([
        "ALTER TABLE rollup_groups RENAME TO rollup_groups_v6",
        "ALTER INDEX rollup_groups_pkey RENAME TO rollup_groups_v6_pkey",
        f"CREATE TABLE rollup_groups (dimension TEXT NOT NULL, hour BIGINT NOT NULL, value TEXT NOT NULL,"
        f" {', '.join(f'{c} INTEGER NOT NULL' for c in quoted)}, PRIMARY KEY (dimension, hour, value))",
        f"INSERT INTO rollup_groups (dimension, hour, value, {counts})"
        f" SELECT dimension, hour, value, {pivot} FROM rollup_groups_v6 GROUP BY dimension, hour, value",
        f"INSERT INTO rollup_groups (dimension, hour, value, {counts})"
        f" SELECT 'tag:' || tag_key, hour, tag_value, {pivot} FROM rollup_tags GROUP BY tag_key, hour, tag_value",
        "DROP TABLE rollup_groups_v6",
        "DROP TABLE rollup_tags",
    ])
