"""A past for the demo account: two weeks of sending statistics and a suppression list.

A fresh sandbox has sent nothing, so the console's reputation pane would show one bar at the
right edge and an empty suppression list. `sestui demo` asks for a history instead: daily-cycle
volume, a bounce rate of a percent or two with one bad afternoon a few days ago that crossed AWS's
review threshold, a trickle of complaints, and the addresses those bounces and complaints put on
the account suppression list. And the `AWS/SES` `Reputation.*` figures SES would have published,
hourly: the account's bounce rate easing up from about 1.2% to 2.4%, and the "marketing"
configuration set's (reputation metrics on, see starter_wiring) drifting from 2% to about 4.5%,
heading for the 5% review line; complaint rates a few in ten thousand, rising too.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

from ..ses.deliverability_history import binomial
from ..ses.reputation_metrics import WINDOW, ReputationMetrics, put_points

from ..ses.sending_ledger import SendingLedger
from ..ses.suppression_list import Suppressed, SuppressionList

_BUCKET = 15 * 60
_DAY = 86400
_LOCALS = ("old.customer", "info", "sales", "jdoe", "m.rossi", "k.tanaka", "lea.martin", "noreply",
           "p.novak", "admin", "contact", "s.okafor", "team", "billing", "h.silva", "newsletter")
_DOMAINS = ("example.com", "example.net", "example.org")


def backfill(ledger: SendingLedger, suppression: SuppressionList, now: float, days: int, seed: int | None) -> None:
    rng = random.Random(seed)
    start = int(now) - int(now) % _BUCKET - days * _DAY
    spike = start + (days - 4) * _DAY + 14 * 3600  # four days ago, early afternoon (UTC)
    points = {}
    bucket = start
    while bucket < int(now) - _BUCKET:
        hour = (bucket % _DAY) / 3600
        volume = 40 + 80 * max(0.0, math.sin(math.pi * (hour - 6) / 14))  # busy by day, quiet at night
        attempts = max(0, int(rng.gauss(volume, volume * 0.15)))
        bounce_rate = 0.09 if spike <= bucket < spike + 3 * 3600 else 0.012
        bounces = binomial(rng, attempts, bounce_rate)
        complaints = binomial(rng, attempts, 0.0004)
        rejects = 1 if rng.random() < 0.002 else 0
        points[bucket] = [attempts, bounces, complaints, rejects]
        for _ in range(bounces if rng.random() < 0.2 else 0):
            _suppress(suppression, rng, "BOUNCE", bucket)
        for _ in range(complaints):
            _suppress(suppression, rng, "COMPLAINT", bucket)
        bucket += _BUCKET
    ledger.preload(points, now)


def _suppress(suppression: SuppressionList, rng: random.Random, reason: str, when: int) -> None:
    address = f"{rng.choice(_LOCALS)}{rng.randint(1, 999)}@{rng.choice(_DOMAINS)}"
    suppression.put(Suppressed(address, reason, datetime.fromtimestamp(when + rng.randint(0, _BUCKET), UTC)))


# (scope, bounce rate then, bounce rate now, complaint rate then, complaint rate now); None = the account
REPUTATION_DRIFT = ((None, 0.012, 0.024, 0.0003, 0.0005), ("marketing", 0.02, 0.045, 0.0004, 0.0008))


def reputation_points(now: float, days: int, seed: int | None) -> list[tuple[datetime, str | None, float, float]]:
    """Hourly (timestamp, scope, bounce rate, complaint rate) over the last `days` days."""
    rng = random.Random(None if seed is None else seed + 7)
    last = int(now) - int(now) % 3600
    hours = days * 24
    points = []
    for i in range(hours, 0, -1):
        when = datetime.fromtimestamp(last - i * 3600, UTC)
        progress = (hours - i) / hours
        for scope, bounce_then, bounce_now, complaint_then, complaint_now in REPUTATION_DRIFT:
            bounce = bounce_then + (bounce_now - bounce_then) * progress ** 1.5 + rng.gauss(0, 0.0008)
            complaint = complaint_then + (complaint_now - complaint_then) * progress + rng.gauss(0, 0.00003)
            points.append((when, scope, max(0.0, bounce), max(0.0, complaint)))
    return points


def backfill_reputation(reputation: ReputationMetrics, account_id: str, region: str, now: float, days: int,
                        seed: int | None) -> None:
    """The hourly points into CloudWatch, and the representative volume behind today's figures
    into `reputation`, so that live traffic carries the figures on rather than starting afresh."""
    put_points(account_id, region, reputation_points(now, days, seed))
    for scope, _, bounce_now, _, complaint_now in REPUTATION_DRIFT:
        reputation.preload(scope, WINDOW if scope is None else WINDOW // 3, bounce_now, complaint_now)
