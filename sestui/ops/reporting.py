"""What a collector tells the consoles: its counters, and its state row, written every second
(apart from the poller, so that an AWS call stuck in retries never makes a live collector look
dead). A paused or hung collector says so in `last_error`, refreshed every beat so that it stays
newer than any receive that returns meanwhile. A mixin of Collector."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from sestui.store import AddResult, Store, now_ms

if TYPE_CHECKING:
    from sestui.ops.collector import CollectorOptions
    from sestui.ops.dbwatch import FileIdentity

log = logging.getLogger("sestui.collector")


class Stats:
    """Counters and the last outcome, shared by the threads; flushed to the store by the state thread."""

    def __init__(self, window_s: float = 10.0):
        self.lock = threading.Lock()
        self.totals = AddResult()
        self.received = 0
        self.last_success: int | None = None  # the last receive that returned (empty or not)
        self.last_error: str | None = None
        self.last_error_at: int | None = None
        self.backlog: int | None = None
        self.dlq_backlog: int | None = None  # messages in the dead-letter queue (None: it has none)
        self._window = window_s
        self._recent: deque[tuple[float, int]] = deque()

    def stored(self, result: AddResult) -> None:
        with self.lock:
            self.totals += result
            self._recent.append((time.monotonic(), result.stored))

    def ok(self) -> None:
        with self.lock:
            self.last_success = now_ms()
            self.last_error = None

    def failed(self, message: str) -> None:
        with self.lock:
            self.last_error, self.last_error_at = message, now_ms()

    def rate(self) -> float:
        horizon = time.monotonic() - self._window
        with self.lock:
            while self._recent and self._recent[0][0] < horizon:
                self._recent.popleft()
            return sum(n for _, n in self._recent) / self._window


class StateReporter:
    """The state thread and the state row (see the module docstring)."""

    store: Store
    options: CollectorOptions
    stats: Stats
    collector_id: str
    _stop: threading.Event
    _state_lock: threading.Lock
    _final_state_saved: bool
    _started_ms: int
    _receiving: dict[str, float]
    _last_return: float
    _db: FileIdentity

    @property
    def paused(self) -> str | None:
        raise NotImplementedError

    def _halt(self, reason: str) -> None:
        raise NotImplementedError

    def _state_loop(self) -> None:
        while not self._stop.wait(self.options.status_interval):
            replaced = self._db.problem()
            if replaced:
                self._halt(replaced)
            self._save_state("running")

    def _overdue(self) -> str | None:
        """A receive silent for longer than its wait plus the margin: the endpoint hangs."""
        now, limit = time.monotonic(), self.options.wait_seconds + self.options.receive_margin
        started = list(self._receiving.values())
        if not started or now - self._last_return <= limit or now - min(started) <= limit:
            return None
        return f"no answer from SQS for {now - min(started):.0f}s (the endpoint hangs)"

    def _save_state(self, state: str) -> None:
        with self._state_lock:
            if self._final_state_saved:
                return  # a late "running" must not overwrite "stopped"
            self._final_state_saved = state == "stopped"
            self._write_state(state)

    def _write_state(self, state: str) -> None:
        s = self.stats
        # Paused or hung is failing now, whatever the last receive said: the error is refreshed
        # every beat so that it stays newer than any receive that returns meanwhile.
        now_failing = self.paused or (self._overdue() if state == "running" else None)
        with s.lock:
            totals = AddResult(s.totals.stored, s.totals.duplicates, s.totals.quarantined)
            row: dict[str, Any] = {
                "queue_url": self.options.queue_url, "state": state, "started": self._started_ms,
                "heartbeat": now_ms(), "last_success": s.last_success, "last_error": s.last_error,
                "last_error_at": s.last_error_at, "backlog": s.backlog, "dlq_backlog": s.dlq_backlog, "received": s.received,
                "stored": totals.stored, "duplicates": totals.duplicates, "quarantined": totals.quarantined,
                "db_path": self.store.identity, "wait_seconds": self.options.wait_seconds,
            }
        if now_failing:
            row["last_error"], row["last_error_at"] = now_failing, row["heartbeat"]
        row["events_per_s"] = s.rate()
        try:
            self.store.save_collector_state(self.collector_id, row)
        except Exception as exc:
            log.warning("could not save collector state: %s", exc)
