"""SES v1 and SESv2 describe one account: identities (verification, feedback forwarding, tags,
DKIM) and configuration sets (options, event destinations) read the same through both, and the
sending switches of sets and of the account are honoured by sends."""

from __future__ import annotations

from aws_errors import error_of

SIM = "simulator.amazonses.com"


def send_v2(aws, **extra) -> str:
    return aws.sesv2.send_email(FromEmailAddress="consistency@sestui.test",
                                Destination={"ToAddresses": [f"success@{SIM}"]},
                                Content={"Simple": {"Subject": {"Data": "c"}, "Body": {"Text": {"Data": "x"}}}},
                                **extra)["MessageId"]


def send_v1(aws, **extra) -> str:
    return aws.ses.send_email(Source="consistency@sestui.test", Destination={"ToAddresses": [f"success@{SIM}"]},
                              Message={"Subject": {"Data": "c"}, "Body": {"Text": {"Data": "x"}}}, **extra)["MessageId"]


def test_a_verified_identity_reads_the_same_in_v1_and_v2(aws, sandbox):
    domain = sandbox.info.identity
    v2 = aws.sesv2.get_email_identity(EmailIdentity=domain)
    v1 = aws.ses.get_identity_notification_attributes(Identities=[domain])["NotificationAttributes"][domain]
    verification = aws.ses.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"][domain]
    assert verification["VerificationStatus"] == "Success"
    assert v2["VerificationStatus"] == "SUCCESS" and v2["VerifiedForSendingStatus"] is True
    assert v2["FeedbackForwardingStatus"] is v1["ForwardingEnabled"]
    assert isinstance(v2["Tags"], list)
    dkim_v1 = aws.ses.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"][domain]
    assert dkim_v1["DkimEnabled"] is v2["DkimAttributes"]["SigningEnabled"] is True
    assert (dkim_v1["DkimVerificationStatus"], v2["DkimAttributes"]["Status"]) == ("Success", "SUCCESS")
    assert dkim_v1["DkimTokens"] == v2["DkimAttributes"]["Tokens"] and len(dkim_v1["DkimTokens"]) == 3


def test_feedback_forwarding_follows_v1(aws):
    aws.ses.verify_email_identity(EmailAddress="forwarding@elsewhere.example")
    assert aws.sesv2.get_email_identity(EmailIdentity="forwarding@elsewhere.example")["FeedbackForwardingStatus"] is True
    aws.ses.set_identity_feedback_forwarding_enabled(Identity="forwarding@elsewhere.example", ForwardingEnabled=False)
    assert aws.sesv2.get_email_identity(EmailIdentity="forwarding@elsewhere.example")["FeedbackForwardingStatus"] is False
    # An address whose domain is not an identity has no DKIM, in both versions.
    v2 = aws.sesv2.get_email_identity(EmailIdentity="forwarding@elsewhere.example")["DkimAttributes"]
    v1 = aws.ses.get_identity_dkim_attributes(Identities=["forwarding@elsewhere.example"])["DkimAttributes"]
    assert (v2["SigningEnabled"], v2["Status"]) == (False, "NOT_STARTED")
    assert v1["forwarding@elsewhere.example"] == {"DkimEnabled": False, "DkimVerificationStatus": "NotStarted"}


def test_get_configuration_set_omits_incomplete_tracking_options(aws, sandbox):
    got = aws.sesv2.get_configuration_set(ConfigurationSetName=sandbox.info.configuration_set)
    assert "TrackingOptions" not in got  # when present, CustomRedirectDomain is required in it
    assert got["ReputationOptions"] == {"ReputationMetricsEnabled": False}
    aws.sesv2.create_configuration_set(ConfigurationSetName="consistency-tracked")
    aws.sesv2.put_configuration_set_tracking_options(ConfigurationSetName="consistency-tracked",
                                                     CustomRedirectDomain="click.sestui.test")
    tracked = aws.sesv2.get_configuration_set(ConfigurationSetName="consistency-tracked")
    assert tracked["TrackingOptions"]["CustomRedirectDomain"] == "click.sestui.test"
    v1 = aws.ses.describe_configuration_set(ConfigurationSetName="consistency-tracked",
                                            ConfigurationSetAttributeNames=["trackingOptions"])
    assert v1["TrackingOptions"] == {"CustomRedirectDomain": "click.sestui.test"}


def test_v1_describe_configuration_set_lists_the_v2_event_destinations(aws, sandbox):
    name = sandbox.info.configuration_set
    v2 = aws.sesv2.get_configuration_set_event_destinations(ConfigurationSetName=name)["EventDestinations"]
    v1 = aws.ses.describe_configuration_set(ConfigurationSetName=name,
                                            ConfigurationSetAttributeNames=["eventDestinations"])["EventDestinations"]
    assert [d["Name"] for d in v1] == [d["Name"] for d in v2] and v1
    assert v1[0]["SNSDestination"]["TopicARN"] == v2[0]["SnsDestination"]["TopicArn"] == sandbox.info.topic_arn
    assert len(v1[0]["MatchingEventTypes"]) == len(v2[0]["MatchingEventTypes"])
    assert {"send", "bounce", "renderingFailure"} <= set(v1[0]["MatchingEventTypes"])


def test_a_v1_event_destination_publishes_and_shows_in_v2(aws, sandbox, queue_factory):
    aws.ses.create_configuration_set(ConfigurationSet={"Name": "consistency-v1"})
    aws.ses.create_configuration_set_event_destination(ConfigurationSetName="consistency-v1", EventDestination={
        "Name": "v1-sns", "Enabled": True, "MatchingEventTypes": ["send", "delivery"],
        "SNSDestination": {"TopicARN": sandbox.info.topic_arn}})
    [destination] = aws.sesv2.get_configuration_set_event_destinations(
        ConfigurationSetName="consistency-v1")["EventDestinations"]
    assert destination["Name"] == "v1-sns" and destination["MatchingEventTypes"] == ["SEND", "DELIVERY"]
    queue = queue_factory()
    mid = send_v1(aws, ConfigurationSetName="consistency-v1")
    records = queue.records_for(mid, {"event:Send", "event:Delivery"})
    assert {r["mail"]["tags"]["ses:configuration-set"][0] for r in records if "eventType" in r} == {"consistency-v1"}
    aws.ses.delete_configuration_set_event_destination(ConfigurationSetName="consistency-v1",
                                                       EventDestinationName="v1-sns")
    assert aws.sesv2.get_configuration_set_event_destinations(ConfigurationSetName="consistency-v1")[
        "EventDestinations"] == []


def test_v1_firehose_and_cloudwatch_destinations_translate_both_ways_and_refuse_as_v1(aws):
    aws.ses.create_configuration_set(ConfigurationSet={"Name": "consistency-kinds"})
    firehose = {"IAMRoleARN": "arn:aws:iam::123456789012:role/f", "DeliveryStreamARN": "arn:aws:firehose:s"}
    cloudwatch = {"DimensionConfigurations": [{"DimensionName": "set", "DimensionValueSource": "messageTag",
                                               "DefaultDimensionValue": "none"}]}
    for name, member, value in (("fh", "KinesisFirehoseDestination", firehose),
                                ("cw", "CloudWatchDestination", cloudwatch)):
        aws.ses.create_configuration_set_event_destination(ConfigurationSetName="consistency-kinds", EventDestination={
            "Name": name, "Enabled": True, "MatchingEventTypes": ["bounce"], member: value})
    v2 = {d["Name"]: d for d in aws.sesv2.get_configuration_set_event_destinations(
        ConfigurationSetName="consistency-kinds")["EventDestinations"]}
    assert v2["fh"]["KinesisFirehoseDestination"] == {"IamRoleArn": firehose["IAMRoleARN"],
                                                      "DeliveryStreamArn": firehose["DeliveryStreamARN"]}
    assert v2["cw"]["CloudWatchDestination"] == cloudwatch
    v1 = {d["Name"]: d for d in aws.ses.describe_configuration_set(
        ConfigurationSetName="consistency-kinds", ConfigurationSetAttributeNames=["eventDestinations"])[
        "EventDestinations"]}
    assert v1["fh"]["KinesisFirehoseDestination"] == firehose and v1["cw"]["CloudWatchDestination"] == cloudwatch
    again = {"Name": "fh", "Enabled": False, "MatchingEventTypes": ["send"], "KinesisFirehoseDestination": firehose}
    assert error_of(aws.ses.create_configuration_set_event_destination, ConfigurationSetName="consistency-kinds",
                    EventDestination=again)[0] == "EventDestinationAlreadyExists"
    aws.ses.update_configuration_set_event_destination(ConfigurationSetName="consistency-kinds", EventDestination=again)
    assert [d["Enabled"] for d in aws.sesv2.get_configuration_set_event_destinations(
        ConfigurationSetName="consistency-kinds")["EventDestinations"] if d["Name"] == "fh"] == [False]
    for call, args in ((aws.ses.update_configuration_set_event_destination, {"EventDestination": {**again, "Name": "no"}}),
                       (aws.ses.delete_configuration_set_event_destination, {"EventDestinationName": "no"})):
        assert error_of(call, ConfigurationSetName="consistency-kinds", **args)[0] == "EventDestinationDoesNotExist"


def test_a_paused_configuration_set_refuses_sends(aws):
    aws.sesv2.create_configuration_set(ConfigurationSetName="consistency-paused")
    send_v2(aws, ConfigurationSetName="consistency-paused")
    aws.sesv2.put_configuration_set_sending_options(ConfigurationSetName="consistency-paused", SendingEnabled=False)
    assert aws.sesv2.get_configuration_set(ConfigurationSetName="consistency-paused")["SendingOptions"] == {
        "SendingEnabled": False}
    code, message, status = error_of(send_v2, aws, ConfigurationSetName="consistency-paused")
    assert (code, status) == ("SendingPausedException", 400) and "consistency-paused" in message
    assert error_of(send_v1, aws, ConfigurationSetName="consistency-paused")[0] == \
        "ConfigurationSetSendingPausedException"
    v1 = aws.ses.describe_configuration_set(ConfigurationSetName="consistency-paused",
                                            ConfigurationSetAttributeNames=["reputationOptions"])
    assert v1["ReputationOptions"]["SendingEnabled"] is False
    aws.ses.update_configuration_set_sending_enabled(ConfigurationSetName="consistency-paused", Enabled=True)
    send_v2(aws, ConfigurationSetName="consistency-paused")


def test_put_account_sending_attributes_pauses_sends(aws, account):
    aws.sesv2.put_account_sending_attributes(SendingEnabled=False)
    assert error_of(send_v2, aws)[0] == "SendingPausedException"
    assert error_of(send_v1, aws)[0] == "MessageRejected"
    aws.sesv2.put_account_sending_attributes(SendingEnabled=True)
    send_v2(aws)


def test_reputation_options_are_reflected_in_both_versions(aws):
    aws.sesv2.create_configuration_set(ConfigurationSetName="consistency-reputation")
    aws.sesv2.put_configuration_set_reputation_options(ConfigurationSetName="consistency-reputation",
                                                       ReputationMetricsEnabled=True)
    got = aws.sesv2.get_configuration_set(ConfigurationSetName="consistency-reputation")
    assert got["ReputationOptions"]["ReputationMetricsEnabled"] is True
    aws.ses.update_configuration_set_reputation_metrics_enabled(ConfigurationSetName="consistency-reputation",
                                                                Enabled=False)
    got = aws.sesv2.get_configuration_set(ConfigurationSetName="consistency-reputation")
    assert got["ReputationOptions"]["ReputationMetricsEnabled"] is False
