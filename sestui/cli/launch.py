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
from dataclasses import dataclass, replace
from pathlib import Path

from sestui.aws import Aws, AwsError
from sestui.ops.collector import Collector, CollectorOptions
from sestui.ops.policies import PolicyConfig, PolicyEngine
from sestui.store import Store

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
    """Why the console cannot start: the message may span lines (a one-screen explanation);
    `reason` is the one-line cause."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


@dataclass
class Target:
    """One account/region the console can watch: its AWS options, queue and database."""

    profile: str | None
    region: str | None
    endpoint_url: str | None
    queue_url: str | None
    configuration_set: str | None
    db_path: Path
    label: str = "default"  # shown in the header


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
            raise LaunchError(NO_CREDENTIALS_SCREEN.format(reason=exc), reason=str(exc)) from None
        if exc.kind == "unreachable":
            raise LaunchError(f"sestui cannot reach AWS: {exc}") from None
        return None  # denied or odd: the header will show what fails


SWITCH = "switch-account"  # the console exits with (SWITCH, name) to be restarted on another account


def run_console(targets: dict[str, Target], first: str, *, read_only: bool, keymap: dict[str, str],
                theme: str | None, collector_options: CollectorOptions, policies: PolicyConfig,
                demo_process: subprocess.Popen | None = None) -> int:
    """Run the console on `targets[first]`; switching accounts (ctrl+p) restarts it on another."""
    name, previous, notice = first, None, None
    try:
        while True:
            try:
                result, code = _run_once(targets, name, read_only=read_only, keymap=keymap, theme=theme,
                                         collector_options=collector_options, policies=policies, notice=notice)
            except LaunchError as exc:
                if previous is None:
                    raise
                # Switching failed: go back where the operator was, and say why there.
                notice = f"Could not switch to {name}: {exc.reason}"
                name, previous = previous, None
                continue
            notice = None
            if not (isinstance(result, tuple) and result[0] == SWITCH and result[1] in targets):
                break
            name, previous = result[1], name
    finally:
        if demo_process is not None:
            demo_process.terminate()  # it stops by itself; don't wait for it
    sys.stdout.flush()
    sys.stderr.flush()
    # Thread workers may sit in a slow AWS call; the interpreter would wait for them at exit.
    # Everything worth keeping is committed, so leave now.
    os._exit(code)


def _run_once(targets: dict[str, Target], name: str, *, read_only: bool, keymap: dict[str, str],
              theme: str | None, collector_options: CollectorOptions, policies: PolicyConfig,
              notice: str | None = None):
    from sestui.ui.app import ConsoleContext, SestuiApp

    target = targets[name]
    try:
        aws = Aws(target.profile, target.region, target.endpoint_url, sqs_wait_seconds=collector_options.wait_seconds)
    except AwsError as exc:
        raise LaunchError(NO_CREDENTIALS_SCREEN.format(reason=exc), reason=str(exc)) from None
    account = check_credentials(aws)
    store = Store(target.db_path)
    engine = PolicyEngine(policies, aws, store)
    collector = Collector(aws, store, replace(collector_options, queue_url=target.queue_url),
                          on_commit=engine.apply)
    ctx = ConsoleContext(store=store, aws=aws, profile=target.label, region=aws.region, account=account,
                         queue_url=target.queue_url, configuration_set=target.configuration_set,
                         read_only=read_only, collector=collector, keymap=keymap, theme=theme,
                         policies=None if read_only else policies, accounts=list(targets), account_name=name,
                         notice=notice)
    app = SestuiApp(ctx)
    _exit_on_hangup(app)
    collector.start()
    try:
        result = app.run()
    finally:
        collector.stop(timeout=0.5)
        store.close()
    return result, app.return_code or 0


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
