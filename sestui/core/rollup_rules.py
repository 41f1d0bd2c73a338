"""What the roll-ups count, and under which values: each rule once, as SQL for the stores that count
in SQL (SQLite's store/rollups.py; PostgreSQL's migrations) and in Python for PostgreSQL's write
path, which counts its batch in Python (store/postgres/rollups.py). The two forms sit side by side
here so they change together; tests/store/test_rollup_rules.py runs both backends over odd inputs.

lower() is SQL's: SQLite's lowers ASCII letters only, and so does ascii_lower.
"""

from __future__ import annotations

import functools
import json

from sestui.core.classify import (NOT_COUNTED_COMPLAINT_SUB_TYPES, NOT_COUNTED_FEEDBACK_TYPES, RATE_COUNTED_RECIPIENT,
                                  SIMULATOR_DOMAIN)

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
SIMULATOR_SUFFIX = "@" + SIMULATOR_DOMAIN
_SIM_LEN = len(SIMULATOR_SUFFIX)
NO_TAGS = (None, "{}", "")  # a message's stored tags that hold none


def ascii_lower(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_LOWER)


# --- an address's domain: the lower-cased, trimmed part after the first @ ('' without one)

def domain_sql(expr: str, strip: str = "", find: str = "instr") -> str:
    """SQL for the domain of the address `expr`, trailing `strip` characters cut first (a From
    header's "> "); `find`: the dialect's position-of-substring function (SQLite's instr(s, t),
    PostgreSQL's strpos(s, t))."""
    tail = f"substr({expr}, {find}({expr}, '@') + 1)"
    if strip:
        tail = f"rtrim({tail}, '{strip}')"
    return f"CASE WHEN {find}({expr}, '@') > 0 THEN lower(trim({tail})) ELSE '' END"


@functools.lru_cache(maxsize=1 << 16)
def _tail(tail: str, strip: str) -> str:
    return ascii_lower((tail.rstrip(strip) if strip else tail).strip(" "))


def address_domain(address: str, strip: str = "") -> str:
    """domain_sql in Python."""
    at = address.find("@")
    return _tail(address[at + 1:], strip) if at >= 0 else ""


# --- which events count: not a complaint that is not the recipient's, not mail to the simulator

_subs = ", ".join(f"'{s}'" for s in NOT_COUNTED_COMPLAINT_SUB_TYPES)
_feedback = ", ".join(f"'{f}'" for f in NOT_COUNTED_FEEDBACK_TYPES)
COUNTED_SQL = (f"(e.event_type != 'complaint' OR (coalesce(e.complaint_sub_type, '') NOT IN ({_subs})"
               f" AND lower(coalesce(e.complaint_feedback_type, '')) NOT IN ({_feedback})))"
               f" AND {RATE_COUNTED_RECIPIENT}")  # `e`: the events table


def counted(event_type: str, complaint_sub_type: str | None, feedback_type: str | None, recipient: str | None) -> bool:
    """COUNTED_SQL in Python."""
    if event_type == "complaint" and ((complaint_sub_type or "") in NOT_COUNTED_COMPLAINT_SUB_TYPES
                                      or ascii_lower(feedback_type or "") in NOT_COUNTED_FEEDBACK_TYPES):
        return False
    return ascii_lower((recipient or "")[-_SIM_LEN:]) != SIMULATOR_SUFFIX


# --- a message's tags: each string value of each list in its tags JSON object, once
# (SQLite: json_each(m.tags) t, json_each(t.value) v WHERE json_type(m.tags) = 'object'
#  AND t.type = 'array' AND v.type = 'text', store/rollups.py)

@functools.lru_cache(maxsize=1 << 12)
def tag_pairs(tags: str | None) -> tuple[tuple[str, str], ...]:
    """(key, value) pairs of a stored tags JSON, sorted."""
    if tags in NO_TAGS:
        return ()
    try:
        obj = json.loads(tags)
    except ValueError:
        return ()
    if not isinstance(obj, dict):
        return ()
    return tuple(sorted({(k, v) for k, values in obj.items() if isinstance(values, list)
                         for v in values if isinstance(v, str)}))
