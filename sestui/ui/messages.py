"""Every Textual message the console posts. Workers post these; handlers on the UI thread apply them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from sestui.core.health import Summary
from sestui.ops.doctor import Check, Facts

if TYPE_CHECKING:
    from sestui.ui.panes.reputation_data import Cache, Scope
    from sestui.ui.panes.reputation_isp import IspView

Row = dict[str, Any]  # one row as the store returns it


@dataclass
class HealthLoaded(Message):
    summary: Summary
    reputation: Any = None  # ops.reputation.Reputation: the collector's latest reading, if any
    dlq_backlog: int | None = None  # messages in the queue's dead-letter queue (None: not known)


@dataclass
class FlowLoaded(Message):
    """Rows for the flow table. mode: reset (new query), newer (live), older (paging back), or
    waiting (the cursor is away from the top: only how many newer events there are)."""

    rows: list[Row]
    mode: str
    generation: int
    counts: dict[str, int] | None = None
    exhausted: bool = False
    waiting: int = 0
    total: int | None = None  # events in the store, for "17 of 311"


@dataclass
class TimelineRead(Message):
    message_id: str
    message: Row | None
    index: list[tuple[int, int, str]]  # (ts, id, row key) of every event, in time order
    places: dict[str, tuple[int, int]]  # row key -> (ts, id) of the same events
    latest: list[Row]  # whole rows of the latest events (none if the index did not change length)
    suppressed: dict[str, str] = field(default_factory=dict)  # recipient -> reason, from the local cache


@dataclass
class WindowRead(Message):
    message_id: str
    start: int  # the window asked for: its first event and the cursor's (indexes in the timeline)
    cursor: int
    asked: list[int]  # the ids asked for; those not in `events` are no longer stored
    events: list[Row]


@dataclass
class RecordLoaded(Message):
    event_id: int
    body: str | None


@dataclass
class SuppressionsLoaded(Message):
    rows: list[Row]
    audit: list[Row]
    error: str | None = None
    total: int | None = None  # entries in the cache, however filtered
    fetched: int | None = None  # when this load reloaded the whole list from SES


@dataclass
class SuppressionDetail(Message):
    email: str
    entry: Row | None
    error: str | None = None


@dataclass
class IdentitiesLoaded(Message):
    identities: list[str]
    error: str | None = None


@dataclass
class BreakdownLoaded(Message):
    group_by: str
    window: str
    rows: list[Row]
    oldest_ms: int | None = None  # the oldest stored event: a longer window holds only what came since


@dataclass
class ReputationLoaded(Message):
    scopes: list[Scope]
    start_ms: int  # the first day's midnight, UTC
    error: str | None
    cache: Cache


@dataclass
class IspLoaded(Message):
    view: IspView


@dataclass
class ConfigSetsLoaded(Message):
    names: list[str] | None  # None: not known (the list could not be read)


@dataclass
class OpenTimeline(Message):
    """Ask the app to show one message's timeline. `remember`: escape returns to where it was
    opened from (a drill-down); a sent message's timeline is not a drill-down of the form."""

    message_id: str
    remember: bool = True


@dataclass
class ActionFinished(Message):
    """An AWS action (suppress, send, export) ended; the app shows a toast and the outcome line."""

    title: str
    ok: bool
    detail: str
    message_id: str | None = None
    line: str | None = None  # what the outcome line keeps instead of `detail`


@dataclass
class DoctorChecked(Message):
    """One doctor check finished; `run` tells runs apart."""

    run: int
    check: Check


@dataclass
class DoctorFinished(Message):
    run: int
    facts: Facts


@dataclass
class FilterApplied(Message):
    """Enter in a pane's filter line: the text to filter by (None clears it)."""

    text: str | None


# -- the Actions pane (pane 8) ------------------------------------------------------------------------

@dataclass
class ActionsLoaded(Message):
    """rules_cli.overview's picture for the Actions pane; `configured`: the console was given an
    ActionsConfig (without one the pane says so and shows the outbox anyway)."""

    view: dict[str, Any]
    configured: bool


@dataclass
class PausedSets(Message):
    """Configuration sets whose sending is off (AWS says so, or a paused guard when there is no AWS)."""

    names: list[str]
