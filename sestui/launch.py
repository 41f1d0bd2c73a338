"""Starting the console: `sestui` against the configured account, `sestui demo` against the sandbox.

Owns the process around the UI: the in-process collector, the sandbox subprocess for the demo,
the checks before the screen opens, and a prompt exit (quitting must not wait for a slow AWS call).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .aws import Aws, AwsError
from .collector import Collector, CollectorOptions
from .policies import PolicyConfig, PolicyEngine
from .store import Store

NO_CREDENTIALS_SCREEN = """\
sestui could not use your AWS credentials.

  {reason}

sestui uses the standard AWS credential chain, like the AWS CLI:
  * a profile:            sestui --profile NAME   (or AWS_PROFILE=NAME)
  * environment keys:     AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  * SSO:                  aws sso login --profile NAME
  * an instance role on the bastion host

The console needs these IAM actions: ses:GetAccount, ses:GetSendQuota,
ses:GetSendStatistics, ses:ListIdentities, ses:*SuppressedDestination*,
ses:SendEmail (test sends), sqs:ReceiveMessage, sqs:DeleteMessage,
sqs:GetQueueAttributes.

No AWS account at hand? `sestui demo` runs everything against a local sandbox.
"""


class LaunchError(Exception):
    """Why the console cannot start; may span lines (a one-screen explanation)."""


@dataclass
class Target:
    profile: str | None
    region: str | None
    endpoint_url: str | None
    queue_url: str | None
    configuration_set: str | None
    db_path: Path


def start_sandbox(rate: float, extra: list[str] | None = None) -> tuple[subprocess.Popen, dict]:
    """Run `sestui sandbox` as a child process (moto must not share the UI's interpreter lock)
    and read the JSON line it prints first."""
    cmd = [sys.executable, "-m", "sestui.cli", "sandbox", "--rate", str(rate)] + (extra or [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    line = proc.stdout.readline()
    try:
        info = json.loads(line)
    except ValueError:
        proc.kill()
        err = proc.stderr.read().strip().splitlines()
        raise LaunchError("the demo sandbox did not start: " + (err[-1] if err else "no output")) from None
    threading.Thread(target=_drain, args=(proc.stderr,), daemon=True).start()
    return proc, info


def _drain(stream) -> None:
    for _ in stream:
        pass


def demo_db_path() -> Path:
    folder = Path(tempfile.gettempdir()) / f"sestui-demo-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def check_credentials(aws: Aws) -> str | None:
    """The caller's account id, or raise LaunchError with a screen that explains what to do."""
    try:
        return aws.caller_account()
    except AwsError as exc:
        if exc.kind == "credentials":
            raise LaunchError(NO_CREDENTIALS_SCREEN.format(reason=exc)) from None
        if exc.kind == "unreachable":
            raise LaunchError(f"sestui cannot reach AWS: {exc}") from None
        return None  # denied or odd: the header will show what fails


def run_console(target: Target, *, read_only: bool, keymap: dict[str, str], theme: str | None,
                collector_options: CollectorOptions, policies: PolicyConfig,
                demo_process: subprocess.Popen | None = None, profile_label: str | None = None) -> int:
    from .ui.app import ConsoleContext, SestuiApp

    aws = Aws(target.profile, target.region, target.endpoint_url, sqs_wait_seconds=collector_options.wait_seconds)
    account = check_credentials(aws)
    store = Store(target.db_path)
    engine = PolicyEngine(policies, aws, store)
    collector = Collector(aws, store, collector_options, on_commit=engine.apply)
    ctx = ConsoleContext(store=store, aws=aws, profile=profile_label or target.profile or "default",
                         region=aws.region, account=account, queue_url=target.queue_url,
                         configuration_set=target.configuration_set, read_only=read_only, collector=collector,
                         keymap=keymap, theme=theme, policies=None if read_only else policies)
    app = SestuiApp(ctx)
    _exit_on_hangup(app)
    collector.start()
    try:
        app.run()
    finally:
        if demo_process is not None:
            demo_process.terminate()  # it stops by itself; don't wait for it
        collector.stop(timeout=0.5)
        store.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Thread workers may sit in a slow AWS call; the interpreter would wait for them at exit.
    # Everything worth keeping is committed, so leave now.
    os._exit(app.return_code or 0)


def _exit_on_hangup(app) -> None:
    """A dropped SSH session sends SIGHUP: quit, and make sure the process ends even if the dead
    terminal makes a clean shutdown hang."""

    def hangup(signum, frame) -> None:
        threading.Timer(2.0, lambda: os._exit(129)).start()
        app.exit(return_code=129)

    signal.signal(signal.SIGHUP, hangup)


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
