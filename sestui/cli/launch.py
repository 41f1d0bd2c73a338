"""Starting the console: `sestui` against the configured account, `sestui demo` against the sandbox.

Owns the processes around the UI: the collector (a `sestui collect` child process, so that it never
competes with the UI for the interpreter lock; the console only reads the database), the sandbox
child of the demo, the checks before the screen opens, and a prompt exit (quitting must not wait
for a slow AWS call). Every child dies with the console, whatever kills it: a parent-death signal
on Linux, elsewhere a pipe the child watches (cli/children.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

from sestui.aws import Aws, AwsError
from sestui.cli.children import end_children, release_parent_pipe, spawn_child
from sestui.cli.common import CliError, need_terminal
from sestui.config.settings import Settings, default_db_path, load
from sestui.ops.build import BuildError, build_collector
from sestui.ops.collector import CollectorOptions
from sestui.ops.policies import PolicyConfig
from sestui.ops.policy_share import PublishedPolicies
from sestui.private_file import open_private
from sestui.store import Store, is_url, now_ms, open_store
from sestui.store.outbox_items import pid_exists

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
    db_path: Path | str  # or a postgresql:// URL
    label: str = "default"  # shown in the header


def db_argument(db: Path | str) -> str:
    """`--db` for a child: a URL as it is, a path made absolute."""
    return db if is_url(db) else str(Path(db).absolute())


def side_file(db: Path | str, suffix: str) -> Path:
    """A file kept next to the database (<database><suffix>); a server's go to the user data folder,
    named after a hash of the URL (which may hold a password)."""
    if is_url(db):
        import hashlib

        return default_db_path().with_name(f"pg-{hashlib.sha256(str(db).encode()).hexdigest()[:16]}{suffix}")
    return Path(f"{Path(db).absolute()}{suffix}")


def start_sandbox(rate: float, extra: list[str] | None = None) -> tuple[subprocess.Popen, dict]:
    """Run `sestui sandbox` as a child process (moto must not share the UI's interpreter lock)
    and read the JSON line it prints first."""
    cmd = [sys.executable, "-m", "sestui.cli", "sandbox", "--rate", str(rate)] + (extra or [])
    proc = spawn_child(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
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
    """A database of this demo's own (a second demo must not touch the first one's): in
    run-<pid>/ of the user's demo folder, after removing the folders of demos that have ended."""
    folder = Path(tempfile.gettempdir()) / f"sestui-demo-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.glob("run-*"):
        pid = old.name[4:]
        if pid.isdigit() and not pid_exists(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):  # what demos before per-run folders left
        Path(f"{folder / 'demo.db'}{suffix}").unlink(missing_ok=True)
    run = folder / f"run-{os.getpid()}"
    shutil.rmtree(run, ignore_errors=True)  # a dead demo that had this pid
    run.mkdir(mode=0o700)
    return run / "demo.db"


def remove_demo_run(run: Path) -> None:
    """The demo's run folder, once its children have ended (a collector still stopping could write a
    file into it). What cannot be removed, the next demo removes (demo_db_path)."""
    end_children(timeout=3.0)
    shutil.rmtree(run, ignore_errors=True)


_on_leave: list[Callable[[], None]] = []
_leave_lock = threading.Lock()


def on_leave(hook: Callable[[], None]) -> None:
    """Run `hook` when the process leaves: a quit, SIGHUP, SIGTERM, or an error before the screen."""
    _on_leave.append(hook)


def run_leave_hooks() -> None:
    """Run what on_leave registered, once, the last first (whichever thread comes first: another waits
    for it). A hook that fails says so in one line; the others still run."""
    if threading.current_thread() is threading.main_thread():  # a second SIGTERM must not cut them short
        for sig in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
    with _leave_lock:
        while _on_leave:
            hook = _on_leave.pop()
            try:
                hook()
            except Exception as exc:  # noqa: BLE001  (leaving anyway: say it, go on)
                print(f"sestui: while leaving: {type(exc).__name__}: {exc}", file=sys.stderr)


def leave(code: int) -> NoReturn:
    """Run the leave hooks and end the process now. Thread workers may sit in a slow AWS call (the
    interpreter would wait for them at exit); everything worth keeping is committed."""
    run_leave_hooks()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def exit_on_signals() -> None:
    """Until the screen opens (which handles them itself): SIGHUP and SIGTERM end the command through
    its `finally` (SystemExit), not on the spot, so that its leave hooks run."""

    def stop(signum, frame) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, stop)


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
                demo_process: subprocess.Popen | None = None, settings: Settings | None = None) -> int:
    """Run the console on `targets[first]`; switching accounts (ctrl+p) restarts it on another.
    `settings` are the command's effective settings (default: environment and config file)."""
    settings = settings or load()
    name, previous, notice = first, None, None
    try:
        while True:
            try:
                result, code = _run_once(targets, name, read_only=read_only, keymap=keymap, theme=theme,
                                         collector_options=collector_options, policies=policies, notice=notice,
                                         settings=settings)
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
            demo_process.terminate()  # it stops by itself
    leave(code)


# The settings a `sestui collect` child takes from the console, passed as SESTUI_* variables
# (they come before the config file, which the child reads for the rest, [policies] included).
_CHILD_SETTINGS = ("receivers", "wait_seconds", "visibility_timeout", "account_interval", "stats_interval",
                   "retention_days", "verify_signatures", "topic_allowlist")


def collector_command(target: Target, options: CollectorOptions, settings: Settings,
                      modes_file: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The `sestui collect` command line and environment that collect `target` as this console would."""
    cmd = [sys.executable, "-m", "sestui.cli", "collect", "--db", db_argument(target.db_path),
           "--queue-url", str(target.queue_url)]
    for flag, value in (("--profile", target.profile), ("--region", target.region),
                        ("--endpoint-url", target.endpoint_url)):
        if value:
            cmd += [flag, value]
    env = dict(os.environ)
    env["SESTUI_CONFIG"] = str(settings.file)
    values = dict(settings.values, receivers=options.receivers, wait_seconds=options.wait_seconds,
                  visibility_timeout=options.visibility_timeout, account_interval=options.account_interval,
                  stats_interval=options.stats_interval, retention_days=options.retention_days)
    for key in _CHILD_SETTINGS:
        value, name = values.get(key), f"SESTUI_{key.upper()}"
        if value is None or value == []:
            env.pop(name, None)
        elif isinstance(value, bool):
            env[name] = "true" if value else "false"
        elif isinstance(value, list):
            env[name] = ",".join(value)
        else:
            env[name] = str(value)
    if modes_file is not None:
        env["SESTUI_POLICY_MODES_FILE"] = str(modes_file)
    return cmd, env


def start_collector_process(target: Target, options: CollectorOptions, settings: Settings,
                            modes_file: Path | None = None) -> subprocess.Popen:
    """`sestui collect` for `target` as a child that dies with the console; its log goes to
    <database>-collect.log (the state row in the database says how it is doing)."""
    cmd, env = collector_command(target, options, settings, modes_file)
    log_path = side_file(target.db_path, "-collect.log")
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open_private(log_path, "w") as log_file:
        return spawn_child(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file)


def report_early_exit(proc: subprocess.Popen, store: Store, queue_url: str) -> threading.Thread:
    """Watch the child: if it ends by itself (a refused queue, bad credentials), record a stopped
    state row with the last line of its log, so the header says why nothing is collected."""

    def watch() -> None:
        code = proc.wait()
        if getattr(proc, "stopped_by_console", False):
            return
        log_path = side_file(getattr(store, "url", store.path), "-collect.log")
        try:
            lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            lines = []
        why = (lines[-1] if lines else f"sestui collect exited with status {code}")[-300:]
        now = now_ms()
        try:
            store.save_collector_state(f"console-child:{proc.pid}", {
                "queue_url": queue_url, "state": "stopped", "started": now, "heartbeat": now,
                "last_error": why, "last_error_at": now, "events_per_s": 0.0,
                "received": 0, "stored": 0, "duplicates": 0, "quarantined": 0})
        except Exception:  # noqa: BLE001, S110  (the console may be closing its store)
            pass

    thread = threading.Thread(target=watch, name="sestui-collector-watch", daemon=True)
    thread.start()
    return thread


def stop_collector_process(proc: subprocess.Popen) -> None:
    """SIGTERM: it commits what it holds and stops within two seconds by itself (not waited for:
    quitting the console must be prompt)."""
    proc.stopped_by_console = True  # type: ignore[attr-defined]
    if proc.poll() is None:
        proc.terminate()
    release_parent_pipe(proc)


def _run_once(targets: dict[str, Target], name: str, *, read_only: bool, keymap: dict[str, str],
              theme: str | None, collector_options: CollectorOptions, policies: PolicyConfig,
              settings: Settings, notice: str | None = None):
    from sestui.ui.app import ConsoleContext, SestuiApp

    target = targets[name]
    try:
        aws = Aws(target.profile, target.region, target.endpoint_url, sqs_wait_seconds=collector_options.wait_seconds)
    except AwsError as exc:
        raise LaunchError(NO_CREDENTIALS_SCREEN.format(reason=exc), reason=str(exc)) from None
    account = check_credentials(aws)
    store = open_store(target.db_path)
    options = replace(collector_options, queue_url=target.queue_url)
    modes_file = side_file(target.db_path, "-policies.json")
    if target.queue_url:
        policies = PublishedPolicies(policies, modes_file)
    try:
        # Without a queue there is nothing to receive: only the account poller runs, here. With
        # one, a child collects; this collector is not started (the doctor's round trip uses it).
        collector = build_collector(settings, aws, store, options=options, policies=policies)
    except BuildError as exc:
        store.close()
        raise LaunchError(str(exc)) from None
    try:  # what could be checked without one is said first (credentials, the store, the config)
        need_terminal()
    except CliError:
        store.close()
        raise
    started_ms = now_ms()
    child = start_collector_process(target, options, settings, modes_file) if target.queue_url else None
    if child is not None:
        report_early_exit(child, store, target.queue_url or "")
    ctx = ConsoleContext(store=store, aws=aws, profile=target.label, region=aws.region, account=account,
                         queue_url=target.queue_url, configuration_set=target.configuration_set,
                         read_only=read_only, collector=collector, keymap=keymap, theme=theme,
                         policies=None if read_only else policies, accounts=list(targets), account_name=name,
                         notice=notice, actions=_actions(settings), breakdown=settings.breakdown,
                         collector_started_ms=started_ms if child is not None else None)
    app = SestuiApp(ctx)
    _exit_on_hangup(app)
    if child is None:
        collector.start()
    try:
        result = app.run()
    finally:
        if child is None:
            collector.stop(timeout=0.5)
        else:
            stop_collector_process(child)
        store.close()
    return result, app.return_code or 0


def _exit_on_hangup(app) -> None:
    """A dropped SSH session or a killed tmux sends SIGHUP, a service manager SIGTERM: quit, and make
    sure the process ends (leaving as a quit does) even if the dead terminal makes a clean shutdown hang."""

    def hangup(signum, frame) -> None:
        threading.Timer(2.0, leave, args=(128 + signum,)).start()
        app.exit(return_code=128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, hangup)


def _actions(settings: Settings):
    """The [[rules]] and [[guards]] the Actions pane shows (None when the config has none)."""
    from sestui.ops import routing

    try:
        config = routing.load(settings.tables, source=str(settings.file))
    except ValueError:
        return None  # the collector child says why, in the feed; the pane then shows the outbox only
    return config if config.active or config.guards else None
