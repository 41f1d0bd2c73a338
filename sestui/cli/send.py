"""`sestui send`: one test message; prints its MessageId."""

from __future__ import annotations

import argparse

from sestui.cli.common import CliError, Context, add_command, say


def register(subparsers) -> None:
    p = add_command(subparsers, "send", run, help="send one test message; prints its MessageId")
    p.add_argument("--from", dest="sender", required=True, metavar="ADDR", help="verified sender address")
    p.add_argument("--to", required=True, action="append", metavar="ADDR", help="recipient (repeatable)")
    p.add_argument("--subject", default="sestui test message")
    p.add_argument("--body", default="Sent by sestui to check the SES -> SNS -> SQS loop.")
    p.add_argument("--configuration-set", metavar="NAME")
    p.add_argument("--tag", action="append", metavar="NAME=VALUE", help="message tag (repeatable)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.aws import AwsError

    aws = ctx.aws()
    tags = {}
    for item in args.tag or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"--tag {item!r}: use NAME=VALUE", 2)
        tags[name] = value
    try:
        message_id = aws.ses.send_email(sender=args.sender, to=args.to, subject=args.subject, body=args.body,
                                    configuration_set=args.configuration_set, tags=tags)
    except AwsError as exc:
        raise CliError(str(exc)) from None
    say(message_id)
    return 0
