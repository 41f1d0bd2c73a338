"""Shared fixtures: one running sandbox per test session (per xdist worker), boto3 clients for it,
and fresh SQS queues subscribed to its SNS topic so that each test sees only its own records.

    def test_x(sandbox, aws, event_queue):
        mid = aws.sesv2.send_email(...)["MessageId"]
        records = event_queue.records_for(mid, {"Send", "Delivery"})
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import pytest


@pytest.fixture(scope="session")
def sandbox():
    """A running sandbox with the ready-made wiring; simulated delays cut to a few milliseconds,
    no random delays, opens or clicks (tests that want them set `engagement`), and quotas that a
    test burst cannot reach (tests that want limits use the `account` fixture). It publishes no
    Reputation.* figures of its own: tests put the points they read (tests/sandbox has its own)."""
    box = quick_sandbox(seed=20240601, reputation_metrics=False)
    box.start()
    yield box
    box.stop()


def quick_sandbox(**options):
    """A Sandbox as the tests want one: simulated delays cut to a few milliseconds, no random
    delays, opens or clicks, quotas a test burst cannot reach; `options` change any of it."""
    import sestui.sandbox as sandbox_module  # the test extra includes the demo extra: no skipping

    return sandbox_module.Sandbox(**{
        "delay_scale": 0.01,
        "engagement": sandbox_module.Engagement(open_share=0.0, click_share=0.0, delay_share=0.0),
        "account": sandbox_module.AccountSettings(max_send_rate=100000, max_24_hour_send=-1),
        **options})


@pytest.fixture
def own_sandbox(clients_for):
    """`own_sandbox(seed=..., **options)` -> a started quick_sandbox of the test's own, with
    `box.clients` (ses, sesv2, sqs, sns) for it; each is stopped afterwards."""
    started: list = []

    def start(**options):
        box = quick_sandbox(**options)
        info = box.start()
        box.clients = clients_for(info.endpoint_url, info.region)
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


@pytest.fixture
def store(tmp_path):
    """A fresh, empty event store at tmp_path/events.db (tests/ui/conftest.py's is filled)."""
    from sestui.store import Store

    with Store(tmp_path / "events.db") as s:
        yield s


@pytest.fixture
def start_collector(sandbox):
    """`start(queue_url, store, verify=None, **options)` -> a running in-process Collector on the
    session sandbox, with quick test settings; every one is stopped afterwards."""
    from sestui.aws import Aws
    from sestui.ops.collector import Collector, CollectorOptions

    running: list[Collector] = []

    def start(queue_url: str | None, store, *, verify=None, **overrides) -> Collector:
        options = dict(receivers=4, wait_seconds=1, account_interval=3600, stats_interval=3600,
                       status_interval=0.1)
        options.update(overrides)
        aws = Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url,
                  sqs_wait_seconds=options["wait_seconds"])
        collector = Collector(aws, store, CollectorOptions(queue_url, **options), verify=verify)
        running.append(collector)
        collector.start()
        return collector

    yield start
    for collector in running:
        collector.stop()


@pytest.fixture
def isolated_environment(monkeypatch, tmp_path):
    """No SESTUI_* or AWS_* from the developer's shell; config and database in tmp_path."""
    for name in list(os.environ):
        if name.startswith(("SESTUI_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("SESTUI_DB", str(tmp_path / "events.db"))


@pytest.fixture
def sestui_aws(sandbox):
    """sestui's own `Aws` for the session sandbox (fresh: adaptive retries keep per-client state)."""
    from sestui.aws import Aws

    return Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url, sqs_wait_seconds=1)


def make_clients(endpoint_url: str, region: str, service: str | None = None):
    """boto3 clients without retries, so that an error is seen exactly as the sandbox sent it:
    one for `service`, or a namespace with ses, sesv2, sqs and sns."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=region)
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    from shape_check import register  # every answer checked against its botocore output shape

    if service:
        return register(session.client(service, endpoint_url=endpoint_url, config=config))
    return SimpleNamespace(**{name: register(session.client(name, endpoint_url=endpoint_url, config=config))
                              for name in ("ses", "sesv2", "sqs", "sns")})


@pytest.fixture(scope="session")
def clients_for():
    """`clients_for(endpoint_url, region[, service])` -> boto3 clients for another sandbox."""
    return make_clients


@pytest.fixture(scope="session")
def aws(sandbox) -> SimpleNamespace:
    """`aws.ses`, `aws.sesv2`, `aws.sqs`, `aws.sns` for the session sandbox."""
    return make_clients(sandbox.info.endpoint_url, sandbox.info.region)


@pytest.fixture
def account(sandbox):
    """The sandbox's account settings, restored after the test."""
    saved = sandbox.account.as_dict()
    yield sandbox.account
    sandbox.account.update(**saved)


@pytest.fixture
def engagement(sandbox):
    """Set `sandbox.simulation.engagement` in the test; the session's is restored afterwards."""
    saved = sandbox.simulation.engagement
    yield sandbox.simulation
    sandbox.simulation.engagement = saved


@dataclass
class EventQueue:
    """An SQS queue subscribed to the sandbox's topic, with helpers that wait for conditions."""

    sqs: Any
    url: str
    arn: str
    subscription_arn: str

    def receive(self, until: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        """Receive (and delete) bodies until `until(bodies)` holds or `timeout` passes."""
        bodies: list[str] = []
        deadline = time.monotonic() + timeout
        while not until(bodies) and time.monotonic() < deadline:
            wait = max(0, min(1, int(deadline - time.monotonic())))
            reply = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
            messages = reply.get("Messages", [])
            bodies += [m["Body"] for m in messages]
            if messages:
                self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                ])
        return bodies

    def drain(self) -> list[str]:
        """Receive (and delete) what is in the queue now: call it once the sandbox is idle."""
        bodies: list[str] = []
        while True:
            reply = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = reply.get("Messages", [])
            if not messages:
                return bodies
            bodies += [m["Body"] for m in messages]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ])

    def records_for(self, message_id: str, kinds: set[str] | int, timeout: float = 10.0) -> list[dict]:
        """SES records of one send: wait until each of `kinds` has arrived ("Bounce" for either
        shape, "event:Bounce" or "notification:Bounce" for one), or `kinds` records if a number."""
        def done(bodies: list[str]) -> bool:
            records = [r for r in map(self.decode, bodies) if r.get("mail", {}).get("messageId") == message_id]
            if isinstance(kinds, int):
                return len(records) >= kinds
            seen = {self.kind(r) for r in records} | {self.label(r) for r in records}
            return kinds <= seen

        bodies = self.receive(done, timeout)
        return [r for r in map(self.decode, bodies) if r.get("mail", {}).get("messageId") == message_id]

    @staticmethod
    def decode(body: str) -> dict:
        """The SES record in an SQS body: inside an SNS envelope, or the body itself (raw delivery)."""
        outer = json.loads(body)
        if outer.get("Type") == "Notification":
            return json.loads(outer["Message"])
        return outer

    @staticmethod
    def kind(record: dict) -> str:
        """eventType or notificationType."""
        return record.get("eventType") or record.get("notificationType")

    @classmethod
    def label(cls, record: dict) -> str:
        """event:Kind for configuration-set records, notification:Kind for identity notifications."""
        return f"{'event' if 'eventType' in record else 'notification'}:{cls.kind(record)}"



_queue_numbers = itertools.count(1)


@pytest.fixture
def queue_factory(sandbox, aws):
    """`make(raw=False)` -> an EventQueue newly subscribed to the sandbox topic; removed after."""
    made: list[EventQueue] = []

    def make(raw: bool = False, topic_arn: str | None = None) -> EventQueue:
        name = f"test-events-{next(_queue_numbers)}-{time.monotonic_ns()}"
        url = aws.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sub = aws.sns.subscribe(TopicArn=topic_arn or sandbox.info.topic_arn, Protocol="sqs", Endpoint=arn,
                                Attributes={"RawMessageDelivery": "true" if raw else "false"},
                                ReturnSubscriptionArn=True)["SubscriptionArn"]
        queue = EventQueue(aws.sqs, url, arn, sub)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        aws.sns.unsubscribe(SubscriptionArn=queue.subscription_arn)
        aws.sqs.delete_queue(QueueUrl=queue.url)


@pytest.fixture
def event_queue(queue_factory) -> EventQueue:
    """A fresh queue receiving the sandbox topic's records in SNS envelopes."""
    return queue_factory()

