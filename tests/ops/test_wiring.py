"""`sestui setup`: the plan (pure), queue policies, the config-file writer, and setup against empty
and half-configured sandbox accounts."""

from __future__ import annotations

import json
import stat

import pytest

from sestui import cli
from sestui.config import file as configfile
from sestui.ops import setup as wiring
from sestui.ops.setup import CHANGE, CREATE, EXISTS, KEEP, Current, Request

import sestui.sandbox as sandbox_module  # noqa: E402

QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:sestui-ana"
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:sestui-events"
IDENTITY = "mail.example.test"


pytestmark = pytest.mark.usefixtures("isolated_environment")


# --- queue policies -------------------------------------------------------------------------------


def statement(**overrides) -> dict:
    st = {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
          "Resource": QUEUE_ARN, "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}}}
    st.update(overrides)
    return {k: v for k, v in st.items() if v is not None}


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize("st, verdict", [
    (statement(), "topic"),
    (statement(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:sestui-*"}}), "topic"),
    (statement(Condition={"StringEquals": {"aws:SourceArn": [TOPIC_ARN]}}), "topic"),
    (statement(Principal="*", Action=["sqs:*"]), "topic"),
    (statement(Principal={"AWS": "*"}, Resource="*"), "topic"),
    (statement(Action="SQS:SendMessage"), "topic"),
    (statement(Condition=None), "any"),
    (statement(Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}}), "any"),
    (statement(Condition={"ArnEquals": {"aws:SourceArn": TOPIC_ARN + "-other"}}), "no"),
    (statement(Effect="Deny"), "no"),
    (statement(Action="sqs:ReceiveMessage"), "no"),
    (statement(Principal={"Service": "s3.amazonaws.com"}), "no"),
    (statement(Resource="arn:aws:sqs:us-east-1:111122223333:another-queue"), "no"),
])
def test_policy_admits_reads_the_statement_shapes_people_write(st, verdict):
    assert wiring.policy_admits(policy(st), QUEUE_ARN, TOPIC_ARN) == verdict


@pytest.mark.parametrize("text", [None, "", "not json", "[]", json.dumps({"Statement": "x"})])
def test_policy_admits_nothing_when_the_policy_is_missing_or_junk(text):
    assert wiring.policy_admits(text, QUEUE_ARN, TOPIC_ARN) == "no"


def test_policy_with_topic_keeps_other_statements_and_replaces_only_its_own():
    other = {"Sid": "ops", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "sqs:*", "Resource": QUEUE_ARN}
    first = wiring.policy_with_topic(policy(other), QUEUE_ARN, TOPIC_ARN)
    assert wiring.policy_admits(first, QUEUE_ARN, TOPIC_ARN) == "topic"
    again = wiring.policy_with_topic(first, QUEUE_ARN, TOPIC_ARN)
    statements = json.loads(again)["Statement"]
    assert statements[0] == other and len(statements) == 2


# --- the plan (pure) --------------------------------------------------------------------------------


def complete_state() -> Current:
    """An account where everything of the request is in place."""
    return Current(
        account="111122223333", region="us-east-1", identity_status="Success", identity_default_set="sestui",
        notifications={**{f"{k}Topic": TOPIC_ARN for k in wiring.NOTIFICATION_TYPES},
                       **{f"HeadersIn{k}NotificationsEnabled": True for k in wiring.NOTIFICATION_TYPES}},
        topic_arn=TOPIC_ARN, topic_exists=True, queue_url="https://sqs.example/111122223333/sestui-ana",
        queue_arn=QUEUE_ARN,
        queue_attributes={"Policy": policy(statement()), "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": QUEUE_ARN + "-dlq", "maxReceiveCount": 5})},
        dlq_name="sestui-ana-dlq", dlq_url="https://sqs.example/111122223333/sestui-ana-dlq", dlq_arn=QUEUE_ARN + "-dlq",
        subscription={"SubscriptionArn": TOPIC_ARN + ":abc", "PendingConfirmation": "false",
                      "RawMessageDelivery": "false"},
        configuration_set_exists=True, reputation_metrics=True,
        destinations=[{"Name": "sestui-events", "Enabled": True, "MatchingEventTypes": list(wiring.ALL_EVENT_TYPES),
                       "SnsDestination": {"TopicArn": TOPIC_ARN}}],
    )


def actions(steps) -> dict[str, str]:
    return {s.key: s.action for s in steps}


REQUEST = Request(IDENTITY, queue="sestui-ana", identity_notifications=True)


def test_plan_for_an_empty_account_creates_every_piece():
    cur = Current(account="111122223333", region="us-east-1", topic_arn=TOPIC_ARN, queue_arn=QUEUE_ARN,
                  dlq_name="sestui-ana-dlq")
    steps = wiring.plan(REQUEST, cur)
    assert [s.key for s in steps] == ["identity", "topic", "dlq", "queue", "policy", "subscription",
                                      "configuration_set", "reputation_metrics", "destination", "default_set",
                                      "notifications"]
    assert set(actions(steps).values()) == {CREATE}


def test_plan_for_a_complete_account_changes_nothing():
    steps = wiring.plan(REQUEST, complete_state())
    assert set(actions(steps).values()) == {EXISTS}
    assert wiring.changes(steps) == []


@pytest.mark.parametrize("breakage, key, action, words", [
    (lambda c: c.subscription.update(RawMessageDelivery="true"), "subscription", CHANGE, "raw delivery on -> off"),
    (lambda c: c.subscription.update(PendingConfirmation="true"), "subscription", KEEP, "pending confirmation"),
    (lambda c: c.destinations[0].update(Enabled=False), "destination", CHANGE, "disabled -> enabled"),
    (lambda c: c.destinations[0].update(MatchingEventTypes=["BOUNCE"]), "destination", CHANGE, "+ SEND, REJECT"),
    (lambda c: c.queue_attributes.pop("Policy"), "policy", CREATE, "aws:SourceArn"),
    (lambda c: c.queue_attributes.update(Policy=policy(statement(Condition=None))), "policy", CHANGE, "admitted any"),
    (lambda c: c.queue_attributes.pop("RedrivePolicy"), "queue", CHANGE, "redrive"),
    (lambda c: setattr(c, "identity_default_set", "marketing"), "default_set", KEEP,
     "--configuration-set sestui"),
    (lambda c: setattr(c, "identity_default_set", None), "default_set", CREATE, "identity's default"),
    (lambda c: setattr(c, "identity_status", "Pending"), "identity", KEEP, "TXT record _amazonses"),
    (lambda c: setattr(c, "identity_status", "Failed"), "identity", CHANGE, "start it again"),
    (lambda c: c.notifications.pop("BounceTopic"), "notifications", CHANGE, "Bounce to the topic"),
    (lambda c: setattr(c, "reputation_metrics", False), "reputation_metrics", CHANGE, "off -> on"),
])
def test_plan_names_each_broken_piece(breakage, key, action, words):
    cur = complete_state()
    breakage(cur)
    steps = {s.key: s for s in wiring.plan(REQUEST, cur)}
    assert steps[key].action == action
    assert words in steps[key].detail
    assert [s.key for s in steps.values() if s.action != EXISTS] == [key]


def test_default_queue_names_are_per_operator(monkeypatch):
    monkeypatch.setattr(wiring.getpass, "getuser", lambda: "ana.lopez@corp")
    assert wiring.default_queue_name() == "sestui-ana-lopez-corp"


# --- the config-file writer ----------------------------------------------------------------------

HAND_WRITTEN = """\
# sestui settings (edited by hand)
profile = "prod"   # the bastion's profile
queue_url = "https://old.example/q"  # old queue

[keymap]
"flow.filter" = "f"   # like less

[policies]
complaint = "on"
"""


def test_config_update_replaces_and_adds_keys_keeping_everything_else(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(HAND_WRITTEN)
    path.chmod(0o640)
    changed = configfile.update(path, {"queue_url": "https://sqs.example/new", "region": "eu-west-1"},
                                {"wiring": {"identity": IDENTITY}, "policies": {"hard_bounce": "on"}})
    assert changed == ["queue_url", "region", "wiring.identity", "policies.hard_bounce"]
    text = path.read_text()
    assert 'queue_url = "https://sqs.example/new"  # old queue' in text
    assert '# sestui settings (edited by hand)\nprofile = "prod"   # the bastion\'s profile\n' in text
    assert '"flow.filter" = "f"   # like less' in text
    assert text.index('region = "eu-west-1"') < text.index("[keymap]")
    assert text.index('hard_bounce = "on"') > text.index("[policies]")
    assert text.rstrip().endswith('[wiring]\nidentity = "mail.example.test"')
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert configfile.update(path, {"region": "eu-west-1"}) == []


def test_config_update_creates_a_private_file_and_escapes_values(tmp_path):
    path = tmp_path / "new" / "config.toml"
    odd = 'C:\\path "quoted"\x1b[31m'
    configfile.update(path, {"queue_url": odd})
    import tomllib
    assert tomllib.loads(path.read_text())["queue_url"] == odd
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_config_update_refuses_what_it_cannot_edit_safely(tmp_path):
    path = tmp_path / "config.toml"
    # tomlkit edits what the old line editor refused (a multi-line string), keeping the rest.
    path.write_text('# mine\nqueue_url = """\nhttps://sqs.example/multi-line\n"""\n')
    assert configfile.update(path, {"queue_url": "https://new"}) == ["queue_url"]
    assert path.read_text() == '# mine\nqueue_url = "https://new"\n'
    # [[wiring]] is an array of tables: a key cannot be set in it.
    original = '[[wiring]]\nidentity = "a"\n'
    path.write_text(original)
    with pytest.raises(configfile.ConfigWriteError, match='set by hand: wiring.identity = "b"'):
        configfile.update(path, {}, {"wiring": {"identity": "b"}})
    assert path.read_text() == original
    path.write_text("queue_url = [broken")
    with pytest.raises(configfile.ConfigWriteError, match="invalid TOML"):
        configfile.update(path, {"queue_url": "https://new"})


# --- setup against the sandbox ----------------------------------------------------------------------


@pytest.fixture
def empty_account(clients_for):
    box = sandbox_module.Sandbox(wiring=False, delay_scale=0.01, seed=7,
                                 engagement=sandbox_module.Engagement(open_share=0, click_share=0, delay_share=0))
    box.start()
    yield box, clients_for(box.endpoint_url, box.region)
    box.stop()


def run_cli(capsys, box, *args) -> tuple[int, str]:
    status = cli.main([*args, "--endpoint-url", box.endpoint_url, "--region", box.region])
    out, err = capsys.readouterr()
    return status, out + err


def resources(aws) -> dict:
    """Everything setup may create or change, as plain data."""
    queues = sorted(aws.sqs.list_queues().get("QueueUrls", []))
    sets = sorted(aws.sesv2.list_configuration_sets()["ConfigurationSets"])
    identities = sorted(aws.ses.list_identities()["Identities"])
    subscriptions = aws.sns.list_subscriptions()["Subscriptions"]
    return {
        "topics": sorted(t["TopicArn"] for t in aws.sns.list_topics()["Topics"]),
        "queues": {url: aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "RedrivePolicy"])
                   .get("Attributes", {}) for url in queues},
        "subscriptions": sorted((s["TopicArn"], s["Endpoint"], json.dumps(aws.sns.get_subscription_attributes(
            SubscriptionArn=s["SubscriptionArn"])["Attributes"], sort_keys=True)) for s in subscriptions),
        "destinations": {name: aws.sesv2.get_configuration_set_event_destinations(ConfigurationSetName=name)
                         ["EventDestinations"] for name in sets},
        "identities": {name: (aws.sesv2.get_email_identity(EmailIdentity=name).get("ConfigurationSetName"),
                              aws.ses.get_identity_notification_attributes(Identities=[name])
                              ["NotificationAttributes"].get(name)) for name in identities},
    }


def test_setup_from_nothing_then_again_changes_nothing(empty_account, capsys, tmp_path):
    box, aws = empty_account
    status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--queue", "ops-ana")
    assert status == 0, out
    assert sum(line.startswith("created ") for line in out.splitlines()) == 10 and "10 created or changed" in out

    state = resources(aws)
    topic = f"arn:aws:sns:{box.region}:{box.account_id}:sestui-events"
    queue_url = next(url for url in state["queues"] if url.endswith("/ops-ana"))
    queue_arn = f"arn:aws:sqs:{box.region}:{box.account_id}:ops-ana"
    assert state["topics"] == [topic]
    attributes = state["queues"][queue_url]
    assert wiring.policy_admits(attributes["Policy"], queue_arn, topic) == "topic"
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": queue_arn + "-dlq", "maxReceiveCount": 5}
    [(sub_topic, endpoint, sub_attributes)] = state["subscriptions"]
    assert (sub_topic, endpoint) == (topic, queue_arn)
    assert json.loads(sub_attributes)["RawMessageDelivery"] == "false"
    [destination] = state["destinations"]["sestui"]
    assert destination["Enabled"] and destination["SnsDestination"]["TopicArn"] == topic
    assert set(destination["MatchingEventTypes"]) == set(wiring.ALL_EVENT_TYPES)
    assert state["identities"][IDENTITY][0] == "sestui"
    assert aws.sesv2.get_configuration_set(ConfigurationSetName="sestui")["ReputationOptions"][
        "ReputationMetricsEnabled"] is True
    assert "created reputation metrics" in out

    import tomllib
    config = tomllib.loads((tmp_path / "config.toml").read_text())
    assert config["queue_url"] == queue_url and config["endpoint_url"] == box.endpoint_url
    assert config["wiring"] == {"identity": IDENTITY, "configuration_set": "sestui", "topic_arn": topic}

    status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--queue", "ops-ana")
    assert status == 0, out
    assert "nothing to change" in out and "already up to date" in out
    assert all(line.startswith("exists ") for line in out.splitlines()[1:11]), out
    assert resources(aws) == state


def test_dry_run_prints_the_plan_and_touches_nothing(empty_account, capsys, tmp_path):
    box, aws = empty_account
    aws.sns.create_topic(Name="sestui-events")
    before = resources(aws)
    status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--dry-run", "--identity-notifications")
    assert status == 0, out
    assert "dry run: nothing is changed" in out and "10 to create or change" in out
    assert "exists  topic" in out and "create  queue policy" in out
    assert resources(aws) == before
    assert not (tmp_path / "config.toml").exists()


def test_setup_adopts_a_half_configured_account(empty_account, capsys):
    box, aws = empty_account
    aws.ses.verify_domain_identity(Domain=IDENTITY)
    aws.sesv2.create_configuration_set(ConfigurationSetName="marketing")
    aws.sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=IDENTITY, ConfigurationSetName="marketing")
    topic = aws.sns.create_topic(Name="ses-feed")["TopicArn"]
    queue_url = aws.sqs.create_queue(QueueName="ops-ana")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    admin = {"Sid": "admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{box.account_id}:root"},
             "Action": "sqs:*", "Resource": queue_arn}
    aws.sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy(admin)})
    aws.sesv2.create_configuration_set(ConfigurationSetName="sestui")
    aws.sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="sestui", EventDestinationName="legacy",
        EventDestination={"Enabled": False, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
                          "SnsDestination": {"TopicArn": topic}})

    status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--topic", "ses-feed", "--queue", "ops-ana",
                          "--dry-run")
    lines = {line[8:26].strip(): line[:7].strip() for line in out.splitlines()[1:11]}
    assert lines == {"identity": "exists", "topic": "exists", "dead-letter queue": "create", "queue": "change",
                     "queue policy": "change", "subscription": "create", "configuration set": "exists",
                     "reputation metrics": "change",
                     "event destination": "change", "default config set": "keep"}, out
    assert "the identity's default is marketing" in out

    status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--topic", "ses-feed", "--queue", "ops-ana")
    assert status == 0, out
    state = resources(aws)
    statements = json.loads(state["queues"][queue_url]["Policy"])["Statement"]
    assert statements[0] == admin and wiring.policy_admits(json.dumps({"Statement": statements}), queue_arn, topic) == "topic"
    [legacy] = state["destinations"]["sestui"]
    assert legacy["Name"] == "legacy" and legacy["Enabled"]
    assert set(legacy["MatchingEventTypes"]) == set(wiring.ALL_EVENT_TYPES)
    assert state["identities"][IDENTITY][0] == "marketing"  # an existing default is never replaced
    assert [(t, e) for t, e, _ in state["subscriptions"]] == [(topic, queue_arn)]


def test_identity_notifications_point_at_the_topic_with_headers(empty_account, capsys):
    box, aws = empty_account
    status, out = run_cli(capsys, box, "setup", "--identity", "ana@example.test", "--identity-notifications")
    assert status == 0, out
    attributes = aws.ses.get_identity_notification_attributes(Identities=["ana@example.test"])
    notes = attributes["NotificationAttributes"]["ana@example.test"]
    topic = f"arn:aws:sns:{box.region}:{box.account_id}:sestui-events"
    for kind in wiring.NOTIFICATION_TYPES:
        assert notes[f"{kind}Topic"] == topic and notes[f"HeadersIn{kind}NotificationsEnabled"]


def test_each_operator_gets_a_queue_and_every_record(empty_account, capsys, tmp_path):
    box, aws = empty_account
    for queue in ("ops-ana", "ops-bob"):
        status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--queue", queue)
        assert status == 0, out
    message_id = aws.sesv2.send_email(
        FromEmailAddress=f"shop@{IDENTITY}", Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "fan-out"}, "Body": {"Text": {"Data": "x"}}}})["MessageId"]
    assert box.wait_idle(10)
    for queue in ("ops-ana", "ops-bob"):
        url = aws.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        bodies = [m["Body"] for m in aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
                  .get("Messages", [])]
        kinds = {json.loads(json.loads(b)["Message"])["eventType"] for b in bodies if message_id in b}
        assert kinds == {"Send", "Delivery"}, queue


def test_setup_rejects_bad_names_in_one_line(capsys, empty_account):
    box, _ = empty_account
    status, out = run_cli(capsys, box, "setup", "--identity", IDENTITY, "--queue", "bad name!")
    assert status == 2 and out.strip() == "sestui: error: --queue 'bad name!': use up to 76 letters, digits, - and _"
    status, out = run_cli(capsys, box, "setup", "--identity", "localhost")
    assert status == 2 and "give a domain" in out
