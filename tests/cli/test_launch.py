"""Starting the console without usable credentials: one screen that says what to do, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from polling import wait_for

from sestui.aws import Aws
from sestui.cli import launch
from sestui.config.settings import load
from sestui.ops.build import build_collector
from sestui.ops.collector import CollectorOptions
from sestui.store import Store


def console(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-creds"),
           "SESTUI_CONFIG": str(tmp_path / "sestui.toml")}
    return subprocess.run([sys.executable, "-m", "sestui.cli", "--db", str(tmp_path / "e.db"), *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("args, reason", [
    (["--region", "us-east-1"], "no AWS credentials found"),
    (["--profile", "nosuch"], "AWS profile 'nosuch' not found"),
])
def test_missing_credentials_explain_themselves_on_one_screen(tmp_path, args, reason):
    proc = console(tmp_path, *args)
    assert proc.returncode == 1
    assert "sestui could not use your AWS credentials" in proc.stderr and reason in proc.stderr
    assert "sestui demo" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) < 24, "fits on one screen"


# --- the console's collector and the children around the console --------------------------------

_queues = iter(range(1, 100_000))


def forged_complaint(topic_arn: str, recipient: str) -> str:
    """A Complaint in an SNS envelope whose signature is made up and whose signing certificate
    would come from a host that is not SNS's."""
    record = {"eventType": "Complaint",
              "mail": {"timestamp": "2026-03-01T12:00:00.000Z", "messageId": "0100forged-complaint",
                       "source": "news@example.com", "destination": [recipient]},
              "complaint": {"timestamp": "2026-03-01T12:00:05.000Z", "feedbackId": "forged",
                            "complainedRecipients": [{"emailAddress": recipient}],
                            "complaintFeedbackType": "abuse"}}
    return json.dumps({"Type": "Notification", "MessageId": "5f9d3f7c-forged", "TopicArn": topic_arn,
                       "Subject": "Amazon SES Email Event Notification", "Message": json.dumps(record),
                       "Timestamp": "2026-03-01T12:00:06.000Z", "SignatureVersion": "1",
                       "Signature": "Zm9yZ2Vk" * 20,
                       "SigningCertURL": "https://sns.evil.com/SimpleNotificationService-forged.pem"})


@pytest.fixture
def verifying_config(tmp_path, monkeypatch):
    """A config file with signature verification and the complaint policy on; no SESTUI_* else."""
    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)
    path = tmp_path / "sestui.toml"
    path.write_text('verify_signatures = true\n\n[policies]\ncomplaint = "on"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(path))
    return path


def suppressed(aws, email: str) -> bool:
    try:
        aws.sesv2.get_suppressed_destination(EmailAddress=email)
    except aws.sesv2.exceptions.NotFoundException:
        return False
    return True


def test_the_consoles_collector_refuses_a_forged_complaint_exactly_like_sestui_collect(
        sandbox, aws, tmp_path, verifying_config):
    info = sandbox.info
    url = aws.sqs.create_queue(QueueName=f"forged-{next(_queues)}-{os.getpid()}")["QueueUrl"]
    body = forged_complaint(f"arn:aws:sns:{info.region}:{sandbox.account_id}:sestui-events", "ceo@example.com")
    settings = load()
    options = CollectorOptions(url, receivers=1, wait_seconds=1, account_interval=3600, stats_interval=3600)
    outcomes = {}
    for who in ("console", "collect"):
        # A queue each: a receive still long-polling when its collector is stopped can take the
        # next message for a visibility timeout (SQS and the sandbox alike).
        url = aws.sqs.create_queue(QueueName=f"forged-{next(_queues)}-{os.getpid()}")["QueueUrl"]
        options = CollectorOptions(url, receivers=1, wait_seconds=1, account_interval=3600, stats_interval=3600)
        db = tmp_path / f"{who}.db"
        target = launch.Target(None, info.region, info.endpoint_url, url, None, db)
        if who == "console":  # the collector the console runs, as launch.py starts it
            proc = launch.start_collector_process(target, options, settings)
        else:
            proc = subprocess.Popen([sys.executable, "-m", "sestui.cli", "collect", "--queue-url", url, "--db", str(db),
                                     "--endpoint-url", info.endpoint_url, "--region", info.region,
                                     "--wait-seconds", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            aws.sqs.send_message(QueueUrl=url, MessageBody=body)
            with Store(db) as store:
                quarantined = wait_for(store.quarantined, 30, f"{who} to quarantine the forged message")
                outcomes[who] = ([(q["body"], q["reason"]) for q in quarantined], store.count("events"),
                                 store.audit())
        finally:
            proc.terminate()
            proc.wait(10)
    assert outcomes["console"] == outcomes["collect"]
    (stored_body, reason), = outcomes["console"][0]
    assert stored_body == body and "sns.evil.com" in reason
    assert outcomes["console"][1:] == (0, [])
    assert not suppressed(aws, "ceo@example.com")

    # The console's in-process collector (the doctor's round trip) verifies the same way.
    with Store(tmp_path / "doctor.db") as store:
        collector = build_collector(settings, Aws(region=info.region, endpoint_url=info.endpoint_url), store,
                                    options=options)
        assert collector.verify is not None and collector.policies.active


PARENT = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from sestui.cli import launch
    from sestui.config.settings import load
    from sestui.ops.collector import CollectorOptions
    db = launch.demo_db_path()
    proc, info = launch.start_sandbox(0.0)
    target = launch.Target(None, info["region"], info["endpoint_url"], info["queue_url"], None, db)
    options = CollectorOptions(info["queue_url"], receivers=1, wait_seconds=1)
    child = launch.start_collector_process(target, options, load())
    print(json.dumps({"sandbox": proc.pid, "collector": child.pid, "db": str(db)}), flush=True)
    time.sleep(600)
""")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_console_or_demo_ends_its_children(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    parents = [subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        first, second = (json.loads(p.stdout.readline()) for p in parents)
        assert first["db"] != second["db"], "two demos share their database"
        with Store(first["db"]) as store:
            wait_for(lambda: any(r["queue_url"] for r in store.collector_states()), 30, "the collector to start")
        assert os.path.exists(first["db"]), "the second demo removed the first one's database"
        parents[0].send_signal(signal.SIGKILL)
        parents[0].wait()
        wait_for(lambda: not alive(first["sandbox"]) and not alive(first["collector"]), 5,
                 "the children of the killed parent to exit")
        assert alive(second["sandbox"]) and alive(second["collector"])
    finally:
        for p in parents:
            p.kill()
            p.wait()
    wait_for(lambda: not alive(second["sandbox"]) and not alive(second["collector"]), 5, "the other children")


def test_a_collector_child_that_cannot_start_says_why_in_the_feed(sandbox, tmp_path, monkeypatch):
    from sestui.core.health import feed_state
    from sestui.store import now_ms

    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "none.toml"))
    info = sandbox.info
    url = f"{info.endpoint_url}/{sandbox.account_id}/no-such-queue"
    target = launch.Target(None, info.region, info.endpoint_url, url, None, tmp_path / "events.db")
    with Store(target.db_path) as store:
        proc = launch.start_collector_process(target, CollectorOptions(url, wait_seconds=1), load())
        launch.report_early_exit(proc, store, url).join(30)
        feed = feed_state(store.collector_states(), now_ms(), queue_url=url)
    assert proc.returncode == 1
    assert feed.state == "stopped" and "the SQS queue does not exist" in (feed.error or ""), feed


def test_the_console_tells_its_header_when_it_started_its_collector_child(sandbox, tmp_path, monkeypatch):
    """The feed is STARTING (not STOPPED) until the child checks in: the console says when it
    started the child, and says nothing when it started none (no queue: it collects itself)."""
    from sestui.ops import build
    from sestui.store import now_ms
    from sestui.ui.app import SestuiApp

    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "none.toml"))
    seen = []
    monkeypatch.setattr(SestuiApp, "run", lambda app: seen.append(app.ctx.collector_started_ms))
    monkeypatch.setattr(launch, "need_terminal", lambda: None)  # run is faked: no terminal needed
    info = sandbox.info
    settings = load()
    for queue_url in (info.queue_url, None):
        target = launch.Target(None, info.region, info.endpoint_url, queue_url, None, tmp_path / "events.db")
        before = now_ms()
        launch._run_once({"default": target}, "default", read_only=True, keymap={}, theme=None,
                         collector_options=CollectorOptions(queue_url, wait_seconds=1),
                         policies=build.policy_config(settings), settings=settings)
        if queue_url:
            assert seen[-1] is not None and before <= seen[-1] <= now_ms()
        else:
            assert seen[-1] is None
