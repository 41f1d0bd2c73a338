"""`sestui demo`: the console against the embedded sandbox with generated traffic."""

from __future__ import annotations

import argparse

from sestui.cli.common import CliError, Context, add_command


def register(subparsers) -> None:
    p = add_command(subparsers, "demo", run, help="the console against a local sandbox with generated traffic",
                    description="Start the embedded sandbox (SES, SNS, SQS on 127.0.0.1) with generated traffic "
                                "and open the console on it. No AWS account needed.")
    p.add_argument("--rate", type=float, default=3.0, metavar="R", help="generated messages per second (default 3)")
    p.add_argument("--read-only", action="store_const", const=True, default=None,
                   help="hide every action that changes AWS")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.cli.launch import (
        LaunchError,
        Target,
        demo_db_path,
        run_console,
        start_sandbox,
    )

    settings = ctx.settings
    try:
        proc, info = start_sandbox(args.rate, ["--history", "14"])
    except LaunchError as exc:
        raise CliError(str(exc)) from None
    db = settings.db_path if settings.values["db"] else demo_db_path()
    target = Target(None, info["region"], info["endpoint_url"], info["queue_url"], info["configuration_set"], db,
                    label="demo")
    options = ctx.collector_options(info["queue_url"])
    # The sandbox answers instantly: poll it often so the demo feels live.
    options.wait_seconds, options.receivers = 1, 2
    options.account_interval, options.stats_interval, options.depth_interval = 5.0, 15.0, 5.0
    try:
        return run_console({"demo": target}, "demo", read_only=settings.read_only, keymap=settings.keymap,
                           theme=settings.theme, collector_options=options, policies=ctx.policy_config(),
                           demo_process=proc, settings=settings)
    except LaunchError as exc:
        proc.kill()
        raise CliError(str(exc)) from None
