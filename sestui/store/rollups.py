"""Hourly roll-ups of the events table, so breakdowns cost what their window holds, not what history holds.

One row per hour x event type x configuration set x from-domain x recipient domain x campaign tag x
bounce class x complaint feedback type, with its count. Kept in the transaction that writes the
events (Rows.write) and the one that prunes them. Complaints that are not the recipient's
(core.classify.complaint_counts) are not rolled up. The campaign is what the message's tags said
when the event was stored (its `campaign` tag; "" when it has none).
"""

from __future__ import annotations

from sestui.core.classify import NOT_COUNTED_COMPLAINT_SUB_TYPES, NOT_COUNTED_FEEDBACK_TYPES

HOUR_MS = 3_600_000
CAMPAIGN_TAG = "campaign"

# Breakdown dimension -> roll-up column.
DIMENSIONS = ("configuration_set", "from_domain", "recipient_domain", "campaign", "bounce_class", "feedback_type")
COLUMNS = ("hour", "event_type") + DIMENSIONS


def _domain(expr: str, strip: str = "") -> str:
    """SQL for the lower-cased part of an address after its @ ('' without one)."""
    tail = f"substr({expr}, instr({expr}, '@') + 1)"
    if strip:
        tail = f"rtrim({tail}, '{strip}')"
    return f"CASE WHEN instr({expr}, '@') > 0 THEN lower(trim({tail})) ELSE '' END"


_subs = ", ".join(f"'{s}'" for s in NOT_COUNTED_COMPLAINT_SUB_TYPES)
_feedback = ", ".join(f"'{f}'" for f in NOT_COUNTED_FEEDBACK_TYPES)
_SELECT = f"""
    SELECT (e.ts / {HOUR_MS}) * {HOUR_MS}, e.event_type, coalesce(e.configuration_set, ''),
           {_domain("coalesce(e.source, '')", "> ")}, {_domain("e.recipient")},
           coalesce(json_extract(m.tags, '$.{CAMPAIGN_TAG}[0]'), ''), coalesce(e.bounce_class, ''),
           coalesce(e.complaint_feedback_type, ''), count(*)
    FROM events e LEFT JOIN messages m ON m.message_id = e.message_id
    WHERE {{where}} AND (e.event_type != 'complaint' OR (coalesce(e.complaint_sub_type, '') NOT IN ({_subs})
                         AND lower(coalesce(e.complaint_feedback_type, '')) NOT IN ({_feedback})))
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
_UPSERT = (f"INSERT INTO rollup_hourly ({', '.join(COLUMNS)}, n) {{select}}"
           f" ON CONFLICT ({', '.join(COLUMNS)}) DO UPDATE SET n = rollup_hourly.n + excluded.n")

# Events with an id above the parameter (those a write just added) rolled up.
ADD_NEW = _UPSERT.format(select=_SELECT.format(where="e.id > ?"))
# Events in [start, end) rolled up again (after the rows for that time were deleted).
ADD_RANGE = _UPSERT.format(select=_SELECT.format(where="e.ts >= ? AND e.ts < ?"))
MAX_ID = "SELECT coalesce(max(id), 0) FROM events"


def prune(conn, before_ms: int) -> None:
    """After events older than `before_ms` were deleted: drop the hours they filled, recount the
    hour the cut falls in."""
    boundary = before_ms // HOUR_MS * HOUR_MS
    conn.execute("DELETE FROM rollup_hourly WHERE hour < ?", (boundary + HOUR_MS,))
    conn.execute(ADD_RANGE, (boundary, boundary + HOUR_MS))
