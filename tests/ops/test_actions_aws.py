"""Actions that act through SES, against the sandbox through sestui/aws: contact-list unsubscribes
(visible in ListContacts), ses_suppress from [policies] as rules (audited), and a guard crossing
warn then pause that pauses sending, with one call resuming it."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
from console_data import envelope, record
from webhook_receiver import SECRET, Receiver

from sestui.aws import AwsError
from sestui.core.events import parse_body
from sestui.ops import routing, rules_cli
from sestui.ops.outbox import Deliverer, DeliveryOptions
from sestui.ops.policies import PolicyConfig
from sestui.store import Store, guard_state
from sestui.store import outbox as sql

_serial = itertools.count(1)


def fast() -> DeliveryOptions:
    return DeliveryOptions(retry_base_s=0.05, retry_cap_s=0.2, idle_poll_s=0.05, max_attempts=3,
                           guard_interval_s=3600)


def arrive(store: Store, kind: str, recipient: str, n: int | None = None, **extra) -> None:
    n = n if n is not None else next(_serial) + 50_000
    now = datetime.now(UTC)
    body = envelope(record(kind, n, recipient, now - timedelta(seconds=5), now, "actions test", **extra))
    store.add([(body, parse_body(body))])


def deliver_all(store: Store, aws, config: routing.ActionsConfig, want=("done", "dead")) -> list[dict]:
    deliverer = Deliverer(store, aws, config, options=fast())
    deliverer.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = sql.list_items(store.conn)
            if rows and all(r["state"] in want for r in rows):
                return rows
            time.sleep(0.05)
        raise AssertionError(f"outbox never settled: {[(r['state'], r['last_error']) for r in rows]}")
    finally:
        deliverer.stop()


def contact_list(aws, name: str, *emails: str) -> None:
    aws.sesv2.create_contact_list(ContactListName=name, Topics=[
        {"TopicName": "promo", "DisplayName": "Promotions", "DefaultSubscriptionStatus": "OPT_IN"},
        {"TopicName": "digest", "DisplayName": "Digest", "DefaultSubscriptionStatus": "OPT_IN"}])
    for email in emails:
        aws.sesv2.create_contact(ContactListName=name, EmailAddress=email)


def test_a_complaint_unsubscribes_the_contact(store, aws, sestui_aws):
    name = f"news-{next(_serial)}"
    contact_list(aws, name, "cy@example.com", "keep@example.com")
    config = routing.load({"rules": [{"name": "unsubscribe", "when": {"event_types": ["complaint"]},
                                      "do": [{"action": "contact_list", "contact_list": name}]}]})
    routing.wire(store, sestui_aws, config)
    arrive(store, "Complaint", "cy@example.com")
    rows = deliver_all(store, sestui_aws, config)
    assert [r["state"] for r in rows] == ["done"]
    contacts = {c["EmailAddress"]: c for c in aws.sesv2.list_contacts(ContactListName=name)["Contacts"]}
    assert contacts["cy@example.com"]["UnsubscribeAll"] is True
    assert contacts["keep@example.com"]["UnsubscribeAll"] is False


def test_one_topic_opt_out_and_simulator_skipped(store, aws, sestui_aws):
    name = f"news-{next(_serial)}"
    contact_list(aws, name, "dee@example.org", "complaint@simulator.amazonses.com")
    config = routing.load({"rules": [{"name": "promo-out", "when": {"event_types": ["complaint"]},
                                      "do": [{"action": "contact_list", "contact_list": name, "topic": "promo"}]}]})
    routing.wire(store, sestui_aws, config)
    arrive(store, "Complaint", "dee@example.org")
    arrive(store, "Complaint", "complaint@simulator.amazonses.com")
    rows = {r["recipient"]: r for r in deliver_all(store, sestui_aws, config)}
    contacts = {c["EmailAddress"]: c for c in aws.sesv2.list_contacts(ContactListName=name)["Contacts"]}
    assert contacts["dee@example.org"]["TopicPreferences"] == [{"TopicName": "promo", "SubscriptionStatus": "OPT_OUT"}]
    assert contacts["dee@example.org"]["UnsubscribeAll"] is False
    sim = rows["complaint@simulator.amazonses.com"]
    assert sim["state"] == "done" and "simulator" in sim["last_error"]
    assert contacts["complaint@simulator.amazonses.com"]["TopicPreferences"] == []


def test_policies_become_ses_suppress_rules_through_the_outbox(store, sestui_aws):
    config = routing.load({}, policies=PolicyConfig(complaint="on"))
    routing.wire(store, sestui_aws, config)
    email = f"complainer-{next(_serial)}@policy.example.com"
    arrive(store, "Complaint", email)
    rows = deliver_all(store, sestui_aws, config)
    assert [(r["rule"], r["state"]) for r in rows] == [("policy:complaint", "done")]
    assert sestui_aws.suppressions.get(email).reason == "COMPLAINT"
    [audit] = store.audit(email=email)
    assert audit["origin"] == "rule policy:complaint" and audit["outcome"] == "ok"


GUARD = {"name": "bounces", "metric": "bounce_rate", "source": "local", "configuration_set": "default",
         "window": 3600, "min_volume": 50}


def guarded(receiver_url: str, pause_action: dict) -> dict:
    hook = {"action": "webhook", "url": receiver_url, "secret": SECRET}
    return {"guards": [{**GUARD, "warn": {"level": "5%", "do": [hook]},
                        "pause": {"level": "10%", "do": [pause_action, hook]}}]}


def cross_warn_then_pause(store: Store, sestui_aws, config, rx: Receiver) -> None:
    deliverer = Deliverer(store, sestui_aws, config, options=fast())
    for i in range(100):
        arrive(store, "Send", f"r{i}@example.org")
    for i in range(6):
        arrive(store, "Bounce", f"r{i}@example.org")
    [warn] = deliverer.guards.check()
    assert warn.level == "warn"
    assert deliverer.guards.check() == []  # still warned: fires once per crossing
    for i in range(6, 12):
        arrive(store, "Bounce", f"r{i}@example.org")
    [pause] = deliverer.guards.check()
    assert pause.level == "pause" and pause.new == "paused"
    deliverer.start()
    try:
        rx.wait_for(lambda seen: {r["body"]["level"] for r in seen} == {"warn", "pause"})
        deadline = time.monotonic() + 20
        while any(r["state"] not in ("done", "dead") for r in sql.list_items(store.conn)) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        deliverer.stop()
    assert {r["state"] for r in sql.list_items(store.conn)} == {"done"}
    assert guard_state.guard_states(store.conn)["bounces"]["state"] == "paused"


def test_a_guard_pauses_the_account_and_resume_turns_it_back_on(store, sestui_aws, account, sandbox):
    with Receiver() as rx:
        config = routing.load(guarded(rx.url, {"action": "pause_sending", "scope": "account"}))
        routing.wire(store, sestui_aws, config)
        cross_warn_then_pause(store, sestui_aws, config, rx)
    assert sestui_aws.ses.account_status().sending_enabled is False
    with pytest.raises(AwsError):
        sestui_aws.ses.send_email(sender=f"shop@{sandbox.info.identity}", to=["success@simulator.amazonses.com"],
                              subject="paused?", body="x")
    assert rules_cli.resume(sestui_aws, store, account=True) == "sending resumed for the account"
    assert sestui_aws.ses.account_status().sending_enabled is True
    assert sestui_aws.ses.send_email(sender=f"shop@{sandbox.info.identity}", to=["success@simulator.amazonses.com"],
                                 subject="resumed", body="x")


def test_a_guard_pauses_the_configuration_set(store, sestui_aws, aws, sandbox):
    name = f"guarded-{next(_serial)}"
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    with Receiver() as rx:
        config = routing.load(guarded(rx.url, {"action": "pause_sending", "configuration_set": name}))
        routing.wire(store, sestui_aws, config)
        cross_warn_then_pause(store, sestui_aws, config, rx)
    sending = aws.sesv2.get_configuration_set(ConfigurationSetName=name)["SendingOptions"]["SendingEnabled"]
    assert sending is False
    with pytest.raises(AwsError):
        sestui_aws.ses.send_email(sender=f"shop@{sandbox.info.identity}", to=["success@simulator.amazonses.com"],
                              subject="paused?", body="x", configuration_set=name)
    rules_cli.resume(sestui_aws, store, configuration_set=name)
    assert aws.sesv2.get_configuration_set(ConfigurationSetName=name)["SendingOptions"]["SendingEnabled"] is True


def test_a_guard_on_aws_reputation_rates_warns_once(store, sestui_aws, aws, sandbox):
    """source = "aws": the rate CloudWatch publishes (Reputation.BounceRate), here put by the test."""
    name = f"cs-{next(_serial)}"
    cloudwatch = sestui_aws.client("cloudwatch")

    def publish(rate: float) -> None:
        cloudwatch.put_metric_data(Namespace="AWS/SES", MetricData=[{
            "MetricName": "Reputation.BounceRate", "Value": rate, "Timestamp": datetime.now(UTC),
            "Dimensions": [{"Name": "ses:configuration-set", "Value": name}]}])

    with Receiver() as rx:
        hook = {"action": "webhook", "url": rx.url, "secret": SECRET}
        config = routing.load({"guards": [{"name": "aws-bounces", "metric": "bounce_rate", "source": "aws",
                                           "configuration_set": name, "warn": {"level": 0.04, "do": [hook]},
                                           "pause": {"level": 0.1}}]})
        deliverer = Deliverer(store, sestui_aws, config, options=fast())
        assert deliverer.guards.check() == []  # nothing published yet: nothing decided
        publish(0.06)
        [warn] = deliverer.guards.check()
        assert (warn.level, warn.rate) == ("warn", 0.06)
        assert deliverer.guards.check() == []
        deliverer.start()
        try:
            [seen] = rx.wait_for(lambda s: len(s) >= 1)
        finally:
            deliverer.stop()
        assert seen["body"]["guard"] == "aws-bounces" and seen["body"]["level"] == "warn"
        assert seen["body"]["configuration_set"] == name


def test_sqs_and_sns_forwards_reach_the_senders_own_queue(store, aws, sestui_aws):
    import json

    n = next(_serial)
    queue = aws.sqs.create_queue(QueueName=f"app-worker-{n}")["QueueUrl"]
    arn = aws.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = aws.sns.create_topic(Name=f"app-topic-{n}")["TopicArn"]
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    config = routing.load({"rules": [{"name": "to-app", "when": {"event_types": ["bounce"]},
                                      "do": [{"action": "sqs", "queue_url": queue},
                                             {"action": "sns", "topic_arn": topic}]}]})
    routing.wire(store, sestui_aws, config)
    arrive(store, "Bounce", "worker@example.org")
    rows = deliver_all(store, sestui_aws, config)
    assert sorted(r["action_kind"] for r in rows if r["state"] == "done") == ["sns", "sqs"]
    bodies = []
    deadline = time.monotonic() + 10
    while len(bodies) < 2 and time.monotonic() < deadline:
        got = aws.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies += [json.loads(m["Body"]) for m in got.get("Messages", [])]
    assert [(b["event_type"], b["recipient"]) for b in bodies] == [("bounce", "worker@example.org")] * 2
