"""The newer facades against the sandbox: SQS visibility and redrive, SNS paging, configuration
sets, pausing the account, contact lists and CloudWatch's reputation metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sestui.aws import AwsError, ErrorKind

SENDER = "aws-tests@sestui.test"


@pytest.fixture
def queues(aws, unique):
    """`make()` -> a new plain queue URL; all deleted after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(aws.sqs.create_queue(QueueName=unique("aws-src"))["QueueUrl"])
        return made[-1]

    yield make
    for url in made:
        aws.sqs.delete_queue(QueueUrl=url)


def put(aws, url: str, bodies: list[str], **attributes: str) -> None:
    for body in bodies:
        extra = {"MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}}
        aws.sqs.send_message(QueueUrl=url, MessageBody=body, **(extra if attributes else {}))


def everything(aws, url: str) -> list[dict]:
    messages: list[dict] = []
    while batch := aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                           MessageAttributeNames=["All"]).get("Messages", []):
        messages += batch
    return messages


# --- SQS -----------------------------------------------------------------------------------------


def test_change_visibility_makes_messages_visible_again_and_reports_refusals(sestui_aws, aws, queues):
    url = queues()
    put(aws, url, ["one", "two"])
    received = sestui_aws.sqs.receive(url, wait_seconds=1, visibility_timeout=300)
    while len(received) < 2:
        received += sestui_aws.sqs.receive(url, wait_seconds=1, visibility_timeout=300)

    failures = sestui_aws.sqs.change_visibility(url, [received[0].receipt_handle, "not-a-handle"], 0)

    assert [f.receipt_handle for f in failures] == ["not-a-handle"] and failures[0].reason
    assert sestui_aws.sqs.depth(url) == {"visible": 1, "in_flight": 1, "delayed": 0}


def test_redrive_moves_the_dead_letters_back_with_their_attributes(sestui_aws, aws, queues):
    source, dead = queues(), queues()
    bodies = [f"body-{n}" for n in range(12)]
    put(aws, dead, bodies[:11])
    put(aws, dead, bodies[11:], origin="sns")

    done = sestui_aws.sqs.redrive(dead, source)

    assert (done.moved, done.failures) == (12, [])
    assert sestui_aws.sqs.depth(dead) == {"visible": 0, "in_flight": 0, "delayed": 0}
    back = everything(aws, source)
    assert sorted(m["Body"] for m in back) == sorted(bodies)
    tagged = [m for m in back if m["Body"] == "body-11"][0]
    assert tagged["MessageAttributes"]["origin"]["StringValue"] == "sns"


def test_redrive_stops_at_the_limit(sestui_aws, aws, queues):
    source, dead = queues(), queues()
    put(aws, dead, [f"b{n}" for n in range(7)])
    assert sestui_aws.sqs.redrive(dead, source, limit=3).moved == 3
    assert sestui_aws.sqs.depth(dead) == {"visible": 4, "in_flight": 0, "delayed": 0}
    assert len(everything(aws, source)) == 3


def test_a_refused_redrive_leaves_the_dead_letters_visible(sestui_aws, aws, queues, sandbox, unique):
    source, dead = queues(), queues()
    put(aws, dead, ["x", "y"])
    sandbox.faults.fail_next("SendMessageBatch", "AccessDenied")
    with pytest.raises(AwsError) as caught:
        sestui_aws.sqs.redrive(dead, source)
    assert caught.value.kind is ErrorKind.DENIED and caught.value.action == "sqs:SendMessageBatch"
    assert sestui_aws.sqs.depth(dead) == {"visible": 2, "in_flight": 0, "delayed": 0}
    assert sestui_aws.sqs.find(source.rsplit("/", 1)[1]) == source
    assert sestui_aws.sqs.find(unique("no-such-queue")) is None


# --- SNS -----------------------------------------------------------------------------------------


def test_find_topic_follows_the_paginator_past_the_first_page(sestui_aws, aws, unique, requests_of):
    prefix = unique("paged-topic")
    arns = [aws.sns.create_topic(Name=f"{prefix}-{n}")["TopicArn"] for n in range(105)]  # moto: 100 a page
    pages = requests_of("sns", "ListTopics")
    try:
        assert sestui_aws.sns.find_topic(f"{prefix}-104") == arns[-1]
        assert sestui_aws.sns.find_topic(unique("absent")) is None
    finally:
        for arn in arns:
            aws.sns.delete_topic(TopicArn=arn)
    assert pages[0] >= 3  # at least two pages for the absent name, one or more for the found one


# --- SES: configuration sets and the account -------------------------------------------------------


def test_configuration_set_options(sestui_aws, sandbox, unique):
    found = sestui_aws.configuration_sets.get(sandbox.info.configuration_set)
    assert found is not None and found.name == sandbox.info.configuration_set
    assert (found.sending_enabled, found.reputation_metrics_enabled, found.last_fresh_start) == (True, False, None)
    assert sestui_aws.configuration_sets.get(unique("no-such-set")) is None
    assert sestui_aws.configuration_sets.exists(sandbox.info.configuration_set)


def test_pausing_the_account_stops_sends_until_resumed(sestui_aws, account):
    sestui_aws.ses.set_sending(False)
    assert sestui_aws.ses.account_status().sending_enabled is False
    with pytest.raises(AwsError) as caught:
        sestui_aws.ses.send_email(sender=SENDER, to=["success@simulator.amazonses.com"], subject="s", body="b")
    assert caught.value.code == "SendingPausedException"
    sestui_aws.ses.set_sending(True)
    assert sestui_aws.ses.account_status().sending_enabled is True


# --- SES: contact lists ------------------------------------------------------------------------------


@pytest.fixture
def contact_list(aws, unique):
    name = unique("news")
    aws.sesv2.create_contact_list(ContactListName=name, Topics=[
        {"TopicName": t, "DisplayName": t, "DefaultSubscriptionStatus": "OPT_IN"} for t in ("weekly", "daily")])
    yield name
    aws.sesv2.delete_contact_list(ContactListName=name)


def test_opt_out_of_one_topic_keeps_the_others(sestui_aws, aws, contact_list):
    aws.sesv2.create_contact(ContactListName=contact_list, EmailAddress="ana@example.com", TopicPreferences=[
        {"TopicName": topic, "SubscriptionStatus": "OPT_IN"} for topic in ("weekly", "daily")])

    sestui_aws.contacts.opt_out(contact_list, "ana@example.com", "weekly")

    contact = sestui_aws.contacts.get(contact_list, "ana@example.com")
    assert contact.topics == {"weekly": "OPT_OUT", "daily": "OPT_IN"} and contact.unsubscribe_all is False
    sestui_aws.contacts.unsubscribe_all(contact_list, "ana@example.com")
    contact = sestui_aws.contacts.get(contact_list, "ana@example.com")
    assert contact.unsubscribe_all is True and contact.topics == {"weekly": "OPT_OUT", "daily": "OPT_IN"}


def test_unsubscribing_an_address_not_on_the_list_adds_it_unsubscribed(sestui_aws, contact_list):
    assert sestui_aws.contacts.get(contact_list, "new@example.com") is None
    sestui_aws.contacts.unsubscribe_all(contact_list, "new@example.com")
    assert sestui_aws.contacts.get(contact_list, "new@example.com").unsubscribe_all is True
    assert contact_list in sestui_aws.contacts.names()
    assert [c.email for c in sestui_aws.contacts.contacts(contact_list)] == ["new@example.com"]


# --- CloudWatch --------------------------------------------------------------------------------------


def test_reputation_rates_for_the_account_and_each_set_in_one_request(sestui_aws, sandbox, clients_for, unique,
                                                                      requests_of):
    cloudwatch = clients_for(sandbox.info.endpoint_url, sandbox.info.region, "cloudwatch")
    ours, quiet = unique("rep-set"), unique("quiet-set")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    by_set = [{"Name": "ses:configuration-set", "Value": ours}]
    cloudwatch.put_metric_data(Namespace="AWS/SES", MetricData=[
        {"MetricName": "Reputation.BounceRate", "Value": 0.03, "Timestamp": now - timedelta(minutes=3)},
        {"MetricName": "Reputation.BounceRate", "Value": 0.02, "Timestamp": now - timedelta(minutes=5)},
        {"MetricName": "Reputation.ComplaintRate", "Value": 0.001, "Timestamp": now - timedelta(minutes=5)},
        {"MetricName": "Reputation.BounceRate", "Value": 0.5, "Timestamp": now - timedelta(minutes=4),
         "Dimensions": by_set},
    ])
    requests = requests_of("cloudwatch", "GetMetricData")

    series = sestui_aws.metrics.reputation([ours, quiet], now - timedelta(hours=1), now + timedelta(minutes=1),
                                           period=60)

    assert requests == [1]
    assert set(series) == {None, ours, quiet}
    assert series[ours].bounce_rate == [(now - timedelta(minutes=4), 0.5)]
    assert series[ours].complaint_rate == [] and series[quiet].latest() == (None, None)
    account = series[None]
    # (moto also counts the set's points in the account's query; CloudWatch does not)
    assert [t for t, _ in account.bounce_rate] == sorted(t for t, _ in account.bounce_rate)
    assert {0.02, 0.03} <= {v for _, v in account.bounce_rate}
    assert account.latest() == (0.03, 0.001)
    assert all(t.tzinfo is not None for t, _ in account.bounce_rate)
