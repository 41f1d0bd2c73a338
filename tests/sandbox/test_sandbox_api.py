"""The sandbox's AWS operations through boto3: account, quotas, statistics, suppression list,
configuration-set event destinations, identity notifications, error shapes, fault injection and
an endpoint that goes away and comes back."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from aws_errors import error_of

SIM = "simulator.amazonses.com"
SENDER = "orders@sestui.test"
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}-{time.monotonic_ns()}"


def send_v2(aws, to: list[str], **extra) -> str:
    return aws.sesv2.send_email(
        FromEmailAddress=SENDER, Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "api test"}, "Body": {"Text": {"Data": "x"}}}}, **extra,
    )["MessageId"]


def send_v1(aws, to: list[str], source: str = SENDER, **extra) -> str:
    return aws.ses.send_email(Source=source, Destination={"ToAddresses": to},
                              Message={"Subject": {"Data": "api test"}, "Body": {"Text": {"Data": "x"}}},
                              **extra)["MessageId"]


def wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


# --- account, quotas, statistics ----------------------------------------------------------------


def test_get_account_reports_the_settings(aws, account):
    got = aws.sesv2.get_account()
    assert got["ProductionAccessEnabled"] is True and got["SendingEnabled"] is True
    assert got["EnforcementStatus"] == "HEALTHY"
    assert got["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]
    assert got["Details"]["ReviewDetails"]["Status"] == "GRANTED"

    account.update(production_access_enabled=False, enforcement_status="PROBATION",
                   max_24_hour_send=200, max_send_rate=1)
    got = aws.sesv2.get_account()
    assert got["ProductionAccessEnabled"] is False and "Details" not in got
    assert got["EnforcementStatus"] == "PROBATION"
    assert got["SendQuota"]["Max24HourSend"] == 200 and got["SendQuota"]["MaxSendRate"] == 1

    account.update(enforcement_status="SHUTDOWN")
    assert aws.sesv2.get_account()["SendingEnabled"] is False


def test_account_settings_reject_unknown_values(account):
    with pytest.raises(ValueError):
        account.update(enforcement_status="SLEEPY")
    with pytest.raises(ValueError):
        account.update(no_such_setting=1)
    assert account.enforcement_status == "HEALTHY"


def test_sending_attributes_and_suppression_attributes(aws, account):
    aws.sesv2.put_account_sending_attributes(SendingEnabled=False)
    assert aws.sesv2.get_account()["SendingEnabled"] is False
    assert aws.ses.get_account_sending_enabled()["Enabled"] is False
    aws.ses.update_account_sending_enabled(Enabled=True)
    assert aws.sesv2.get_account()["SendingEnabled"] is True
    aws.sesv2.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    assert aws.sesv2.get_account()["SuppressionAttributes"]["SuppressedReasons"] == ["COMPLAINT"]
    code, _, status = error_of(aws.sesv2.put_account_suppression_attributes, SuppressedReasons=["SPAM"])
    assert (code, status) == ("BadRequestException", 400)


def test_send_quota_counts_recipients(aws):
    before = aws.ses.get_send_quota()["SentLast24Hours"]
    send_v2(aws, ["ana@example.com", "ben@example.net"])
    send_v1(aws, ["chloe@example.com"])
    assert aws.ses.get_send_quota()["SentLast24Hours"] == before + 3
    assert aws.sesv2.get_account()["SendQuota"]["SentLast24Hours"] == before + 3


def test_mailbox_simulator_mail_does_not_count_toward_the_quota(aws):
    before = aws.ses.get_send_quota()["SentLast24Hours"]
    send_v2(aws, [f"success@{SIM}", f"bounce@{SIM}", "dmitri@example.com"])
    send_v1(aws, [f"complaint@{SIM}"])
    assert aws.ses.get_send_quota()["SentLast24Hours"] == before + 1
    assert aws.sesv2.get_account()["SendQuota"]["SentLast24Hours"] == before + 1


def test_send_statistics_after_a_burst(aws, sandbox):
    def totals():
        points = aws.ses.get_send_statistics()["SendDataPoints"]
        return [sum(p[k] for p in points) for k in ("DeliveryAttempts", "Bounces", "Complaints", "Rejects")]

    before = totals()
    for i in range(30):
        # .invalid domains never resolve: real bounces. Simulator mail counts in neither the
        # bounces nor the complaints (it does count as an attempt).
        recipient = (f"nobody+burst{i}@nowhere.invalid" if i % 5 == 0 else f"complaint+burst{i}@{SIM}" if i % 10 == 1
                     else f"bounce+burst{i}@{SIM}" if i % 5 == 2 else f"someone+burst{i}@example.com")
        (send_v1 if i % 2 else send_v2)(aws, [recipient])
    assert sandbox.wait_idle(10)
    after = totals()
    assert [a - b for a, b in zip(after, before, strict=False)] == [30, 6, 0, 0]
    point = aws.ses.get_send_statistics()["SendDataPoints"][-1]
    assert point["Timestamp"].minute % 15 == 0 and point["Timestamp"].second == 0


def test_sandbox_mode_only_reaches_verified_and_simulator_addresses(aws, account):
    account.update(production_access_enabled=False)
    for call in (lambda: send_v1(aws, ["someone@example.com"]), lambda: send_v2(aws, ["someone@example.com"])):
        code, message, status = error_of(call)
        assert (code, status) == ("MessageRejected", 400)
        assert message == ("Email address is not verified. The following identities failed the check in "
                           "region US-EAST-1: someone@example.com")
    send_v2(aws, [f"bounce@{SIM}"])
    send_v1(aws, ["teammate@sestui.test"])  # the verified domain covers recipients too


def test_unverified_sender_is_rejected(aws):
    code, message, _ = error_of(send_v1, aws, [f"success@{SIM}"], source="me@unverified.example")
    assert code == "MessageRejected"
    assert message.endswith("failed the check in region US-EAST-1: me@unverified.example")


@pytest.mark.parametrize("setting", [{"sending_enabled": False}, {"enforcement_status": "SHUTDOWN"}])
def test_paused_sending_is_refused(aws, account, setting):
    account.update(**setting)
    code, message, _ = error_of(send_v1, aws, [f"success@{SIM}"])
    assert code == "MessageRejected" and message.startswith("Sending paused for this account.")
    code, _, _ = error_of(send_v2, aws, [f"success@{SIM}"])
    assert code == "SendingPausedException"


def test_daily_quota_is_enforced(aws, account):
    account.update(max_24_hour_send=aws.ses.get_send_quota()["SentLast24Hours"])
    assert error_of(send_v1, aws, ["eve@example.com"]) == ("Throttling", "Daily message quota exceeded.", 400)
    assert error_of(send_v2, aws, ["eve@example.com"])[:2] == ("LimitExceededException", "Daily message quota exceeded.")


def test_max_send_rate_is_enforced(aws, account):
    account.update(max_send_rate=1)
    with pytest.raises(ClientError) as caught:
        for _ in range(5):
            send_v1(aws, [f"success@{SIM}"])
    assert caught.value.response["Error"]["Code"] == "Throttling"
    assert caught.value.response["Error"]["Message"] == "Maximum sending rate exceeded."
    code, _, status = error_of(send_v2, aws, [f"success@{SIM}"])
    assert (code, status) == ("TooManyRequestsException", 429)


def test_bad_sends_get_the_versions_error(aws):
    assert error_of(send_v1, aws, ["not-an-address"])[0] == "InvalidParameterValue"
    assert error_of(send_v2, aws, ["not-an-address"])[0] == "BadRequestException"
    code, message, _ = error_of(send_v1, aws, [f"success@{SIM}"], ConfigurationSetName="no-such-set")
    assert code == "ConfigurationSetDoesNotExist" and "no-such-set" in message
    assert error_of(send_v2, aws, [f"success@{SIM}"], ConfigurationSetName="no-such-set")[0] == "NotFoundException"


# --- suppression list ---------------------------------------------------------------------------


def test_suppressed_destination_lifecycle(aws):
    address = f"{unique('gone')}@example.com"
    aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    entry = aws.sesv2.get_suppressed_destination(EmailAddress=address)["SuppressedDestination"]
    assert (entry["EmailAddress"], entry["Reason"]) == (address, "BOUNCE")
    assert abs((datetime.now(timezone.utc) - entry["LastUpdateTime"]).total_seconds()) < 60

    aws.sesv2.put_suppressed_destination(EmailAddress=address.upper(), Reason="COMPLAINT")
    assert aws.sesv2.get_suppressed_destination(EmailAddress=address)["SuppressedDestination"]["Reason"] == "COMPLAINT"

    aws.sesv2.delete_suppressed_destination(EmailAddress=address)
    code, message, status = error_of(aws.sesv2.get_suppressed_destination, EmailAddress=address)
    assert (code, status) == ("NotFoundException", 404) and address in message
    assert error_of(aws.sesv2.delete_suppressed_destination, EmailAddress=address)[:1] == ("NotFoundException",)


def test_plus_and_url_reserved_characters_in_addresses(aws):
    address = f"bounce+{unique('x')}@simulator.amazonses.com"
    aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    assert aws.sesv2.get_suppressed_destination(EmailAddress=address)["SuppressedDestination"]["EmailAddress"] == address
    aws.sesv2.delete_suppressed_destination(EmailAddress=address)


@pytest.mark.parametrize("address, reason", [("not-an-address", "BOUNCE"), ("ok@example.com", "SPAM")])
def test_put_suppressed_destination_validates(aws, address, reason):
    code, _, status = error_of(aws.sesv2.put_suppressed_destination, EmailAddress=address, Reason=reason)
    assert (code, status) == ("BadRequestException", 400)


def test_suppression_edits_can_be_refused_in_sandbox_mode(aws, account):
    account.update(production_access_enabled=False, refuse_suppression_edits_in_sandbox=True)
    code, message, _ = error_of(aws.sesv2.put_suppressed_destination, EmailAddress="x@example.com", Reason="BOUNCE")
    assert code == "BadRequestException" and "sandbox" in message
    account.update(refuse_suppression_edits_in_sandbox=False)
    aws.sesv2.put_suppressed_destination(EmailAddress="x@example.com", Reason="BOUNCE")
    aws.sesv2.delete_suppressed_destination(EmailAddress="x@example.com")


def list_all(aws, **filters) -> tuple[list[dict], list[int]]:
    """Every page of ListSuppressedDestinations (botocore has no paginator for it)."""
    entries, sizes, token = [], [], None
    while True:
        page = aws.sesv2.list_suppressed_destinations(**filters, **({"NextToken": token} if token else {}))
        entries += page["SuppressedDestinationSummaries"]
        sizes.append(len(page["SuppressedDestinationSummaries"]))
        token = page.get("NextToken")
        if not token:
            return entries, sizes


def test_list_suppressed_destinations_pages_and_filters(aws):
    prefix = unique("page")
    early = [f"{prefix}-a{i:02d}@example.com" for i in range(12)]
    for address in early:
        aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    between = datetime.now(timezone.utc)
    late = [f"{prefix}-b{i:02d}@example.com" for i in range(13)]
    for address in late:
        aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="COMPLAINT")
    try:
        entries, sizes = list_all(aws, PageSize=7)
        mine = [e["EmailAddress"] for e in entries if e["EmailAddress"].startswith(prefix)]
        assert sorted(mine) == sorted(early + late) and len(mine) == len(set(mine))
        assert len(sizes) >= 4 and all(size <= 7 for size in sizes) and sizes[0] == 7
        assert all(isinstance(e["LastUpdateTime"], datetime) for e in entries)

        complaints, _ = list_all(aws, PageSize=5, Reasons=["COMPLAINT"])
        assert {e["EmailAddress"] for e in complaints if e["EmailAddress"].startswith(prefix)} == set(late)
        assert {e["Reason"] for e in complaints} == {"COMPLAINT"}

        since, _ = list_all(aws, PageSize=4, StartDate=between)
        assert {e["EmailAddress"] for e in since if e["EmailAddress"].startswith(prefix)} == set(late)
        until, _ = list_all(aws, EndDate=between)
        assert {e["EmailAddress"] for e in until if e["EmailAddress"].startswith(prefix)} == set(early)
    finally:
        for address in early + late:
            aws.sesv2.delete_suppressed_destination(EmailAddress=address)


def test_list_suppressed_destinations_rejects_bad_input(aws):
    assert error_of(aws.sesv2.list_suppressed_destinations, NextToken="garbage")[0] == "InvalidNextTokenException"
    assert error_of(aws.sesv2.list_suppressed_destinations, PageSize=0)[0] == "BadRequestException"
    assert error_of(aws.sesv2.list_suppressed_destinations, PageSize=1001)[0] == "BadRequestException"
    assert error_of(aws.sesv2.list_suppressed_destinations, Reasons=["SPAM"])[0] == "BadRequestException"


def test_list_operations_refuse_a_bad_page_size_or_token_in_their_api_versions_words(aws):
    assert error_of(aws.sesv2.list_email_identities, NextToken="garbage")[:2] == (
        "BadRequestException", "The NextToken is invalid.")
    assert error_of(aws.sesv2.list_configuration_sets, PageSize=1001)[:2] == (
        "BadRequestException", "PageSize must be between 1 and 1000.")
    assert error_of(aws.ses.list_configuration_sets, NextToken="garbage")[:2] == (
        "InvalidParameterValue", "The NextToken is invalid.")
    assert error_of(aws.ses.list_identities, MaxItems=1001)[:2] == (
        "InvalidParameterValue", "MaxItems must be between 1 and 1000.")


# --- configuration sets, event destinations, identities -----------------------------------------


def test_wiring_is_visible_through_the_apis(aws, sandbox):
    info = sandbox.info
    assert "sestui.test" in aws.ses.list_identities()["Identities"]
    assert any(i["IdentityName"] == "sestui.test" for i in aws.sesv2.list_email_identities()["EmailIdentities"])
    assert aws.sesv2.get_email_identity(EmailIdentity="sestui.test")["ConfigurationSetName"] == info.configuration_set
    destinations = aws.sesv2.get_configuration_set_event_destinations(
        ConfigurationSetName=info.configuration_set)["EventDestinations"]
    assert destinations[0]["Enabled"] is True and destinations[0]["SnsDestination"]["TopicArn"] == info.topic_arn
    assert len(destinations[0]["MatchingEventTypes"]) == 10
    attributes = aws.ses.get_identity_notification_attributes(Identities=["sestui.test"])["NotificationAttributes"]
    assert {attributes["sestui.test"][f"{k}Topic"] for k in ("Bounce", "Complaint", "Delivery")} == {info.topic_arn}
    assert attributes["sestui.test"]["HeadersInBounceNotificationsEnabled"] is True
    subscriptions = aws.sns.list_subscriptions_by_topic(TopicArn=info.topic_arn)["Subscriptions"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=info.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    wired = next(s for s in subscriptions if s["Endpoint"] == queue_arn)
    raw = aws.sns.get_subscription_attributes(SubscriptionArn=wired["SubscriptionArn"])["Attributes"]
    assert raw["RawMessageDelivery"] == "false"
    policy = json.loads(aws.sqs.get_queue_attributes(QueueUrl=info.queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == info.topic_arn


def test_event_destination_crud_and_errors(aws):
    name = unique("crud-")
    topic = aws.sns.create_topic(Name=name)["TopicArn"]
    definition = {"Enabled": True, "MatchingEventTypes": ["BOUNCE"], "SnsDestination": {"TopicArn": topic}}
    code, _, status = error_of(aws.sesv2.create_configuration_set_event_destination, ConfigurationSetName=name,
                               EventDestinationName="d", EventDestination=definition)
    assert (code, status) == ("NotFoundException", 404)
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    assert error_of(aws.sesv2.create_configuration_set, ConfigurationSetName=name)[0] == "AlreadyExistsException"
    assert aws.sesv2.get_configuration_set(ConfigurationSetName=name)["SendingOptions"] == {"SendingEnabled": True}
    aws.sesv2.create_configuration_set_event_destination(ConfigurationSetName=name, EventDestinationName="d",
                                                         EventDestination=definition)
    assert error_of(aws.sesv2.create_configuration_set_event_destination, ConfigurationSetName=name,
                    EventDestinationName="d", EventDestination=definition)[0] == "AlreadyExistsException"
    assert error_of(aws.sesv2.create_configuration_set_event_destination, ConfigurationSetName=name,
                    EventDestinationName="e", EventDestination={**definition, "MatchingEventTypes": ["NOPE"]}
                    )[0] == "BadRequestException"
    aws.sesv2.update_configuration_set_event_destination(
        ConfigurationSetName=name, EventDestinationName="d",
        EventDestination={**definition, "Enabled": False, "MatchingEventTypes": ["SEND", "DELIVERY"]})
    (got,) = aws.sesv2.get_configuration_set_event_destinations(ConfigurationSetName=name)["EventDestinations"]
    assert (got["Name"], got["Enabled"], got["MatchingEventTypes"]) == ("d", False, ["SEND", "DELIVERY"])
    assert error_of(aws.sesv2.update_configuration_set_event_destination, ConfigurationSetName=name,
                    EventDestinationName="x", EventDestination=definition)[0] == "NotFoundException"
    aws.sesv2.delete_configuration_set_event_destination(ConfigurationSetName=name, EventDestinationName="d")
    assert error_of(aws.sesv2.delete_configuration_set_event_destination, ConfigurationSetName=name,
                    EventDestinationName="d")[0] == "NotFoundException"
    aws.sesv2.delete_configuration_set(ConfigurationSetName=name)
    assert error_of(aws.sesv2.delete_configuration_set, ConfigurationSetName=name)[0] == "NotFoundException"
    assert error_of(aws.ses.delete_configuration_set, ConfigurationSetName=name)[0] == "ConfigurationSetDoesNotExist"


def test_event_destinations_honour_enabled_and_matching_types(aws, sandbox, queue_factory):
    name = unique("honour-")
    topic = aws.sns.create_topic(Name=name)["TopicArn"]
    queue = queue_factory(topic_arn=topic)
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    definition = {"Enabled": True, "MatchingEventTypes": ["DELIVERY"], "SnsDestination": {"TopicArn": topic}}
    aws.sesv2.create_configuration_set_event_destination(ConfigurationSetName=name, EventDestinationName="d",
                                                         EventDestination=definition)
    only_delivery = send_v2(aws, [f"bounce@{SIM}", f"success@{SIM}"], ConfigurationSetName=name)
    assert sandbox.wait_idle(10)
    aws.sesv2.update_configuration_set_event_destination(ConfigurationSetName=name, EventDestinationName="d",
                                                         EventDestination={**definition, "Enabled": False})
    disabled = send_v1(aws, [f"success@{SIM}"], ConfigurationSetName=name)
    assert sandbox.wait_idle(10)
    records = [queue.decode(b) for b in queue.drain()]
    assert [(queue.label(r), r["mail"]["messageId"]) for r in records] == [("event:Delivery", only_delivery)]
    assert records[0]["mail"]["tags"]["ses:configuration-set"] == [name]
    assert disabled not in {r["mail"]["messageId"] for r in records}


def test_identity_notification_settings(aws, sandbox, queue_factory):
    domain = f"{unique('n')}.example.org"
    topic = aws.sns.create_topic(Name=unique("notify-"))["TopicArn"]
    queue = queue_factory(topic_arn=topic)
    aws.ses.verify_domain_identity(Domain=domain)
    aws.ses.set_identity_notification_topic(Identity=domain, NotificationType="Bounce", SnsTopic=topic)
    attributes = aws.ses.get_identity_notification_attributes(Identities=[domain, "absent.example"])
    got = attributes["NotificationAttributes"]
    assert set(got) == {domain}
    assert got[domain]["BounceTopic"] == topic and "DeliveryTopic" not in got[domain]
    assert got[domain]["HeadersInBounceNotificationsEnabled"] is False and got[domain]["ForwardingEnabled"] is True

    message_id = send_v1(aws, [f"bounce@{SIM}", f"success@{SIM}"], source=f"alerts@{domain}")
    (record,) = queue.records_for(message_id, {"notification:Bounce"})
    assert "commonHeaders" not in record["mail"] and record["mail"]["sourceArn"].endswith(f"identity/{domain}")

    aws.ses.set_identity_headers_in_notifications_enabled(Identity=domain, NotificationType="Bounce", Enabled=True)
    message_id = send_v1(aws, [f"bounce@{SIM}"], source=f"alerts@{domain}")
    (record,) = queue.records_for(message_id, {"notification:Bounce"})
    assert record["mail"]["commonHeaders"]["subject"] == "api test"

    aws.ses.set_identity_notification_topic(Identity=domain, NotificationType="Bounce")
    attributes = aws.ses.get_identity_notification_attributes(Identities=[domain])["NotificationAttributes"]
    assert "BounceTopic" not in attributes[domain]
    assert error_of(aws.ses.set_identity_notification_topic, Identity=domain, NotificationType="Open",
                    SnsTopic=topic)[0] == "InvalidParameterValue"
    aws.ses.delete_identity(Identity=domain)
    assert domain not in aws.ses.list_identities()["Identities"]
    assert aws.ses.get_identity_notification_attributes(Identities=[domain])["NotificationAttributes"] == {}
    assert sandbox.wait_idle(10)


def test_identity_default_configuration_set(aws):
    identity = f"{unique('d')}@example.org"
    aws.sesv2.create_email_identity(EmailIdentity=identity)
    assert error_of(aws.sesv2.put_email_identity_configuration_set_attributes, EmailIdentity=identity,
                    ConfigurationSetName="no-such-set")[0] == "NotFoundException"
    aws.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=identity,
                                                              ConfigurationSetName="sestui-default")
    assert aws.sesv2.get_email_identity(EmailIdentity=identity)["ConfigurationSetName"] == "sestui-default"
    aws.sesv2.delete_email_identity(EmailIdentity=identity)
    assert error_of(aws.sesv2.delete_email_identity, EmailIdentity=identity)[0] == "NotFoundException"


# --- fault injection ----------------------------------------------------------------------------


def test_access_denied_on_sesv2_names_the_action(aws, sandbox):
    sandbox.faults.fail_next("GetAccount", "AccessDeniedException")
    code, message, status = error_of(aws.sesv2.get_account)
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{sandbox.account_id}:user/sestui-sandbox is not authorized to perform: "
                       "ses:GetAccount on resource: *")
    assert aws.sesv2.get_account()["SendingEnabled"] is True  # only the next call failed


def test_faults_in_each_protocol(aws, sandbox, clients_for):
    sandbox.faults.fail_next("GetSendQuota", "Throttling", times=2)
    assert error_of(aws.ses.get_send_quota)[:2] == ("Throttling", "Rate exceeded")
    assert error_of(aws.ses.get_send_quota)[0] == "Throttling"
    aws.ses.get_send_quota()

    sandbox.faults.fail_next("ReceiveMessage", "AccessDenied", service="sqs")
    code, message, status = error_of(aws.sqs.receive_message, QueueUrl=sandbox.info.queue_url, WaitTimeSeconds=0)
    assert (code, status) == ("AccessDenied", 403) and "sqs:ReceiveMessage" in message

    sandbox.faults.fail_next("Publish", "ServiceUnavailable")
    assert error_of(aws.sns.publish, TopicArn=sandbox.info.topic_arn, Message="x")[::2] == ("ServiceUnavailable", 503)

    sts = clients_for(sandbox.info.endpoint_url, sandbox.info.region, "sts")
    assert sts.get_caller_identity()["Account"] == sandbox.account_id
    sandbox.faults.fail_next("GetCallerIdentity", "ExpiredToken", status=400,
                             message="The security token included in the request is expired")
    assert error_of(sts.get_caller_identity)[:2] == ("ExpiredToken", "The security token included in the request is expired")

    sandbox.faults.fail_next("ListSuppressedDestinations", "InternalFailure")
    assert error_of(aws.sesv2.list_suppressed_destinations)[::2] == ("InternalFailure", 500)
    assert sandbox.faults.pending() == 0


def test_fault_narrowed_to_one_service(aws, sandbox):
    sandbox.faults.fail_next("SendEmail", "MessageRejected", service="ses", message="nope")
    send_v2(aws, [f"success@{SIM}"])
    assert error_of(send_v1, aws, [f"success@{SIM}"])[:2] == ("MessageRejected", "nope")


def test_control_route(sandbox, aws, account):
    base = sandbox.info.endpoint_url + "/_sandbox"

    def call(method: str, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(base + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=5) as reply:
            return json.loads(reply.read())

    info = call("GET", "/info")
    assert info["queue_url"] == sandbox.info.queue_url and info["account_id"] == sandbox.account_id
    assert call("POST", "/account", {"enforcement_status": "PROBATION"})["enforcement_status"] == "PROBATION"
    assert aws.sesv2.get_account()["EnforcementStatus"] == "PROBATION"
    assert call("POST", "/faults", {"operation": "GetAccount", "code": "AccessDeniedException"}) == {"pending": 1}
    assert error_of(aws.sesv2.get_account)[0] == "AccessDeniedException"
    call("POST", "/faults", {"operation": "GetAccount", "code": "AccessDeniedException"})
    assert call("DELETE", "/faults") == {"pending": 0}
    with pytest.raises(urllib.error.HTTPError) as caught:
        call("POST", "/account", {"enforcement_status": "SLEEPY"})
    assert caught.value.code == 400


# --- the endpoint going away -------------------------------------------------------------------


def test_suspend_and_resume_keep_state_and_port(aws, sandbox, event_queue):
    address = f"{unique('kept')}@example.com"
    aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="COMPLAINT")
    message_id = send_v2(aws, [f"complaint@{SIM}"])
    url = sandbox.info.endpoint_url
    sandbox.suspend()
    try:
        with pytest.raises(EndpointConnectionError):
            aws.sesv2.get_account()
    finally:
        sandbox.resume()
    assert sandbox.info.endpoint_url == url
    assert aws.sesv2.get_suppressed_destination(EmailAddress=address)["SuppressedDestination"]["Reason"] == "COMPLAINT"
    # the simulator kept going while the endpoint was down
    assert event_queue.records_for(message_id, {"event:Complaint", "notification:Complaint"})
    aws.sesv2.delete_suppressed_destination(EmailAddress=address)


def test_suspend_cuts_a_long_poll(aws, sandbox):
    import threading

    queue_url = aws.sqs.create_queue(QueueName=unique("empty-"))["QueueUrl"]
    outcome = {}

    def poll():
        try:
            aws.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=20, MaxNumberOfMessages=1)
            outcome["error"] = None
        except Exception as exc:  # the connection was cut
            outcome["error"] = exc

    thread = threading.Thread(target=poll)
    thread.start()
    assert wait_until(lambda: sandbox._endpoint.open_connections() > 0, 5)
    sandbox.suspend()
    sandbox.resume()
    thread.join(15)
    assert not thread.is_alive() and outcome["error"] is not None
    aws.sqs.delete_queue(QueueUrl=queue_url)


# --- other sandboxes in the same process ---------------------------------------------------------


def test_a_bare_sandbox_is_an_empty_separate_account(sandbox, clients_for):
    from sestui.sandbox import Sandbox

    with Sandbox(wiring=False) as bare:
        info = bare.info
        assert (info.queue_url, info.topic_arn, info.identity, info.configuration_set) == (None,) * 4
        clients = clients_for(info.endpoint_url, info.region)
        assert clients.ses.list_identities()["Identities"] == []
        assert clients.sns.list_topics()["Topics"] == []
        assert clients.sqs.list_queues().get("QueueUrls", []) == []
        assert clients.sesv2.list_configuration_sets()["ConfigurationSets"] == []
        assert clients.sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []
        assert bare.account_id != sandbox.account_id
        assert error_of(send_v2, clients, [f"success@{SIM}"])[0] == "MessageRejected"


def test_traffic_generator_sends_like_an_application(sandbox, event_queue):
    sent_before = sandbox.traffic.sent
    sandbox.set_rate(60)
    try:
        bodies = event_queue.receive(lambda b: len(b) >= 30, timeout=15)
    finally:
        sandbox.set_rate(0)
    assert sandbox.traffic.sent - sent_before >= 10
    assert not sandbox.traffic.errors
    kinds = {event_queue.kind(event_queue.decode(b)) for b in bodies}
    assert {"Send", "Delivery"} <= kinds
    assert sandbox.wait_idle(10)
