"""`sestui setup`: create or adopt the SES -> SNS -> SQS wiring, then write it to the config file."""

from __future__ import annotations

import argparse
import re
import sys

from sestui.cli.common import CliError, Context, add_command, say

_NAME_RULES = {"topic": (256, "--topic"), "queue": (76, "--queue"), "configuration_set": (64, "--configuration-set")}


def register(subparsers) -> None:
    p = add_command(subparsers, "setup", run, help="create or adopt the SES -> SNS -> SQS wiring",
                    description="Create what is missing, idempotently: an SNS topic, an SQS queue (one per operator) "
                                "with a dead-letter queue and a policy that lets the topic send, the subscription, "
                                "the configuration set's SNS event destination for every event type, the set as "
                                "the identity's default (if it has none) and, on request, the identity's "
                                "notification topics. Writes queue_url to the config file.")
    p.add_argument("--identity", required=True, metavar="DOMAIN_OR_ADDRESS", help="the SES identity you send from")
    p.add_argument("--configuration-set", default="sestui", metavar="NAME", help="configuration set (default sestui)")
    p.add_argument("--topic", metavar="NAME", help="SNS topic, shared by every operator (default sestui-events)")
    p.add_argument("--queue", metavar="NAME", help="your SQS queue (default sestui-<login>)")
    p.add_argument("--identity-notifications", action="store_true",
                   help="also send the identity's Bounce/Complaint/Delivery notifications to the topic")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.aws import AwsError
    from sestui.cli.output import (
        Report,  # rich: imported only by the commands that draw
    )
    from sestui.ops import setup as wiring
    from sestui.ops.setup_apply import Setup

    for attr, (limit, flag) in _NAME_RULES.items():
        value = getattr(args, attr)
        if value is not None and not re.fullmatch(rf"[A-Za-z0-9_-]{{1,{limit}}}", value):
            raise CliError(f"{flag} {value!r}: use up to {limit} letters, digits, - and _", 2)
    if "." not in args.identity.rpartition("@")[2]:
        raise CliError(f"--identity {args.identity!r}: give a domain (example.com) or an address", 2)
    request = wiring.Request(
        identity=args.identity, configuration_set=args.configuration_set,
        topic=args.topic or wiring.DEFAULT_TOPIC, queue=args.queue or wiring.default_queue_name(),
        identity_notifications=args.identity_notifications)
    aws = ctx.aws()
    try:
        current = wiring.survey(aws, request)
    except AwsError as exc:
        raise CliError(f"reading the account: {exc}") from None
    steps = wiring.plan(request, current)
    out = Report()
    out.text(f"sestui setup: account {current.account}, region {current.region}"
             + (" (dry run: nothing is changed)" if args.dry_run else ""))
    if args.dry_run:
        for step in steps:
            out.line(step.action, step.label, step.detail)
        todo = len(wiring.changes(steps))
        print(f"{todo} to create or change" if todo else "nothing to change")
        return 0
    try:
        done = Setup(aws, request, current).apply(
            steps, on_step=lambda step: out.line(wiring.DONE[step.action], step.label, step.detail))
    except AwsError as exc:
        raise CliError(f"setup stopped: {exc} (what was done is kept; run `sestui setup` again)") from None
    made = len(wiring.changes(done))
    print(f"{made} created or changed" if made else "nothing to change")
    return _write_wiring_config(ctx, aws, request, current)


def _write_wiring_config(ctx: Context, aws, request, current) -> int:
    from sestui.config.file import ConfigWriteError, update

    settings = ctx.settings
    values = {"queue_url": current.queue_url, "region": aws.region}
    if settings.endpoint_url:
        values["endpoint_url"] = settings.endpoint_url  # the queue URL only works with it
    table = {"identity": request.identity, "configuration_set": request.configuration_set,
             "topic_arn": current.topic_arn}
    try:
        changed = update(settings.file, values, {"wiring": table})
    except ConfigWriteError as exc:
        say(f"sestui: error: {exc}", file=sys.stderr)
        return 1
    say(f"config: {', '.join(changed)} written to {settings.file}" if changed
        else f"config: {settings.file} already up to date")
    source = settings.sources.get("queue_url", "")
    if source.startswith(("flag", "environment")) and settings.queue_url != current.queue_url:
        say(f"note: queue_url from {source} overrides the file")
    print("next: sestui doctor")
    return 0
