"""The SES account's settings and what it has sent: quota use, sending rate, statistics."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, fields
from datetime import datetime, timezone

ENFORCEMENT_STATUSES = ("HEALTHY", "PROBATION", "SHUTDOWN")
# The IAM user the sandbox pretends every caller is (records' callerIdentity, AccessDenied messages).
CALLER_IDENTITY = "sestui-sandbox"
SUPPRESSION_REASONS = ("BOUNCE", "COMPLAINT")

_DAY = 86400.0
_STATISTICS_BUCKET = 900  # GetSendStatistics reports 15-minute points
_STATISTICS_KEPT = 14 * _DAY


@dataclass
class AccountSettings:
    """What GetAccount reports and sends obey. Mutable while the sandbox runs, so that every
    state the console shows (sandbox mode, paused, probation, quota nearly used) can be staged.

    The defaults are those of a production account that left the SES sandbox recently.
    """

    production_access_enabled: bool = True
    sending_enabled: bool = True
    enforcement_status: str = "HEALTHY"
    max_24_hour_send: float = 50000.0  # -1 means unlimited
    max_send_rate: float = 14.0
    suppressed_reasons: tuple[str, ...] = SUPPRESSION_REASONS
    # Real SES refuses suppression-list edits while the account is in the SES sandbox. The
    # emulator allows them unless this is set, so that trying things out is not blocked.
    refuse_suppression_edits_in_sandbox: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.enforcement_status not in ENFORCEMENT_STATUSES:
            raise ValueError(f"enforcement_status must be one of {', '.join(ENFORCEMENT_STATUSES)}")
        if self.max_send_rate <= 0:
            raise ValueError("max_send_rate must be positive")
        if self.max_24_hour_send < 0 and self.max_24_hour_send != -1:
            raise ValueError("max_24_hour_send must be -1 (unlimited) or at least 0")
        unknown = set(self.suppressed_reasons) - set(SUPPRESSION_REASONS)
        if unknown:
            raise ValueError(f"unknown suppressed reasons: {', '.join(sorted(unknown))}")

    def update(self, **changes) -> None:
        """Change several settings at once, all or nothing."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown account settings: {', '.join(sorted(unknown))}")
        candidate = AccountSettings(**{**self.as_dict(), **changes})
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def sending_paused(self) -> bool:
        return not self.sending_enabled or self.enforcement_status == "SHUTDOWN"


class SendingLedger:
    """Counts what was sent, per recipient as SES does: the rolling 24-hour total, a token bucket
    for the per-second rate, and the 15-minute points of GetSendStatistics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: deque[tuple[float, int]] = deque()
        self._sent_total = 0
        self._tokens: float | None = None
        self._tokens_at = 0.0
        self._points: dict[int, list[int]] = {}  # bucket start -> [attempts, bounces, complaints, rejects]

    def admit(self, recipients: int, settings: AccountSettings, now: float) -> str | None:
        """Take `recipients` from the quotas, or say which one is exhausted ("daily" or "rate").
        As in SES, a send is allowed while any quota is left, even if it then goes below zero."""
        with self._lock:
            self._expire(now)
            if settings.max_24_hour_send != -1 and self._sent_total >= settings.max_24_hour_send:
                return "daily"
            rate = settings.max_send_rate
            tokens = rate if self._tokens is None else min(rate, self._tokens + (now - self._tokens_at) * rate)
            self._tokens_at = now
            if tokens < 1:
                self._tokens = tokens
                return "rate"
            self._tokens = tokens - recipients
            second = float(int(now))  # one entry per second keeps a busy day small
            if self._sent and self._sent[-1][0] == second:
                self._sent[-1] = (second, self._sent[-1][1] + recipients)
            else:
                self._sent.append((second, recipients))
            self._sent_total += recipients
            self._point(now)[0] += recipients
            return None

    def preload(self, points: dict[int, list[int]], now: float) -> None:
        """A past: 15-minute points (bucket start -> [attempts, bounces, complaints, rejects]),
        older than anything sent so far; those of the last 24 hours count toward the quota."""
        with self._lock:
            recent = sorted((start, values[0]) for start, values in points.items() if start > now - _DAY)
            self._sent = deque([(float(start), n) for start, n in recent] + list(self._sent))
            self._sent_total += sum(n for _, n in recent)
            for start, values in points.items():
                merged = self._points.setdefault(start, [0, 0, 0, 0])
                for i, value in enumerate(values):
                    merged[i] += value

    def record_bounce(self, now: float) -> None:
        with self._lock:
            self._point(now)[1] += 1

    def record_complaint(self, now: float) -> None:
        with self._lock:
            self._point(now)[2] += 1

    def sent_last_24_hours(self, now: float) -> int:
        with self._lock:
            self._expire(now)
            return self._sent_total

    def data_points(self, now: float) -> list[dict]:
        """GetSendStatistics' SendDataPoints: one per 15-minute interval that saw activity."""
        with self._lock:
            self._expire(now)
            return [
                {
                    "Timestamp": datetime.fromtimestamp(start, timezone.utc),
                    "DeliveryAttempts": attempts,
                    "Bounces": bounces,
                    "Complaints": complaints,
                    "Rejects": rejects,
                }
                for start, (attempts, bounces, complaints, rejects) in sorted(self._points.items())
            ]

    def _point(self, now: float) -> list[int]:
        start = int(now) - int(now) % _STATISTICS_BUCKET
        return self._points.setdefault(start, [0, 0, 0, 0])

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0][0] <= now - _DAY:
            self._sent_total -= self._sent.popleft()[1]
        for start in [s for s in self._points if s < now - _STATISTICS_KEPT]:
            del self._points[start]
