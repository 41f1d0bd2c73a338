"""`sestui sandbox`: the embedded local AWS (SES, SNS, SQS) alone, until SIGINT/SIGTERM.

The flags live here; the sandbox gets a typed `SandboxOptions` (it imports nothing of sestui).
"""

from __future__ import annotations

import argparse
from typing import Any

from sestui.cli.common import CliError, Context, add_command

_DEMO_MODULES = ("moto", "flask", "flask_cors", "werkzeug")


def register(subparsers) -> None:
    p = add_command(subparsers, "sandbox", run, help="run the local AWS endpoint (SES, SNS, SQS) alone",
                    description="Serve SES v1/v2, SNS and SQS with the SES mailbox simulator on 127.0.0.1 until "
                                "SIGINT/SIGTERM. The first stdout line is a JSON object: endpoint_url, region, "
                                "queue_url, topic_arn, identity, configuration_set. Any credentials work.")
    p.add_argument("--port", type=int, default=0, metavar="N", help="port to listen on (default: a free one)")
    p.add_argument("--rate", type=float, default=0.0, metavar="R", help="generated messages per second (default 0)")
    p.add_argument("--bare", action="store_true",
                   help="an empty account: no identity, topic, queue or configuration set")
    p.add_argument("--production", action=argparse.BooleanOptionalAction, default=True,
                   help="production access; --no-production = SES sandbox mode, verified recipients only")
    p.add_argument("--sending-paused", action="store_true", help="start with sending disabled")
    p.add_argument("--enforcement", choices=("HEALTHY", "PROBATION", "SHUTDOWN"), default="HEALTHY",
                   help="account enforcement status")
    p.add_argument("--max-send-rate", type=float, metavar="N",
                   help="sends per second allowed (default: 14, or twice --rate)")
    p.add_argument("--max-24h-send", type=float, metavar="N",
                   help="24-hour quota, -1 unlimited (default: 50000 or more for --rate)")
    p.add_argument("--delay-scale", type=float, default=1.0, metavar="F",
                   help="multiply simulated delays (0 = instant)")
    p.add_argument("--seed", type=int, help="make the simulated outcomes repeatable")
    p.add_argument("--history", type=int, default=0, metavar="DAYS",
                   help="give the account a past: DAYS of sending statistics and suppressed addresses")


def option_values(args: argparse.Namespace) -> dict[str, Any]:
    """The sandbox's options from the parsed flags (region from the common --region)."""
    return {"port": args.port, "rate": args.rate, "bare": args.bare, "production": args.production,
            "sending_paused": args.sending_paused, "enforcement": args.enforcement,
            "max_send_rate": args.max_send_rate, "max_24h_send": args.max_24h_send,
            "delay_scale": args.delay_scale, "seed": args.seed, "history": args.history,
            "region": getattr(args, "region", None)}


def run(ctx: Context, args: argparse.Namespace) -> int:
    try:
        from sestui.sandbox import SandboxError, SandboxOptions, run_sandbox
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in _DEMO_MODULES:
            raise CliError("the sandbox needs the demo extra: pip install 'sestui[demo]'") from None
        raise
    values = {k: v for k, v in option_values(args).items() if v is not None or k not in ("region",)}
    try:
        return run_sandbox(SandboxOptions(**values))
    except SandboxError as exc:
        raise CliError(str(exc)) from None
