"""AWS/SES Reputation.* in the sandbox's CloudWatch: figures as SES computes them (non-simulator
mail, hard bounces only, account and sets with reputation metrics on), and CloudWatch faults."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from sestui.sandbox import AccountSettings, Sandbox

SIMULATOR = "@simulator.amazonses.com"
MARKETING = "marketing"  # reputation metrics on in the ready-made wiring
DEFAULT = "sestui-default"  # reputation metrics off


@pytest.fixture
def box(own_sandbox, clients_for):
    sandbox = own_sandbox(seed=11)
    sandbox.cloudwatch = clients_for(sandbox.info.endpoint_url, sandbox.info.region, "cloudwatch")
    return sandbox


def send(box, recipients: list[str], configuration_set: str) -> None:
    box.clients.sesv2.send_email(
        FromEmailAddress=f"news@{box.info.identity}", Destination={"ToAddresses": recipients},
        Content={"Simple": {"Subject": {"Data": "Spring sale"}, "Body": {"Text": {"Data": "Hello"}}}},
        ConfigurationSetName=configuration_set, EmailTags=[{"Name": "campaign", "Value": "spring"}])


def settle_and_publish(box) -> None:
    assert box.wait_idle(20)
    box.ses_account(box.region).reputation.publish()
    assert box.wait_idle(20)


def latest(box, set_name: str | None) -> dict[str, float | None]:
    """The newest point of each Reputation.* series (one point per second: Period=1)."""
    dims = [{"Name": "ses:configuration-set", "Value": set_name}] if set_name else []
    now = datetime.now(UTC)
    reply = box.cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": key, "MetricStat": {"Metric": {"Namespace": "AWS/SES", "MetricName": name,
                                                                   "Dimensions": dims},
                                                        "Period": 1, "Stat": "Average"}}
                           for key, name in (("bounce", "Reputation.BounceRate"),
                                             ("complaint", "Reputation.ComplaintRate"))],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), ScanBy="TimestampDescending")
    return {r["Id"]: (r["Values"][0] if r["Values"] else None) for r in reply["MetricDataResults"]}


def recount(box) -> dict[str | None, tuple[float, float]]:
    """From the event records the wiring's queue received: per scope (None = the account), hard
    bounces and complaints over the non-simulator recipients sent to."""
    sqs, url = box.clients.sqs, box.info.queue_url
    records = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            record = json.loads(json.loads(message["Body"])["Message"])
            if "eventType" in record:  # event publishing, not the identity's notifications
                records.append(record)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    counts: dict[str | None, list[int]] = {}
    for record in records:
        scopes = [None, record["mail"]["tags"]["ses:configuration-set"][0]]
        if record["eventType"] == "Send":
            n = [sum(not a.endswith(SIMULATOR) for a in record["mail"]["destination"]), 0, 0]
        elif record["eventType"] == "Bounce" and record["bounce"]["bounceType"] == "Permanent" \
                and record["bounce"]["bounceSubType"] == "General":
            n = [0, sum(not r["emailAddress"].endswith(SIMULATOR) for r in record["bounce"]["bouncedRecipients"]), 0]
        elif record["eventType"] == "Complaint":
            n = [0, 0, sum(not r["emailAddress"].endswith(SIMULATOR)
                           for r in record["complaint"]["complainedRecipients"])]
        else:
            continue
        for scope in scopes:
            total = counts.setdefault(scope, [0, 0, 0])
            for i in range(3):
                total[i] += n[i]
    return {scope: (b / sent, c / sent) for scope, (sent, b, c) in counts.items() if sent}


def test_published_figures_equal_a_recount_of_the_non_simulator_mail(box):
    for i in range(12):
        send(box, [f"ana{i}@example.com", f"bounce+{i}{SIMULATOR}"], MARKETING)
    for i in range(4):
        send(box, [f"old{i}@shop.invalid", f"complaint+{i}{SIMULATOR}"], MARKETING)
    send(box, ["ben+complaint@example.net", "cleo+complaint@example.org"], MARKETING)
    for i in range(9):
        send(box, [f"dan{i}@example.net"], DEFAULT)
    send(box, ["gone@typo.invalid"], DEFAULT)
    settle_and_publish(box)
    expected = recount(box)
    assert expected[None] == (5 / 28, 2 / 28)  # the mail really did what the test meant
    assert expected[MARKETING] == (4 / 18, 2 / 18)
    account, marketing = latest(box, None), latest(box, MARKETING)
    assert (account["bounce"], account["complaint"]) == pytest.approx(expected[None])
    assert (marketing["bounce"], marketing["complaint"]) == pytest.approx(expected[MARKETING])
    assert latest(box, DEFAULT) == {"bounce": None, "complaint": None}, "reputation metrics off: no series"


def test_simulator_mail_changes_nothing(box):
    send(box, ["eve@example.com", "old@shop.invalid"], MARKETING)
    settle_and_publish(box)
    before = latest(box, None), latest(box, MARKETING)
    assert before[0]["bounce"] == pytest.approx(0.5)
    for i in range(10):
        send(box, [f"bounce+{i}{SIMULATOR}", f"complaint+{i}{SIMULATOR}", f"success+{i}{SIMULATOR}"], MARKETING)
    settle_and_publish(box)
    assert (latest(box, None), latest(box, MARKETING)) == before


def test_a_set_gets_its_series_once_its_reputation_metrics_are_on(box):
    send(box, ["fay@example.com", "old@shop.invalid"], DEFAULT)
    settle_and_publish(box)
    assert latest(box, DEFAULT) == {"bounce": None, "complaint": None}
    box.clients.sesv2.put_configuration_set_reputation_options(ConfigurationSetName=DEFAULT,
                                                               ReputationMetricsEnabled=True)
    send(box, ["gus@example.com"], DEFAULT)
    settle_and_publish(box)
    assert latest(box, DEFAULT) == {"bounce": pytest.approx(1 / 3), "complaint": 0.0}


def test_cloudwatch_access_denied_through_fault_injection(box):
    box.faults.fail_next("GetMetricData", "AccessDenied")
    with pytest.raises(ClientError) as denied:
        latest(box, None)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "cloudwatch:GetMetricData" in denied.value.response["Error"]["Message"]
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert latest(box, None) == {"bounce": None, "complaint": None}, "one failure only, then answers again"


def test_cloudwatch_faults_can_be_narrowed_to_the_service(box):
    box.faults.fail_next("GetMetricData", "Throttling", service="cloudwatch", message="Rate exceeded")
    with pytest.raises(ClientError) as throttled:
        box.cloudwatch.get_metric_data(MetricDataQueries=[], StartTime=datetime.now(UTC) - timedelta(hours=1),
                                       EndTime=datetime.now(UTC))
    assert throttled.value.response["Error"] == {**throttled.value.response["Error"], "Code": "Throttling",
                                                 "Message": "Rate exceeded"}


def test_the_demo_traffic_drives_the_marketing_set_above_the_account(clients_for):
    traffic_box = Sandbox(rate=200, delay_scale=0.01, seed=21,
                          account=AccountSettings(max_send_rate=100000, max_24_hour_send=-1))
    traffic_box.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while traffic_box.traffic.sent < 600 and datetime.now(UTC) < deadline:
            traffic_box.wait_idle(0.2)
        traffic_box.set_rate(0)
        assert traffic_box.wait_idle(20)
        figures = traffic_box.ses_account(traffic_box.region).reputation.figures()
    finally:
        traffic_box.stop()
    assert figures[MARKETING][0] > figures[None][0] > figures[DEFAULT][0]


def test_a_sandbox_told_not_to_publishes_no_figures(clients_for):
    quiet = Sandbox(delay_scale=0.01, seed=4, reputation_metrics=False,
                    account=AccountSettings(max_send_rate=100000, max_24_hour_send=-1))
    info = quiet.start()
    try:
        quiet.clients = clients_for(info.endpoint_url, info.region)
        quiet.cloudwatch = clients_for(info.endpoint_url, info.region, "cloudwatch")
        send(quiet, ["hal@example.com", "old@shop.invalid"], MARKETING)
        settle_and_publish(quiet)
        assert quiet.ses_account(info.region).reputation.figures()[MARKETING] == (0.5, 0.0)
        assert latest(quiet, None) == latest(quiet, MARKETING) == {"bounce": None, "complaint": None}
    finally:
        quiet.stop()


def test_a_preloaded_past_is_carried_on_by_new_sends_not_evicted_bounces_first():
    """The demo preloads the account's full window at 2.4%; each clean send pushes the oldest entry
    out. Seen in `sestui demo`: with the past's bounces all at its oldest end, the account's figure
    fell from 2.4% to 0.08% within its first 250 sends."""
    from sestui.sandbox.ses.reputation_metrics import WINDOW, ReputationMetrics

    metrics = ReputationMetrics("123456789012", "us-east-1", lambda delay, fn: None, set)
    metrics.preload(None, WINDOW, 0.024, 0.0005)
    for n in range(WINDOW // 10):
        metrics.sent(f"m{n}", None, [f"r{n}@example.com"])
    bounce, complaint = metrics.figures()[None]
    assert bounce == pytest.approx(0.024 * 0.9, abs=0.0005)
    assert complaint == pytest.approx(0.0005 * 0.9, abs=0.0002)
