"""The account's and each configuration set's rates, AWS's figure first.

Order of trust for each figure: CloudWatch's `Reputation.*Rate` (what AWS enforces on); for the
account, the 14-day GetSendStatistics ratio as an estimate; then sestui's own count of stored
events (hard bounces and complaints over sends, 14 days). A set whose reputation metrics are off
in SES only ever has the local figure, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sestui.aws import AwsError, ErrorKind
from sestui.core import health
from sestui.core.reputation import (CLOUDWATCH, LOCAL, SEND_STATISTICS, THRESHOLDS, Figure, PaceBasis, Rates,
                                    pace_basis, projection, ratio)
from sestui.store import Store

WINDOW_MS = 14 * 86_400_000
GET_METRIC_DATA = "cloudwatch:GetMetricData"


@dataclass(frozen=True)
class Reputation:
    account: Rates
    configuration_sets: list[Rates] = field(default_factory=list)
    error: str | None = None  # why AWS's figures could not be read (names the IAM action when denied)
    taken_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"account": self.account.to_json(), "configuration_sets": [r.to_json() for r in self.configuration_sets],
                "error": self.error, "taken_ms": self.taken_ms}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Reputation | None:
        account = Rates.from_json((data or {}).get("account"))
        if data is None or account is None:
            return None
        sets = [r for r in (Rates.from_json(s) for s in data.get("configuration_sets") or []) if r is not None]
        return cls(account, sets, data.get("error"), data.get("taken_ms"))


def local_rates(counts: Mapping[str, int], hard_bounces: int, name: str | None = None) -> Rates:
    """Hard bounces and complaints over sends (AWS counts only hard bounces in its bounce rate)."""
    attempts = health.rates_from_counts(counts).attempts
    return Rates(Figure(ratio(hard_bounces, attempts), LOCAL), Figure(ratio(counts.get("complaint", 0), attempts), LOCAL),
                 name)


def statistics_rates(points: list[Mapping]) -> Rates | None:
    if not points:
        return None
    totals = health.rates_from_stats(points)
    newest = max(p["ts"] for p in points)
    return Rates(Figure(totals.bounce_rate, SEND_STATISTICS, newest), Figure(totals.complaint_rate, SEND_STATISTICS, newest))


def configuration_sets(aws) -> dict[str, bool]:
    """Every configuration set -> whether SES publishes its reputation metrics."""
    out = {}
    for name in aws.configuration_sets.names():
        detail = aws.configuration_sets.get(name)
        if detail is not None:  # None: deleted between the two calls
            out[name] = detail.reputation_metrics_enabled
    return out


def latest_points(aws, tracked: list[str], now_ms: int) -> dict[tuple[str | None, str], tuple[int, float]]:
    """(set or None, bounce|complaint) -> (epoch ms, fraction) of the newest CloudWatch point.
    AWS publishes these about hourly and keeps the last value while nothing is sent: two days back
    find it. Periods start on the hour; the current hour's must reach past now."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    series = aws.metrics.reputation(tracked, hour - timedelta(days=2), hour + timedelta(hours=1))
    latest = {}
    for scope, one in series.items():
        for kind, points in (("bounce", one.bounce_rate), ("complaint", one.complaint_rate)):
            if points:
                when, value = points[-1]
                latest[(scope, kind)] = (int(when.timestamp() * 1000), value)
    return latest


def read(aws, store: Store, *, now_ms: int, sets: Mapping[str, bool] | None = None) -> Reputation:
    """One reading: CloudWatch for what has it, the estimates for the rest. Never raises for AWS
    faults: the reading says what it could not get in `error`."""
    error = None
    if sets is None:
        try:
            sets = configuration_sets(aws)
        except AwsError as exc:
            sets, error = {}, str(exc)
    tracked = sorted(name for name, on in sets.items() if on)
    latest: dict[tuple[str | None, str], tuple[int, float]] = {}
    try:
        latest = latest_points(aws, tracked, now_ms)
    except AwsError as exc:
        error = _reason(exc)
    since = now_ms - WINDOW_MS
    by_set = store.counts_by_configuration_set(since)
    fallback = statistics_rates(store.send_stats(since)) or local_rates(*counts_over_sets(by_set))
    account = Rates(_pick(latest, None, "bounce", fallback.bounce), _pick(latest, None, "complaint", fallback.complaint))
    per_set = []
    for name in sorted(set(sets) | set(by_set) - {None}):
        counts, hard = by_set.get(name, ({}, 0))
        local = local_rates(counts, hard, name)
        per_set.append(Rates(_pick(latest, name, "bounce", local.bounce), _pick(latest, name, "complaint", local.complaint),
                             name))
    return Reputation(account, per_set, error, now_ms)


def with_fresh_estimates(reading: Reputation, store: Any, now_ms: int) -> Reputation:
    """`reading` (a saved one, up to its poll interval old) with its local estimates made again from
    the store now: AWS's figures change only when AWS publishes, sestui's own with every event."""
    if not any(f.source == LOCAL for r in [reading.account, *reading.configuration_sets] for f in (r.bounce, r.complaint)):
        return reading
    by_set = store.counts_by_configuration_set(now_ms - WINDOW_MS)

    def fresh(rates: Rates, local: Rates) -> Rates:
        return Rates(local.bounce if rates.bounce.source == LOCAL else rates.bounce,
                     local.complaint if rates.complaint.source == LOCAL else rates.complaint, rates.name)

    sets = [fresh(r, local_rates(*by_set.get(r.name, ({}, 0)), r.name)) for r in reading.configuration_sets]
    return replace(reading, account=fresh(reading.account, local_rates(*counts_over_sets(by_set))), configuration_sets=sets)


def pace(current: Rates, counts_24h: Mapping[str, int], hard_24h: int, volume: float, *, oldest_ms: int | None,
         now_ms: int) -> tuple[dict[str, float | None], PaceBasis]:
    """Hours until each rate reaches review (None: it does not, or too little mail to tell) if mail
    keeps bouncing and complaining as over the last 24 hours, or over the part of them the store
    holds since its oldest event (`oldest_ms`); and that basis, which says which."""
    basis = pace_basis(health.rates_from_counts(counts_24h).attempts, oldest_ms, now_ms)
    bad = {"bounce": hard_24h, "complaint": counts_24h.get("complaint", 0)}
    return {kind: projection(getattr(current, kind).value, n, basis, volume, THRESHOLDS[kind].review)
            for kind, n in bad.items()}, basis


def _pick(latest, target, kind: str, fallback: Figure) -> Figure:
    point = latest.get((target, kind))
    return Figure(point[1], CLOUDWATCH, point[0]) if point else fallback


def counts_over_sets(by_set: Mapping[str | None, tuple[dict[str, int], int]]) -> tuple[dict[str, int], int]:
    """The account's counts by kind and hard bounces: the sum of the per-set ones."""
    counts: dict[str, int] = {}
    hard = 0
    for set_counts, set_hard in by_set.values():
        hard += set_hard
        for kind, n in set_counts.items():
            counts[kind] = counts.get(kind, 0) + n
    return counts, hard


def _reason(exc: AwsError) -> str:
    if exc.kind == ErrorKind.DENIED and GET_METRIC_DATA not in str(exc):
        return f"{exc} (needs {GET_METRIC_DATA})"
    return str(exc)
