"""PostgresStore, continued: the reputation and breakdown queries the SQLite store answers from its
hourly roll-ups (store/rollups.py). PostgreSQL keeps no roll-up table yet: these group the events
of the window's hours directly, with the same dimensions, complaint rule and result order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sestui.core.classify import NOT_COUNTED_COMPLAINT_SUB_TYPES, NOT_COUNTED_FEEDBACK_TYPES
from sestui.core.events import EVENT_TYPES
from sestui.store import rollups
from sestui.store.base import BreakdownRow, now_ms

_subs = ", ".join(f"'{s}'" for s in NOT_COUNTED_COMPLAINT_SUB_TYPES)
_feedback = ", ".join(f"'{f}'" for f in NOT_COUNTED_FEEDBACK_TYPES)
COMPLAINT_COUNTED = (f"(e.event_type != 'complaint' OR (coalesce(e.complaint_sub_type, '') NOT IN ({_subs})"
                     f" AND lower(coalesce(e.complaint_feedback_type, '')) NOT IN ({_feedback})))")


def _domain(expr: str, strip: str = "") -> str:
    """rollups._domain in PostgreSQL's functions: the lower-cased part after the first @ ('' without one)."""
    tail = f"substr({expr}, strpos({expr}, '@') + 1)"
    if strip:
        tail = f"rtrim({tail}, '{strip}')"
    return f"CASE WHEN strpos({expr}, '@') > 0 THEN lower(trim({tail})) ELSE '' END"


# Breakdown dimension -> its value for one event (e) of one message (m), as rollups.py computes it.
GROUP_EXPR = {
    "configuration_set": "coalesce(e.configuration_set, '')",
    "from_domain": _domain("coalesce(e.source, '')", "> "),
    "recipient_domain": _domain("e.recipient"),
    "campaign": f"coalesce((m.tags::jsonb) -> '{rollups.CAMPAIGN_TAG}' ->> 0, '')",
    "bounce_class": "coalesce(e.bounce_class, '')",
    "feedback_type": "coalesce(e.complaint_feedback_type, '')",
}
assert set(GROUP_EXPR) == set(rollups.DIMENSIONS)


class PgReportsMixin:
    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]: raise NotImplementedError

    def counts_by_configuration_set(self, since_ms: int) -> dict[str | None, tuple[dict[str, int], int]]:
        """As the SQLite store's: configuration set -> (counts by event type, hard bounces)."""
        types = ["send", "delivery", "bounce", "complaint", "reject"]
        rows = self._query(
            "SELECT configuration_set AS cs, event_type, count(*) AS n,"
            " sum(CASE WHEN event_type = 'bounce' AND bounce_type = 'Permanent' THEN 1 ELSE 0 END) AS hard"
            " FROM events WHERE event_type = ANY(%s) AND ts >= %s"
            " AND NOT (event_type = 'complaint' AND coalesce(complaint_feedback_type, '') = 'not-spam')"
            " GROUP BY configuration_set, event_type", (types, since_ms))
        out: dict[str | None, tuple[dict[str, int], int]] = {}
        for row in rows:
            counts, hard = out.get(row["cs"], ({}, 0))
            counts[row["event_type"]] = row["n"]
            out[row["cs"]] = (counts, hard + (row["hard"] or 0))
        return out

    def breakdown(self, window_ms: int, group_by: str, *, now: int | None = None) -> list[BreakdownRow]:
        """As the SQLite store's: events per type for each value of a dimension, over the whole hours
        that overlap the last `window_ms`; the groups adding the most bounces first."""
        if group_by not in rollups.DIMENSIONS:
            raise ValueError(f"cannot break down by {group_by!r}: one of {', '.join(rollups.DIMENSIONS)}")
        end = now if now is not None else now_ms()
        since = (end - window_ms) // rollups.HOUR_MS * rollups.HOUR_MS
        until = end // rollups.HOUR_MS * rollups.HOUR_MS + rollups.HOUR_MS  # roll-up hours <= end
        join = " LEFT JOIN messages m ON m.message_id = e.message_id" if group_by == "campaign" else ""
        groups: dict[str, Any] = {}
        for row in self._query(f"SELECT {GROUP_EXPR[group_by]} AS grp, e.event_type, count(*) AS n FROM events e"
                               f"{join} WHERE e.ts >= %s AND e.ts < %s AND {COMPLAINT_COUNTED}"
                               f" GROUP BY grp, e.event_type", (since, until)):
            group = groups.setdefault(row["grp"], {"group": row["grp"], **dict.fromkeys(EVENT_TYPES, 0)})
            group[row["event_type"]] = row["n"]
        return sorted(groups.values(), key=_contribution)


def _contribution(group: dict[str, Any]) -> tuple:
    return -group["bounce"], -group["complaint"], -sum(group[t] for t in EVENT_TYPES), group["group"]
