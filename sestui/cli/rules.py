"""`sestui rules list|test`: the routing rules and guards of the config file ([policies] as rules)."""

from __future__ import annotations

import argparse

from sestui.cli.common import CliError, Context, add_command, common_options, say


def register(subparsers) -> None:
    p = add_command(subparsers, "rules", run, help="routing rules and guards: list them, or test one",
                    description="The [[rules]] and [[guards]] of the config file (and [policies], as rules).")
    actions = p.add_subparsers(dest="action", metavar="action", required=True)
    common = [common_options(argparse.SUPPRESS)]
    actions.add_parser("list", parents=common, help="rules with their hits over 24 h, guards with their state")
    q = actions.add_parser("test", parents=common, help="what RULE would do for the event in FILE (nothing is done)")
    q.add_argument("rule", metavar="RULE")
    q.add_argument("--event", required=True, metavar="FILE", help="an SQS body, SNS envelope or SES record (JSON)")


def load_config(ctx: Context):
    from sestui.ops import rules_cli

    try:
        return rules_cli.load_for_cli(ctx.settings)
    except ValueError as exc:
        raise CliError(str(exc), 2) from None


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.ops import rules_cli

    config = load_config(ctx)
    if args.action == "list":
        store = ctx.existing_store(outbox=True)
        try:
            lines = rules_cli.list_rules(config, store)
        finally:
            store.close()
    else:
        try:
            with open(args.event, encoding="utf-8") as f:
                body = f.read()
            lines = rules_cli.test_rule(config, args.rule, body)
        except OSError as exc:
            raise CliError(f"{args.event}: {exc.strerror}", 2) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise CliError(str(exc), 2) from None
    for line in lines:
        say(line)
    return 0
