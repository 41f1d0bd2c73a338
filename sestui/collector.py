"""SQS -> SQLite, at least once from the queue, exactly once in the store; and the account poller.

Order of work for every batch: receive -> parse -> commit -> DeleteMessageBatch. A message is deleted
only after its events (or its quarantine row) are committed, so killing the process at any instant
loses nothing; a message received again after such a kill is absorbed by the event identity.

Threads: N receivers (network-bound, in parallel) hand batches to one writer, which parses and
commits everything waiting in one transaction and wakes the receivers to delete what it committed.
A poller thread refreshes the account status, statistics and queue depth and writes the collector's
own state to the store for any console to show.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from .aws import Aws, AwsError, SqsMessage
from .events import Parsed, Verifier, parse_body
from .store import AddResult, Store, now_ms, to_ms

log = logging.getLogger("sestui.collector")


@dataclass
class CollectorOptions:
    queue_url: str | None
    receivers: int = 4
    wait_seconds: int = 20
    visibility_timeout: int = 60
    max_batch: int = 1000  # messages per SQLite transaction
    account_interval: float = 60.0
    stats_interval: float = 300.0
    depth_interval: float = 15.0
    status_interval: float = 1.0
    retention_days: int | None = None  # prune older events every hour when set


class Backoff:
    """Exponential backoff with full jitter: sleep uniform(0, min(cap, base * 2**failures))."""

    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = self._rng.uniform(self.base / 2, min(self.cap, self.base * 2 ** self.failures))
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


class _Ticket:
    """One received batch waiting for the writer; `done` is set once it is committed or failed."""

    __slots__ = ("messages", "done", "error")

    def __init__(self, messages: list[SqsMessage]):
        self.messages = messages
        self.done = threading.Event()
        self.error: Exception | None = None


class _Stats:
    """Counters and the last outcome, shared by the threads; flushed to the store by the poller."""

    def __init__(self, window_s: float = 10.0):
        self.lock = threading.Lock()
        self.totals = AddResult()
        self.received = 0
        self.last_success: int | None = None
        self.last_error: str | None = None
        self.last_error_at: int | None = None
        self.backlog: int | None = None
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


class Collector:
    def __init__(self, aws: Aws, store: Store, options: CollectorOptions, *,
                 verify: Verifier | None = None, on_commit: Callable[[list[Parsed]], None] | None = None,
                 collector_id: str | None = None):
        self.aws, self.store, self.options = aws, store, options
        self.verify = verify
        self.on_commit = on_commit
        self.collector_id = collector_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.stats = _Stats()
        self._stop = threading.Event()
        self._tickets: queue.Queue[_Ticket] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._started_ms = now_ms()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self.options.queue_url:
            for i in range(self.options.receivers):
                self._spawn(self._receive_loop, f"sestui-receiver-{i}")
            self._spawn(self._write_loop, "sestui-writer")
        self._spawn(self._poll_loop, "sestui-poller")

    def stop(self, timeout: float = 2.0) -> None:
        """Finish the in-flight batches (commit, delete) and stop. Receivers still inside a long
        poll are abandoned: whatever they receive is never deleted, so SQS delivers it again."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._save_state("stopped")

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- receivers ----------------------------------------------------------------------------

    def _receive_loop(self) -> None:
        opts = self.options
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                messages = self.aws.receive(opts.queue_url, wait_seconds=opts.wait_seconds,
                                            visibility_timeout=opts.visibility_timeout)
            except AwsError as exc:
                self._failed(exc, backoff)
                continue
            backoff.reset()
            self.stats.ok()
            if not messages or self._stop.is_set():
                continue  # received after stop: left for SQS to redeliver
            ticket = _Ticket(messages)
            self._tickets.put(ticket)
            ticket.done.wait()
            if ticket.error is not None:
                self._stop.wait(backoff.next_delay())
                continue
            try:
                failures = self.aws.delete(opts.queue_url, [m.receipt_handle for m in messages])
            except AwsError as exc:
                self._failed(exc, backoff)
                continue
            for failure in failures:
                log.warning("delete refused (will be redelivered, then deduplicated): %s", failure.reason)

    def _failed(self, exc: AwsError, backoff: Backoff) -> None:
        self.stats.failed(str(exc))
        delay = backoff.next_delay()
        log.warning("%s (retrying in %.1fs)", exc, delay)
        self._stop.wait(delay)

    # -- writer -------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            try:
                first = self._tickets.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set() and self._tickets.empty():
                    return
                continue
            batch = [first]
            count = len(first.messages)
            while count < self.options.max_batch:
                try:
                    ticket = self._tickets.get_nowait()
                except queue.Empty:
                    break
                batch.append(ticket)
                count += len(ticket.messages)
            self._commit(batch)

    def _commit(self, batch: list[_Ticket]) -> None:
        items = [(m.body, parse_body(m.body, self.verify)) for t in batch for m in t.messages]
        error: Exception | None = None
        try:
            result = self.store.add(items)
        except Exception as exc:  # disk full, database locked too long: nothing is deleted
            error = exc
            self.stats.failed(f"database write failed: {exc}")
            log.error("database write failed, %d messages left in the queue: %s", len(items), exc)
        else:
            with self.stats.lock:
                self.stats.received += len(items)
            self.stats.stored(result)
            for body, parsed in items:
                if not parsed.ok:
                    log.warning("quarantined a message: %s", parsed.reason)
        for ticket in batch:
            ticket.error = error
            ticket.done.set()
        if error is None and self.on_commit is not None:
            try:
                self.on_commit([p for _, p in items if p.ok])
            except Exception:
                log.exception("post-commit hook failed")

    # -- poller -------------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        opts = self.options
        start = time.monotonic()
        # GetSendQuota and GetSendStatistics allow 1 request/s each: keep the two polls apart.
        due = {"status": start, "depth": start, "account": start, "stats": start + 1.5}
        polls = {"depth": (self._poll_depth, opts.depth_interval),
                 "account": (self._poll_account, opts.account_interval),
                 "stats": (self._poll_stats, opts.stats_interval)}
        if not opts.queue_url:
            del polls["depth"]
        if opts.retention_days:
            polls["retention"] = (self._prune, 3600.0)
            due["retention"] = start + 5.0
        backoff = {name: Backoff(base=2.0, cap=120.0) for name in polls}
        while not self._stop.is_set():
            now = time.monotonic()
            for name, (poll, interval) in polls.items():
                if now >= due[name]:
                    due[name] = now + self._guard(name, poll, interval, backoff[name])
            if now >= due["status"]:
                self._save_state("running")
                due["status"] = now + opts.status_interval
            self._stop.wait(0.25)

    def _guard(self, name: str, poll: Callable[[], None], interval: float, backoff: Backoff) -> float:
        """Run one poll; return the seconds until the next (the interval, or a backoff after a failure)."""
        try:
            poll()
        except AwsError as exc:
            if name == "account":
                self.store.save_account_snapshot(taken_ms=now_ms(), profile=self.aws.profile,
                                                 region=self.aws.region, status=None, error=str(exc))
            else:
                self.stats.failed(str(exc))
            return min(interval, backoff.next_delay())
        except Exception as exc:  # a poll must never kill the poller
            log.exception("%s poll failed", name)
            self.stats.failed(f"{name} poll failed: {exc}")
            return min(interval, backoff.next_delay())
        backoff.reset()
        return interval

    def _poll_depth(self) -> None:
        depth = self.aws.queue_depth(self.options.queue_url)
        with self.stats.lock:
            self.stats.backlog = depth["visible"] + depth["delayed"]

    def _poll_account(self) -> None:
        status = self.aws.account_status()
        self.store.save_account_snapshot(taken_ms=now_ms(), profile=self.aws.profile, region=self.aws.region,
                                         status=vars(status))

    def _poll_stats(self) -> None:
        points = self.aws.send_statistics()
        self.store.save_send_stats(
            (to_ms(p.timestamp), p.delivery_attempts, p.bounces, p.complaints, p.rejects) for p in points
        )

    def _prune(self) -> None:
        removed = self.store.prune(now_ms() - self.options.retention_days * 86_400_000)
        if removed["events"] or removed["quarantine"]:
            log.info("retention: removed %(events)d events and %(quarantine)d quarantined bodies", removed)

    def _save_state(self, state: str) -> None:
        s = self.stats
        with s.lock:
            totals = AddResult(s.totals.stored, s.totals.duplicates, s.totals.quarantined)
            row = {
                "queue_url": self.options.queue_url, "state": state, "started": self._started_ms,
                "heartbeat": now_ms(), "last_success": s.last_success, "last_error": s.last_error,
                "last_error_at": s.last_error_at, "backlog": s.backlog, "received": s.received,
                "stored": totals.stored, "duplicates": totals.duplicates, "quarantined": totals.quarantined,
            }
        row["events_per_s"] = s.rate()
        try:
            self.store.save_collector_state(self.collector_id, row)
        except Exception as exc:
            log.warning("could not save collector state: %s", exc)
