"""SES's account rules: what counts toward the quota and the statistics, the SES sandbox's
limits and refusals, and an identity whose default configuration set was deleted."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from aws_errors import error_of

SIM = "simulator.amazonses.com"
SENDER = "rules@sestui.test"


def send_v2(aws, to: list[str], source: str = SENDER, **extra) -> str:
    return aws.sesv2.send_email(
        FromEmailAddress=source, Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "rules"}, "Body": {"Text": {"Data": "x"}}}}, **extra,
    )["MessageId"]


def send_v1(aws, to: list[str], source: str = SENDER) -> str:
    return aws.ses.send_email(Source=source, Destination={"ToAddresses": to},
                              Message={"Subject": {"Data": "rules"}, "Body": {"Text": {"Data": "x"}}})["MessageId"]


def totals(aws) -> list[int]:
    points = aws.ses.get_send_statistics()["SendDataPoints"]
    return [sum(p[k] for p in points) for k in ("DeliveryAttempts", "Bounces", "Complaints", "Rejects")]


def test_simulator_bounces_and_complaints_are_not_in_the_statistics(aws, sandbox):
    assert sandbox.wait_idle(10)
    before = totals(aws)
    send_v2(aws, [f"bounce+stats1@{SIM}", f"complaint+stats1@{SIM}"])
    send_v1(aws, [f"bounce+stats2@{SIM}"])
    send_v2(aws, ["real+stats3@gone.invalid"])  # an ordinary address that bounces: it counts
    assert sandbox.wait_idle(10)
    after = totals(aws)
    assert [a - b for a, b in zip(after, before, strict=False)][1:] == [1, 0, 0]


def test_the_daily_quota_and_the_rate_are_different_refusals(aws, account):
    account.update(max_24_hour_send=aws.ses.get_send_quota()["SentLast24Hours"])
    daily = error_of(send_v1, aws, ["quota@example.com"])
    account.update(max_24_hour_send=-1, max_send_rate=1)
    with pytest.raises(ClientError) as caught:
        for _ in range(5):
            send_v1(aws, ["rate@example.com"])
    rate = caught.value.response["Error"]
    assert daily[:2] == ("Throttling", "Daily message quota exceeded.")
    assert (rate["Code"], rate["Message"]) == ("Throttling", "Maximum sending rate exceeded.")


def test_ses_sandbox_accounts_refuse_suppression_edits_and_imports(aws, account):
    account.update(production_access_enabled=False)
    code, message, status = error_of(aws.sesv2.put_suppressed_destination, EmailAddress="x@example.com",
                                     Reason="BOUNCE")
    assert (code, status) == ("BadRequestException", 400) and "sandbox" in message
    code, message, status = error_of(aws.sesv2.create_import_job, ImportDestination={
        "SuppressionListDestination": {"SuppressionListImportAction": "PUT"}},
        ImportDataSource={"S3Url": "s3://bucket/list.csv", "DataFormat": "CSV"})
    assert (code, status) == ("BadRequestException", 400) and "sandbox" in message
    # The account-level list itself can still be configured.
    aws.sesv2.put_account_suppression_attributes(SuppressedReasons=["BOUNCE"])
    account.update(production_access_enabled=True)
    aws.sesv2.put_suppressed_destination(EmailAddress="x@example.com", Reason="BOUNCE")
    aws.sesv2.delete_suppressed_destination(EmailAddress="x@example.com")
    aws.sesv2.put_account_suppression_attributes(SuppressedReasons=["BOUNCE", "COMPLAINT"])


def test_ses_sandbox_quotas_are_200_a_day_and_1_a_second():
    from sestui.sandbox import AccountSettings, SandboxOptions
    from sestui.sandbox.demo.runner import account_settings

    for settings in (account_settings(SandboxOptions(production=False)), AccountSettings.in_ses_sandbox()):
        assert (settings.production_access_enabled, settings.max_24_hour_send, settings.max_send_rate) == (
            False, 200, 1)
    production = account_settings(SandboxOptions(production=True, rate=3))
    assert (production.max_24_hour_send, production.max_send_rate) == (518400, 14)
    assert account_settings(SandboxOptions(production=False, max_send_rate=5)).max_send_rate == 5


def test_deleting_an_identitys_default_configuration_set_makes_its_sends_fail(aws, sandbox):
    identity, config_set = "default-gone.test", "rules-default-gone"
    aws.ses.verify_domain_identity(Domain=identity)
    aws.sesv2.create_configuration_set(ConfigurationSetName=config_set)
    aws.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=identity, ConfigurationSetName=config_set)
    send_v2(aws, [f"success@{SIM}"], source=f"a@{identity}")
    aws.sesv2.delete_configuration_set(ConfigurationSetName=config_set)
    assert aws.sesv2.get_email_identity(EmailIdentity=identity)["ConfigurationSetName"] == config_set
    code, message, status = error_of(send_v2, aws, [f"success@{SIM}"], source=f"a@{identity}")
    assert (code, status) == ("BadRequestException", 400) and config_set in message
    assert error_of(send_v1, aws, [f"success@{SIM}"], source=f"a@{identity}")[0] == "ConfigurationSetDoesNotExist"
    # Naming a set that exists, or none as the default, sends again.
    send_v2(aws, [f"success@{SIM}"], source=f"a@{identity}", ConfigurationSetName=sandbox.info.configuration_set)
    aws.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=identity)
    send_v2(aws, [f"success@{SIM}"], source=f"a@{identity}")
