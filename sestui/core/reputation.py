"""The rates AWS enforces on, where each figure came from, and where it is heading. Pure.

AWS reviews an account at a 5% bounce rate or a 0.1% complaint rate and may pause it at 10% /
0.5%. The figures it acts on are CloudWatch's `Reputation.BounceRate` / `Reputation.ComplaintRate`
(over a "representative volume" of recent mail); sestui's own arithmetic over GetSendStatistics or
the stored events is only an estimate beside them, and says so through `source`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from sestui.core.health import BOUNCE_PAUSE, BOUNCE_REVIEW, COMPLAINT_PAUSE, COMPLAINT_REVIEW

CLOUDWATCH = "cloudwatch"
SEND_STATISTICS = "send_statistics"
LOCAL = "local"
SOURCES = (CLOUDWATCH, SEND_STATISTICS, LOCAL)

OK, WARNING, CRITICAL, UNKNOWN = "OK", "WARNING", "CRITICAL", "UNKNOWN"
EXIT_CODES = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}  # the Nagios plugin convention


@dataclass(frozen=True)
class Threshold:
    kind: str  # bounce | complaint
    review: float
    pause: float


BOUNCE = Threshold("bounce", BOUNCE_REVIEW, BOUNCE_PAUSE)
COMPLAINT = Threshold("complaint", COMPLAINT_REVIEW, COMPLAINT_PAUSE)
THRESHOLDS = {"bounce": BOUNCE, "complaint": COMPLAINT}


@dataclass(frozen=True)
class Figure:
    """One rate as a fraction (0.0123 = 1.23%), or None when nothing measured it."""

    value: float | None
    source: str
    at_ms: int | None = None  # the newest data point behind it

    @property
    def estimate(self) -> bool:
        return self.source != CLOUDWATCH

    def to_json(self, threshold: Threshold) -> dict[str, Any]:
        """What from_json reads back (at_ms only when known), with the lines it is measured against."""
        out: dict[str, Any] = {"value": self.value, "source": self.source}
        if self.at_ms is not None:
            out["at_ms"] = self.at_ms
        return {**out, "review": threshold.review, "pause": threshold.pause}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Figure | None":
        if not data or data.get("source") not in SOURCES:
            return None
        value = data.get("value")
        return cls(float(value) if isinstance(value, (int, float)) else None, data["source"], data.get("at_ms"))


@dataclass(frozen=True)
class Rates:
    """A bounce and a complaint figure for the account or one configuration set."""

    bounce: Figure
    complaint: Figure
    name: str | None = None  # the configuration set; None for the account

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bounce": self.bounce.to_json(BOUNCE), "complaint": self.complaint.to_json(COMPLAINT)}
        if self.name is not None:
            out = {"name": self.name, **out}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Rates | None":
        if not data:
            return None
        bounce, complaint = Figure.from_json(data.get("bounce")), Figure.from_json(data.get("complaint"))
        if bounce is None or complaint is None:
            return None
        return cls(bounce, complaint, data.get("name"))


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def level(value: float | None, threshold: Threshold, *, warning: float | None = None,
          critical: float | None = None) -> str:
    """OK below the review line, WARNING from it, CRITICAL from the pause line; UNKNOWN without a value.
    `warning`/`critical` replace AWS's lines (a stricter early warning, say)."""
    if value is None or math.isnan(value):
        return UNKNOWN
    if value >= (critical if critical is not None else threshold.pause):
        return CRITICAL
    if value >= (warning if warning is not None else threshold.review):
        return WARNING
    return OK


def worst(levels: list[str]) -> str:
    """The most severe of several states; UNKNOWN ranks below CRITICAL and above WARNING, as Nagios
    plugins usually rank it (a figure nobody can read is worse than a warning, not than a pause)."""
    rank = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}
    return max(levels, key=rank.__getitem__, default=OK)


def hours_to_cross(current: float | None, recent: float | None, sends_per_hour: float,
                   representative_volume: float, line: float) -> float | None:
    """At this pace, in how many hours does the rate reach `line`? None if it never does.

    AWS's rate covers a representative volume of recent mail. If the mail sent from now on bounces
    at the `recent` rate, each new message replaces an old one in that volume, so the rate moves
    linearly from `current` toward `recent` over `representative_volume / sends_per_hour` hours.
    """
    if current is None or recent is None or sends_per_hour <= 0 or representative_volume <= 0:
        return None
    if current >= line:
        return 0.0
    if recent <= line:
        return None  # the rate heads toward a value that stays below the line
    fraction = (line - current) / (recent - current)
    return fraction * representative_volume / sends_per_hour


HOUR_MS = 3_600_000
PACE_WINDOW_MS = 24 * HOUR_MS
# Below these the stored mail is too little to take a pace from: a bounce among a dozen sends, or a
# burst of a minute, swings the projection from "never" to "within the hour". (20 sends: as few as
# the reputation pane colours an estimate over.)
MIN_PACE_SENDS = 20
MIN_PACE_MS = 2 * 60_000


@dataclass(frozen=True)
class PaceBasis:
    """The mail a projection takes its pace from: the sends of the last 24 hours, over the part of
    them the store holds (a fresh store holds minutes, not a day)."""

    sends: int
    span_ms: int

    @property
    def enough(self) -> bool:
        return self.sends >= MIN_PACE_SENDS and self.span_ms >= MIN_PACE_MS

    @property
    def per_hour(self) -> float:
        return self.sends * HOUR_MS / self.span_ms if self.span_ms > 0 else 0.0

    @property
    def whole(self) -> bool:
        return self.span_ms >= PACE_WINDOW_MS

    def text(self) -> str:
        """What the pace is taken over, "" for the whole 24 hours: "12 min of mail"; or why there is
        no projection: "too little mail (12 sends in 3 min)"."""
        span = _duration(self.span_ms)
        if not self.enough:
            return f"too little mail ({self.sends:,} sends in {span})"
        return "" if self.whole else f"{span} of mail"


def pace_basis(sends: int, oldest_ms: int | None, now_ms: int) -> PaceBasis:
    """The last 24 hours' `sends` over the part of those hours since the oldest stored event."""
    span = 0 if oldest_ms is None else max(0, min(PACE_WINDOW_MS, now_ms - oldest_ms))
    return PaceBasis(sends, span)


def projection(current: float | None, bad: int, basis: PaceBasis, representative_volume: float,
               line: float) -> float | None:
    """hours_to_cross at the basis's pace (`bad` of its sends bounced, or complained); None when the
    basis is too little mail to project from. A store holding less than a day does not know the
    volume AWS's figure covers: it is taken as at least a day's mail at the stored pace."""
    if not basis.enough:
        return None
    return hours_to_cross(current, bad / basis.sends, basis.per_hour,
                          max(representative_volume, basis.per_hour * PACE_WINDOW_MS / HOUR_MS), line)


def _duration(ms: int) -> str:
    if ms < 59_500:  # what would round to "0 min" or "1 min" from seconds
        return f"{max(0, round(ms / 1000))} s"
    minutes = ms / 60_000
    if minutes < 90:
        return f"{max(0, round(minutes))} min"
    return f"{round(minutes / 60)} h"


def pace_text(hours: float | None, line_name: str = "review", *, lead: str = "at this pace: ") -> str:
    """ "at this pace: review in ~9 h" (or minutes / days), "" when the rate is not heading there.
    `lead=""` where a heading already says "at this pace"."""
    if hours is None:
        return ""
    if hours <= 0:
        return f"past the {line_name} line"
    if hours < 1:
        return f"{lead}{line_name} in ~{max(1, round(hours * 60))} min"
    if hours < 48:
        return f"{lead}{line_name} in ~{round(hours)} h"
    return f"{lead}{line_name} in ~{round(hours / 24)} d"
