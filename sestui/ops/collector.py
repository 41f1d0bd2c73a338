"""SQS -> SQLite, at least once from the queue, exactly once in the store; and the account poller.

Order of work for every batch: receive -> parse -> commit -> DeleteMessageBatch. A message is deleted
only after its events (or its quarantine row) are committed, so killing the process at any instant
loses nothing; a message received again after such a kill is absorbed by the event identity.

Threads: N receivers (network-bound, in parallel) hand batches to one writer, which parses and
commits everything waiting in one transaction and wakes the receivers to delete what it committed.
A poller thread refreshes the account status, statistics and queue depth; a state thread writes the
collector's own state to the store every second for any console to show (apart from the poller, so
that an AWS call stuck in retries never makes a live collector look dead).

Stopping waits for the batches in flight (received, not yet deleted) to be committed and deleted,
not for receivers inside a long poll: what such a receiver gets afterwards is not deleted, so SQS
delivers it again once its visibility timeout passes.
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

from sestui.aws import Aws, AwsError, SqsMessage
from sestui.core.events import Parsed, Verifier, parse_body
from sestui.aws.signatures import CertificateUnavailable
from sestui.store import AddResult, Store, now_ms, to_ms

log = logging.getLogger("sestui.collector")

# GetSendQuota, GetSendStatistics (and GetAccount) allow one request per second: never poll faster.
MIN_POLL_INTERVAL = 1.0


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
    """Exponential backoff with jitter: sleep uniform(base/2, min(cap, base * 2**failures))."""

    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        # The exponent stops growing once the cap is reached: a days-long outage must not overflow.
        ceiling = min(self.cap, self.base * 2.0 ** min(self.failures, 64))
        delay = self._rng.uniform(min(self.base / 2, ceiling), ceiling)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


class _Ticket:
    """One received batch waiting for the writer; `done` is set once it is committed or failed.
    `keep` lists the receipt handles the writer could not decide on yet: not to be deleted."""

    __slots__ = ("messages", "done", "error", "keep")

    def __init__(self, messages: list[SqsMessage]):
        self.messages = messages
        self.done = threading.Event()
        self.error: Exception | None = None
        self.keep: set[str] | None = None


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
        self._threads: dict[str, threading.Thread] = {}
        self._started_ms = now_ms()
        # Batches received and not yet deleted (or given up): what stop() waits for.
        self._in_flight = 0
        self._in_flight_changed = threading.Condition()
        self._state_lock = threading.Lock()
        self._final_state_saved = False
        self.deliverer = None  # outbox hook: an ops.outbox.Deliverer (ops.routing.wire), run beside the collector

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._save_state("running")
        if self.deliverer is not None:  # outbox hook
            self.deliverer.start()
        if self.options.queue_url:
            for i in range(self.options.receivers):
                self._spawn(self._receive_loop, f"sestui-receiver-{i}")
            self._spawn(self._write_loop, "sestui-writer")
        self._spawn(self._poll_loop, "sestui-poller")
        self._spawn(self._state_loop, "sestui-state")

    def stop(self, timeout: float = 2.0) -> None:
        """Finish the in-flight batches (commit, delete) and stop, within `timeout` seconds.
        Receivers still inside a long poll, and a poll stuck in AWS retries, are abandoned (daemon
        threads): whatever such a receiver gets is never deleted, so SQS delivers it again."""
        deadline = time.monotonic() + timeout
        with self._in_flight_changed:
            self._stop.set()  # under the lock: no receiver starts a batch after this
            self._in_flight_changed.wait_for(lambda: self._in_flight == 0, max(0.0, deadline - time.monotonic()))
        for name in ("sestui-writer", "sestui-state"):
            thread = self._threads.get(name)
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        if self.deliverer is not None:  # outbox hook
            self.deliverer.stop(max(0.5, deadline - time.monotonic()))
        self._save_state("stopped")

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads[name] = thread

    # -- receivers ----------------------------------------------------------------------------

    def _receive_loop(self) -> None:
        opts = self.options
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                messages = self.aws.receive(opts.queue_url, wait_seconds=opts.wait_seconds,
                                            visibility_timeout=opts.visibility_timeout)
            except AwsError as exc:
                self._failed(str(exc), backoff)
                continue
            backoff.reset()
            self.stats.ok()
            if not messages:
                continue
            with self._in_flight_changed:
                if self._stop.is_set():
                    continue  # received after stop: left for SQS to redeliver
                self._in_flight += 1
            try:
                problem = self._store_then_delete(messages)
            except Exception as exc:  # a bug here must not silently end this receiver
                log.exception("receiver failed on a batch (left in the queue)")
                problem = f"receiver failed: {exc}"
            finally:
                with self._in_flight_changed:
                    self._in_flight -= 1
                    self._in_flight_changed.notify_all()
            if problem:
                self._failed(problem, backoff)

    def _store_then_delete(self, messages: list[SqsMessage]) -> str | None:
        """Hand the batch to the writer, wait for the commit, delete what was committed.
        Returns what went wrong (the batch then stays in the queue), or None."""
        ticket = _Ticket(messages)
        self._tickets.put(ticket)
        ticket.done.wait()
        if ticket.error is not None:
            return f"database write failed: {ticket.error}"
        keep = ticket.keep
        handles = [m.receipt_handle for m in messages if not keep or m.receipt_handle not in keep]
        if not handles:
            return None
        try:
            failures = self.aws.delete(self.options.queue_url, handles)
        except AwsError as exc:
            return str(exc)  # committed: the redelivery will be absorbed as duplicates
        for failure in failures:
            log.warning("delete refused (will be redelivered, then deduplicated): %s", failure.reason)
        return None

    def _failed(self, message: str, backoff: Backoff) -> None:
        if self._stop.is_set():
            return
        self.stats.failed(message)
        delay = backoff.next_delay()
        log.warning("%s (retrying in %.1fs)", message, delay)
        self._stop.wait(delay)

    # -- writer -------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            try:
                first = self._tickets.get(timeout=0.2)
            except queue.Empty:
                # No batch in flight: none can be waiting for a commit, and no new one starts.
                if self._stop.is_set() and self._in_flight == 0:
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
        error: Exception | None = None
        items: list[tuple[str, Parsed]] = []
        try:
            items = self._parse_batch(batch)
            result = self.store.add(items)
        except Exception as exc:  # disk full, database locked too long: nothing is deleted
            error = exc
            self.stats.failed(f"database write failed: {exc}")
            log.error("database write failed, %d messages left in the queue: %s",
                      sum(len(t.messages) for t in batch), exc)
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
        if error is not None:
            return
        if self.deliverer is not None:  # outbox hook: the commit may have enqueued actions
            self.deliverer.wake()
        if self.on_commit is not None:
            try:
                self.on_commit([p for _, p in items if p.ok])
            except Exception:
                log.exception("post-commit hook failed")

    def _parse_batch(self, batch: list[_Ticket]) -> list[tuple[str, Parsed]]:
        if self.verify is None:
            return [(m.body, parse_body(m.body)) for t in batch for m in t.messages]
        items = []
        for ticket in batch:
            for message in ticket.messages:
                parsed = self._parse_verified(message.body)
                if parsed is None:
                    ticket.keep = (ticket.keep or set()) | {message.receipt_handle}
                else:
                    items.append((message.body, parsed))
        return items

    def _parse_verified(self, body: str) -> Parsed | None:
        """Parse with the signature check; None when the signing certificate cannot be had now:
        the body is neither good nor bad yet, so it stays in the queue until SQS redelivers it."""
        unavailable: list[CertificateUnavailable] = []

        def verify(envelope: dict) -> str | None:
            try:
                return self.verify(envelope)
            except CertificateUnavailable as exc:
                unavailable.append(exc)
                return str(exc)

        parsed = parse_body(body, verify)
        if unavailable:
            self.stats.failed(f"{unavailable[0]} (message left in the queue)")
            return None
        return parsed

    # -- poller -------------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        opts = self.options
        start = time.monotonic()
        # GetSendQuota and GetSendStatistics allow 1 request/s each: keep the two polls apart.
        due = {"depth": start, "account": start, "stats": start + 1.5}
        polls = {"depth": (self._poll_depth, max(MIN_POLL_INTERVAL, opts.depth_interval)),
                 "account": (self._poll_account, max(MIN_POLL_INTERVAL, opts.account_interval)),
                 "stats": (self._poll_stats, max(MIN_POLL_INTERVAL, opts.stats_interval))}
        if not opts.queue_url:
            del polls["depth"]
        if opts.retention_days:
            polls["retention"] = (self._prune, 3600.0)
            due["retention"] = start + 5.0
        backoff = {name: Backoff(base=2.0, cap=120.0) for name in polls}
        while not self._stop.is_set():
            now = time.monotonic()
            for name, (poll, interval) in polls.items():
                if now >= due[name] and not self._stop.is_set():
                    due[name] = now + self._guard(name, poll, interval, backoff[name])
            self._stop.wait(0.25)

    def _state_loop(self) -> None:
        while not self._stop.wait(self.options.status_interval):
            self._save_state("running")

    def _guard(self, name: str, poll: Callable[[], None], interval: float, backoff: Backoff) -> float:
        """Run one poll; return the seconds until the next (the interval, or a backoff after a failure).
        Nothing a poll raises ends the poller."""
        try:
            poll()
        except Exception as exc:
            if self._stop.is_set():  # a poll that outlived stop() may find the store closed
                return interval
            self._poll_failed(name, exc)
            return min(interval, backoff.next_delay())
        backoff.reset()
        return interval

    def _poll_failed(self, name: str, exc: Exception) -> None:
        if not isinstance(exc, AwsError):
            log.error("%s poll failed", name, exc_info=exc)
            self.stats.failed(f"{name} poll failed: {exc}")
        elif name == "account":
            try:  # the header shows the account's own error with the last good snapshot
                self.store.save_account_snapshot(taken_ms=now_ms(), profile=self.aws.profile,
                                                 region=self.aws.region, status=None, error=str(exc))
            except Exception as store_exc:
                log.warning("could not save the account error: %s", store_exc)
        else:
            self.stats.failed(str(exc))

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
        with self._state_lock:
            if self._final_state_saved:
                return  # a late "running" must not overwrite "stopped"
            self._final_state_saved = state == "stopped"
            self._write_state(state)

    def _write_state(self, state: str) -> None:
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
