"""The collector against the sandbox: SQS -> SQLite at least once from the queue, exactly once in
the store, through bursts, kill -9, an endpoint that goes away, poison messages, a graceful stop,
two collectors on one queue; and the state, account and statistics rows the poller writes.

What "every expected event" means is read from a second queue subscribed to the same SNS topic
(what the sandbox published), and checked against the mailbox simulator's documented outcomes.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest
from polling import wait_for

from sestui import cli
from sestui.aws import AccountStatus
from sestui.ops.collector import Backoff, Collector, CollectorOptions
from sestui.core.events import parse_body
from sestui.core.health import feed_state
from sestui.store import Store, iso_ms, now_ms, to_ms

SIM = "simulator.amazonses.com"
IDENTITY = "collector.test"
SENDER = f"burst@{IDENTITY}"
# The mailbox simulator's outcomes (ses-reference.md section 5): the event types each message ends with.
SIMULATED = {
    "success": {"send", "delivery"},
    "bounce": {"send", "bounce"},
    "ooto": {"send", "delivery", "bounce"},
    "complaint": {"send", "delivery", "complaint"},
    "suppressionlist": {"send", "bounce"},
}
_labels = itertools.count(1)


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch, tmp_path):
    """No SESTUI_* setting or config file of the machine running the tests applies."""
    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture(scope="module")
def topic_arn(sandbox, aws) -> str:
    """An identity of these tests' own whose notifications and configuration-set events go to a
    topic of their own, wired through the SES APIs as an operator would: only the queues a test
    subscribes receive its records (the sandbox's ready-made queue would grow with every burst)."""
    topic = aws.sns.create_topic(Name="collector-tests")["TopicArn"]
    aws.ses.verify_domain_identity(Domain=IDENTITY)
    for kind in ("Bounce", "Complaint", "Delivery"):
        aws.ses.set_identity_notification_topic(Identity=IDENTITY, NotificationType=kind, SnsTopic=topic)
    try:  # other test modules take this fixture too, on the same session's sandbox
        aws.sesv2.create_configuration_set(ConfigurationSetName="collector-tests")
    except aws.sesv2.exceptions.AlreadyExistsException:
        return topic
    aws.sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="collector-tests", EventDestinationName="sns", EventDestination={
            "Enabled": True, "SnsDestination": {"TopicArn": topic},
            "MatchingEventTypes": ["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK",
                                   "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"]})
    aws.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=IDENTITY,
                                                              ConfigurationSetName="collector-tests")
    return topic


@pytest.fixture
def make_queue(queue_factory, topic_arn):
    """`make_queue()` -> a fresh queue subscribed to the tests' topic."""
    return lambda: queue_factory(topic_arn=topic_arn)


# --- helpers -------------------------------------------------------------------------------------


def send_burst(sesv2, count: int) -> dict[str, str]:
    """`count` sends, one recipient each, round-robin over the five simulator addresses (with a
    unique +label). Returns SES message id -> simulator scenario."""
    label = f"b{next(_labels)}x{time.monotonic_ns() % 10**9}"
    sent = {}
    for i, scenario in zip(range(count), itertools.cycle(SIMULATED)):
        message_id = sesv2.send_email(
            FromEmailAddress=SENDER, Destination={"ToAddresses": [f"{scenario}+{label}n{i}@{SIM}"]},
            Content={"Simple": {"Subject": {"Data": f"burst {i}"}, "Body": {"Text": {"Data": "x"}}}},
        )["MessageId"]
        sent[message_id] = scenario
    return sent


@pytest.fixture
def send_in_background(aws):
    """`start(count)` -> a Future of send_burst(count) running in another thread."""
    with ThreadPoolExecutor(1) as pool:
        yield lambda count: pool.submit(send_burst, aws.sesv2, count)


def read_all(queue) -> list[str]:
    """Every body in the queue, hidden for good instead of deleted (moto's delete is slow)."""
    bodies: list[str] = []
    while True:
        reply = queue.sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                          VisibilityTimeout=3600)
        if not reply.get("Messages"):
            return bodies
        bodies += [m["Body"] for m in reply["Messages"]]


def published(sandbox, reference, sent: dict[str, str]) -> set[tuple]:
    """The events the sandbox published for `sent`, read from the reference queue once every
    record is out, after checking them against the simulator's outcomes."""
    assert sandbox.wait_idle(20), "the sandbox did not publish everything in time"
    events = set()
    for body in read_all(reference):
        parsed = parse_body(body)
        assert parsed.ok, parsed.reason
        events |= {(e.message_id, e.event_type, e.recipient, to_ms(e.timestamp))
                   for e in parsed.events if e.message_id in sent}
    types = defaultdict(set)
    for message_id, event_type, _, _ in events:
        types[message_id].add(event_type)
    assert {m: types[m] for m in sent} == {m: SIMULATED[s] for m, s in sent.items()}
    return events


def stored(store: Store, sent) -> Counter:
    """(message id, type, recipient, ts) of the stored events of these messages, with their counts."""
    return Counter((r["message_id"], r["event_type"], r["recipient"], r["ts"])
                   for r in store.iter_events() if r["message_id"] in sent)


def assert_exactly_once(found: Counter, expected: set[tuple]) -> None:
    assert [k for k, n in found.items() if n > 1] == [], "stored more than once"
    assert sorted(expected - set(found)) == [], "expected events missing"
    assert sorted(set(found) - expected) == [], "events nobody published"


def queue_empty(aws, url: str) -> bool:
    attrs = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def wait_all_stored(store: Store, aws, url: str, sent, expected: set[tuple], timeout: float = 30.0) -> Counter:
    """Wait until every expected event is stored and the queue is empty (all deleted)."""
    wait_for(lambda: set(stored(store, sent)) >= expected and queue_empty(aws, url), timeout,
             "every event stored and the queue empty")
    return stored(store, sent)


def state_of(store: Store) -> dict | None:
    """The state row of the collector that reported last."""
    rows = store.collector_states()
    return rows[0] if rows else None


def wait_state(store: Store, predicate, what: str, timeout: float = 20.0) -> dict:
    """The collector's state row, once `predicate(row)` holds."""
    return wait_for(lambda: (row := state_of(store)) is not None and predicate(row) and row, timeout, what)


@pytest.fixture
def spawn_collect(sandbox, tmp_path):
    """`spawn(queue_url, db, *flags)` -> a `sestui collect` child process on the session sandbox;
    its log goes to a file (`log_of(proc)`); any child still running afterwards is killed."""
    children: list[subprocess.Popen] = []

    def spawn(queue_url: str, db: Path, *flags: str) -> subprocess.Popen:
        log = tmp_path / f"collect-{len(children)}.log"
        with open(log, "w") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sestui.cli", "collect", "--queue-url", queue_url, "--db", str(db),
                 "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
                 "--wait-seconds", "1", "--account-interval", "3600", "--stats-interval", "3600", *flags],
                stdout=subprocess.DEVNULL, stderr=log_file, env=dict(os.environ))
        proc.log = log
        children.append(proc)
        return proc

    yield spawn
    for proc in children:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def log_of(proc) -> str:
    return Path(proc.log).read_text()


def wait_running(store: Store, proc) -> dict:
    """The state row of the `sestui collect` child `proc`, once it has started collecting."""
    def row():
        assert proc.poll() is None, f"sestui collect exited with {proc.returncode}:\n{log_of(proc)}"
        return next((r for r in store.collector_states() if f":{proc.pid}:" in r["collector_id"]), None)
    return wait_for(row, 30, "sestui collect to start")


def killable_collect(spawn_collect, queue_url: str, db, store) -> Callable[[], subprocess.Popen]:
    """`collect()` -> a running `sestui collect` child on `queue_url` into `db` (read as `store`),
    with a short visibility timeout: what a killed collector had in flight comes back in 2 s."""
    def collect() -> subprocess.Popen:
        proc = spawn_collect(queue_url, db, "--visibility-timeout", "2")
        wait_running(store, proc)
        return proc
    return collect


def kill_9(proc, burst) -> bool:
    """kill -9 the collector `proc`; whether the burst was still being sent when it died."""
    proc.kill()
    while_sending = not burst.done()
    assert proc.wait() == -signal.SIGKILL
    return while_sending


def stop_all(*procs) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        assert proc.wait(10) == 0, log_of(proc)


def exported(db, sent, capsys) -> Counter:
    """What `sestui export` prints of these messages' events, counted."""
    capsys.readouterr()
    assert cli.main(["export", "--db", str(db)]) == 0
    return Counter((e["message_id"], e["event_type"], e["recipient"], e["timestamp"])
                   for e in map(json.loads, capsys.readouterr().out.splitlines()) if e["message_id"] in sent)


# --- end to end ----------------------------------------------------------------------------------


def test_a_burst_to_every_simulator_address_is_stored_exactly_once(sandbox, aws, make_queue, store,
                                                                   start_collector):
    queue, reference = make_queue(), make_queue()
    collector = start_collector(queue.url, store)

    sent = send_burst(aws.sesv2, 200)
    expected = published(sandbox, reference, sent)

    assert_exactly_once(wait_all_stored(store, aws, queue.url, sent, expected), expected)
    bounces = {(r["message_id"], r["bounce_type"], r["bounce_subtype"])
               for r in store.iter_events(event_type="bounce") if r["message_id"] in sent}
    assert {(sent[m], t, s) for m, t, s in bounces} == {
        ("bounce", "Permanent", "General"), ("ooto", "Transient", "General"),
        ("suppressionlist", "Permanent", "Suppressed")}
    assert collector.stats.totals.quarantined == 0


def test_kill_9_at_random_moments_then_restart_loses_and_duplicates_nothing(
        sandbox, aws, make_queue, store, spawn_collect, send_in_background, capsys):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    queue, reference = make_queue(), make_queue()
    collect = killable_collect(spawn_collect, queue.url, store.path, store)
    proc = collect()
    burst = send_in_background(200)
    kills_while_sending = 0
    for _ in range(3):
        before = store.count("events")
        wait_for(lambda before=before: store.count("events") > before, 30, f"the collector to store (seed {seed})")
        time.sleep(rng.uniform(0.0, 0.3))  # a random moment of its work
        kills_while_sending += kill_9(proc, burst)
        proc = collect()
    sent = burst.result()
    assert kills_while_sending >= 1
    expected = published(sandbox, reference, sent)
    wait_all_stored(store, aws, queue.url, sent, expected)
    stop_all(proc)
    assert_exactly_once(exported(store.path, sent, capsys), {(m, t, r, iso_ms(ts)) for m, t, r, ts in expected})


def test_an_endpoint_outage_is_reported_and_survived(sandbox, aws, make_queue, store, start_collector):
    queue, reference = make_queue(), make_queue()
    # What a cut connection had received comes back after the visibility timeout, as in SQS.
    collector = start_collector(queue.url, store, receivers=2, visibility_timeout=2)
    sent = send_burst(aws.sesv2, 30)
    sandbox.suspend()
    try:
        row = wait_state(store, lambda r: (r["last_error"] or "").startswith("cannot reach"),
                         "the outage in the collector's state")
        assert row["last_error"].startswith(f"cannot reach {sandbox.info.endpoint_url}/ (sqs:")
        # The state keeps being written during the outage, so a console shows the reason, not silence.
        later = wait_state(store, lambda r: r["heartbeat"] > row["heartbeat"], "a heartbeat during the outage", 5)
        feed = feed_state([later], now_ms())
        assert (feed.state, feed.error) == ("stale", later["last_error"])
        assert later["last_error"].startswith("cannot reach")
    finally:
        sandbox.resume()
    sent |= send_burst(aws.sesv2, 30)
    expected = published(sandbox, reference, sent)

    assert_exactly_once(wait_all_stored(store, aws, queue.url, sent, expected), expected)
    recovered = wait_state(store, lambda r: (r["last_success"] or 0) > r["last_error_at"],
                           "the recovery in the collector's state", 10)
    assert feed_state([recovered], recovered["heartbeat"]).state == "live"
    assert collector.stats.received > 0


def test_poison_messages_are_quarantined_and_deleted_while_the_rest_flows(sandbox, aws, make_queue, store,
                                                                          start_collector):
    queue, reference = make_queue(), make_queue()
    junk = ["this is not JSON {", "[1, 2, 3]", json.dumps({"Type": "Notification", "Message": "{\"no\": 1}"}),
            json.dumps({"notificationType": "Bounce", "mail": {"messageId": "m"}, "bounce": "nope"})]
    start_collector(queue.url, store)
    sent = send_burst(aws.sesv2, 10)
    for body in junk:
        aws.sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    sent |= send_burst(aws.sesv2, 10)
    expected = published(sandbox, reference, sent)

    assert_exactly_once(wait_all_stored(store, aws, queue.url, sent, expected), expected)
    quarantined = {row["body"]: row["reason"] for row in store.quarantined()}
    assert quarantined == {body: parse_body(body).reason for body in junk}
    assert all(quarantined.values())


def test_sigterm_stops_sestui_collect_without_waiting_out_its_long_polls_and_loses_nothing(
        sandbox, aws, make_queue, store, spawn_collect, send_in_background, start_collector):
    queue, reference = make_queue(), make_queue()
    # Long polls of the default 20 s: stopping must not wait for them.
    proc = spawn_collect(queue.url, store.path, "--visibility-timeout", "2", "--wait-seconds", "20")
    wait_running(store, proc)
    burst = send_in_background(100)
    wait_for(lambda: store.count("events") > 50, 30, "the collector to store")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)  # in the middle of the burst
    assert proc.wait(15) == 0, log_of(proc)
    assert time.monotonic() - started < 10  # not the 20 s of a long poll; the margin is for a loaded machine
    sent = burst.result()
    assert state_of(store)["state"] == "stopped"
    assert "stopped: stored=" in log_of(proc)

    # Whatever it had not committed is still in the queue: another collector finds all of it.
    start_collector(queue.url, store)
    expected = published(sandbox, reference, sent)
    assert_exactly_once(wait_all_stored(store, aws, queue.url, sent, expected), expected)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_an_idle_sestui_collect_without_waiting_out_its_long_polls(sandbox, make_queue, store,
                                                                                   spawn_collect, sig):
    proc = spawn_collect(make_queue().url, store.path, "--wait-seconds", "20")
    wait_running(store, proc)
    wait_for(lambda: sandbox._endpoint.open_connections() >= 4, 10, "the receivers' long polls")
    started = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(15) == 0, log_of(proc)
    # Waiting out a 20 s long poll would take most of it; the margin is for a loaded machine.
    assert time.monotonic() - started < 10
    assert state_of(store)["state"] == "stopped"


def test_stop_does_not_wait_for_receivers_in_a_long_poll(sandbox, make_queue, store, start_collector):
    collector = start_collector(make_queue().url, store, receivers=3, wait_seconds=20)
    wait_for(lambda: sandbox._endpoint.open_connections() >= 3, 10, "three long polls")
    started = time.monotonic()
    collector.stop(timeout=15.0)  # a stop that joined the receivers would wait here until their polls end
    assert time.monotonic() - started < 10
    assert state_of(store)["state"] == "stopped"


def test_two_collectors_on_one_queue_and_one_database_store_each_event_once(sandbox, aws, make_queue,
                                                                             store, start_collector):
    queue, reference = make_queue(), make_queue()
    with Store(store.path) as first_store, Store(store.path) as second_store:  # a connection each
        first = start_collector(queue.url, first_store, receivers=2, visibility_timeout=5)
        second = start_collector(queue.url, second_store, receivers=2, visibility_timeout=5)
        try:
            sent = send_burst(aws.sesv2, 80)
            expected = published(sandbox, reference, sent)
            found = wait_all_stored(store, aws, queue.url, sent, expected)
        finally:
            first.stop()
            second.stop()
    assert_exactly_once(found, expected)
    assert first.stats.received > 0 and second.stats.received > 0
    assert {r["collector_id"] for r in store.collector_states()} == {first.collector_id, second.collector_id}


def test_a_failed_commit_deletes_nothing_and_the_messages_come_back(sandbox, aws, make_queue, store,
                                                                    start_collector, monkeypatch, caplog):
    queue, reference = make_queue(), make_queue()
    real_add, failures = store.add, [sqlite3.OperationalError("disk I/O error")]

    def add(items, **kwargs):
        if failures:
            raise failures.pop()
        return real_add(items, **kwargs)

    monkeypatch.setattr(store, "add", add)
    collector = start_collector(queue.url, store, receivers=1, visibility_timeout=1)
    sent = send_burst(aws.sesv2, 10)
    expected = published(sandbox, reference, sent)

    assert_exactly_once(wait_all_stored(store, aws, queue.url, sent, expected), expected)
    assert not failures
    assert any("database write failed" in r.getMessage() and "left in the queue" in r.getMessage()
               for r in caplog.records)
    assert collector.stats.last_error_at is not None


# --- state, account and statistics ---------------------------------------------------------------


def test_state_row_account_snapshots_and_send_statistics(sandbox, aws, make_queue, store, start_collector):
    queue = make_queue()
    collector = start_collector(queue.url, store, account_interval=1, stats_interval=1, depth_interval=1)
    sent = send_burst(aws.sesv2, 20)

    row = wait_state(store, lambda r: r["received"] >= 2 * len(sent) and r["events_per_s"] > 0
                     and r["backlog"] is not None, "a state row with traffic")
    assert (row["collector_id"], row["queue_url"], row["state"]) == (collector.collector_id, queue.url, "running")
    assert row["stored"] > 0 and row["last_error"] is None and row["heartbeat"] >= row["started"]
    snapshot = wait_for(lambda: store.account_snapshot(ok_only=True), 10, "an account snapshot")
    assert snapshot["region"] == sandbox.info.region and snapshot["error"] is None
    assert snapshot["status"]["enforcement_status"] == "HEALTHY"
    assert snapshot["status"]["production_access"] is True
    assert snapshot["status"]["max_send_rate"] == sandbox.account.max_send_rate
    points = wait_for(lambda: store.send_stats(0), 10, "sending statistics")
    assert sum(p["delivery_attempts"] for p in points) >= len(sent)

    collector.stop()
    assert state_of(store)["state"] == "stopped"


def test_a_failed_account_poll_is_stored_then_recovers(sandbox, store, start_collector):
    sandbox.faults.fail_next("GetAccount", "AccessDeniedException")
    start_collector(None, store, account_interval=1)
    failed = wait_for(store.account_snapshot, 10, "the first account snapshot")
    assert failed["status"] is None
    assert failed["error"] == "access denied: the credentials lack IAM permission ses:GetAccount"
    recovered = wait_for(lambda: (s := store.account_snapshot()) and s["id"] > failed["id"] and s, 10,
                         "the next account snapshot")
    assert recovered["error"] is None and recovered["status"]["sending_enabled"] is True


class CountingAws:
    """Stands in for Aws in the poller: records when each SES poll happens."""

    profile, region = None, "us-east-1"

    def __init__(self):
        self.account_calls: list[float] = []
        self.stats_calls: list[float] = []
        self.ses = self

    def account_status(self) -> AccountStatus:
        self.account_calls.append(time.monotonic())
        return AccountStatus()

    def send_statistics(self) -> list:
        self.stats_calls.append(time.monotonic())
        return []


def test_polls_stay_under_ses_one_request_per_second_whatever_the_interval(store):
    aws = CountingAws()
    collector = Collector(aws, store, CollectorOptions(None, account_interval=0, stats_interval=0,
                                                       status_interval=0.1))
    collector.start()
    try:
        wait_for(lambda: len(aws.account_calls) >= 3 and len(aws.stats_calls) >= 2, 10, "three polls")
    finally:
        collector.stop()
    for calls in (aws.account_calls, aws.stats_calls):
        assert min(b - a for a, b in zip(calls, calls[1:], strict=False)) >= 0.95


def test_backoff_grows_with_jitter_up_to_the_cap_and_resets():
    backoff = Backoff(base=0.5, cap=30.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    for n, delay in enumerate(delays):
        assert 0.25 <= delay <= min(30.0, 0.5 * 2 ** n)
    assert max(delays[-4:]) > 10  # it did grow
    assert len(set(delays)) == len(delays)  # jittered
    backoff.reset()
    assert backoff.next_delay() <= 0.5


def test_backoff_survives_a_days_long_outage():
    backoff = Backoff(base=0.5, cap=30.0)
    backoff.failures = 100_000  # about a month of failures at 30 s each
    assert 0.25 <= backoff.next_delay() <= 30.0
