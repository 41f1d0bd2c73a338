"""Names SES refuses (at creation, the rules the SES API references document for each name; in
notification settings, an identity it does not have), seen from the AWS CLI and raw boto3:
nothing is created or changed when the name is refused."""

from __future__ import annotations

import json
import time

import pytest
from aws_errors import error_of


@pytest.mark.parametrize("name", ["bad name!", "a" * 65, "dots.are.out"])
def test_a_configuration_set_name_outside_the_rule_is_refused(cli_refusal, aws, name):
    code, message = cli_refusal("sesv2", "create-configuration-set", "--configuration-set-name", name)
    assert code == "BadRequestException" and "64" in message
    code, _ = cli_refusal("ses", "create-configuration-set", "--configuration-set", json.dumps({"Name": name}))
    assert code == "InvalidConfigurationSet"
    assert name not in aws.sesv2.list_configuration_sets()["ConfigurationSets"]


def test_the_longest_allowed_names_are_taken(aws, sandbox):
    name = f"n{time.monotonic_ns()}".ljust(64, "_")
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    assert name in aws.sesv2.list_configuration_sets(PageSize=1000)["ConfigurationSets"]
    aws.sesv2.create_configuration_set_event_destination(
        ConfigurationSetName=name, EventDestinationName="d-" + "x" * 62,
        EventDestination={"Enabled": True, "MatchingEventTypes": ["SEND"],
                          "SnsDestination": {"TopicArn": sandbox.info.topic_arn}})
    code, _, status = error_of(aws.sesv2.create_configuration_set_event_destination,
                               ConfigurationSetName=name, EventDestinationName="with space",
                               EventDestination={"Enabled": True, "MatchingEventTypes": ["SEND"],
                                                 "SnsDestination": {"TopicArn": sandbox.info.topic_arn}})
    assert (code, status) == ("BadRequestException", 400)
    names = [d["Name"] for d in aws.sesv2.get_configuration_set_event_destinations(
        ConfigurationSetName=name)["EventDestinations"]]
    assert names == ["d-" + "x" * 62]
    aws.sesv2.delete_configuration_set(ConfigurationSetName=name)


def test_an_identity_that_is_no_address_or_domain_is_refused(cli_refusal, aws):
    assert cli_refusal("ses", "verify-email-identity", "--email-address", "no-at-sign")[0] == "InvalidParameterValue"
    assert cli_refusal("ses", "verify-domain-identity", "--domain", "has space.example")[0] == "InvalidParameterValue"
    assert cli_refusal("sesv2", "create-email-identity", "--email-identity", "x@@y.example")[0] == "BadRequestException"
    listed = aws.ses.list_identities()["Identities"]
    assert not {"no-at-sign", "has space.example", "x@@y.example"} & set(listed)


def test_creating_an_identity_that_exists_is_refused(cli, cli_refusal, sandbox):
    code, _ = cli_refusal("sesv2", "create-email-identity", "--email-identity", sandbox.info.identity)
    assert code == "AlreadyExistsException"
    code, out, err = cli("sesv2", "get-email-identity", "--email-identity", sandbox.info.identity)
    assert code == 0 and out["VerifiedForSendingStatus"] is True, err


def test_notification_settings_of_an_identity_ses_does_not_have_are_refused(cli_refusal, aws, sandbox):
    for args in (["set-identity-notification-topic", "--notification-type", "Bounce", "--sns-topic",
                  sandbox.info.topic_arn],
                 ["set-identity-headers-in-notifications-enabled", "--notification-type", "Bounce", "--enabled"],
                 ["set-identity-feedback-forwarding-enabled", "--no-forwarding-enabled"]):
        code, message = cli_refusal("ses", *args, "--identity", "never-verified.example")
        assert (code, message) == ("InvalidParameterValue", "Identity never-verified.example is invalid. Must be a "
                                                            "verified email address or domain.")
    # An identity named by its ARN is the identity.
    identity = f"arnnamed-{time.monotonic_ns()}.example"
    aws.ses.verify_domain_identity(Domain=identity)
    arn = f"arn:aws:ses:{sandbox.info.region}:{sandbox.account_id}:identity/{identity}"
    aws.ses.set_identity_headers_in_notifications_enabled(Identity=arn, NotificationType="Delivery", Enabled=True)
    got = aws.ses.get_identity_notification_attributes(Identities=[identity])["NotificationAttributes"]
    assert got[identity]["HeadersInDeliveryNotificationsEnabled"] is True
    aws.ses.delete_identity(Identity=identity)
