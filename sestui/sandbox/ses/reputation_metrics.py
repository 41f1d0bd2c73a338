"""`AWS/SES` `Reputation.BounceRate` and `Reputation.ComplaintRate`, as SES publishes them.

SES computes the rates it acts on over a "representative volume" of recent mail, not a fixed
period. Here that volume is the last `WINDOW` recipients sent to (non-simulator: mail to
`@simulator.amazonses.com` never counts), per scope: the account, and each configuration set.
The bounce rate is the share of those recipients that hard-bounced (Permanent bounces other
than the suppression-list ones, which SES never attempted), the complaint rate the share that
complained. The figures (fractions 0..1) go into the sandbox's own (moto) CloudWatch, for the
account without dimensions and, for every configuration set whose reputation metrics are
enabled, with the dimension `ses:configuration-set`. A point is published right after a bounce
or complaint changes the figures (through the simulator's scheduler), and by `tick()`, which the
sandbox calls every `INTERVAL_S` seconds of simulated time (scaled by the delay scale, at least
one second), when sends alone changed them. At most one point per whole second.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime

from moto.cloudwatch.models import cloudwatch_backends

NAMESPACE = "AWS/SES"
BOUNCE_RATE = "Reputation.BounceRate"
COMPLAINT_RATE = "Reputation.ComplaintRate"
SET_DIMENSION = "ses:configuration-set"
WINDOW = 10000  # recipients per scope
INTERVAL_S = 60.0
_MESSAGES_KEPT = 20000  # message id -> its recipients' entries, for bounces and complaints arriving later


def put_points(account_id: str, region: str, points: list[tuple[datetime, str | None, float, float]]) -> None:
    """(timestamp, configuration set or None for the account, bounce rate, complaint rate) into
    moto's CloudWatch, timestamps as naive UTC (how its API parser hands them over)."""
    data = []
    for when, config_set, bounce, complaint in points:
        dimensions = [{"Name": SET_DIMENSION, "Value": config_set}] if config_set else []
        stamp = when.astimezone(UTC).replace(tzinfo=None)
        data += [{"MetricName": BOUNCE_RATE, "Value": bounce, "Timestamp": stamp, "Dimensions": dimensions},
                 {"MetricName": COMPLAINT_RATE, "Value": complaint, "Timestamp": stamp, "Dimensions": dimensions}]
    for start in range(0, len(data), 1000):
        cloudwatch_backends[account_id][region].put_metric_data(NAMESPACE, data[start:start + 1000])


class ReputationMetrics:
    """Per-recipient outcomes of recent mail, and their publication. Thread-safe."""

    def __init__(self, account_id: str, region: str, call_later: Callable[[float, Callable[[], None]], None],
                 enabled_sets: Callable[[], set[str]]):
        self._account_id = account_id
        self._region = region
        self._call_later = call_later
        self._enabled_sets = enabled_sets
        self._lock = threading.Lock()
        # scope ("" = the account) -> the last WINDOW entries, each [hard-bounced, complained]
        self._windows: dict[str, deque[list[bool]]] = {}
        self._messages: OrderedDict[str, dict[str, list[bool]]] = OrderedDict()
        self._pending = False
        self._changed = False
        self._last_second = 0
        self.publishing = True  # False: figures are kept, nothing goes to CloudWatch

    def sent(self, message_id: str, configuration_set: str | None, recipients: list[str]) -> None:
        """Counted (non-simulator) recipients of an accepted send."""
        if not recipients:
            return
        with self._lock:
            entries = {r.lower(): [False, False] for r in recipients}
            self._messages[message_id] = entries
            while len(self._messages) > _MESSAGES_KEPT:
                self._messages.popitem(last=False)
            for scope in ("", configuration_set) if configuration_set else ("",):
                self._windows.setdefault(scope, deque(maxlen=WINDOW)).extend(entries.values())
            self._changed = True

    def preload(self, configuration_set: str | None, recipients: int, bounce_rate: float,
                complaint_rate: float) -> None:
        """A past: `recipients` older outcomes at the given rates, before anything sent so far,
        spread evenly over it (so that new sends, which push the oldest out, carry the rates on
        rather than evicting every past bounce first)."""
        bounced, complained = round(recipients * bounce_rate), round(recipients * complaint_rate)
        past = [[_spread(i, bounced, recipients), _spread(i + recipients // 2, complained, recipients)]
                for i in range(recipients)]
        with self._lock:
            window = self._windows.setdefault(configuration_set or "", deque(maxlen=WINDOW))
            live = list(window)
            window.clear()
            window.extend(past + live)
            self._changed = True

    def hard_bounced(self, message_id: str, recipients: list[str]) -> None:
        self._mark(message_id, recipients, 0)

    def complained(self, message_id: str, recipients: list[str]) -> None:
        self._mark(message_id, recipients, 1)

    def figures(self) -> dict[str | None, tuple[float, float]]:
        """Scope (None = the account) -> (bounce rate, complaint rate), for scopes that sent."""
        with self._lock:
            return {scope or None: (sum(e[0] for e in w) / len(w), sum(e[1] for e in w) / len(w))
                    for scope, w in self._windows.items() if w}

    def publish(self) -> None:
        if not self.publishing:
            return
        with self._lock:
            second = int(time.time())
            if second <= self._last_second:  # one point per whole second
                self._call_later(second + 1 - time.time(), self.publish)
                return
            self._pending = self._changed = False
            self._last_second = second
        enabled = self._enabled_sets()
        now = datetime.fromtimestamp(self._last_second, UTC)
        points = [(now, scope, bounce, complaint) for scope, (bounce, complaint) in self.figures().items()
                  if scope is None or scope in enabled]
        if points:
            put_points(self._account_id, self._region, points)

    def tick(self) -> None:
        """Publish if the figures changed since the last point."""
        with self._lock:
            due = self._changed and not self._pending
        if due:
            self.publish()

    def _mark(self, message_id: str, recipients: list[str], index: int) -> None:
        changed = False
        with self._lock:
            entries = self._messages.get(message_id, {})
            for recipient in recipients:
                entry = entries.get(recipient.lower())
                if entry is not None and not entry[index]:
                    entry[index] = changed = True
        if changed:
            self._schedule()

    def _schedule(self) -> None:
        with self._lock:
            self._changed = True
            if self._pending:
                return
            self._pending = True
        self._call_later(0.0, self.publish)


def _spread(i: int, marked: int, total: int) -> bool:
    """Whether entry i (mod total) is one of `marked` entries spaced evenly over `total`."""
    i %= total
    return (i + 1) * marked // total > i * marked // total
