"""`sestui sandbox`: run the sandbox in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .account import AccountSettings
from .sandbox import Sandbox, SandboxError

DEFAULT_MAX_SEND_RATE = 14.0
DEFAULT_MAX_24_HOUR_SEND = 50000.0


def run_sandbox(args: argparse.Namespace) -> int:
    """Start, print the info JSON as the first stdout line, serve until told to stop."""
    rate = args.rate
    if rate < 0 or args.delay_scale < 0 or args.history < 0:
        raise SandboxError("--rate, --delay-scale and --history cannot be negative")
    try:
        settings = AccountSettings(
            production_access_enabled=args.production,
            sending_enabled=not args.sending_paused,
            enforcement_status=args.enforcement,
            # Unless given, the quotas leave room for the generated traffic.
            max_send_rate=_given(args.max_send_rate, max(DEFAULT_MAX_SEND_RATE, 2 * rate)),
            max_24_hour_send=_given(args.max_24h_send, max(DEFAULT_MAX_24_HOUR_SEND, 2 * rate * 86400)),
        )
    except ValueError as exc:
        raise SandboxError(str(exc)) from None
    sandbox = Sandbox(
        port=args.port,
        rate=rate,
        region=getattr(args, "region", None) or "us-east-1",
        wiring=not args.bare,
        delay_scale=args.delay_scale,
        seed=args.seed,
        account=settings,
    )
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        info = sandbox.start()
        if args.history:
            sandbox.backfill(args.history)
        print(json.dumps(info.as_dict()), flush=True)
        print(f"sestui sandbox: serving {info.endpoint_url} ({info.region}); Ctrl-C to stop",
              file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _given(value: float | None, default: float) -> float:
    return default if value is None else value
