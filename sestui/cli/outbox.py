"""`sestui outbox list|retry|discard`: every action an event or a guard triggered."""

from __future__ import annotations

import argparse

from sestui.cli.common import CliError, Context, add_command, common_options, say

STATES = ("pending", "running", "retrying", "done", "dead", "dry-run", "discarded")


def register(subparsers) -> None:
    p = add_command(subparsers, "outbox", run, help="the actions outbox: list, retry or discard items",
                    description="Every action an event or a guard triggered, with its state, attempts and last "
                                "error. Dead items stay until retried or discarded.")
    actions = p.add_subparsers(dest="action", metavar="action", required=True)
    common = [common_options(argparse.SUPPRESS)]
    q = actions.add_parser("list", parents=common, help="items, newest first")
    q.add_argument("--state", action="append", choices=STATES, help="only items in this state (repeatable)")
    q.add_argument("--limit", type=int, default=200, metavar="N")
    for name, text in (("retry", "run dead or retrying items again, now"),
                       ("discard", "give up on items (kept, marked discarded)")):
        q = actions.add_parser(name, parents=common, help=text)
        q.add_argument("ids", nargs="+", type=int, metavar="ID")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.ops import rules_cli

    store = ctx.existing_store(outbox=True)
    try:
        if args.action == "list":
            lines = rules_cli.outbox_lines(store, args.state or None, args.limit)
        elif args.action == "retry":
            lines = [rules_cli.outbox_retry(store, args.ids)]
        else:
            lines = [rules_cli.outbox_discard(store, args.ids)]
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    finally:
        store.close()
    for line in lines:
        say(line)
    return 0
