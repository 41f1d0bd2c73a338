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
        return {"value": self.value, "source": self.source, "review": threshold.review, "pause": threshold.pause}

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
