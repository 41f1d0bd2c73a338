"""PostgresStore, continued: the reputation and breakdown queries. The breakdown reads the roll-ups
per dimension (store/postgres/rollups.py keeps them); the per-set counts group the events. As in
SQLite, an event's configuration set and tags are its message's (any record of it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sestui.core.classify import RATE_COUNTED_RECIPIENT
from sestui.core.rollup_rules import COUNTED_SQL, domain_sql
from sestui.store import rollups
from sestui.store.base import BreakdownRow, now_ms
from sestui.store.postgres import rollups as pgrollups
from sestui.store.reads import by_configuration_set

COMPLAINT_COUNTED = COUNTED_SQL.replace("%", "%%")  # psycopg: a literal %


# The configuration set of an event (e) of a message (m): its own, else the one another record of
# its message carried (identity notifications carry none).
CONFIG_SET = "coalesce(e.configuration_set, m.configuration_set, '')"
# Breakdown dimension -> its value for one event (e) of one message (m), as rollups.py computes it;
# "campaign" is the tag named by the query's parameter (one row per value: LATERAL below).
GROUP_EXPR = {
    "configuration_set": CONFIG_SET,
    "from_domain": domain_sql("coalesce(e.source, '')", "> ", find="strpos"),
    "recipient_domain": domain_sql("e.recipient", find="strpos"),
    "bounce_class": "coalesce(e.bounce_class, '')",
    "feedback_type": "coalesce(e.complaint_feedback_type, '')",
}
assert set(GROUP_EXPR) == set(rollups.DIMENSIONS) - {"campaign"}  # campaign: a tag, rollups.TAG
HARD = rollups.HARD
_MESSAGE = " LEFT JOIN messages m ON m.message_id = e.message_id"


def pg_sql(sql: str) -> str:
    """A statement in portable SQL (`?` placeholders, store/queries.py and rollups.py) in psycopg's."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgReportsMixin:
    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]: raise NotImplementedError

    def counts_by_configuration_set(self, since_ms: int) -> dict[str | None, tuple[dict[str, int], int]]:
        """As the SQLite store's: configuration set (its message's) -> (counts by event type, hard bounces)."""
        types = ["send", "delivery", "bounce", "complaint", "reject"]
        rows = self._query(
            "SELECT coalesce(e.configuration_set, m.configuration_set) AS cs, e.event_type, count(*) AS n,"
            f" sum(CASE WHEN {HARD} THEN 1 ELSE 0 END) AS hard FROM events e{_MESSAGE}"
            " WHERE e.event_type = ANY(%s) AND e.ts >= %s"
            " AND NOT (e.event_type = 'complaint' AND coalesce(e.complaint_feedback_type, '') = 'not-spam')"
            f" AND {RATE_COUNTED_RECIPIENT.replace('%', '%%')}"
            " GROUP BY 1, e.event_type", (types, since_ms))
        return by_configuration_set(rows)

    def breakdown(self, window_ms: int, group_by: str, *, now: int | None = None,
                  campaign_tag: str = rollups.CAMPAIGN_TAG) -> list[BreakdownRow]:
        """As the SQLite store's: events per type (and hard bounces) for each value of a dimension over
        the hours that overlap the last `window_ms`, from the roll-ups (store/postgres/rollups.py)."""
        return pgrollups.breakdown(self._query, window_ms, group_by, now if now is not None else now_ms(), campaign_tag)
