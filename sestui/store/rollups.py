"""Hourly roll-ups of the events table, so breakdowns cost what their window holds, not what history holds.

`rollup_hourly`: one row per hour x event type x hard (1 for a Permanent bounce) x configuration set x
from-domain x recipient domain x bounce class x complaint feedback type, with its count.
`rollup_tags`: one row per tag key x hour x event type x hard x tag value: the events of messages
that carry the tag (any key, so which key is "the campaign" is a setting read at query time). A
message's tags are those its first record with tags carried (the messages table keeps them).
`rollup_groups`: one row per dimension x hour x that dimension's value (dimension "" holds the
hour's totals), with a count per event type and of hard bounces: rollup_hourly summed per
dimension, which is what a breakdown reads; and the same per 6 hours (dimension "6h:X") and per UTC
day ("day:X"), hour = the block's start, so a window reads its whole days and 6-hour blocks as one
row per group each and only the hours at its ends hourly (24 hours are at most 13 blocks, not 25
hours). A breakdown by one dimension over rollup_hourly read every combination of all of them, and
the combinations an hour holds grow with its mail (measured, 14 days of history: 8,400 rows at 10k
events, 50,000 at 1M); per dimension they stop growing once each value has shown up. A row per event
type as well (schema 8) still grew threefold: an hour of 1M events' history held every type of
every value, an hour of 10k events' a few (the 24 h breakdown by recipient domain read 1,441 rows
against 447; now 100 against 48).
All three are kept in the transaction that writes the events (store/rows.py) and the one that prunes
them. Complaints that are not the recipient's (core.classify.complaint_counts) and mail to the
mailbox simulator (which counts toward none of AWS's rates) are not rolled up.

Attribution comes from the message, not the one record: identity notifications carry neither the
configuration set nor the tags, so an event counts under the set and tags of any stored record of
its message. When an event arrives before any record that carries them (a Bounce through an
identity topic before its Send), it is counted under "(none)" until one does; the write that
brings the set or the tags moves its earlier events' counts there, in its own transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from sestui.core.events import EVENT_TYPES
from sestui.core.rollup_rules import COUNTED_SQL, domain_sql
from sestui.store.base import BreakdownRow

HOUR_MS = 3_600_000
CAMPAIGN_TAG = "campaign"  # the default of [breakdown] campaign_tag

# Breakdown dimensions; all but "campaign" are columns of rollup_hourly, campaign is read from rollup_tags.
DIMENSIONS = ("configuration_set", "from_domain", "recipient_domain", "campaign", "bounce_class", "feedback_type")
COLUMNS = ("hour", "event_type", "hard", "configuration_set", "from_domain", "recipient_domain", "bounce_class",
           "feedback_type")
TAG_COLUMNS = ("tag_key", "hour", "event_type", "hard", "tag_value")
GROUP_DIMENSIONS = ("configuration_set", "from_domain", "recipient_domain", "bounce_class", "feedback_type")
TOTALS = ""  # rollup_groups' dimension of the hour's totals
DAY_MS = 86_400_000
DAILY = "day:"  # rollup_groups' dimension "day:X": dimension X summed over a whole UTC day (hour = its start)
SIX_HOURS_MS = 6 * HOUR_MS
SIX_HOURS = "6h:"  # dimension "6h:X": X summed over the 6 hours from 00, 06, 12 or 18 UTC (hour = its start)
# rollup_groups' tiers, finest first, as (dimension prefix, block): each coarser tier is summed from
# the one before it, so a write adds up 6 hours and then 4 blocks, not 24 hours.
TIERS = (("", HOUR_MS), (SIX_HOURS, SIX_HOURS_MS), (DAILY, DAY_MS))


def _dims(prefix: str) -> str:
    return ", ".join(f"'{prefix}{d}'" for d in (TOTALS, *GROUP_DIMENSIONS))


_HOURLY_DIMS = _dims("")
COUNTS = (*EVENT_TYPES, "bounce_hard")  # rollup_groups' count columns
_COUNTS = ", ".join(f'"{c}"' for c in COUNTS)
GROUPS_TABLE = ("CREATE TABLE IF NOT EXISTS rollup_groups (dimension TEXT NOT NULL, hour INTEGER NOT NULL,"
                " value TEXT NOT NULL, " + ", ".join(f'"{c}" INTEGER NOT NULL' for c in COUNTS)
                + ", PRIMARY KEY (dimension, hour, value)) WITHOUT ROWID")
_PIVOT = ", ".join([f"sum(CASE WHEN event_type = '{t}' THEN n ELSE 0 END)" for t in EVENT_TYPES]
                   + ["sum(CASE WHEN hard THEN n ELSE 0 END)"])


COUNTED = COUNTED_SQL
HOUR = f"(e.ts / {HOUR_MS}) * {HOUR_MS}"
HARD = "(e.event_type = 'bounce' AND coalesce(e.bounce_type, '') = 'Permanent')"

_HOURLY_SELECT = f"""
    SELECT {HOUR}, e.event_type, {HARD}, coalesce(e.configuration_set, ''),
           {domain_sql("coalesce(e.source, '')", "> ")}, {domain_sql("e.recipient")},
           coalesce(e.bounce_class, ''), coalesce(e.complaint_feedback_type, ''), {{sign}} count(*)
    FROM events e WHERE {{where}} AND {COUNTED}
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
_TAGS_SELECT = f"""
    SELECT t.tag_key, {HOUR}, e.event_type, {HARD}, t.tag_value, count(*)
    FROM {{source}} WHERE {{where}} AND {COUNTED}
    GROUP BY 1, 2, 3, 4, 5
"""


def _upsert(table: str, columns: tuple[str, ...], select: str) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}, n) {select}"
            f" ON CONFLICT ({', '.join(columns)}) DO UPDATE SET n = {table}.n + excluded.n")


def _hourly(where: str, sign: str = "") -> str:
    return _upsert("rollup_hourly", COLUMNS, _HOURLY_SELECT.format(where=where, sign=sign))


def _tags(where: str, source: str = "events e JOIN message_tags t ON t.message_id = e.message_id") -> str:
    return _upsert("rollup_tags", TAG_COLUMNS, _TAGS_SELECT.format(source=source, where=where))


# Events with an id above the parameter (those a write just added) rolled up.
ADD_NEW = _hourly("e.id > ?")
ADD_NEW_TAGS = _tags("e.id > ?")
# Events in [start, end) rolled up again (after the rows for that time were deleted).
ADD_RANGE = _hourly("e.ts >= ? AND e.ts < ?")
ADD_RANGE_TAGS = _tags("e.ts >= ? AND e.ts < ?")
MAX_ID = "SELECT coalesce(max(id), 0) FROM events"

# Earlier events (id <= the parameter) of messages whose configuration set this write brought.
_MOVED = "e.id IN (SELECT id FROM temp._sestui_moved)"
_FIND_MOVED = """
    INSERT INTO temp._sestui_moved (id)
    SELECT e.id FROM events e JOIN messages m ON m.message_id = e.message_id
    WHERE e.message_id IN (SELECT value FROM json_each(?)) AND e.id <= ?
      AND e.configuration_set IS NULL AND m.configuration_set IS NOT NULL
"""
_SET_FROM_MESSAGE = ("UPDATE events SET configuration_set = m.configuration_set FROM messages m"
                     " WHERE m.message_id = events.message_id AND events.configuration_set IS NULL"
                     " AND m.configuration_set IS NOT NULL AND {where}")
# Tags of this write that no stored record of the message carried yet.
_NEW_TAGS_ONLY = ("DELETE FROM temp._sestui_tags WHERE EXISTS (SELECT 1 FROM message_tags t WHERE"
                  " t.message_id = _sestui_tags.message_id AND t.tag_key = _sestui_tags.tag_key"
                  " AND t.tag_value = _sestui_tags.tag_value)")


def _groups(where: str) -> str:
    """rollup_groups' rows of the rollup_hourly hours `where` selects, summed from them."""
    selects = [f"SELECT '{d}', hour, {d}, {_PIVOT} FROM rollup_hourly WHERE {where} GROUP BY hour, {d}"
               for d in GROUP_DIMENSIONS]
    selects.append(f"SELECT '{TOTALS}', hour, '', {_PIVOT} FROM rollup_hourly WHERE {where} GROUP BY hour")
    return f"INSERT INTO rollup_groups (dimension, hour, value, {_COUNTS}) " + " UNION ALL ".join(selects)


_TOUCHED = "hour IN (SELECT hour FROM temp._sestui_hours)"
_TOUCHED_BY_NEW = f"INSERT OR IGNORE INTO temp._sestui_hours (hour) SELECT DISTINCT {HOUR} FROM events e WHERE e.id > ?"
_TOUCHED_BY_MOVED = f"INSERT OR IGNORE INTO temp._sestui_hours (hour) SELECT DISTINCT {HOUR} FROM events e WHERE {{moved}}"


def regroup(conn: sqlite3.Connection, where: str = "1", params: tuple = ()) -> None:
    """rollup_groups' hourly rows made again from rollup_hourly for the hours `where` selects (all by
    default); the 6-hour and daily rows of their blocks are retier's."""
    conn.execute(f"DELETE FROM rollup_groups WHERE dimension IN ({_HOURLY_DIMS}) AND {where}", params)
    conn.execute(_groups(where), params * (len(GROUP_DIMENSIONS) + 1))


_RETIER = f"""
    INSERT INTO rollup_groups (dimension, hour, value, {_COUNTS})
    SELECT '{{prefix}}' || substr(g.dimension, {{cut}}), b.block, g.value, {", ".join(f'sum(g."{c}")' for c in COUNTS)}
    FROM temp._sestui_blocks b JOIN rollup_groups g
      ON g.dimension IN ({{finer}}) AND g.hour >= b.block AND g.hour < b.block + {{size}}
    GROUP BY g.dimension, b.block, g.value
"""


def retier(conn: sqlite3.Connection, hours: str = "SELECT DISTINCT hour FROM rollup_hourly",
           params: tuple = ()) -> None:
    """rollup_groups' 6-hour and daily rows made again, each tier from the one before it, for the
    blocks that hold the hours (ms) the SELECT `hours` returns (every stored hour by default)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _sestui_blocks (block INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _sestui_tier_hours (hour INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp._sestui_tier_hours")
    conn.execute(f"INSERT OR IGNORE INTO temp._sestui_tier_hours (hour) {hours}", params)
    for (finer, _), (prefix, size) in zip(TIERS, TIERS[1:], strict=False):
        conn.execute("DELETE FROM temp._sestui_blocks")
        conn.execute(f"INSERT OR IGNORE INTO temp._sestui_blocks (block)"
                     f" SELECT hour / {size} * {size} FROM temp._sestui_tier_hours")
        conn.execute(f"DELETE FROM rollup_groups WHERE dimension IN ({_dims(prefix)})"
                     f" AND hour IN (SELECT block FROM temp._sestui_blocks)")
        conn.execute(_RETIER.format(prefix=prefix, cut=len(finer) + 1, finer=_dims(finer), size=size))


def _temp_tables(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _sestui_hours (hour INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp._sestui_hours")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _sestui_moved (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _sestui_tags (message_id TEXT, tag_key TEXT, tag_value TEXT,"
                 " PRIMARY KEY (message_id, tag_key, tag_value)) WITHOUT ROWID")
    conn.execute("DELETE FROM temp._sestui_moved")
    conn.execute("DELETE FROM temp._sestui_tags")


_MESSAGE_TAGS = """
    INSERT OR IGNORE INTO temp._sestui_tags (message_id, tag_key, tag_value)
    SELECT m.message_id, t.key, v.value FROM messages m, json_each(m.tags) t, json_each(t.value) v
    WHERE m.message_id IN (SELECT value FROM json_each(?)) AND json_valid(m.tags)
      AND json_type(m.tags) = 'object' AND t.type = 'array' AND v.type = 'text'
"""


def after_write(conn: sqlite3.Connection, newest: int, message_ids: list[str]) -> None:
    """In the writing transaction, after the events (ids above `newest`) and the messages they
    belong to (`message_ids`) were stored: give the new events their message's configuration set,
    move earlier events of messages that just got one from "(none)" to it, record the messages'
    tags in message_tags, moving earlier events of messages that just got tags, and roll up the
    new events."""
    _temp_tables(conn)
    ids = json.dumps(message_ids)
    conn.execute(_FIND_MOVED, (ids, newest))
    if conn.execute("SELECT 1 FROM temp._sestui_moved LIMIT 1").fetchone():
        conn.execute(_TOUCHED_BY_MOVED.format(moved=_MOVED))
        conn.execute(_hourly(_MOVED, "-"))
        conn.execute(_SET_FROM_MESSAGE.format(where="events.id IN (SELECT id FROM temp._sestui_moved)"))
        conn.execute(_hourly(_MOVED))
        conn.execute("DELETE FROM rollup_hourly WHERE n = 0")
    conn.execute(_SET_FROM_MESSAGE.format(where="events.id > ?"), (newest,))
    conn.execute(_MESSAGE_TAGS, (ids,))
    conn.execute(_NEW_TAGS_ONLY)
    if conn.execute("SELECT 1 FROM temp._sestui_tags LIMIT 1").fetchone():
        conn.execute(_tags("e.id <= ?", "temp._sestui_tags t JOIN events e ON e.message_id = t.message_id"),
                     (newest,))
        conn.execute("INSERT INTO message_tags (message_id, tag_key, tag_value)"
                     " SELECT message_id, tag_key, tag_value FROM temp._sestui_tags")
    conn.execute(ADD_NEW, (newest,))
    conn.execute(ADD_NEW_TAGS, (newest,))
    conn.execute(_TOUCHED_BY_NEW, (newest,))
    regroup(conn, _TOUCHED)
    retier(conn, "SELECT hour FROM temp._sestui_hours")


def rebuild(conn: sqlite3.Connection) -> None:
    """Every roll-up counted again from the events (a migration's)."""
    conn.execute("DELETE FROM rollup_hourly")
    conn.execute("DELETE FROM rollup_tags")
    conn.execute(ADD_NEW, (0,))
    conn.execute(ADD_NEW_TAGS, (0,))
    conn.execute(GROUPS_TABLE)
    conn.execute("DELETE FROM rollup_groups")
    regroup(conn)
    retier(conn)


def prune(conn: sqlite3.Connection, before_ms: int) -> None:
    """After events older than `before_ms` were deleted: drop the hours they filled, recount the
    hour the cut falls in."""
    boundary = before_ms // HOUR_MS * HOUR_MS
    conn.execute("DELETE FROM rollup_hourly WHERE hour < ?", (boundary + HOUR_MS,))
    conn.execute("DELETE FROM rollup_tags WHERE hour < ?", (boundary + HOUR_MS,))
    conn.execute(ADD_RANGE, (boundary, boundary + HOUR_MS))
    conn.execute(ADD_RANGE_TAGS, (boundary, boundary + HOUR_MS))
    conn.execute("DELETE FROM rollup_groups WHERE hour < ?", (boundary,))  # the cut's 6-hour and daily rows too
    regroup(conn, "hour = ?", (boundary,))
    retier(conn, "SELECT ?", (boundary,))


def _window_start(window_ms: int, group_by: str, now: int) -> int:
    if group_by not in DIMENSIONS:
        raise ValueError(f"cannot break down by {group_by!r}: one of {', '.join(DIMENSIONS)}")
    return (now - window_ms) // HOUR_MS * HOUR_MS


def _tagged(query: Callable[..., list[dict]], campaign_tag: str, since: int, now: int) -> list[dict]:
    return query("SELECT tag_value AS grp, event_type, hard, sum(n) AS n FROM rollup_tags"
                 " WHERE tag_key = ? AND hour >= ? AND hour <= ? GROUP BY grp, event_type, hard",
                 (campaign_tag, since, now))


def breakdown(query: Callable[..., list[dict]], window_ms: int, group_by: str, now: int,
              campaign_tag: str = CAMPAIGN_TAG) -> list[BreakdownRow]:
    """The SQLite store's breakdown: over the hours that overlap the last `window_ms` before `now`.
    "campaign" groups by the message tag `campaign_tag`; its group "" is every event of the window
    without that tag. The groups that add the most hard bounces come first (`contribution`)."""
    since = _window_start(window_ms, group_by, now)
    tagged = None
    if group_by == "campaign":
        tagged = _tagged(query, campaign_tag, since, now)
    dimension = TOTALS if tagged is not None else group_by
    spans = window_spans(since, now // HOUR_MS * HOUR_MS + HOUR_MS)
    span = f"SELECT value, {_COUNTS} FROM rollup_groups WHERE dimension = ? AND hour >= ? AND hour < ?"
    wide = query(f"SELECT value AS grp, {', '.join(f'sum({c}) AS {c}' for c in _COUNTS.split(', '))}"
                 f" FROM ({' UNION ALL '.join([span] * len(spans))}) GROUP BY grp",
                 tuple(p for prefix, start, end in spans for p in (prefix + dimension, start, end)))
    if tagged is None:
        return wide_groups(wide)
    # a tag's group "": what the tagged groups do not hold of the window's totals
    return breakdown_rows(tagged, untagged=long_rows(wide))


def wide_groups(wide: Iterable[dict]) -> list[BreakdownRow]:
    """Rows of (grp, *COUNTS) summed per group as breakdown groups, in contribution order."""
    groups: list[Any] = [{"group": r["grp"], **{c: r[c] for c in COUNTS}} for r in wide]
    return sorted(groups, key=contribution)


def long_rows(wide: Iterable[dict]) -> list[dict]:
    """Rows of (grp, *COUNTS) as breakdown_rows' (grp, event_type, hard, n), the zeros left out."""
    return [{"grp": r["grp"], "event_type": t, "hard": hard, "n": n} for r in wide
            for t, hard, n in _by_type(r) if n]


def _by_type(counts: dict) -> Iterable[tuple[str, int, int]]:
    """(event type, hard, n) of a rollup_groups row's counts."""
    for t in EVENT_TYPES:
        hard = counts["bounce_hard"] if t == "bounce" else 0
        yield t, 0, counts[t] - hard
        if hard:
            yield t, 1, hard


def window_spans(start: int, end: int, tiers: tuple[tuple[str, int], ...] = TIERS) -> list[tuple[str, int, int]]:
    """The hours [start, end) (whole hours) as (dimension prefix, first, end) spans of rollup_groups
    rows: the coarsest tier's whole blocks, the parts at either end from the finer tiers."""
    prefix, size = tiers[-1]
    if len(tiers) == 1:
        return [(prefix, start, end)] if start < end else []
    first, last = -(-start // size) * size, end // size * size
    if first >= last:
        return window_spans(start, end, tiers[:-1])
    return [*window_spans(start, first, tiers[:-1]), (prefix, first, last), *window_spans(last, end, tiers[:-1])]


def breakdown_rows(rows: Iterable[dict], untagged: Iterable[dict] = ()) -> list[BreakdownRow]:
    """Rows of (grp, event_type, hard, n) as breakdown groups, in contribution order. `untagged`:
    the window's totals, of which what the groups do not hold becomes the group "" (a tag's)."""
    groups: dict[str, Any] = {}

    def group(name: str) -> dict[str, Any]:
        return groups.setdefault(name, {"group": name, **dict.fromkeys(EVENT_TYPES, 0), "bounce_hard": 0})

    for row in rows:
        counts = group(row["grp"])
        counts[row["event_type"]] += row["n"]
        if row["hard"]:
            counts["bounce_hard"] += row["n"]
    totals = [dict(r) for r in untagged]
    if totals:
        held = {(t, h): 0 for t in EVENT_TYPES for h in (0, 1)}
        for counts in groups.values():
            for t in EVENT_TYPES:
                hard = counts["bounce_hard"] if t == "bounce" else 0
                held[(t, 1)] += hard
                held[(t, 0)] += counts[t] - hard
        rest = [{**r, "n": max(0, r["n"] - held[(r["event_type"], int(bool(r["hard"])))])} for r in totals]
        if any(r["n"] for r in rest):
            for row in rest:
                counts = group("")
                counts[row["event_type"]] += row["n"]
                if row["hard"]:
                    counts["bounce_hard"] += row["n"]
    return sorted(groups.values(), key=contribution)


def contribution(group: Any) -> tuple:
    """The breakdown's order: the groups that add the most hard bounces (AWS's bounce rate counts
    only those), then bounces, complaints, volume first."""
    return (-group["bounce_hard"], -group["bounce"], -group["complaint"], -sum(group[t] for t in EVENT_TYPES),
            group["group"])
