"""Every Textual message the console posts. Workers post these; handlers on the UI thread apply them."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message


@dataclass
class HealthLoaded(Message):
    summary: object  # health.Summary


@dataclass
class FlowLoaded(Message):
    """Rows for the flow table. mode: reset (new query), newer (live), older (paging back), or
    waiting (the cursor is away from the top: only how many newer events there are)."""

    rows: list[dict]
    mode: str
    generation: int
    counts: dict[str, int] | None = None
    exhausted: bool = False
    waiting: int = 0


@dataclass
class TimelineLoaded(Message):
    message_id: str
    message: dict | None
    events: list[dict]
    suppressed: dict[str, str] = field(default_factory=dict)  # recipient -> reason, from the local cache


@dataclass
class RecordLoaded(Message):
    event_id: int
    body: str | None


@dataclass
class SuppressionsLoaded(Message):
    rows: list[dict]
    audit: list[dict]
    error: str | None = None


@dataclass
class SuppressionDetail(Message):
    email: str
    entry: dict | None
    error: str | None = None


@dataclass
class StatsLoaded(Message):
    points: list[dict]
    local: dict[str, list[int]]
    summary: object


@dataclass
class IdentitiesLoaded(Message):
    identities: list[str]
    error: str | None = None


@dataclass
class OpenTimeline(Message):
    """Ask the app to show one message's timeline. `remember`: escape returns to where it was
    opened from (a drill-down); a sent message's timeline is not a drill-down of the form."""

    message_id: str
    remember: bool = True


@dataclass
class ActionFinished(Message):
    """An AWS action (suppress, send, refresh) ended; the app shows a toast."""

    title: str
    ok: bool
    detail: str
    message_id: str | None = None


@dataclass
class DoctorChecked(Message):
    """One doctor check finished (`check` is a doctor.Check); `run` tells runs apart."""

    run: int
    check: object


@dataclass
class DoctorFinished(Message):
    run: int
    facts: object  # doctor.Facts
    error: str | None = None


@dataclass
class FilterApplied(Message):
    """Enter in a pane's filter line: the text to filter by (None clears it)."""

    text: str | None
