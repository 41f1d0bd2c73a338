"""`sestui doctor` and the doctor pane against sandbox accounts wired by `sestui setup`: a sound
wiring passes every check and the round trip; each broken piece gets its FAIL or WARN and its fix."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

from sestui import cli
from sestui.ops import setup as wiring
from sestui.ops.setup_apply import Setup
from sestui.aws import Aws
from sestui.aws.signatures import SnsVerifier
from sestui.config.settings import load
from sestui.ops.build import build_collector
from sestui.ops.collector import Collector, CollectorOptions
from sestui.ops.doctor import FAIL, OK, SKIP, WARN, Doctor, DoctorOptions

import sestui.sandbox as sandbox_module  # noqa: E402

IDENTITY = "mail.example.test"
QUIET = dict(open_share=0.0, click_share=0.0, delay_share=0.0)


def start_sandbox():
    box = sandbox_module.Sandbox(wiring=False, delay_scale=0.01, seed=11,
                                 engagement=sandbox_module.Engagement(**QUIET))
    box.start()
    return box


pytestmark = pytest.mark.usefixtures("isolated_environment")


@pytest.fixture(scope="module")
def account(clients_for):
    """One sandbox account for the module: topic, configuration set and identity made by setup;
    each test then adds its own queue (SNS copies every record to each), so tests don't share one."""
    box = start_sandbox()
    box.aws = Aws(region=box.region, endpoint_url=box.endpoint_url)
    box.clients = clients_for(box.endpoint_url, box.region)
    yield box
    box.stop()


_queues = iter(range(1, 10_000))


@pytest.fixture
def queue(account) -> str:
    """A fresh operator queue, wired by setup."""
    request = wiring.Request(IDENTITY, queue=f"ops-{next(_queues)}")
    current = wiring.survey(account.aws, request)
    Setup(account.aws, request, current).apply(wiring.plan(request, current))
    return current.queue_url


def diagnose(account, store, queue_url, **options) -> dict:
    options.setdefault("send", False)
    options.setdefault("timeout", 10)
    doctor = Doctor(account.aws, store, DoctorOptions(queue_url=queue_url, identity=IDENTITY,
                                                      configuration_set="sestui", **options))
    return {check.name: check for check in doctor.run()}


def statuses(checks: dict) -> dict[str, str]:
    return {name: check.status for name, check in checks.items()}


def queue_arn(account, queue_url: str) -> str:
    return account.aws.sqs.attributes(queue_url)["QueueArn"]


def subscription_arn(account, queue_url: str) -> str:
    topic = account.aws.sns.find_topic(wiring.DEFAULT_TOPIC)
    return wiring.find_subscription(account.aws, topic, queue_arn(account, queue_url))["SubscriptionArn"]


# --- the sound wiring ---------------------------------------------------------------------------------


def test_setup_then_doctor_from_an_empty_account_is_all_ok(capsys, tmp_path):
    box = start_sandbox()
    try:
        where = ["--endpoint-url", box.endpoint_url, "--region", box.region]
        assert cli.main(["setup", "--identity", IDENTITY, *where]) == 0
        status = cli.main(["doctor", "--timeout", "20", *where])
        out = capsys.readouterr().out
    finally:
        box.stop()
    assert status == 0, out
    lines = out.splitlines()[out.splitlines().index("next: sestui doctor") + 1:]
    assert len(lines) == len(Doctor.CHECKS) + 1
    assert all(line.startswith("OK ") for line in lines[:-1]), out
    assert "round trip          Delivery of " in out and "(read from the queue)" in out
    assert lines[-1].startswith(f"{len(Doctor.CHECKS)} OK | queue ")


def test_round_trip_stores_what_it_reads_on_the_way(account, store, queue):
    other = account.clients.sesv2.send_email(
        FromEmailAddress=f"shop@{IDENTITY}", Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "waiting"}, "Body": {"Text": {"Data": "x"}}}},
        ConfigurationSetName="sestui")["MessageId"]
    assert account.wait_idle(10)
    checks = diagnose(account, store, queue, send=True)
    assert checks["round trip"].status == OK, checks["round trip"]
    assert "read from the queue" in checks["round trip"].detail
    assert {e["event_type"] for e in store.timeline(other)} == {"send", "delivery"}  # nothing lost
    assert account.aws.sqs.depth(queue)["visible"] == 0
    assert checks["last event"].status == OK


def test_round_trip_watches_the_database_while_a_collector_reads_the_queue(account, store, queue):
    options = CollectorOptions(queue_url=queue, receivers=1, wait_seconds=1, account_interval=3600,
                               stats_interval=3600, status_interval=0.1)
    collector = Collector(account.aws, store, options)
    collector.start()
    try:
        deadline = time.monotonic() + 10
        while not store.collector_states() and time.monotonic() < deadline:
            time.sleep(0.05)
        checks = diagnose(account, store, queue, send=True)
    finally:
        collector.stop(timeout=3)
    assert checks["collector"].status == OK
    assert checks["round trip"].status == OK, checks["round trip"]
    assert "stored by the running collector" in checks["round trip"].detail
    assert collector.stats.received >= 2  # the collector, not the doctor, took the records


def unreachable(url: str) -> bytes:
    """The certificate host does not answer: a real refused connection on the loopback."""
    with urllib.request.urlopen("https://127.0.0.1:9/cert.pem", timeout=2) as resp:
        return resp.read()


@pytest.mark.parametrize("built", [False, True], ids=["verify", "build_collector"])
def test_round_trip_with_an_unreachable_certificate_leaves_the_messages_in_the_queue(account, store, queue, built,
                                                                                      tmp_path, monkeypatch):
    verify = SnsVerifier(fetch=unreachable, endpoint_url=account.aws.endpoint_url)  # the sandbox serves its certificate
    options = DoctorOptions(queue_url=queue, identity=IDENTITY, configuration_set="sestui", send=True, timeout=6,
                            verify_signatures=True)
    if built:  # as `sestui doctor` builds it: the collector of the settings, with their verifier
        (tmp_path / "v.toml").write_text("verify_signatures = true\n")
        monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "v.toml"))
        collector = build_collector(load(), account.aws, store, options=CollectorOptions(queue))
        collector.verify = verify  # the settings' verifier, on an unreachable certificate host
        doctor = Doctor(account.aws, store, options, collector=collector)
    else:
        doctor = Doctor(account.aws, store, options, verify=verify)
    checks = {check.name: check for check in doctor.run()}

    trip = checks["round trip"]
    assert trip.status == FAIL and "could not get the SNS signing certificate" in trip.detail, trip
    assert store.quarantined() == [] and store.count("events") == 0
    depth = account.aws.sqs.depth(queue)
    assert depth["visible"] + depth["in_flight"] >= 2  # the Send and the Delivery, still there


# --- each broken piece ----------------------------------------------------------------------------------


def test_missing_queue_policy_fails_with_the_setup_fix(account, store, queue):
    account.clients.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    checks = diagnose(account, store, queue)
    policy = checks["queue policy"]
    assert policy.status == FAIL and policy.detail == "the queue has no policy: SNS cannot deliver to it"
    assert policy.fix.startswith(f"sestui setup --identity {IDENTITY} --queue ops-")
    assert "aws:SourceArn" in policy.fix
    assert [n for n, c in checks.items() if c.status == FAIL] == ["queue policy", "last event"]


def test_policy_for_another_topic_fails(account, store, queue):
    other = json.loads(wiring.policy_with_topic(None, queue_arn(account, queue), "arn:aws:sns:us-east-1:1:other"))
    account.clients.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(other)})
    check = diagnose(account, store, queue)["queue policy"]
    assert check.status == FAIL and check.detail == "the policy does not allow topic sestui-events to send"


def test_raw_delivery_warns_and_events_still_arrive(account, store, queue):
    arn = subscription_arn(account, queue)
    account.clients.sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery",
                                                    AttributeValue="true")
    checks = diagnose(account, store, queue, send=True)
    raw = checks["raw delivery"]
    assert raw.status == WARN and raw.detail.startswith("on: bodies arrive without the SNS envelope")
    assert raw.fix.startswith(f"aws sns set-subscription-attributes --subscription-arn {arn} "
                              "--attribute-name RawMessageDelivery --attribute-value false")
    assert checks["round trip"].status == OK  # sestui reads the raw shape too
    assert FAIL not in statuses(checks).values()

    strict = diagnose(account, store, queue, verify_signatures=True)["raw delivery"]
    assert strict.status == FAIL and "verify_signatures rejects every one" in strict.detail


def test_disabled_destination_fails_and_no_mail_is_sent(account, store, queue):
    sesv2 = account.clients.sesv2
    [destination] = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="sestui")["EventDestinations"]
    definition = {k: destination[k] for k in ("MatchingEventTypes", "SnsDestination")}
    sesv2.update_configuration_set_event_destination(ConfigurationSetName="sestui",
                                                     EventDestinationName=destination["Name"],
                                                     EventDestination={**definition, "Enabled": False})
    try:
        sent_before = account.aws.ses.account_status().sent_last_24_hours
        checks = diagnose(account, store, queue, send=True)
        sent_after = account.aws.ses.account_status().sent_last_24_hours
    finally:
        sesv2.update_configuration_set_event_destination(ConfigurationSetName="sestui",
                                                         EventDestinationName=destination["Name"],
                                                         EventDestination={**definition, "Enabled": True})
    check = checks["event destination"]
    assert check.status == FAIL and check.detail == "sestui/sestui-events is disabled: SES publishes nothing through it"
    assert check.fix.startswith(f"sestui setup --identity {IDENTITY}")
    assert checks["round trip"] == checks["round trip"].__class__(
        "round trip", SKIP, "not sent: fix the failures above first")
    assert sent_after == sent_before


def test_deleted_subscription_fails_and_dependent_checks_skip(account, store, queue):
    account.clients.sns.unsubscribe(SubscriptionArn=subscription_arn(account, queue))
    topic = account.aws.sns.find_topic(wiring.DEFAULT_TOPIC)
    checks = diagnose(account, store, queue, topic_arn=topic)
    assert checks["subscription"].status == FAIL
    assert checks["subscription"].detail == "the queue is not subscribed to topic sestui-events"
    assert checks["subscription"].fix.startswith("sestui setup --identity")
    assert checks["raw delivery"].status == SKIP
    # Without a configured topic nothing points at one: the doctor says so rather than guessing.
    unknown = diagnose(account, store, queue)
    assert unknown["subscription"].detail == "no SNS topic delivers to this queue"


def test_pending_confirmation_is_named(account, store, queue, monkeypatch):
    topic = account.aws.sns.find_topic(wiring.DEFAULT_TOPIC)
    pending = [{"SubscriptionArn": "PendingConfirmation", "Protocol": "sqs", "TopicArn": topic,
                "Endpoint": queue_arn(account, queue)}]
    monkeypatch.setattr(account.aws.sns, "subscriptions", lambda arn: pending)
    check = diagnose(account, store, queue, topic_arn=topic)["subscription"]
    assert check.status == FAIL and check.detail == "the subscription to sestui-events is pending confirmation"
    assert "SubscribeURL" in check.fix


def test_no_events_in_the_database_fails(account, store, queue):
    checks = diagnose(account, store, queue)
    assert checks["round trip"].status == SKIP and checks["round trip"].detail == "not sent (--no-send)"
    last = checks["last event"]
    assert last.status == FAIL and last.detail == f"no events stored in {store.path}"
    assert "sestui collect" in last.fix
    assert [n for n, c in checks.items() if c.status not in (OK, SKIP)] == ["last event"]


def test_dead_letter_queue_with_messages_warns(account, store, queue):
    dlq = account.clients.sqs.get_queue_url(QueueName=queue.rsplit("/", 1)[1] + "-dlq")["QueueUrl"]
    account.clients.sqs.send_message(QueueUrl=dlq, MessageBody="{}")
    check = diagnose(account, store, queue)["dead-letter queue"]
    assert check.status == WARN and "holds 1 message" in check.detail
    assert "aws sqs start-message-move-task --source-arn arn:aws:sqs:" in check.fix


def test_no_dead_letter_queue_warns(account, store, queue):
    account.clients.sqs.set_queue_attributes(QueueUrl=queue, Attributes={
        "RedrivePolicy": "", "Policy": account.aws.sqs.attributes(queue)["Policy"]})
    check = diagnose(account, store, queue)["dead-letter queue"]
    assert check.status == WARN and check.detail.startswith("none:")


def test_default_configuration_set_of_another_name_warns(account, store, queue):
    account.clients.sesv2.create_configuration_set(ConfigurationSetName="marketing")
    account.clients.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=IDENTITY,
                                                                          ConfigurationSetName="marketing")
    try:
        check = diagnose(account, store, queue)["default config set"]
    finally:
        account.clients.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=IDENTITY,
                                                                              ConfigurationSetName="sestui")
    assert check.status == WARN and check.detail.startswith(f"{IDENTITY}'s default is marketing")
    assert "--configuration-set sestui" in check.fix


def test_queue_in_another_region_fails_with_the_region_to_use(account, store):
    checks = diagnose(account, store, f"https://sqs.eu-west-1.amazonaws.com/{account.account_id}/ops")
    assert checks["region"].status == FAIL
    assert checks["region"].detail == "the queue is in eu-west-1 but sestui uses us-east-1"
    assert checks["region"].fix.startswith("pass --region eu-west-1")
    assert checks["queue"].status == SKIP  # one cause, one FAIL


def test_bad_credentials_fail_once_and_skip_the_rest(account, store, queue):
    account.faults.fail_next("GetCallerIdentity", "ExpiredToken", service="sts")
    checks = diagnose(account, store, queue)
    assert checks["credentials"].status == FAIL and "aws sso login" in checks["credentials"].fix
    assert {c.status for n, c in checks.items() if n != "credentials"} == {SKIP}


def test_an_unreachable_aws_is_said_as_the_reason_for_the_skips(store, queue):
    """Not credentials: with nothing listening at the endpoint, what the other checks wait for is AWS."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    gone = Aws(region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
    doctor = Doctor(gone, store, DoctorOptions(queue_url=queue, identity=IDENTITY, configuration_set="sestui",
                                               send=False, timeout=5))
    checks = {check.name: check for check in doctor.run()}
    assert checks["credentials"].status == FAIL and "--endpoint-url" in checks["credentials"].fix
    skipped = {c.detail for n, c in checks.items() if n != "credentials"}
    assert skipped == {"needs AWS to answer (unreachable, above)"}


def test_a_denied_call_names_the_permission(account, store, queue):
    account.faults.fail_next("GetQueueAttributes", "AccessDenied", service="sqs")
    check = diagnose(account, store, queue)["queue"]
    assert check.status == FAIL and check.fix == "grant these credentials the IAM permission sqs:GetQueueAttributes"


def test_doctor_cli_exit_status_and_fix_lines(account, queue, capsys):
    account.clients.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    status = cli.main(["doctor", "--no-send", "--queue-url", queue, "--identity", IDENTITY,
                       "--endpoint-url", account.endpoint_url, "--region", account.region])
    out = capsys.readouterr().out
    assert status == 1
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FAIL    queue policy"))
    assert lines[at + 1].startswith(" " * 28 + "fix: sestui setup --identity")
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


# --- the pane --------------------------------------------------------------------------------------------


def run_pane(ctx, scenario, size=(100, 30)):
    from sestui.ui.app import SestuiApp

    async def main():
        app = SestuiApp(ctx, tick_seconds=3600)
        async with app.run_test(size=size) as pilot:
            await pilot.press("6")
            await scenario(app, pilot)
    asyncio.run(main())


async def finished(app, pilot, timeout: float = 20.0):
    pane = app.pane("doctor")
    deadline = time.monotonic() + timeout
    while (pane.running is not None or not pane.checks) and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()
    return pane


def pane_context(account, store, queue, **kwargs):
    from sestui.ui.app import ConsoleContext

    return ConsoleContext(store=store, aws=account.aws, queue_url=queue, configuration_set="sestui", **kwargs)


def test_pane_lists_the_checks_and_shows_the_fix_of_the_first_problem(account, store, queue):
    account.clients.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})

    async def scenario(app, pilot):
        pane = await finished(app, pilot)
        assert pane.table.row_count == len(Doctor.CHECKS)
        assert pane.table.selected_key() == "queue policy"
        fix = str(pane.query_one("#doc-fix").render())
        assert "the queue has no policy" in fix and "fix: sestui setup --identity" in fix
        status = str(pane.query_one("#doc-status").render())
        assert "2 FAIL" in status and f"identity {IDENTITY}" in status
        assert pane.checks["round trip"].detail == "not sent (t sends one test message)"

    run_pane(pane_context(account, store, queue), scenario)


def test_pane_round_trip_asks_first_then_sends(account, store, queue):
    from sestui.ui.screens.confirm import ConfirmScreen

    async def scenario(app, pilot):
        pane = await finished(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        pane = await finished(app, pilot)
        assert pane.checks["round trip"].status == OK, pane.checks["round trip"]

    run_pane(pane_context(account, store, queue), scenario)


def test_pane_hides_the_round_trip_when_read_only(account, store, queue):
    from sestui.ui.screens.confirm import ConfirmScreen

    async def scenario(app, pilot):
        pane = await finished(app, pilot)
        assert pane.check_action("round_trip", ()) is False
        assert pane.check_action("run", ()) is True
        await pilot.press("t")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "t round trip" not in str(pane.query_one("#doc-status").render())

    run_pane(pane_context(account, store, queue, read_only=True), scenario)


def test_pane_without_aws_says_so(store):
    from sestui.ui.app import ConsoleContext

    async def scenario(app, pilot):
        await pilot.pause()
        pane = app.pane("doctor")
        assert str(pane.query_one("#doc-status").render()) == "No AWS connection: the doctor needs AWS credentials."
        assert pane.table.row_count == 0

    run_pane(ConsoleContext(store=store, aws=None), scenario)


def test_a_refused_account_read_is_reported_once(account, store, queue):
    account.faults.fail_next("GetAccount", "AccessDeniedException", service="sesv2")
    checks = diagnose(account, store, queue)
    assert checks["account"].status == FAIL and checks["account"].fix.endswith("ses:GetAccount")
    assert checks["sandbox mode"].status == SKIP


# --- reputation metrics and VDM ---------------------------------------------------------------------


def test_reputation_metrics_off_warns_and_names_setup(account, store, queue):
    checks = diagnose(account, store, queue)
    assert checks["reputation metrics"].status == OK and "on" in checks["reputation metrics"].detail
    account.clients.sesv2.put_configuration_set_reputation_options(ConfigurationSetName="sestui",
                                                                   ReputationMetricsEnabled=False)
    try:
        checks = diagnose(account, store, queue)
        check = checks["reputation metrics"]
        assert check.status == WARN and "off" in check.detail and "sestui setup" in check.fix
    finally:
        account.clients.sesv2.put_configuration_set_reputation_options(ConfigurationSetName="sestui",
                                                                       ReputationMetricsEnabled=True)


def test_the_doctor_reports_vdm_on_or_off(account, store, queue):
    check = diagnose(account, store, queue)["VDM"]
    assert check.status == OK and "off" in check.detail and "put-account-vdm-attributes" in check.detail
    account.clients.sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})
    try:
        check = diagnose(account, store, queue)["VDM"]
        assert check.status == OK and " on" in check.detail and "put-account" not in check.detail
    finally:
        account.clients.sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "DISABLED"})
