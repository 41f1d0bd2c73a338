"""Account health arithmetic: reputation rates against the thresholds AWS applies. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

# AWS reviews an account at the first figure and may pause its sending at the second.
BOUNCE_REVIEW, BOUNCE_PAUSE = 0.05, 0.10
COMPLAINT_REVIEW, COMPLAINT_PAUSE = 0.001, 0.005

@dataclass(frozen=True)
class Rates:
    attempts: int
    bounces: int
    complaints: int
    rejects: int

    @property
    def bounce_rate(self) -> float | None:
        return self.bounces / self.attempts if self.attempts else None

    @property
    def complaint_rate(self) -> float | None:
        return self.complaints / self.attempts if self.attempts else None


def rates_from_stats(points: Iterable[Mapping], since_ms: int | None = None) -> Rates:
    """Sum GetSendStatistics points (dicts with ts, delivery_attempts, bounces, complaints, rejects)."""
    attempts = bounces = complaints = rejects = 0
    for p in points:
        if since_ms is not None and p["ts"] < since_ms:
            continue
        attempts += p["delivery_attempts"]
        bounces += p["bounces"]
        complaints += p["complaints"]
        rejects += p["rejects"]
    return Rates(attempts, bounces, complaints, rejects)


def rates_from_counts(counts: Mapping[str, int], hard_bounces: int | None = None) -> Rates:
    """Rates from locally stored event counts (a fallback when statistics are unavailable).

    SES counts a delivery attempt per recipient sent to; locally that is a `send` event, or a
    delivery/bounce when the configuration set does not publish sends.
    """
    bounces = counts.get("bounce", 0) if hard_bounces is None else hard_bounces
    attempts = counts.get("send", 0) or (counts.get("delivery", 0) + counts.get("bounce", 0))
    return Rates(attempts, bounces, counts.get("complaint", 0), counts.get("reject", 0))




@dataclass(frozen=True)
class Feed:
    """How the events are getting here, told truthfully:

    live     a collector for this queue and this database with a fresh heartbeat, whose receives
             return (empty or not) and whose store and verification work; its real rate
    stale    such a collector, failing (`error` says why; `since_ms` is its last good receive) or
             silent (no heartbeat for HEARTBEAT_STALE_MS; `since_ms` is its last heartbeat)
    stopped  the collector stopped (`since_ms`; `error` if it ended failing), or none ever reported
             here for the queue
    starting the console started a collector for this queue (`since_ms`) that has not reported yet
             (for up to STARTING_MS; then whatever the rows say)
    none     no queue configured and no collector feeds this database (`sestui setup` makes one)
    """

    state: str  # live, stale, stopped, starting, none
    events_per_s: float = 0.0
    backlog: int | None = None
    error: str | None = None
    since_ms: int | None = None  # stale: last success (or heartbeat); stopped: when it stopped
    collectors: int = 0  # live collectors whose rates make events_per_s


@dataclass(frozen=True)
class Summary:
    profile: str | None
    region: str | None
    account: str | None
    production: bool | None
    sending_enabled: bool | None
    enforcement: str | None
    sent_24h: float | None
    max_24h: float | None
    max_rate: float | None
    rates: Rates
    rates_window: str
    rejects_24h: int | None
    account_error: str | None
    account_ok_ms: int | None  # when the account was last read successfully
    feed: Feed


HEARTBEAT_STALE_MS = 10_000
# A collector child checks in within a second or two (its first receive waits for nothing); one
# silent for longer than this is not starting any more.
STARTING_MS = 30_000
# A receive may take its long-poll wait; one silent for longer than that plus this margin means
# the endpoint hangs (the collector reports it as its error).
RECEIVE_MARGIN_S = 10.0


def _failing(row: Mapping) -> bool:
    return bool(row["last_error"]) and (row["last_success"] or 0) < (row["last_error_at"] or 0)


def feed_state(collectors: list[Mapping], now_ms: int, *, queue_url: str | None = None,
               db_path: str | None = None, started_ms: int | None = None) -> Feed:
    """The feed of this queue (None: any queue) into this database, from the collector rows.
    A row without a queue is a poller, not a feed; a row naming another database (a copied file)
    is not this database's feed. `started_ms`: when the caller started a collector of its own for
    the queue; until a row reports after it, a feed that is not live is `starting`, not the state
    an earlier collector left behind (or none at all)."""
    rows = [r for r in collectors if r.get("queue_url") and (queue_url is None or r["queue_url"] == queue_url)
            and (db_path is None or r.get("db_path") in (None, str(db_path)))]
    feed = _feed_from_rows(rows, now_ms, queue_url)
    if (started_ms is not None and feed.state != "live" and 0 <= now_ms - started_ms <= STARTING_MS
            and not any(r["heartbeat"] >= started_ms for r in rows)):
        return Feed("starting", since_ms=started_ms)
    return feed


def _feed_from_rows(rows: list[Mapping], now_ms: int, queue_url: str | None) -> Feed:
    if not rows:
        if queue_url is None:
            return Feed("none")
        return Feed("stopped", error="no collector reads this queue into this database")
    fresh = [r for r in rows if r["state"] != "stopped" and now_ms - r["heartbeat"] <= HEARTBEAT_STALE_MS]
    live = [r for r in fresh if not _failing(r)]
    if live:
        backlogs = [r["backlog"] for r in live if r["backlog"] is not None]
        return Feed("live", sum(r["events_per_s"] or 0.0 for r in live), max(backlogs) if backlogs else None,
                    collectors=len(live))
    if fresh:
        row = max(fresh, key=lambda r: r["heartbeat"])
        return Feed("stale", row["events_per_s"], row["backlog"], row["last_error"],
                    row["last_success"] or row["started"])
    row = max(rows, key=lambda r: r["heartbeat"])
    if row["state"] == "stopped":
        return Feed("stopped", error=row["last_error"] if _failing(row) else None, since_ms=row["heartbeat"])
    return Feed("stale", error="collector stopped reporting", since_ms=row["heartbeat"])


def summarize(*, profile: str | None, region: str | None, account: str | None = None,
              snapshot: Mapping | None, last_ok: Mapping | None,
              stats: list[Mapping], counts_24h: Mapping[str, int], collectors: list[Mapping],
              now_ms: int, queue_url: str | None = None, db_path: str | None = None,
              collector_started_ms: int | None = None) -> Summary:
    """Everything the health header shows, from what the store holds."""
    status = (last_ok or {}).get("status") or {}
    error = snapshot.get("error") if snapshot else None
    rejects_24h: int | None
    if stats:
        rates = rates_from_stats(stats)
        window = "14d"
        rejects_24h = rates_from_stats(stats, since_ms=now_ms - 86_400_000).rejects
    else:
        rates = rates_from_counts(counts_24h)
        window = "24h local"
        rejects_24h = counts_24h.get("reject", 0) if counts_24h else None
    return Summary(
        profile=profile,
        region=region,
        account=account,
        production=status.get("production_access"),
        sending_enabled=status.get("sending_enabled"),
        enforcement=status.get("enforcement_status"),
        sent_24h=status.get("sent_last_24_hours"),
        max_24h=status.get("max_24_hour_send"),
        max_rate=status.get("max_send_rate"),
        rates=rates,
        rates_window=window,
        rejects_24h=rejects_24h,
        account_error=error,
        account_ok_ms=last_ok.get("taken") if last_ok else None,
        feed=feed_state(collectors, now_ms, queue_url=queue_url, db_path=db_path, started_ms=collector_started_ms),
    )
