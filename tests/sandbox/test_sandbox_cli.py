"""`sestui sandbox` as a user (and `sestui demo`) runs it: a child process whose first stdout line
is the JSON contract, serving until SIGINT/SIGTERM, then exiting 0 without tracebacks."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest


INFO_KEYS = {"endpoint_url", "region", "queue_url", "topic_arn", "identity", "configuration_set"}


class Child:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "sestui.cli", "sandbox", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        watchdog = threading.Timer(60, self.proc.kill)
        watchdog.daemon = True
        watchdog.start()
        self.first_line = self.proc.stdout.readline()

    def info(self) -> dict:
        assert self.first_line, self.proc.stderr.read()
        return json.loads(self.first_line)

    def stop(self, sig: int) -> tuple[int, float, str]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, time.monotonic() - started, err


@pytest.fixture
def child():
    children: list[Child] = []

    def start(*args: str) -> Child:
        children.append(Child(*args))
        return children[-1]

    yield start
    for c in children:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.communicate()


def test_plain_boto3_script_against_the_sandbox_command(child, clients_for):
    sandbox = child("--delay-scale", "0.05", "--seed", "3")
    info = sandbox.info()
    assert set(info) == INFO_KEYS
    assert info["endpoint_url"].startswith("http://127.0.0.1:")
    aws = clients_for(info["endpoint_url"], info["region"])

    message_id = aws.ses.send_email(
        Source=f"shop@{info['identity']}", Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
        Message={"Subject": {"Data": "hello"}, "Body": {"Text": {"Data": "hi"}}},
    )["MessageId"]
    bounce, deadline = None, time.monotonic() + 10
    while bounce is None and time.monotonic() < deadline:
        reply = aws.sqs.receive_message(QueueUrl=info["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in reply.get("Messages", []):
            record = json.loads(json.loads(message["Body"])["Message"])
            if record.get("notificationType") == "Bounce" and record["mail"]["messageId"] == message_id:
                bounce = record["bounce"]
    assert bounce is not None and bounce["bounceType"] == "Permanent"

    addresses = {f"user{i}@example.com" for i in range(12)}
    for address in addresses:
        aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    listed, token, pages = set(), None, 0
    while True:
        page = aws.sesv2.list_suppressed_destinations(PageSize=5, **({"NextToken": token} if token else {}))
        listed |= {e["EmailAddress"] for e in page["SuppressedDestinationSummaries"]}
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert listed == addresses and pages == 3
    assert aws.sesv2.get_account()["ProductionAccessEnabled"] is True

    code, elapsed, err = sandbox.stop(signal.SIGTERM)
    assert code == 0 and elapsed < 3
    assert "Traceback" not in err


def test_bare_account_flags_and_sigint(child, clients_for):
    sandbox = child("--bare", "--no-production", "--enforcement", "PROBATION", "--sending-paused",
                    "--max-send-rate", "2", "--region", "eu-west-1")
    info = sandbox.info()
    assert info["region"] == "eu-west-1"
    assert [info[k] for k in sorted(INFO_KEYS - {"endpoint_url", "region"})] == [None] * 4
    account = clients_for(info["endpoint_url"], info["region"]).sesv2.get_account()
    assert (account["ProductionAccessEnabled"], account["EnforcementStatus"], account["SendingEnabled"]) == (
        False, "PROBATION", False)
    assert account["SendQuota"]["MaxSendRate"] == 2
    code, elapsed, err = sandbox.stop(signal.SIGINT)
    assert code == 0 and elapsed < 3
    assert "Traceback" not in err


def test_generated_traffic_reaches_the_queue(child, clients_for):
    sandbox = child("--rate", "20", "--delay-scale", "0.05")
    info = sandbox.info()
    sqs = clients_for(info["endpoint_url"], info["region"]).sqs
    kinds, deadline = set(), time.monotonic() + 15
    while not {"Send", "Delivery"} <= kinds and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=info["queue_url"], MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", []):
            record = json.loads(json.loads(message["Body"])["Message"])
            kinds.add(record.get("eventType") or record.get("notificationType"))
    assert {"Send", "Delivery"} <= kinds
    code, _, err = sandbox.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in err


def test_port_in_use_is_a_one_line_error(child):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = child("--port", str(port))
        _, err = sandbox.proc.communicate(timeout=30)
    assert sandbox.proc.returncode == 1 and sandbox.first_line == ""
    assert err.strip().splitlines() == [f"sestui: error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def test_without_the_demo_extra():
    script = ("import sys; sys.modules['moto'] = None\n"
              "from sestui.cli import main\n"
              "sys.exit(main(['sandbox']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == "sestui: error: the sandbox needs the demo extra: pip install 'sestui[demo]'"


def test_a_thread_that_never_ends_does_not_keep_the_stopped_sandbox_alive():
    """Told to stop, the sandbox stops its own threads and returns; then the interpreter waits for
    every non-daemon thread. One that never ends (a library's worker stuck in a call) kept a demo's
    sandbox serving its traffic after the demo quit (seen: still alive minutes later, deaf to
    SIGTERM). The stop's watchdog now covers the interpreter's exit too."""
    from sestui.sandbox.demo.runner import STOP_GRACE_S

    code = ("import sys, threading, time\n"
            "threading.Thread(target=time.sleep, args=(600,), name='stuck').start()\n"
            "from sestui.cli import main\n"
            "sys.exit(main(['sandbox']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(proc.stdout.readline())["endpoint_url"]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=STOP_GRACE_S + 20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
            pytest.fail("the sandbox was still running after SIGTERM")
    assert proc.returncode == 0


def test_the_stop_signal_handler_takes_no_lock(monkeypatch):
    """A quit demo's sandbox went on generating traffic, deaf to SIGTERM: gdb showed its main thread
    inside a lock wait, running the SIGTERM handler, which waited for the same lock (Event.set from
    a handler that interrupted Event.wait). The handler run_sandbox installs must take no lock:
    every C call it makes is recorded, and none may be a lock's."""
    from types import SimpleNamespace

    from sestui.sandbox.demo import runner
    from sestui.sandbox.options import SandboxOptions

    calls: list[str] = []

    class Fake:
        def __init__(self, **_):
            pass

        def start(self):
            handler = signal.getsignal(signal.SIGTERM)

            def record(_frame, event, arg):
                if event == "c_call":
                    calls.append(f"{type(getattr(arg, '__self__', None)).__name__}.{arg.__name__}")

            sys.setprofile(record)
            try:
                handler(signal.SIGTERM, None)  # as Python runs it: on the main thread, between two steps
            finally:
                sys.setprofile(None)
            return SimpleNamespace(as_dict=dict, endpoint_url="http://127.0.0.1:1", region="us-east-1")

        def stop(self):
            pass

    monkeypatch.setattr(runner, "Sandbox", Fake)
    monkeypatch.setattr(runner.threading, "Timer", lambda *a, **k: SimpleNamespace(start=lambda: None, daemon=True))
    assert runner.run_sandbox(SandboxOptions(port=0, rate=0)) == 0  # the handler's signal ended the loop
    locks = [c for c in calls if "lock" in c.lower() or c.split(".")[-1] in ("acquire", "__enter__")]
    assert not locks, calls
