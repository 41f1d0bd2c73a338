"""SQL the SQLite store's readers build: event filters, the flow's text filter, counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sestui.core.classify import (
    NOT_COUNTED_COMPLAINT_SUB_TYPES,
    NOT_COUNTED_FEEDBACK_TYPES,
)
from sestui.core.events import EVENT_TYPES
from sestui.store.rows import EVENT_COLUMNS

# Equality and range filters on events, by keyword.
_EVENT_CONDITIONS = {
    "after_id": "id > ?",
    "before_id": "id < ?",
    "configuration_set": "configuration_set = ?",
    "event_type": "event_type = ?",
    "message_id": "message_id = ?",
    "recipient": "recipient = ? COLLATE NOCASE",
    "since_ms": "ts >= ?",
    "until_ms": "ts < ?",
}

# The columns the flow's text filter matches (a substring, case-insensitively), as it always has.
FLOW_TEXT_COLUMNS = ("recipient", "message_id", "subject")
# The trigram tokenizer matches substrings of 3 characters or more; shorter text takes LIKE.
FTS_MIN_CHARS = 3


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_sql(clauses: list[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


def event_where(*, types: Iterable[str] | None = None, text: str | None = None, prefix: str = "",
                **conditions: Any) -> tuple[list[str], list[Any]]:
    """WHERE clauses and their parameters; `text` matches recipient, message id or subject (LIKE).
    `prefix` qualifies the column names (`e.`)."""
    where: list[str] = []
    params: list[Any] = []
    for name, value in conditions.items():
        if value is not None and value != "":
            where.append(prefix + _EVENT_CONDITIONS[name])
            params.append(value)
    if types is not None:
        types = list(types)
        where.append(f"{prefix}event_type IN ({', '.join('?' * len(types))})")
        params += types
    if text:
        like = f"%{like_escape(text)}%"
        where.append("(" + " OR ".join(f"{prefix}{c} LIKE ? ESCAPE '\\'" for c in FLOW_TEXT_COLUMNS) + ")")
        params += [like] * len(FLOW_TEXT_COLUMNS)
    return where, params


# A message's timeline as the console reads it: every event's place (covered by events_identity),
# then whole rows only for the window it shows, IDS_PER_QUERY ids at a time.
TIMELINE_INDEX = "SELECT ts, id FROM events WHERE message_id = ? ORDER BY ts, id"
# The local suppression cache's entries for a message's recipients (the cache's email is NOCASE:
# each recipient is a look-up in its primary key).
RECIPIENTS_SUPPRESSED = ("SELECT email, reason FROM suppressions WHERE email IN"
                         " (SELECT recipient FROM message_recipients WHERE message_id = ?)")
IDS_PER_QUERY = 500

FLOW_COLUMNS = ", ".join(f"e.{c}" for c in ("id",) + EVENT_COLUMNS)

# A tag filter matching up to this many messages lists their events' ids (through the covering
# events_identity index), and the page is read walking that list in id order, so a LIMIT stops
# early; one matching more walks the events in arrival order and checks each one's message, which
# finds a page quickly when matches are that common (benchmarks/queries.py measures both).
TAG_LOOKUP_MAX = 2000
TAG_COUNT = ("SELECT count(*) FROM (SELECT 1 FROM message_tags WHERE tag_key = ? AND tag_value = ?"
             f" LIMIT {TAG_LOOKUP_MAX + 1})")
_TAG_BY_MESSAGE = ("e.id IN (SELECT t_e.id FROM events t_e WHERE t_e.message_id IN"
                   " (SELECT message_id FROM message_tags WHERE tag_key = ? AND tag_value = ?))")
_TAG_BY_EVENT = ("EXISTS (SELECT 1 FROM message_tags t WHERE t.message_id = e.message_id AND t.tag_key = ?"
                 " AND t.tag_value = ?)")


def flow_where(*, after_id: int | None = None, before_id: int | None = None, types: Iterable[str] | None = None,
               text: str | None = None, configuration_set: str | None = None,
               tag: tuple[str, str] | None = None, tag_messages: int | None = None,
               match: str | None = None) -> tuple[str, list[str], list[Any], str]:
    """(FROM clause, WHERE clauses, parameters, the arrival-order key) for the flow.

    Text of 3 characters or more is looked up in the trigram index first, walking it in rowid order
    so a LIMIT stops early; the LIKE condition stays, so what matches is exactly what LIKE matches
    (the index only narrows: its case folding is a superset of LIKE's). `configuration_set` is the
    event's (its message's: store/rollups.py), through events(configuration_set) in rowid order;
    `tag` (key, value) a tag of its message, shaped by how many messages carry it (`tag_messages`,
    from TAG_COUNT). `match` is the index's query for the text (rare_trigrams_match), by default
    the text as one phrase."""
    extra, extra_params = event_where(configuration_set=configuration_set, prefix="e.")
    if tag is not None:
        extra.append(_TAG_BY_MESSAGE if (tag_messages or 0) <= TAG_LOOKUP_MAX else _TAG_BY_EVENT)
        extra_params += list(tag)
    if text and len(text) >= FTS_MIN_CHARS:
        where, params = event_where(types=types, text=text, prefix="e.")
        ids, id_params = event_where(after_id=after_id, before_id=before_id, prefix="events_fts.")
        ids = [clause.replace("events_fts.id", "events_fts.rowid") for clause in ids]
        return ("FROM events_fts JOIN events e ON e.id = events_fts.rowid",
                ["events_fts MATCH ?"] + ids + where + extra,
                [match or fts_phrase(text)] + id_params + params + extra_params, "events_fts.rowid")
    where, params = event_where(after_id=after_id, before_id=before_id, types=types, text=text, prefix="e.")
    return "FROM events e", where + extra, params + extra_params, "e.id"


def fts_phrase(text: str) -> str:
    """An FTS5 query for `text` as one phrase (a substring, with trigrams) in the flow's columns."""
    return "{" + " ".join(FLOW_TEXT_COLUMNS) + "} : \"" + text.replace('"', '""') + '"'


# A phrase costs as much as its commonest trigrams' lists ("use" is in every address), so the index
# is asked instead for rows holding all of the text's few rarest trigrams (LIKE re-checks the rest).
# How common each is, is measured: the first PROBE_ROWS entries of its list in rowid order (a
# common one fills them fast, a rare one ends first), scaled to the history by how far they reach.
PROBE_ROWS = 64
MATCH_TRIGRAMS = 3
# A text none of whose trigrams is rarer than this share of the events keeps the phrase: its
# matches are common, so the newest page is found early, and the phrase narrows more than a few of
# its trigrams would.
RARE_SHARE = 0.05
TRIGRAM_PROBE = ("SELECT count(*), max(rowid) FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ?"
                 f" ORDER BY rowid LIMIT {PROBE_ROWS})")
ID_RANGE = "SELECT (SELECT min(id) FROM events), (SELECT max(id) FROM events)"  # two look-ups, not a scan


def trigrams(text: str) -> list[str]:
    """The text's 3-character windows, each once (letter case aside), as FTS5 phrases."""
    seen: dict[str, str] = {}
    for i in range(len(text) - 2):
        seen.setdefault(text[i:i + 3].lower(), text[i:i + 3])
    return ['"' + t.replace('"', '""') + '"' for t in seen.values()]


def estimated_rows(found: int, last_id: int | None, ids: tuple[int, int]) -> float:
    """How many events hold a trigram whose first PROBE_ROWS entries were `found`, the last at
    `last_id`, in a history of ids `ids` (lowest, highest)."""
    if found < PROBE_ROWS or last_id is None:
        return found
    return PROBE_ROWS * (ids[1] - ids[0] + 1) / (last_id - ids[0] + 1)


def rare_trigrams_match(text: str, estimates: dict[str, float], events: int) -> str:
    """The index's query for `text` given each trigram's estimated count: the MATCH_TRIGRAMS
    rarest together, or the whole phrase when none is rare (RARE_SHARE of `events`)."""
    rarest = sorted(estimates, key=estimates.__getitem__)[:MATCH_TRIGRAMS]
    if not rarest or estimates[rarest[0]] > RARE_SHARE * events:
        return fts_phrase(text)
    return "{" + " ".join(FLOW_TEXT_COLUMNS) + "} : (" + " AND ".join(rarest) + ")"


def _complaint_counted(prefix: str = "") -> str:
    subs = ", ".join(f"'{s}'" for s in NOT_COUNTED_COMPLAINT_SUB_TYPES)
    feedback = ", ".join(f"'{f}'" for f in NOT_COUNTED_FEEDBACK_TYPES)
    return (f"coalesce({prefix}complaint_sub_type, '') NOT IN ({subs})"
            f" AND lower(coalesce({prefix}complaint_feedback_type, '')) NOT IN ({feedback})")


def counts_by_type(since_ms: int, until_ms: int | None) -> tuple[str, list[Any]]:
    # Naming the types turns this into one (event_type, ts) index range per type; without them
    # SQLite scans the whole index, which grows with history however small the window. Complaints
    # are few; only theirs need the row, to leave out those that are not the recipient's.
    window = " AND ts >= ?" + (" AND ts < ?" if until_ms is not None else "")
    bounds = [since_ms] + ([until_ms] if until_ms is not None else [])
    others = [t for t in EVENT_TYPES if t != "complaint"]
    sql = (f"SELECT event_type, count(*) AS n FROM events WHERE event_type IN ({', '.join('?' * len(others))})"
           f"{window} GROUP BY event_type"
           f" UNION ALL SELECT 'complaint' AS event_type, count(*) AS n FROM events"
           f" WHERE event_type = 'complaint'{window} AND {_complaint_counted()}")
    return sql, [*others, *bounds, *bounds]


HOURLY_COUNTS = (
    "SELECT (ts / 3600000) * 3600000 AS hour, CASE WHEN event_type = 'bounce' THEN "
    "CASE WHEN bounce_type = 'Permanent' THEN 'bounce_hard' ELSE 'bounce_soft' END "
    "ELSE event_type END AS kind, count(*) AS n FROM events WHERE ts >= ?"
    f" AND (event_type != 'complaint' OR ({_complaint_counted()})) GROUP BY hour, kind"
)
