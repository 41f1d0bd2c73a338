"""Pane 3's `/` line: a substring of the address, and the AWS console's other two searches, by
reason and by date: `reason:bounce`, `since:7d`, `before:2026-11-01` (terms combine)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sestui.core.timespec import parse_time

REASONS = ("BOUNCE", "COMPLAINT")
SYNTAX = "address text, reason:bounce|complaint, since:7d, before:2026-11-01"


@dataclass(frozen=True)
class SuppressionQuery:
    text: str | None = None  # a substring of the address (the store matches it)
    reason: str | None = None
    since_ms: int | None = None  # last update at or after
    before_ms: int | None = None  # last update before
    error: str | None = None

    def keeps(self, row) -> bool:
        updated = row.get("last_update")
        if self.reason and row.get("reason") != self.reason:
            return False
        if self.since_ms is not None and (updated is None or updated < self.since_ms):
            return False
        return not (self.before_ms is not None and (updated is None or updated >= self.before_ms))

    def apply(self, rows: Iterable) -> list:
        return [row for row in rows if self.keeps(row)]


def parse_suppression_filter(line: str | None, now: datetime) -> SuppressionQuery:
    """`reason:` takes BOUNCE or COMPLAINT (any case); `since:`/`before:` an ISO date or time (UTC)
    or an age like 7d; any other word is the address substring (one at a time)."""
    from sestui.store import to_ms

    if not line or not line.strip():
        return SuppressionQuery()
    texts: list[str] = []
    found: dict[str, object] = {}
    for word in line.split():
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon or name not in ("reason", "since", "before"):
            texts.append(word)
            continue
        if not value:
            return SuppressionQuery(error=f"{name}: needs a value ({SYNTAX})")
        if name == "reason":
            reason = value.upper()
            if reason not in REASONS:
                return SuppressionQuery(error=f"reason:{value} is not a suppression reason (bounce or complaint)")
            found["reason"] = reason
            continue
        try:
            found[f"{name}_ms"] = to_ms(parse_time(value, now))
        except (ValueError, OverflowError) as exc:
            return SuppressionQuery(error=f"{name}: {exc}")
    if len(texts) > 1:
        return SuppressionQuery(error="one address substring at a time: " + " ".join(texts))
    query = SuppressionQuery(texts[0] if texts else None, **found)  # type: ignore[arg-type]
    if query.since_ms is not None and query.before_ms is not None and query.since_ms >= query.before_ms:
        return SuppressionQuery(error="since: is not before before:, so nothing can match")
    return query
