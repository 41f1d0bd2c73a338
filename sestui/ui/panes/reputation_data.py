"""What the reputation pane shows, gathered in its worker: for the account and each configuration
set, the current figures (AWS's first), the rate over 14 days, the counts per day and the pace.

AWS is asked as little as the figures change: the collector's saved reading is used when there is
one, and the CloudWatch series is read again only after SERIES_EVERY_S."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sestui.aws import AwsError, ErrorKind
from sestui.core.health import rates_from_counts
from sestui.core.reputation import (
    CLOUDWATCH,
    LOCAL,
    SEND_STATISTICS,
    PaceBasis,
    Rates,
)
from sestui.ops import reputation as ops_reputation
from sestui.ops.reputation import Reputation, counts_over_sets, local_rates, statistics_rates
from sestui.ui.widgets.rate_chart import DAY_MS
from sestui.ui.widgets.rates import saved_reputation

DAYS = 14
WINDOW_MS = DAYS * DAY_MS
HOUR_MS = 3_600_000
SERIES_EVERY_S = 600  # CloudWatch publishes these about hourly: read them no more often than this
READING_EVERY_S = 300  # a reading of our own (no collector saved one) is kept this long
KINDS = ("send", "delivery", "bounce", "complaint", "reject")


@dataclass
class Scope:
    """The account (name None) or one configuration set, as the pane shows it."""

    name: str | None
    rates: Rates
    series: dict[str, list[tuple[int, float]]]  # bounce|complaint -> (ms, fraction), oldest first
    series_source: str
    days: list[dict[str, int]]  # per day, oldest first: send, delivery, bounce, complaint, reject
    pace: dict[str, float | None]  # bounce|complaint -> hours to the review line at the last 24 h's rate
    pace_basis: PaceBasis | None = None  # what that rate is taken over (the stored part of the 24 h)
    taken_ms: int | None = None  # when `rates` were read (the collector's reading, or the pane's own)
    counts_from_stats: bool = False  # days' sends/bounces/complaints/rejects are SES's statistics (deliveries never are)

    @property
    def label(self) -> str:
        return self.name if self.name is not None else "account"


@dataclass
class Cache:
    """What a load read from AWS and when (monotonic seconds), handed to the next load."""

    series: dict = field(default_factory=dict)
    series_key: tuple = ()
    series_at: float = -1e9
    series_error: str | None = None
    reading: Reputation | None = None
    reading_at: float = -1e9


def first_day(now_ms: int) -> int:
    """Midnight (UTC) of the first of the DAYS days that end with today."""
    return now_ms // DAY_MS * DAY_MS - (DAYS - 1) * DAY_MS


def local_reading(store, now_ms: int) -> Reputation:
    """The estimates alone, when there is no AWS to ask (and no reading saved)."""
    by_set = store.counts_by_configuration_set(now_ms - WINDOW_MS)
    counts, hard = counts_over_sets(by_set)
    account = statistics_rates(store.send_stats(now_ms - WINDOW_MS)) or local_rates(counts, hard)
    sets = [local_rates(counts, h, name) for name, (counts, h) in sorted(by_set.items(), key=lambda i: str(i[0]))
            if name is not None]
    return Reputation(account, sets, None, now_ms)


def reading_for(ctx, cache: Cache, now_s: float) -> tuple[Reputation, str | None]:
    saved = saved_reputation(ctx.store)
    if saved is not None:
        return ops_reputation.with_fresh_estimates(saved, ctx.store, ctx.now_ms()), saved.error
    if ctx.aws is None:
        return local_reading(ctx.store, ctx.now_ms()), None
    if cache.reading is None or now_s - cache.reading_at >= READING_EVERY_S:
        cache.reading, cache.reading_at = ops_reputation.read(ctx.aws, ctx.store, now_ms=ctx.now_ms()), now_s
    return cache.reading, cache.reading.error


def cloudwatch_series(ctx, cache: Cache, tracked: list[str], start_ms: int, now_s: float) -> dict:
    """scope -> {bounce|complaint -> points}, hourly over the window, from one GetMetricData call
    (cached); {} without AWS or when CloudWatch refuses (the reason in cache.series_error)."""
    if ctx.aws is None:
        return {}
    key = tuple(tracked)
    if key == cache.series_key and now_s - cache.series_at < SERIES_EVERY_S:
        return cache.series
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    end = datetime.fromtimestamp(ctx.now_ms() / 1000, UTC).replace(minute=0, second=0, microsecond=0)
    try:
        got = ctx.aws.metrics.reputation(tracked, start, end + timedelta(hours=1), period=3600)
    except AwsError as exc:
        cache.series, cache.series_error = {}, _reason(exc)
    else:
        cache.series = {scope: {"bounce": _ms(one.bounce_rate), "complaint": _ms(one.complaint_rate)}
                        for scope, one in got.items()}
        cache.series_error = None
    cache.series_key, cache.series_at = key, now_s
    return cache.series


def _reason(exc: AwsError) -> str:
    needs = ops_reputation.GET_METRIC_DATA
    return f"{exc} (needs {needs})" if exc.kind == ErrorKind.DENIED and needs not in str(exc) else str(exc)


def _ms(points) -> list[tuple[int, float]]:
    return [(int(when.timestamp() * 1000), value) for when, value in points]


def account_days(store, start_ms: int) -> tuple[list[dict[str, int]], bool]:
    """Counts per day for the account: SES's own (GetSendStatistics) where there are any, the stored
    events otherwise; deliveries always from the events. True when SES's statistics were used."""
    days = [dict.fromkeys(KINDS, 0) for _ in range(DAYS)]
    stats = store.send_stats(start_ms)
    for point in stats:
        day = days[min(DAYS - 1, (point["ts"] - start_ms) // DAY_MS)]
        day["send"] += point["delivery_attempts"]
        day["bounce"] += point["bounces"]
        day["complaint"] += point["complaints"]
        day["reject"] += point["rejects"]
    hourly = store.hourly_counts(start_ms)
    for kind, hours in hourly.items():
        name = "bounce" if kind.startswith("bounce") else kind
        if name != "delivery" and (stats or name not in KINDS):
            continue
        for hour, n in hours.items():
            if hour >= start_ms:
                days[min(DAYS - 1, (hour - start_ms) // DAY_MS)][name] += n
    if stats:  # SES's statistics hold no deliveries: before the first stored event they are not known
        first = min((hour for hours in hourly.values() for hour in hours), default=None)
        for i, day in enumerate(days):
            if first is None or start_ms + (i + 1) * DAY_MS <= first:
                day["delivery"] = None  # type: ignore[assignment]
    return days, bool(stats)


def set_days(store, start_ms: int) -> dict[str, list[dict[str, int]]]:
    """configuration set -> counts per day, from the hourly roll-ups (one breakdown per day)."""
    out: dict[str, list[dict[str, int]]] = {}
    for day in range(DAYS):
        end = start_ms + (day + 1) * DAY_MS - 1
        for row in store.breakdown(DAY_MS - 1, "configuration_set", now=end):
            if row["group"]:
                per_day = out.setdefault(row["group"], [dict.fromkeys(KINDS, 0) for _ in range(DAYS)])
                per_day[day] = {k: row[k] for k in KINDS}
    return out


def daily_rates(days: list[dict[str, int]], start_ms: int) -> dict[str, list[tuple[int, float]]]:
    """The estimate's chart: each day's bounces and complaints over its sends."""
    out: dict[str, list[tuple[int, float]]] = {"bounce": [], "complaint": []}
    for i, day in enumerate(days):
        attempts = rates_from_counts({k: v or 0 for k, v in day.items()}).attempts  # None: not known
        if attempts:
            for kind in out:
                out[kind].append((start_ms + i * DAY_MS, day[kind] / attempts))
    return out


def load(ctx, cache: Cache) -> tuple[list[Scope], int, str | None, Cache]:
    """Everything the pane shows (runs in its worker)."""
    cache = replace(cache)
    now, now_s = ctx.now_ms(), time.monotonic()
    start = first_day(now)
    reading, error = reading_for(ctx, cache, now_s)
    tracked = [r.name for r in reading.configuration_sets if r.bounce.source == CLOUDWATCH and r.name]
    series = cloudwatch_series(ctx, cache, tracked, start, now_s)
    error = error or cache.series_error
    store = ctx.store
    last_day = store.counts_by_configuration_set(now - DAY_MS)
    fortnight = store.counts_by_configuration_set(now - WINDOW_MS)
    account_counts, from_stats = account_days(store, start)
    per_set = set_days(store, start)
    oldest = store.oldest_event_ms()

    def scope(name: str | None, rates: Rates, days: list[dict[str, int]], counts_24h, hard_24h, volume) -> Scope:
        aws_series = series.get(name, {})
        if aws_series.get("bounce") or aws_series.get("complaint"):
            points, source = aws_series, CLOUDWATCH
        else:
            points = daily_rates(days, start)
            source = SEND_STATISTICS if name is None and from_stats else LOCAL
        hours, basis = ops_reputation.pace(rates, counts_24h, hard_24h, volume, oldest_ms=oldest, now_ms=now)
        return Scope(name, rates, points, source, days, hours, basis, taken_ms=reading.taken_ms,
                     counts_from_stats=name is None and from_stats)

    totals_24h, hard_24h = counts_over_sets(last_day)
    volume = sum(d["send"] for d in account_counts) if from_stats else rates_from_counts(counts_over_sets(fortnight)[0]).attempts
    scopes = [scope(None, reading.account, account_counts, totals_24h, hard_24h, volume)]
    empty = [dict.fromkeys(KINDS, 0) for _ in range(DAYS)]
    for rates in reading.configuration_sets:
        counts, hard = last_day.get(rates.name, ({}, 0))
        set_volume = rates_from_counts(fortnight.get(rates.name, ({}, 0))[0]).attempts
        scopes.append(scope(rates.name, rates, per_set.get(rates.name or "", empty), counts, hard, set_volume))
    return scopes, start, error, cache
