"""The collector's account side: polls of the account status, sending statistics, queue depth and
retention, each on its own interval with its own backoff. Nothing a poll raises ends the poller.
A mixin of Collector (it uses the collector's aws, store, options, stats and stop event)."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sestui.aws import Aws, AwsError
from sestui.ops.dlq import DlqError
from sestui.ops.dlq import depth as dlq_depth
from sestui.store import Store, StoreError, now_ms, to_ms

if TYPE_CHECKING:
    from sestui.ops.collector import CollectorOptions
    from sestui.ops.reporting import Stats

log = logging.getLogger("sestui.collector")

# GetSendQuota, GetSendStatistics (and GetAccount) allow one request per second: never poll faster.
MIN_POLL_INTERVAL = 1.0


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


class Poller:
    """The poll loop and the polls (see the module docstring)."""

    aws: Aws
    store: Store
    options: CollectorOptions
    stats: Stats
    _stop: threading.Event

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
        if isinstance(exc, StoreError):  # the database is down or full: one line, no traceback
            log.warning("%s poll failed: %s", name, exc)
            self.stats.failed(f"{name} poll failed: {exc}")
        elif not isinstance(exc, AwsError):
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
        depth = self.aws.sqs.depth(self.options.queue_url or "")
        with self.stats.lock:
            self.stats.backlog = depth["visible"] + depth["delayed"]
        try:  # what reached the dead-letter queue, for the console (`sestui dlq redrive` brings it back)
            dlq = dlq_depth(self.aws, self.options.queue_url or "")
        except (DlqError, AwsError) as exc:  # no DLQ, or not allowed to look (sqs:GetQueueUrl): not a failure
            log.debug("dead-letter queue depth unknown: %s", exc)
            dlq = None
        with self.stats.lock:
            self.stats.dlq_backlog = dlq

    REPUTATION_EVERY_MS = 300_000  # AWS publishes Reputation.* about hourly: no need to ask more often

    def _poll_account(self) -> None:
        status = vars(self.aws.ses.account_status())
        now = now_ms()
        # AWS's own rates (CloudWatch) ride along in the snapshot the header and `sestui status` read.
        last = getattr(self, "_reputation", None)
        if last is None or now - (last.taken_ms or 0) >= self.REPUTATION_EVERY_MS:
            from sestui.ops import reputation

            try:
                last = self._reputation = reputation.read(self.aws, self.store, now_ms=now)
            except Exception as exc:  # noqa: BLE001 - the account status is worth saving without them
                log.warning("reputation figures unavailable: %s", exc)
        if last is not None:
            status["reputation"] = last.to_json()
        self.store.save_account_snapshot(taken_ms=now, profile=self.aws.profile, region=self.aws.region,
                                         status=status)

    def _poll_stats(self) -> None:
        points = self.aws.ses.send_statistics()
        self.store.save_send_stats(
            (to_ms(p.timestamp), p.delivery_attempts, p.bounces, p.complaints, p.rejects) for p in points
        )

    def _prune(self) -> None:
        cutoff = now_ms() - self.options.retention_days * 86_400_000
        removed = {**self.store.prune(cutoff), "outbox": self.store.outbox.prune(cutoff)}
        if removed["events"] or removed["quarantine"] or removed["outbox"]:
            log.info("retention: removed %(events)d events, %(quarantine)d quarantined bodies and %(outbox)d"
                     " finished outbox items", removed)
