"""`sestui dlq depth|redrive`: what reached the queue's dead-letter queue, and bringing it back."""

from __future__ import annotations

import argparse

from sestui.cli.common import CliError, Context, add_command, common_options, say


def register(subparsers) -> None:
    p = add_command(subparsers, "dlq", run, help="the dead-letter queue: its depth, or redrive it",
                    description="Messages SQS moved to the queue's dead-letter queue after maxReceiveCount "
                                "receives. `redrive` sends them back to the queue (then deletes them from the "
                                "dead-letter queue); the collector stores each event once, like any other.")
    actions = p.add_subparsers(dest="action", metavar="action", required=True)
    common = [common_options(argparse.SUPPRESS)]
    for name, text in (("depth", "how many messages wait in the dead-letter queue"),
                       ("redrive", "move them back to the queue")):
        q = actions.add_parser(name, parents=common, help=text)
        q.add_argument("--queue-url", metavar="URL", default=argparse.SUPPRESS,
                       help="the queue (default: queue_url from the config)")
        if name == "redrive":
            q.add_argument("--limit", type=int, metavar="N", help="at most N messages")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.aws import AwsError
    from sestui.ops import dlq

    queue_url = ctx.settings.queue_url
    if not queue_url:
        raise CliError("no queue: pass --queue-url, or put queue_url in the config (`sestui setup`)", 2)
    aws = ctx.aws()
    try:
        if args.action == "depth":
            say(dlq.depth(aws, queue_url))
            return 0
        done = dlq.redrive(aws, queue_url, limit=args.limit)
    except (dlq.DlqError, AwsError) as exc:
        raise CliError(str(exc)) from None
    say(f"moved {done.moved} messages back to {queue_url}")
    for failure in done.failures:
        say(f"left in the dead-letter queue: {failure}", file=None)
    return 1 if done.refused else 0
