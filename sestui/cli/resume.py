"""`sestui resume`: turn sending back on after a guard (or an operator) paused it."""

from __future__ import annotations

import argparse

from sestui.cli.common import CliError, Context, add_command, say


def register(subparsers) -> None:
    p = add_command(subparsers, "resume", run, help="turn sending back on for a paused configuration set",
                    description="PutConfigurationSetSendingOptions SendingEnabled=true (or, with --account, "
                                "PutAccountSendingAttributes), audited.")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--configuration-set", metavar="NAME", help="this configuration set (PutConfigurationSetSendingOptions)")
    target.add_argument("--account", dest="whole_account", action="store_true",
                        help="the whole account (PutAccountSendingAttributes)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.aws import AwsError
    from sestui.ops import rules_cli

    try:
        guards = rules_cli.load_for_cli(ctx.settings).guards  # the guards this resume overrides
    except ValueError:
        guards = []  # a config the collector would refuse still lets a person resume sending
    aws, store = ctx.aws(), ctx.open_store()
    try:
        say(rules_cli.resume(aws, store, configuration_set=args.configuration_set, account=args.whole_account,
                             guards=guards))
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    except AwsError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    return 0
