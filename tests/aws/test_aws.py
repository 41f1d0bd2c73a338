"""sestui.aws against the sandbox, over HTTP, through the code the product runs: every facade method,
and every failure an operator can meet turned into the one-line message the issue promises."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from sestui import cli
from sestui.aws import AccountStatus, Aws, AwsError

SIM = "simulator.amazonses.com"
SENDER = "aws-tests@sestui.test"
NO_CREDENTIALS = "no AWS credentials found: set AWS_PROFILE or run `aws configure`; or try `sestui demo`"


@pytest.fixture
def plain_queue(aws, unique):
    """A new SQS queue, subscribed to nothing."""
    url = aws.sqs.create_queue(QueueName=unique("aws-test"))["QueueUrl"]
    yield url
    aws.sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def calls(sestui_aws, monkeypatch) -> list[str]:
    """The operations `sestui_aws` runs, in order."""
    seen: list[str] = []
    real = sestui_aws.call

    def spy(service, operation, **params):
        seen.append(operation)
        return real(service, operation, **params)

    monkeypatch.setattr(sestui_aws, "call", spy)
    return seen


def put_bodies(aws, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        aws.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start:start + 10])])


def failure(call, *args, **kwargs) -> AwsError:
    with pytest.raises(AwsError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return caught.value


# --- SQS -----------------------------------------------------------------------------------------


def test_receive_then_delete_in_batches_of_ten(sestui_aws, aws, plain_queue):
    bodies = [json.dumps({"n": n}) for n in range(13)]
    put_bodies(aws, plain_queue, bodies)
    received = []
    while len(received) < len(bodies):
        batch = sestui_aws.sqs.receive(plain_queue, wait_seconds=1, visibility_timeout=30)
        assert 0 < len(batch) <= 10
        received += batch
    assert sorted(m.body for m in received) == sorted(bodies)
    assert len({m.message_id for m in received}) == len(bodies)
    assert sestui_aws.sqs.depth(plain_queue) == {"visible": 0, "in_flight": 13, "delayed": 0}

    assert sestui_aws.sqs.delete(plain_queue, [m.receipt_handle for m in received]) == []
    assert sestui_aws.sqs.depth(plain_queue) == {"visible": 0, "in_flight": 0, "delayed": 0}
    assert sestui_aws.sqs.receive(plain_queue, wait_seconds=0) == []


def test_delete_reports_the_entries_sqs_refused(sestui_aws, aws, plain_queue):
    put_bodies(aws, plain_queue, ["one", "two"])
    received = sestui_aws.sqs.receive(plain_queue, wait_seconds=1)
    while len(received) < 2:
        received += sestui_aws.sqs.receive(plain_queue, wait_seconds=1)
    handles = [received[0].receipt_handle, "not-a-receipt-handle", received[1].receipt_handle]

    failures = sestui_aws.sqs.delete(plain_queue, handles)

    assert [f.receipt_handle for f in failures] == ["not-a-receipt-handle"]
    assert failures[0].reason == 'The input receipt handle "not-a-receipt-handle" is not a valid receipt handle.'
    assert sestui_aws.sqs.depth(plain_queue)["in_flight"] == 0  # the good entries went


def test_queue_depth_counts_delayed_messages(sestui_aws, aws, plain_queue):
    aws.sqs.send_message(QueueUrl=plain_queue, MessageBody="now")
    aws.sqs.send_message(QueueUrl=plain_queue, MessageBody="later", DelaySeconds=60)
    assert sestui_aws.sqs.depth(plain_queue) == {"visible": 1, "in_flight": 0, "delayed": 1}


# --- SES account ---------------------------------------------------------------------------------


def test_account_status_combines_get_account_and_get_send_quota(sestui_aws, account, calls):
    account.update(production_access_enabled=False, enforcement_status="PROBATION", max_send_rate=7.0,
                   max_24_hour_send=200.0, suppressed_reasons=("COMPLAINT",))
    status = sestui_aws.ses.account_status()
    assert calls == ["GetAccount", "GetSendQuota"]
    assert isinstance(status, AccountStatus)
    assert (status.production_access, status.sending_enabled, status.enforcement_status) == (False, True, "PROBATION")
    assert (status.max_send_rate, status.max_24_hour_send) == (7.0, 200.0)
    assert status.sent_last_24_hours >= 0
    assert status.suppressed_reasons == ["COMPLAINT"]


def test_send_statistics_come_back_oldest_first(sestui_aws, sandbox, monkeypatch):
    # Real SES returns the points in no particular order; stage that in the sandbox's ledger.
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    points = [(base + timedelta(minutes=15 * n), n) for n in (3, 0, 2, 1)]
    ledger = sandbox.ses_account(sandbox.info.region).ledger
    monkeypatch.setattr(ledger, "data_points", lambda now: [
        {"Timestamp": when, "DeliveryAttempts": 10 + n, "Bounces": n, "Complaints": 0, "Rejects": 1}
        for when, n in points])

    stats = sestui_aws.ses.send_statistics()

    assert [p.timestamp for p in stats] == sorted(when for when, _ in points)
    assert [p.delivery_attempts for p in stats] == [10, 11, 12, 13]
    assert [p.bounces for p in stats] == [0, 1, 2, 3]
    assert all(p.timestamp.tzinfo is not None and p.rejects == 1 for p in stats)


def test_verified_identities_lists_addresses_and_domains(sestui_aws, aws, unique):
    address = f"{unique('verified')}@example.com"
    aws.ses.verify_email_identity(EmailAddress=address)
    identities = sestui_aws.ses.verified_identities()
    assert {"sestui.test", address} <= set(identities)
    assert identities == sorted(identities)


def test_caller_account_is_the_sandbox_account(sestui_aws, sandbox):
    assert sestui_aws.caller_account() == sandbox.account_id


# --- suppression list ----------------------------------------------------------------------------


def test_list_suppressed_follows_next_token_across_pages(sestui_aws, aws, calls, unique):
    prefix = unique("paged")
    mine = {f"{prefix}-{n}@example.com": ("BOUNCE" if n % 2 else "COMPLAINT") for n in range(5)}
    for email, reason in mine.items():
        aws.sesv2.put_suppressed_destination(EmailAddress=email, Reason=reason)
    try:
        listed = [s for s in sestui_aws.suppressions.entries(page_size=2) if s.email.startswith(prefix)]
        pages = calls.count("ListSuppressedDestinations")
        complaints = {s.email for s in sestui_aws.suppressions.entries(reasons=["COMPLAINT"], page_size=2)}
    finally:
        for email in mine:
            aws.sesv2.delete_suppressed_destination(EmailAddress=email)
    assert {s.email: s.reason for s in listed} == mine and len(listed) == len(mine)
    assert pages >= 3
    assert all(s.last_update is not None and s.last_update.tzinfo is not None for s in listed)
    assert {e for e in complaints if e.startswith(prefix)} == {e for e, r in mine.items() if r == "COMPLAINT"}


def test_put_get_delete_suppressed_including_not_found(sestui_aws, unique):
    email = f"{unique('lifecycle')}@example.com"
    assert sestui_aws.suppressions.get(email) is None
    assert sestui_aws.suppressions.delete(email) is False

    sestui_aws.suppressions.put(email, "COMPLAINT")
    entry = sestui_aws.suppressions.get(email)
    assert (entry.email, entry.reason) == (email, "COMPLAINT")
    assert abs(entry.last_update - datetime.now(UTC)) < timedelta(minutes=1)

    assert sestui_aws.suppressions.delete(email) is True
    assert sestui_aws.suppressions.get(email) is None


def test_put_suppressed_with_a_bad_reason_is_rejected(sestui_aws, unique):
    error = failure(sestui_aws.suppressions.put, f"{unique('bad')}@example.com", "SPITE")
    assert error.kind == "rejected" and error.action == "ses:PutSuppressedDestination"


# --- sending -------------------------------------------------------------------------------------


def test_send_email_returns_the_id_its_events_carry(sestui_aws, sandbox, event_queue):
    message_id = sestui_aws.ses.send_email(sender=SENDER, to=[f"success@{SIM}"], subject="hello", body="hi",
                                       configuration_set=sandbox.info.configuration_set, tags={"order": "42"})
    records = event_queue.records_for(message_id, {"event:Send", "event:Delivery"})
    send = next(r for r in records if event_queue.label(r) == "event:Send")
    assert send["mail"]["destination"] == [f"success@{SIM}"]
    assert send["mail"]["tags"]["order"] == ["42"]
    assert send["mail"]["tags"]["ses:configuration-set"] == [sandbox.info.configuration_set]


def test_send_email_refused_by_ses_says_why(sestui_aws):
    error = failure(sestui_aws.ses.send_email, sender="someone@not-verified.example", to=[f"success@{SIM}"],
                    subject="s", body="b")
    assert error.kind == "rejected" and error.code == "MessageRejected"
    assert str(error).startswith("ses:SendEmail: ")


# --- errors --------------------------------------------------------------------------------------


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No credentials anywhere in the chain: AWS_* unset, empty shared files with one profile
    "ops" that has a region and no keys, no instance metadata."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "aws-config"
    config.write_text("[profile ops]\nregion = us-east-1\n")
    credentials = tmp_path / "aws-credentials"
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return "ops"


def test_missing_credentials_give_the_documented_message(no_credentials, sandbox):
    # A profile turns off the loopback shortcut (dummy keys for a local emulator) in Aws.__init__.
    aws = Aws(profile=no_credentials, endpoint_url=sandbox.info.endpoint_url)
    error = failure(aws.sqs.depth, sandbox.info.queue_url)
    assert str(error) == NO_CREDENTIALS
    assert error.kind == "credentials" and not error.retryable


def test_half_set_credentials_give_the_same_message(no_credentials, sandbox, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")  # and no secret key
    aws = Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url)
    assert str(failure(aws.ses.account_status)) == NO_CREDENTIALS


def test_collect_without_credentials_exits_with_the_message(no_credentials, sandbox, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "absent.toml"))
    status = cli.main(["collect", "--queue-url", sandbox.info.queue_url, "--profile", no_credentials,
                       "--endpoint-url", sandbox.info.endpoint_url, "--db", str(tmp_path / "events.db")])
    assert status == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"sestui: error: {NO_CREDENTIALS}"


def test_unknown_profile(no_credentials):
    with pytest.raises(AwsError) as caught:
        Aws(profile="no-such-profile")
    assert str(caught.value) == "AWS profile 'no-such-profile' not found in ~/.aws/config or ~/.aws/credentials"
    assert caught.value.kind == "credentials"


@pytest.mark.parametrize("operation, code, call, action", [
    ("ReceiveMessage", "AccessDenied", lambda a, q: a.sqs.receive(q, wait_seconds=0), "sqs:ReceiveMessage"),
    ("DeleteMessageBatch", "AccessDenied", lambda a, q: a.sqs.delete(q, ["handle"]), "sqs:DeleteMessageBatch"),
    ("GetAccount", "AccessDeniedException", lambda a, q: a.ses.account_status(), "ses:GetAccount"),
    ("GetSendQuota", "AccessDenied", lambda a, q: a.ses.account_status(), "ses:GetSendQuota"),
    ("PutSuppressedDestination", "AccessDeniedException",
     lambda a, q: a.suppressions.put("x@example.com", "BOUNCE"), "ses:PutSuppressedDestination"),
])
def test_access_denied_names_the_refused_iam_action(sestui_aws, sandbox, operation, code, call, action):
    sandbox.faults.fail_next(operation, code)
    error = failure(call, sestui_aws, sandbox.info.queue_url)
    assert str(error) == f"access denied: the credentials lack IAM permission {action}"
    assert (error.kind, error.action, error.code) == ("denied", action, code)


def test_access_denied_without_an_action_in_the_message_names_the_call(sestui_aws, sandbox):
    sandbox.faults.fail_next("GetSendStatistics", "AccessDenied", message="Access Denied")
    assert str(failure(sestui_aws.ses.send_statistics)) == \
        "access denied: the credentials lack IAM permission ses:GetSendStatistics"


def test_queue_that_does_not_exist(sestui_aws, sandbox):
    missing = sandbox.info.queue_url.rsplit("/", 1)[0] + "/no-such-queue"
    expected = "the SQS queue does not exist (check --queue-url and --region; `sestui setup` creates one)"
    for call in (lambda: sestui_aws.sqs.receive(missing, wait_seconds=0), lambda: sestui_aws.sqs.depth(missing)):
        error = failure(call)
        assert str(error) == expected and error.kind == "no_queue"


def test_throttling_surfaces_after_four_attempts(sestui_aws, sandbox, no_backoff):
    sandbox.faults.fail_next("GetSendStatistics", "Throttling", times=4)
    error = failure(sestui_aws.ses.send_statistics)
    assert str(error) == "throttled by AWS on ses:GetSendStatistics; backing off"
    assert (error.kind, error.retryable) == ("throttled", True)
    assert sandbox.faults.pending() == 0  # exactly four attempts were made
    assert sestui_aws.ses.send_statistics() is not None  # and the next call goes through


def test_unreachable_endpoint(sandbox):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    aws = Aws(region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
    error = failure(aws.sqs.receive, f"http://127.0.0.1:{port}/123456789012/q", wait_seconds=0)
    assert str(error) == f"cannot reach http://127.0.0.1:{port}/ (sqs:ReceiveMessage)"
    assert (error.kind, error.retryable) == ("unreachable", True)


def test_endpoint_without_a_scheme_is_an_aws_error():
    error = failure(Aws(endpoint_url="localhost:4566").caller_account)
    assert str(error) == "Invalid endpoint: localhost:4566 (give the endpoint URL as http(s)://host:port)"
    assert error.kind == "rejected"


def test_expired_token(sestui_aws, sandbox):
    sandbox.faults.fail_next("GetCallerIdentity", "ExpiredToken", status=400,
                             message="The security token included in the request is expired")
    error = failure(sestui_aws.caller_account)
    assert str(error) == "AWS rejected the credentials (ExpiredToken): refresh them (`aws sso login` or new keys)"
    assert (error.kind, error.code) == ("credentials", "ExpiredToken")
