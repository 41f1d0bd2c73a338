"""What the account has sent: quota use (rolling 24 hours), sending rate, GetSendStatistics."""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime

from .settings import AccountSettings

_DAY = 86400.0
_STATISTICS_BUCKET = 900  # GetSendStatistics reports 15-minute points
_STATISTICS_KEPT = 14 * _DAY


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

    def admit(self, recipients: int, settings: AccountSettings, now: float, counted: int | None = None) -> str | None:
        """Take a send of `recipients` from the quotas, or say which one is exhausted ("daily" or
        "rate"). `counted` of them (default all) draw on the 24-hour quota: mailbox-simulator
        recipients do not. As in SES, a send is allowed while any quota is left, even if it then
        goes below zero."""
        counted = recipients if counted is None else counted
        with self._lock:
            self._expire(now)
            if counted and settings.max_24_hour_send != -1 and self._sent_total >= settings.max_24_hour_send:
                return "daily"
            rate = settings.max_send_rate
            tokens = rate if self._tokens is None else min(rate, self._tokens + (now - self._tokens_at) * rate)
            self._tokens_at = now
            if tokens < 1:
                self._tokens = tokens
                return "rate"
            self._tokens = tokens - recipients
            if counted:
                second = float(int(now))  # one entry per second keeps a busy day small
                if self._sent and self._sent[-1][0] == second:
                    self._sent[-1] = (second, self._sent[-1][1] + counted)
                else:
                    self._sent.append((second, counted))
                self._sent_total += counted
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

    def record_reject(self, now: float) -> None:
        with self._lock:
            self._point(now)[3] += 1

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
                    "Timestamp": datetime.fromtimestamp(start, UTC),
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
