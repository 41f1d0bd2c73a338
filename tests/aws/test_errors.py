"""ErrorKind, the fix texts, and the two SES refusals that look alike: the daily quota (no retry can
help for hours) and the sending rate (botocore retries it with backoff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from sestui.aws import AwsError, ErrorKind, StatPoint, quota_frees_at, translate

SENDER = "aws-tests@sestui.test"
TO = ["success@simulator.amazonses.com"]


def client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "SendEmail")


def test_error_kind_compares_as_the_strings_callers_used():
    error = AwsError("x", kind=ErrorKind.NO_QUEUE)
    assert error.kind == "no_queue" and error.kind is ErrorKind.NO_QUEUE
    assert AwsError("y", kind="denied").kind is ErrorKind.DENIED  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AwsError("z", kind="no-such-kind")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["Throttling", "LimitExceededException"])
def test_daily_quota_is_its_own_kind_and_not_retryable(code):
    error = translate(client_error(code, "Daily message quota exceeded."), "sesv2", "SendEmail")
    assert (error.kind, error.retryable, error.code) == (ErrorKind.QUOTA_EXHAUSTED, False, code)
    assert str(error) == ("the 24-hour sending quota is used up (ses:SendEmail): SES accepts mail again as the "
                          "sends of 24 hours ago age out")
    assert "24 hours" in error.fix


@pytest.mark.parametrize("code", ["Throttling", "TooManyRequestsException"])
def test_sending_rate_is_a_throttle(code):
    error = translate(client_error(code, "Maximum sending rate exceeded."), "ses", "SendEmail")
    assert (error.kind, error.retryable) == (ErrorKind.THROTTLED, True)
    assert str(error) == "throttled by AWS on ses:SendEmail; backing off"


def test_each_kind_has_its_fix_once():
    denied = translate(client_error("AccessDenied", "User: x is not authorized to perform: sqs:ReceiveMessage"),
                       "sqs", "ReceiveMessage")
    assert denied.fix == "grant these credentials the IAM permission sqs:ReceiveMessage"
    no_queue = translate(client_error("AWS.SimpleQueueService.NonExistentQueue", "gone"), "sqs", "ReceiveMessage")
    assert no_queue.advice(setup="sestui setup --identity x") == \
        "check --queue-url and --region, or create the wiring: sestui setup --identity x"
    assert AwsError("x", kind=ErrorKind.CREDENTIALS).fix.startswith("refresh the credentials")
    assert AwsError("x", kind=ErrorKind.REJECTED).fix == ""  # the message is all there is to say


def test_when_the_quota_window_frees_room():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    points = [StatPoint(now - timedelta(hours=h), attempts, 0, 0, 0)
              for h, attempts in ((25, 7), (23, 5), (22, 0), (1, 3))]
    assert quota_frees_at(points, now) == now + timedelta(hours=1)  # the 23-hours-old sends age out first
    assert quota_frees_at(points[:1], now) is None


def test_an_exhausted_daily_quota_is_asked_once_not_retried(sestui_aws, account, no_backoff, requests_of):
    # mail to the simulator does not count toward the quota (SES developer guide): send elsewhere
    to = ["quota-test@example.com"]
    sent = sestui_aws.ses.account_status().sent_last_24_hours
    account.update(max_24_hour_send=float(sent + 1))
    sestui_aws.ses.send_email(sender=SENDER, to=to, subject="the last one", body="b")
    requests = requests_of("sesv2", "SendEmail")

    with pytest.raises(AwsError) as caught:
        sestui_aws.ses.send_email(sender=SENDER, to=to, subject="one too many", body="b")

    error = caught.value
    assert (error.kind, error.retryable, error.code) == (ErrorKind.QUOTA_EXHAUSTED, False, "LimitExceededException")
    assert requests == [1]
    # ...and it says when the oldest send of the window ages out (GetSendStatistics' 15-minute points)
    now = datetime.now(UTC)
    assert error.retry_at is not None and now < error.retry_at <= now + timedelta(hours=24)
    assert str(error).endswith(f"; room frees from {error.retry_at:%Y-%m-%d %H:%M} UTC")


def test_the_sending_rate_throttle_is_retried(sestui_aws, account, no_backoff, requests_of):
    account.update(max_send_rate=1.0)
    requests = requests_of("sesv2", "SendEmail")
    with pytest.raises(AwsError) as caught:
        for _ in range(3):  # within one second: one is over the rate, and so are its retries
            requests[0] = 0
            sestui_aws.ses.send_email(sender=SENDER, to=TO, subject="fast", body="b")
    assert (caught.value.kind, caught.value.retryable) == (ErrorKind.THROTTLED, True)
    assert requests == [4]


def test_a_paginated_call_that_fails_is_an_aws_error(sestui_aws, sandbox):
    sandbox.faults.fail_next("ListTopics", "AuthorizationError", message="not authorized to perform: sns:ListTopics")
    with pytest.raises(AwsError) as caught:
        sestui_aws.sns.find_topic("anything")
    assert (caught.value.kind, caught.value.action) == (ErrorKind.DENIED, "sns:ListTopics")


def test_a_paused_send_names_the_command_that_resumes_it(sestui_aws, aws):
    """A guard (or AWS) paused the set: the refusal says how to turn sending back on."""
    name = "paused-for-errors-test"
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    try:
        aws.sesv2.put_configuration_set_sending_options(ConfigurationSetName=name, SendingEnabled=False)
        with pytest.raises(AwsError) as caught:
            sestui_aws.ses.send_email(sender=SENDER, to=TO, subject="s", body="b", configuration_set=name)
        assert caught.value.code == "SendingPausedException" and caught.value.kind is ErrorKind.REJECTED
        assert str(caught.value).endswith(f"(once the cause is dealt with, `sestui resume --configuration-set {name}`"
                                          " turns it back on)")
    finally:
        aws.sesv2.delete_configuration_set(ConfigurationSetName=name)


def test_a_paused_account_names_the_account_resume():
    error = translate(client_error("SendingPausedException", "Sending paused for this account."), "sesv2", "SendEmail")
    assert str(error) == ("ses:SendEmail: Sending paused for this account. (once the cause is dealt with, "
                          "`sestui resume --account` turns it back on)")
