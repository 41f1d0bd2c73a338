"""`sestui sandbox`: run the sandbox in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

from ..local_aws import Sandbox, SandboxError
from ..options import SandboxOptions
from ..ses.settings import (
    SES_SANDBOX_24_HOUR_SEND,
    SES_SANDBOX_SEND_RATE,
    AccountSettings,
)

DEFAULT_MAX_SEND_RATE = 14.0
DEFAULT_MAX_24_HOUR_SEND = 50000.0


def account_settings(options: SandboxOptions) -> AccountSettings:
    """The account the options describe (SandboxError if they contradict themselves)."""
    rate = options.rate
    if rate < 0 or options.delay_scale < 0 or options.history < 0:
        raise SandboxError("--rate, --delay-scale and --history cannot be negative")
    if options.production:  # unless given, the quotas leave room for the generated traffic
        send_rate, daily = max(DEFAULT_MAX_SEND_RATE, 2 * rate), max(DEFAULT_MAX_24_HOUR_SEND, 2 * rate * 86400)
    else:  # SES's own for an account in the SES sandbox
        send_rate, daily = SES_SANDBOX_SEND_RATE, SES_SANDBOX_24_HOUR_SEND
    try:
        return AccountSettings(
            production_access_enabled=options.production,
            sending_enabled=not options.sending_paused,
            enforcement_status=options.enforcement,
            max_send_rate=_given(options.max_send_rate, send_rate),
            max_24_hour_send=_given(options.max_24h_send, daily),
        )
    except ValueError as exc:
        raise SandboxError(str(exc)) from None


STOP_GRACE_S = 5.0


class SignalStop:
    """What SIGINT/SIGTERM set, with no lock taken. Python runs a handler on the main thread between
    two of its steps, maybe inside threading.Event.wait while it holds the Event's lock: Event.set
    in the handler then waits for that lock forever. A quit demo's sandbox hung so (its traffic
    going on, SIGTERM ignored: gdb showed the handler's acquire inside the wait's own)."""

    def __init__(self) -> None:
        self.signalled: int | None = None

    def handler(self, signum: int, _frame: object) -> None:
        self.signalled = signum

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True once a signal came."""
        if self.signalled is None:
            time.sleep(seconds)
        return self.signalled is not None


def run_sandbox(options: SandboxOptions) -> int:
    """Start, print the info JSON as the first stdout line, serve until told to stop."""
    sandbox = Sandbox(
        port=options.port,
        rate=options.rate,
        region=options.region or "us-east-1",
        wiring=not options.bare,
        delay_scale=options.delay_scale,
        seed=options.seed,
        account=account_settings(options),
    )
    stop = SignalStop()
    previous = {sig: signal.signal(sig, stop.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        info = sandbox.start()
        if options.history:
            sandbox.backfill(options.history)
        print(json.dumps(info.as_dict()), flush=True)
        print(f"sestui sandbox: serving {info.endpoint_url} ({info.region}); Ctrl-C to stop",
              file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        # Told to stop (often because the console that started it died): a call stuck inside the
        # sandbox must not keep this process, and its traffic, alive. Seen after a tmux kill-session.
        # The watchdog stays armed after the stop: the interpreter's exit then waits for every
        # non-daemon thread, and one stuck in a library kept a quit demo's sandbox alive.
        watchdog = threading.Timer(STOP_GRACE_S, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _given(value: float | None, default: float) -> float:
    return default if value is None else value
