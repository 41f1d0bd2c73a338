"""SQS -> SQLite, at least once from the queue, exactly once in the store; and the account poller.

Order of work for every batch: receive -> parse (and verify) -> commit -> DeleteMessageBatch. A
message is deleted only after its events (or its quarantine row) are committed, so killing the
process at any instant loses nothing; a message received again after such a kill is absorbed by
the event identity.

Threads: N receivers (network-bound, in parallel) hand batches to one writer, which parses and
commits everything waiting in one transaction and wakes the receivers to delete what it committed.
A poller thread (ops/poller.py) refreshes the account status, statistics and queue depth; a state
thread (ops/reporting.py) writes the collector's own state to the store every second for any
console to show.

While sestui cannot store (the database write fails) or cannot decide a signature yet (the
certificate cannot be fetched), it does not receive more: the receivers pause, and a receiver
holding such a batch keeps it invisible (ChangeMessageVisibility, which unlike a redelivery does
not count toward the queue's maxReceiveCount, so nothing drains to the dead-letter queue) and
retries; the first batch that commits resumes receiving. The state row says why in `last_error`.
A database file deleted or replaced under the collector stops receiving for good.

Stopping waits for the batches in flight to be committed and deleted, not for receivers inside a
long poll: what such a receiver gets afterwards is not deleted, so SQS delivers it again.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sestui.aws import Aws, AwsError, SqsMessage
from sestui.aws.signatures import CertificateUnavailable
from sestui.core.events import Parsed, Verifier, parse_body
from sestui.core.health import RECEIVE_MARGIN_S
from sestui.ops.dbwatch import FileIdentity
from sestui.ops.poller import MIN_POLL_INTERVAL, Backoff, Poller
from sestui.ops.reporting import StateReporter, Stats
from sestui.store import Store, now_ms

__all__ = ["MIN_POLL_INTERVAL", "Backoff", "Collector", "CollectorOptions"]

log = logging.getLogger("sestui.collector")

HOLD_RETRY_CAP = 5.0  # seconds between retries of a held batch, at most


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
    receive_margin: float = RECEIVE_MARGIN_S  # a receive silent longer than wait + this: endpoint hung


class _Ticket:
    """One received batch waiting for the writer; `done` is set once it is committed or failed.
    `keep` lists the receipt handles the writer could not decide on yet (not to be deleted), and
    `undecided` says why."""

    __slots__ = ("done", "error", "keep", "messages", "undecided")

    def __init__(self, messages: list[SqsMessage]):
        self.messages = messages
        self.done = threading.Event()
        self.error: Exception | None = None
        self.keep: set[str] | None = None
        self.undecided: str | None = None


class Collector(Poller, StateReporter):
    def __init__(self, aws: Aws, store: Store, options: CollectorOptions, *,
                 verify: Verifier | None = None, on_commit: Callable[[list[Parsed]], object] | None = None,
                 collector_id: str | None = None):
        self.aws, self.store, self.options = aws, store, options
        self.verify = verify
        self.on_commit = on_commit
        self.policies: object | None = None  # the PolicyEngine on_commit applies (ops.build sets it)
        self.collector_id = collector_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._url = options.queue_url or ""  # receivers, holds and deletes run only with a queue
        self.stats = Stats()
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
        # Why receiving is paused: one entry per held batch; `_halted` pauses it for good.
        self._holds: dict[int, str] = {}
        self._holds_lock = threading.Lock()
        self._halted: str | None = None
        # Receives in progress (thread name -> monotonic start) and when the last one returned.
        self._receiving: dict[str, float] = {}
        self._last_return = time.monotonic()
        self._db = FileIdentity(store.path)

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
    def paused(self) -> str | None:
        """Why the collector is not receiving now, or None."""
        if self._halted:
            return self._halted
        with self._holds_lock:
            return next(reversed(self._holds.values()), None)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads[name] = thread

    # -- receivers ----------------------------------------------------------------------------

    def _receive_loop(self) -> None:
        opts = self.options
        backoff = Backoff()
        name = threading.current_thread().name
        while not self._stop.is_set():
            if self.paused:
                self._stop.wait(0.2)
                continue
            self._receiving[name] = time.monotonic()
            try:
                messages = self.aws.sqs.receive(self._url, wait_seconds=opts.wait_seconds,
                                            visibility_timeout=opts.visibility_timeout)
            except AwsError as exc:
                self._failed(str(exc), backoff)
                continue
            finally:
                self._receiving.pop(name, None)
                self._last_return = time.monotonic()
            backoff.reset()
            self.stats.ok()
            if not messages:
                continue
            with self._in_flight_changed:
                if self._stop.is_set():
                    continue  # received after stop: left for SQS to redeliver
                self._in_flight += 1
            try:
                problem = self._store_then_delete(messages, time.monotonic())
            except Exception as exc:  # a bug here must not silently end this receiver
                log.exception("receiver failed on a batch (left in the queue)")
                problem = f"receiver failed: {exc}"
            finally:
                with self._in_flight_changed:
                    self._in_flight -= 1
                    self._in_flight_changed.notify_all()
            if problem:
                self._failed(problem, backoff)

    def process(self, messages: list[SqsMessage]) -> str | None:
        """Verify, store and delete one received batch now, in this thread (the doctor's round
        trip): what cannot be stored or decided is left in the queue. Returns what went wrong."""
        ticket = _Ticket(messages)
        self._commit([ticket])
        if ticket.error is not None:
            return f"database write failed: {ticket.error}"
        problem = self._delete([m for m in messages if m.receipt_handle not in (ticket.keep or ())])
        return ticket.undecided or problem

    def _store_then_delete(self, messages: list[SqsMessage], received_at: float) -> str | None:
        """Hand the batch to the writer, wait for the commit, delete what was committed. What could
        not be stored or decided is held (kept invisible) and retried until it is, or until stop.
        Returns what went wrong with the deletes, or why the held messages were let go."""
        pending, backoff, problem = messages, Backoff(base=0.5, cap=HOLD_RETRY_CAP), None
        hidden_until = received_at + self.options.visibility_timeout
        key = id(messages)
        try:
            while True:
                ticket = _Ticket(pending)
                self._tickets.put(ticket)
                ticket.done.wait()
                if ticket.error is None:
                    keep = ticket.keep or set()
                    problem = self._delete([m for m in pending if m.receipt_handle not in keep]) or problem
                    pending = [m for m in pending if m.receipt_handle in keep]
                    if not pending:
                        return problem
                    reason = f"cannot verify signatures: {ticket.undecided}"
                else:
                    reason = f"cannot store: database write failed: {ticket.error}"
                if self._halted or self._stop.is_set():
                    return f"{reason} (messages left in the queue)"
                with self._holds_lock:
                    self._holds[key] = f"{reason}; receiving paused, holding {len(pending)} messages"
                self.stats.failed(self._holds[key])
                log.warning("%s", self._holds[key])
                hidden_until = self._hold(pending, hidden_until, backoff.next_delay())
        finally:
            with self._holds_lock:
                self._holds.pop(key, None)

    def _hold(self, messages: list[SqsMessage], hidden_until: float, delay: float) -> float:
        """Wait `delay` seconds (or until stop), keeping `messages` invisible; returns until when
        they are hidden."""
        opts = self.options
        retry_at = time.monotonic() + delay
        while not self._stop.is_set() and not self._halted:
            now = time.monotonic()
            if hidden_until - now <= opts.visibility_timeout / 2:
                try:
                    refused = self.aws.sqs.change_visibility(self._url, [m.receipt_handle for m in messages],
                                                    opts.visibility_timeout)
                    hidden_until = now + opts.visibility_timeout
                    for failure in refused:
                        log.warning("could not keep a held message hidden: %s", failure.reason)
                except AwsError as exc:
                    log.warning("could not keep the held messages hidden: %s", exc)
            if now >= retry_at:
                break
            self._stop.wait(max(0.01, min(retry_at, hidden_until - opts.visibility_timeout / 2) - now))
        return hidden_until

    def _delete(self, messages: list[SqsMessage]) -> str | None:
        if not messages:
            return None
        try:
            failures = self.aws.sqs.delete(self._url, [m.receipt_handle for m in messages])
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
            replaced = self._db.problem()
            if replaced:  # writing on would store into a file nobody will read again
                self._halt(replaced)
                raise RuntimeError(replaced)
            items = self._parse_batch(batch)
            result = self.store.add(items)
        except Exception as exc:  # disk full, database locked too long: nothing is deleted
            error = exc
            log.error("database write failed, %d messages left in the queue: %s",
                      sum(len(t.messages) for t in batch), exc)
        else:
            with self.stats.lock:
                self.stats.received += len(items)
            self.stats.stored(result)
            for _body, parsed in items:
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
            ticket.keep, ticket.undecided = None, None
            for message in ticket.messages:
                parsed = self._parse_verified(message.body, ticket)
                if parsed is None:
                    ticket.keep = (ticket.keep or set()) | {message.receipt_handle}
                else:
                    items.append((message.body, parsed))
        return items

    def _parse_verified(self, body: str, ticket: _Ticket) -> Parsed | None:
        """Parse with the signature check; None when the signing certificate cannot be had now:
        the body is neither good nor bad yet, so it stays in the queue."""
        unavailable: list[CertificateUnavailable] = []
        check = self.verify
        assert check is not None

        def verify(envelope: dict) -> str | None:
            try:
                return check(envelope)
            except CertificateUnavailable as exc:
                unavailable.append(exc)
                return str(exc)

        parsed = parse_body(body, verify)
        if unavailable:
            ticket.undecided = str(unavailable[0])
            return None
        return parsed

    def _halt(self, reason: str) -> None:
        if not self._halted:
            self._halted = f"{reason}: stopped receiving (restart sestui on the database)"
            log.error("%s", self._halted)
