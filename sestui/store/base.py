"""What the rest of sestui may ask of an event store, whatever the database behind it.

`Store` is the protocol (SQLite today in store/sqlite.py; any other backend implements the same
methods, arguments and row keys). Rows are plain dicts, typed here with TypedDicts so callers and
backends agree on their keys; times are integer milliseconds since the epoch, UTC.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, Self, TypedDict

if TYPE_CHECKING:
    from sestui.core.events import Parsed
    from sestui.store.rows import Rows


class StoreError(Exception):
    """A database problem worth one line to the operator."""


class StoreUnreachable(StoreError):
    """The database server cannot be reached (not running, wrong host or port)."""


class StoreFull(StoreError):
    """The database or the disk under it is full: nothing of the failed write was stored."""


@dataclass
class AddResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def __iadd__(self, other: AddResult) -> AddResult:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        return self

    def summary(self) -> str:
        return f"stored={self.stored} duplicates={self.duplicates} quarantined={self.quarantined}"


class EventRow(TypedDict):
    id: int
    message_id: str
    event_type: str
    recipient: str
    ts: int
    bounce_type: str | None
    bounce_subtype: str | None
    diagnostic_code: str | None
    complaint_feedback_type: str | None
    delay_type: str | None
    link: str | None
    user_agent: str | None
    ip_address: str | None
    reject_reason: str | None
    error_message: str | None
    subject: str | None
    source: str | None
    configuration_set: str | None
    complaint_sub_type: str | None
    bounce_class: str | None


# (ts, id) of one event: where it stands in its message's timeline.
TimelineEntry = tuple[int, int]


class RecipientRow(TypedDict):
    recipient: str
    status: str
    ts: int


class MessageRow(TypedDict):
    message_id: str
    first_seen: int
    mail_ts: int | None
    last_event_ts: int | None
    source: str | None
    subject: str | None
    destinations: list[str]
    configuration_set: str | None
    tags: dict[str, list[str]]
    recipients: list[RecipientRow]  # in byte order; the first `recipients` of them if message() was given a number
    recipient_count: int  # all of them
    statuses: dict[str, int]  # status -> how many of all the recipients are in it


class BounceRow(TypedDict):
    message_id: str
    ts: int
    bounce_type: str | None
    bounce_subtype: str | None
    diagnostic_code: str | None
    bounce_class: str | None


class QuarantineRow(TypedDict):
    id: int
    received: int
    reason: str
    body: str


class CollectorStateRow(TypedDict):
    collector_id: str
    queue_url: str | None
    state: str
    started: int
    heartbeat: int
    last_success: int | None
    last_error: str | None
    last_error_at: int | None
    events_per_s: float
    backlog: int | None
    received: int
    stored: int
    duplicates: int
    quarantined: int
    db_path: str | None
    wait_seconds: int | None
    dlq_backlog: int | None


class AccountSnapshotRow(TypedDict):
    id: int
    taken: int
    profile: str | None
    region: str | None
    status: dict[str, Any] | None
    error: str | None


class SendStatsRow(TypedDict):
    ts: int
    delivery_attempts: int
    bounces: int
    complaints: int
    rejects: int


class SuppressionRow(TypedDict):
    email: str
    reason: str
    last_update: int | None
    message_id: str | None
    feedback_id: str | None
    fetched: int


class AuditRow(TypedDict):
    id: int
    at: int
    actor: str | None
    origin: str
    action: str
    email: str | None
    reason: str | None
    outcome: str
    detail: str | None
    message_id: str | None


class BreakdownRow(TypedDict):
    """One group of a breakdown: its value ("" when the events have none) and a count per event type."""
    group: str
    send: int
    reject: int
    bounce: int
    complaint: int
    delivery: int
    open: int
    click: int
    rendering_failure: int
    delivery_delay: int
    subscription: int
    bounce_hard: int  # of `bounce`, the Permanent ones (AWS's bounce rate counts only these)


class PruneCounts(TypedDict):
    events: int
    records: int
    quarantine: int
    messages: int


COLLECTOR_FIELDS = ("queue_url", "state", "started", "heartbeat", "last_success", "last_error", "last_error_at",
                    "events_per_s", "backlog", "received", "stored", "duplicates", "quarantined", "db_path",
                    "wait_seconds", "dlq_backlog")


class Outbox(Protocol):
    """The actions outbox of a store (`store.outbox`), whatever the database: SQLite's in
    store/sqlite_outbox.py, PostgreSQL's in store/postgres/outbox.py. Items are the tuples of
    store/outbox_items.py; the store's own write path enqueues what its `outbox_rules` trigger in
    the transaction that stores the events. Item dicts carry the keys of store/outbox.py's _SELECT.

    `worker()` is a deliverer's own handle (its connection where the database wants one, and an
    owner identity its claims are stamped with); `recover` re-runs only running items whose lease
    expired or whose owner is gone, never those a live deliverer holds. Database errors are
    StoreError."""

    owner: Any

    def worker(self) -> Outbox: ...
    def close(self) -> None: ...
    def ensure(self) -> None: ...
    def enqueue(self, items: Iterable[tuple]) -> int: ...
    def enqueue_with(self, items: Iterable[tuple], guard: tuple | None = None) -> int: ...
    def claim(self, *, now: int, lease_ms: int, limit: int = 64,
              exclude_channels: Iterable[str] = ()) -> list[dict]: ...
    def finish(self, item_id: int, state: str, *, error: str | None = None, next_attempt_ms: int | None = None,
               now: int | None = None) -> None: ...
    def recover(self, now: int | None = None) -> int: ...
    def release(self, ids: Iterable[int], now: int | None = None) -> None: ...
    def retry(self, ids: Iterable[int], now: int | None = None) -> int: ...
    def discard(self, ids: Iterable[int], now: int | None = None) -> int: ...
    def prune(self, before_ms: int) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def rule_hits(self, since_ms: int) -> dict[str, int]: ...
    def list_items(self, states: Iterable[str] | None = None, limit: int = 200) -> list[dict]: ...
    def get(self, item_id: int) -> dict | None: ...
    def due_count(self, now: int) -> int: ...
    def next_due_ms(self) -> int | None: ...
    def fill_payloads(self, items: list[dict]) -> None: ...
    def guard_states(self) -> dict[str, dict]: ...
    def local_counts(self, since_ms: int, *, configuration_set: str | None = None,
                     recipient_domain: str | None = None) -> dict[str, int]: ...


class Store(Protocol):
    """The event store as the collector, the console, the CLI and the policies use it."""

    path: Any
    # What collector rows call this database, the same whoever connects and by whichever name
    # (health.feed_state keeps only this database's feed: a copied file's rows are another's).
    identity: str
    outbox_rules: Any  # a core.rules.RuleSet the write path enqueues for (store.outbox.attach)

    @property
    def outbox(self) -> Outbox: ...

    # lifecycle
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    @property
    def schema_version(self) -> int: ...
    def file_replaced(self) -> bool: ...

    # events
    def add(self, items: Iterable[tuple[str | bytes, Parsed]], *, received_ms: int | None = None) -> AddResult: ...
    def write(self, rows: Rows) -> AddResult: ...
    def iter_events(self, *, event_type: str | None = None, message_id: str | None = None,
                    recipient: str | None = None, since_ms: int | None = None, until_ms: int | None = None,
                    batch: int = 5000) -> Iterator[EventRow]: ...
    def latest(self, limit: int = 200, *, before: tuple[int, int] | None = None) -> list[EventRow]: ...
    def flow_page(self, *, after_id: int | None = None, before_id: int | None = None, text: str | None = None,
                  types: Iterable[str] | None = None, configuration_set: str | None = None,
                  tag: tuple[str, str] | None = None, limit: int = 200) -> list[EventRow]: ...
    def flow_count(self, *, after_id: int, text: str | None = None, types: Iterable[str] | None = None,
                   configuration_set: str | None = None, tag: tuple[str, str] | None = None) -> int: ...
    def timeline(self, message_id: str) -> list[EventRow]: ...
    def timeline_index(self, message_id: str) -> list[TimelineEntry]: ...
    def events_by_id(self, ids: Iterable[int]) -> list[EventRow]: ...
    def recipient_history(self, recipient: str, limit: int = 200) -> list[EventRow]: ...
    def counts_by_type(self, since_ms: int, until_ms: int | None = None) -> dict[str, int]: ...
    def hourly_counts(self, since_ms: int) -> dict[str, dict[int, int]]: ...
    def bounces_for(self, recipient: str, since_ms: int) -> list[BounceRow]: ...
    def prune(self, before_ms: int) -> PruneCounts: ...
    def breakdown(self, window_ms: int, group_by: str, *, now: int | None = None,
                  campaign_tag: str = "campaign") -> list[BreakdownRow]: ...
    def vacuum(self) -> None: ...
    def message(self, message_id: str, recipients: int | None = None) -> MessageRow | None: ...
    def recipients_suppressed(self, message_id: str) -> dict[str, str]: ...
    def record(self, message_id: str, event_type: str, ts: int) -> str | None: ...
    def quarantined(self, limit: int = 100) -> list[QuarantineRow]: ...
    def count(self, table: str) -> int: ...

    def oldest_event_ms(self) -> int | None: ...

    # collector, account and statistics state
    def save_collector_state(self, collector_id: str, state: dict[str, Any]) -> None: ...
    def collector_states(self, fresher_than_ms: int | None = None) -> list[CollectorStateRow]: ...
    def save_account_snapshot(self, *, taken_ms: int, profile: str | None, region: str | None,
                              status: dict | None, error: str | None = None, keep: int = 1000) -> None: ...
    def account_snapshot(self, *, ok_only: bool = False) -> AccountSnapshotRow | None: ...
    def save_send_stats(self, points: Iterable[tuple[int, int, int, int, int]]) -> None: ...
    def send_stats(self, since_ms: int) -> list[SendStatsRow]: ...

    # suppression list cache and audit
    def replace_suppressions(self, entries: Iterable[tuple], fetched_ms: int) -> int: ...
    def cache_suppression(self, email: str, reason: str, last_update_ms: int | None, fetched_ms: int,
                          message_id: str | None = None, feedback_id: str | None = None) -> None: ...
    def suppressions_for(self, emails: Iterable[str]) -> list[SuppressionRow]: ...
    def uncache_suppression(self, email: str) -> None: ...
    def suppressions(self, text: str | None = None, limit: int = 10000) -> list[SuppressionRow]: ...
    def add_audit(self, *, action: str, origin: str, outcome: str, email: str | None = None,
                  reason: str | None = None, actor: str | None = None, detail: str | None = None,
                  message_id: str | None = None, at_ms: int | None = None) -> None: ...
    def audit(self, limit: int = 500, email: str | None = None) -> list[AuditRow]: ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(when: datetime) -> int:
    return (when - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso_ms(ms: int) -> str:
    """Milliseconds -> `2017-08-05T00:41:02.669Z`."""
    when = from_ms(ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def now_ms() -> int:
    return int(time.time() * 1000)
