"""The doctor's last checks: a collector on this queue, the round trip through SES and back, the newest stored event."""

from __future__ import annotations

import time

from sestui.aws import AwsError
from sestui.core.fmt import duration
from sestui.core.health import HEARTBEAT_STALE_MS
from sestui.ops.collector import Collector, CollectorOptions
from sestui.ops.doctor_base import (
    FAIL,
    OK,
    SIMULATOR_SUCCESS,
    SKIP,
    STALE_EVENTS_MS,
    WARN,
    Check,
    failed,
)


class TripChecks:
    """Checks of `Doctor` (ops/doctor.py), which holds their state: aws, store, options, facts."""

    def check_collector(self) -> Check:
        if skip := self._needs("collector", "queue_arn"):
            return skip
        now = self.clock()
        rows = [r for r in self.store.collector_states(now - HEARTBEAT_STALE_MS)
                if r["queue_url"] == self.options.queue_url and r["state"] == "running"]
        waiting = int(self.facts.queue_attributes.get("ApproximateNumberOfMessages", 0))
        if not rows:
            if waiting:
                into = self.options.missing_database or self.store.path
                return Check("collector", WARN, f"none reads this queue into {into}; {waiting} waiting",
                             "run `sestui collect` (or the console) with this queue and database")
            return Check("collector", OK, "none running on this database (the round trip reads the queue itself)")
        row = rows[0]
        self.facts.collector_live = True
        if row["last_error"] and (row["last_success"] or 0) < (row["last_error_at"] or 0):
            return Check("collector", FAIL, f"running but failing: {row['last_error']}",
                         "fix what the error names; the collector retries by itself")
        return Check("collector", OK, f"running, {row['stored']} stored since it started")

    # -- the round trip ---------------------------------------------------------------------------

    def check_round_trip(self) -> Check:
        label = "round trip"
        if not self.options.send:
            return Check(label, SKIP, self.options.not_sent)
        if failed(self.results):
            return Check(label, SKIP, "not sent: fix the failures above first")
        if skip := self._needs(label, "queue_arn", "identity", "configuration_set"):
            return skip
        identity = self.facts.identity
        sender = identity if "@" in identity else f"sestui-doctor@{identity}"
        started = time.monotonic()
        try:
            message_id = self.aws.ses.send_email(
                sender=sender, to=[SIMULATOR_SUCCESS], subject="sestui doctor round trip",
                body="Sent by `sestui doctor` to prove that SES events reach this queue.",
                configuration_set=self.facts.configuration_set, tags={"sestui": "doctor"})
        except AwsError as exc:
            return Check(label, FAIL, f"SES refused the test message from {sender}: {exc}",
                         self._aws_fix(exc) or "the sender must belong to a verified identity of this region")
        self.facts.round_trip_message_id = message_id
        deadline = started + self.options.timeout
        how = "stored by the running collector" if self.facts.collector_live else "read from the queue"
        arrived = self._wait_db(message_id, deadline) if self.facts.collector_live else \
            self._receive_until(message_id, deadline)
        seconds = time.monotonic() - started
        if arrived:
            return Check(label, OK, f"Delivery of {message_id} arrived after {seconds:.1f}s ({how})")
        if self.cancel.is_set():
            return Check(label, SKIP, f"sent {message_id}; stopped waiting")
        seen = sorted({e["event_type"] for e in self.store.timeline(message_id)})
        so_far = f"; only {', '.join(seen)} arrived" if seen else "; nothing of it arrived"
        if self.round_trip_problem:
            so_far += f" ({self.round_trip_problem})"
        return Check(label, FAIL, f"sent {message_id}; no Delivery within {self.options.timeout:g}s{so_far}",
                     "SES must be allowed to publish to the topic (its access policy, its KMS key); "
                     "if it is, try again with --timeout 180")

    def _delivered(self, message_id: str) -> bool:
        return any(e["event_type"] == "delivery" for e in self.store.timeline(message_id))

    def _wait_db(self, message_id: str, deadline: float) -> bool:
        while not self._delivered(message_id):
            if time.monotonic() >= deadline or self.cancel.wait(0.25):
                return False
        return True

    def _receive_until(self, message_id: str, deadline: float) -> bool:
        """Receive and hand each batch to the collector's own path (verify, store, delete; nothing
        deleted before it is committed, nothing undecided deleted) until the Delivery is stored
        or the deadline passes."""
        url = self.options.queue_url
        collector = self.collector or Collector(self.aws, self.store, CollectorOptions(url), verify=self.verify,
                                                on_commit=self.on_commit)
        while not self._delivered(message_id):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.cancel.is_set():
                return False
            messages = self.aws.sqs.receive(url, wait_seconds=max(0, min(5, int(remaining))),
                                        visibility_timeout=collector.options.visibility_timeout)
            if messages:
                self.round_trip_problem = collector.process(messages) or self.round_trip_problem
        return True

    def check_last_event(self) -> Check:
        latest = self.store.latest(1)
        if self.options.missing_database:
            return Check("last event", FAIL, self.options.missing_database,
                         "run `sestui collect` (or the console) with this --db; `sestui doctor` without "
                         "--no-send sends a test message and stores its events there")
        if not latest:
            return Check("last event", FAIL, f"no events stored in {self.store.path}",
                         "run `sestui collect` (or the console) on this queue; `sestui doctor` without "
                         "--no-send sends a test message")
        age_ms = self.clock() - latest[0]["ts"]
        age = duration(age_ms)
        if age_ms > STALE_EVENTS_MS:
            return Check("last event", WARN, f"the newest event is {age} old ({latest[0]['event_type']})",
                         "if mail was sent since, events are not arriving: see the checks above")
        return Check("last event", OK, f"{age} ago ({latest[0]['event_type']})")
