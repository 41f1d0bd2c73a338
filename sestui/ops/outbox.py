"""The deliverer: drains the outbox at least once, in a thread the collector starts.

Each (rule, action) is a channel with its own concurrency (how many at once) and rate (per second);
for one channel a recipient's items run in the order their events were stored. A transient failure
is retried with exponential backoff and jitter; after `max_attempts` the item is dead and stays
visible for an operator to retry or discard. Dry-run items are recorded by the store and never run.

Claiming leases an item (state running) to this deliverer's owner identity (`store.outbox.worker()`,
SQLite or PostgreSQL alike). A process killed before it records the outcome leaves the lease behind;
any deliverer's recovery (on start, then every `recover_interval_s`) runs the item again once its
owner is gone or its lease expired: at least once, never lost. Items another live deliverer holds
are left alone, so two deliverers on one database deliver each item once. The delivery id is the
same every time, so receivers can drop repeats.

A webhook with `batch = N` sends up to N of its channel's items in one request: the items wait in
the backlog (leased) until N are there or the oldest has waited `batch_wait_s`; the request's
outcome is recorded for each (a retry shares one due time, so they come back together).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sestui.ops.actions import Context, Delivery, Outcome, runners, webhook
from sestui.ops.guards import GuardWatcher
from sestui.store import Store, StoreError, open_store
from sestui.store import outbox as sql

log = logging.getLogger("sestui.outbox")

DEFAULT_CONCURRENCY = {"webhook": 4, "command": 2, "sns": 4, "sqs": 4, "ses_suppress": 1, "contact_list": 2,
                       "pause_sending": 1}


@dataclass
class DeliveryOptions:
    workers: int = 8
    max_attempts: int = 10
    retry_base_s: float = 2.0
    retry_cap_s: float = 3600.0
    lease_s: float = 300.0  # longer than any action's timeout
    recover_interval_s: float = 5.0  # how soon another deliverer's dead process is noticed
    idle_poll_s: float = 0.5
    guard_interval_s: float = 60.0
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)


def retry_delay(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter over the upper half: base * 2**(n-1), capped."""
    ceiling = min(cap, base * 2.0 ** min(attempts - 1, 40))
    return rng.uniform(ceiling / 2, ceiling)


class _Bucket:
    """A token bucket: `rate` per second, bursts of up to max(1, rate)."""

    def __init__(self, rate: float):
        self.rate, self.capacity = rate, max(1.0, rate)
        self.tokens, self.at = self.capacity, time.monotonic()

    def take(self) -> float:
        """0 if a token was taken, else the seconds until one is due."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Deliverer:
    def __init__(self, store: Any, aws: Any, config: Any = None, *,
                 options: DeliveryOptions | None = None, rng: random.Random | None = None):
        """`config`: an ops.routing.ActionsConfig (its guards and delivery options), or None;
        `store`: the event store (SQLite or PostgreSQL) or its path or URL."""
        self.options = options or getattr(config, "delivery", None) or DeliveryOptions()
        self._own_store: Any = None  # opened here, closed by stop()
        if not hasattr(store, "outbox"):  # a path or URL
            store = self._own_store = open_store(store)
        self._store: Any = store
        self.path = store.path
        self.outbox = store.outbox.worker()  # its own connection (SQLite) and owner identity
        self.ctx = Context(aws, self._open_store, self.options.env)
        self._run = runners()
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._backlog: dict[str, deque[dict]] = {}
        self._inflight: dict[str, int] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        # Held while a batch's items are recorded, and by a claim: a claim between two of those
        # records found one item due alone and sent it as a batch of one (the batch made up anew).
        self._recording = threading.Lock()
        self.delivered = 0
        guards = list(getattr(config, "guards", None) or [])
        self.guards = GuardWatcher(self.outbox, aws, guards) if guards else None
        self._recovered_at = 0.0

    def _open_store(self) -> Store:
        return self._store

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Deliverer:
        self._recover()
        self._pool = ThreadPoolExecutor(self.options.workers, thread_name_prefix="sestui-deliver")
        self._thread = threading.Thread(target=self._loop, name="sestui-outbox", daemon=True)
        self._thread.start()
        if self.guards is not None:
            threading.Thread(target=self._guard_loop, name="sestui-guards", daemon=True).start()
        return self

    def _recover(self) -> None:
        self._recovered_at = time.monotonic()
        recovered = self.outbox.recover()
        if recovered:
            log.info("outbox: %d interrupted deliveries are due again", recovered)

    def _guard_loop(self) -> None:
        watcher = self.guards
        assert watcher is not None
        while True:
            try:
                if watcher.check():
                    self._wake.set()
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("guards: a check failed; trying again next interval")
            if self._stop.wait(self.options.guard_interval_s):
                return

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming and wait (up to `timeout`) for deliveries in progress. Leased items not yet
        started are released; one still running past the timeout keeps its lease and runs again on
        the next start (at least once)."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            waiting = [i for dq in self._backlog.values() for i in dq]
            self._backlog.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        while time.monotonic() < deadline:
            with self._lock:
                if not any(self._inflight.values()):
                    break
            time.sleep(0.02)
        try:
            self.outbox.release([item["id"] for item in waiting])
        finally:
            self.outbox.close()
        if self._own_store is not None:
            self._own_store.close()

    def wake(self) -> None:
        """Something new may be due (the collector calls this after a commit)."""
        self._wake.set()

    # -- the loop -----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the tick: a wake during it is kept, not lost
            try:
                wait = self._tick()
            except StoreError as exc:
                log.warning("outbox: database busy or failing (%s); retrying", exc)
                wait = 1.0
            except Exception:
                log.exception("outbox loop failed; retrying")
                wait = 1.0
            self._wake.wait(wait)

    def _tick(self) -> float:
        opts = self.options
        with self._lock:
            # A batching channel's backlog is work for one delivery per batch, not per item.
            busy = sum(self._inflight.values()) + sum(math.ceil(len(d) / _batch(d[0]["params"]))
                                                      for d in self._backlog.values() if d)
        # Refill once the work in hand falls below the workers, in batches: a claim is one query
        # per state, cheap, but not per delivery.
        room = opts.workers * 4 - busy
        claimed: list[dict] = []
        if time.monotonic() - self._recovered_at >= opts.recover_interval_s:
            self._recover()
        if busy < opts.workers:
            with self._recording:
                claimed = self.outbox.claim(now=sql.now_ms(), lease_ms=int(opts.lease_s * 1000), limit=room)
        claimed_at = time.monotonic()
        with self._lock:
            for item in claimed:
                item["params"] = json.loads(item["action"])
                item["claimed_at"] = claimed_at
                self._backlog.setdefault(item["channel"], deque()).append(item)
            wait = self._dispatch()
        if claimed and len(claimed) >= room:  # there may be more due (a batch filling): claim again
            return 0.0
        if wait is not None:
            return wait
        return opts.idle_poll_s

    def _dispatch(self) -> float | None:
        """Start what each channel's concurrency and rate allow; the seconds until a token is due."""
        soonest: float | None = None
        for channel, queue in self._backlog.items():
            while queue:
                params = queue[0]["params"]
                cap = params.get("concurrency") or DEFAULT_CONCURRENCY.get(queue[0]["action_kind"], 2)
                if self._inflight.get(channel, 0) >= cap:
                    break
                if params.get("rate"):
                    bucket = self._buckets.setdefault(channel, _Bucket(float(params["rate"])))
                    delay = bucket.take()
                    if delay:
                        soonest = delay if soonest is None else min(soonest, delay)
                        break
                size = _batch(params)
                if size > 1:
                    # Wait for a full batch, up to batch_wait_s after the oldest item was claimed.
                    due = queue[0]["claimed_at"] + float(params.get("batch_wait_s", 0)) - time.monotonic()
                    if len(queue) < size and due > 0 and not self._stop.is_set():
                        soonest = due if soonest is None else min(soonest, due)
                        break
                batch = [queue.popleft() for _ in range(min(size, len(queue)))]
                self._inflight[channel] = self._inflight.get(channel, 0) + 1
                assert self._pool is not None  # started
                if size > 1:
                    self._pool.submit(self._deliver_batch, batch)
                else:
                    self._pool.submit(self._deliver, batch[0])
        return soonest

    def _deliver(self, item: dict) -> None:
        try:
            self._record(item, self.execute(item))
        finally:
            # Only now: the recipient's next item becomes claimable once this one is recorded.
            with self._lock:
                self._inflight[item["channel"]] -= 1
            self._wake.set()

    def _deliver_batch(self, items: list[dict]) -> None:
        try:
            gone = [i for i in items if i["payload"] is None]
            for item in gone:
                self._record(item, Outcome("dead", _PRUNED))
            ready = [i for i in items if i["payload"] is not None]
            if not ready:
                return
            try:
                outcome = webhook.run_batch(self.ctx, [_delivery(i) for i in ready])
            except Exception as exc:  # as execute(): retried, and said
                log.exception("outbox: a webhook batch for %s failed", ready[0]["rule"])
                outcome = Outcome("retry", f"{exc.__class__.__name__}: {exc}")
            if outcome.state == "retry" and outcome.retry_after is None:  # one due time: retried together
                outcome.retry_after = retry_delay(max(i["attempts"] for i in ready), self.options.retry_base_s,
                                                  self.options.retry_cap_s, self._rng)
            with self._recording:
                now = sql.now_ms()  # one due time, however long recording the items takes
                for item in ready:
                    self._record(item, outcome, now)
        finally:
            with self._lock:
                self._inflight[items[0]["channel"]] -= 1
            self._wake.set()

    def execute(self, item: dict) -> Outcome:
        if item["payload"] is None:
            return Outcome("dead", _PRUNED)
        delivery = _delivery(item)
        run: Callable[[Context, Delivery], Outcome] | None = self._run.get(item["action_kind"])
        if run is None:
            return Outcome("dead", f"unknown action {item['action_kind']!r}")
        try:
            return run(self.ctx, delivery)
        except Exception as exc:  # a bug or an unforeseen failure: retried, and said
            log.exception("outbox: %s for %s failed", item["action_kind"], item["rule"])
            return Outcome("retry", f"{exc.__class__.__name__}: {exc}")

    def _record(self, item: dict, outcome: Outcome, now: int | None = None) -> None:
        opts = self.options
        max_attempts = item["params"].get("max_attempts", opts.max_attempts)
        state, error, due = "done", None, None
        if outcome.state == "done":
            with self._lock:
                self.delivered += 1
        elif outcome.state == "retry" and item["attempts"] < max_attempts:
            state, error = "retrying", outcome.detail
            delay = outcome.retry_after if outcome.retry_after is not None else retry_delay(
                item["attempts"], opts.retry_base_s, opts.retry_cap_s, self._rng)
            due = (now if now is not None else sql.now_ms()) + int(delay * 1000)
        else:
            state = "dead"
            error = outcome.detail if outcome.state == "dead" else \
                f"gave up after {item['attempts']} attempts: {outcome.detail}"
        if outcome.state == "done" and outcome.detail.startswith("skipped"):
            error = outcome.detail  # say so: "skipped: a simulator address"
        try:
            self.outbox.finish(item["id"], state, error=error, next_attempt_ms=due)
        except StoreError as exc:  # the lease expires and the item runs again: at least once
            log.warning("outbox: could not record item %s (%s); it will run again", item["id"], exc)
        if state == "dead":
            log.warning("outbox: %s for rule %s is dead: %s", item["action_kind"], item["rule"], error)


_PRUNED = "the event is no longer in the database (pruned before delivery?)"


def _batch(params: Mapping[str, Any]) -> int:
    return int(params.get("batch") or 1)


def _delivery(item: dict) -> Delivery:
    params = item.get("params") or json.loads(item["action"])
    return Delivery(item["id"], item["dedup"], item["rule"], item["action_kind"], params, item["payload"],
                    item["recipient"], item["message_id"], item["attempts"])
