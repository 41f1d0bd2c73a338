"""`sestui` with no command: the console against the configured account(s)."""

from __future__ import annotations

import argparse
import sys

from sestui.cli.common import CliError, Context
from sestui.core.safe_text import safe_line


def configure(parser: argparse.ArgumentParser) -> None:
    """The console is the top-level parser's own command."""
    parser.add_argument("--queue-url", metavar="URL", help="SQS queue that receives the SES notifications")
    parser.add_argument("--account", metavar="NAME", help="start on this [accounts.NAME] of the config file")
    parser.add_argument("--read-only", action="store_const", const=True, default=None,
                        help="hide every action that changes AWS (suppression edits, sends)")
    parser.set_defaults(run=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.cli.launch import LaunchError, run_console

    settings = ctx.settings
    targets = _targets(ctx)
    first = args.account or "default"
    if first not in targets:
        raise CliError(f"no account {first!r} in {settings.file} (known: {', '.join(targets)})", 2)
    try:
        return run_console(targets, first, read_only=settings.read_only, keymap=settings.keymap,
                           theme=settings.theme, collector_options=ctx.collector_options(settings.queue_url),
                           policies=ctx.policy_config(), settings=settings)
    except LaunchError as exc:  # a screen of explanation: its lines kept, controls in them escaped
        print("\n".join(safe_line(line) for line in str(exc).split("\n")), file=sys.stderr)
        return 1


def _targets(ctx: Context) -> dict:
    """The configured account (flags, environment, file) as "default", then each [accounts.NAME]."""
    from sestui.cli.launch import Target
    from sestui.config.settings import db_target

    settings = ctx.settings
    targets = {"default": Target(settings.profile, settings.region, settings.endpoint_url, settings.queue_url,
                                 settings.wiring.configuration_set, settings.db_path,
                                 label=settings.profile or "default")}
    for name, acct in settings.account_tables.items():
        targets[name] = Target(acct.profile, acct.region, acct.endpoint_url, acct.queue_url, acct.configuration_set,
                               db_target(acct.db or ""), label=name)
    return targets
