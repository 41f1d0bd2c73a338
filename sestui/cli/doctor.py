"""`sestui doctor`: check the wiring end to end; OK / WARN / FAIL lines with fixes."""

from __future__ import annotations

import argparse
from contextlib import ExitStack, closing

from sestui.cli.common import CliError, Context, add_command


def register(subparsers) -> None:
    p = add_command(subparsers, "doctor", run, help="check the wiring end to end; OK / WARN / FAIL with fixes",
                    description="Check credentials, account, queue, subscription, policy, configuration set, "
                                "identity, dead-letter queue and stored events, then send one message to "
                                "success@simulator.amazonses.com and wait for its Delivery. Exit status 1 if "
                                "any check FAILs.")
    p.add_argument("--queue-url", metavar="URL", default=argparse.SUPPRESS,  # `sestui --queue-url X doctor` too
                   help="SQS queue URL (default: queue_url from the config)")
    p.add_argument("--identity", metavar="DOMAIN_OR_ADDRESS", help="identity to check and send from")
    p.add_argument("--configuration-set", metavar="NAME", help="configuration set to check and send with")
    p.add_argument("--no-send", action="store_true", help="skip the round trip (sends no mail)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds to wait for the round trip's Delivery (default 60)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.cli.output import (
        Report,  # rich: imported only by the commands that draw
    )
    from sestui.ops.build import BuildError, build_collector
    from sestui.ops.doctor import FAIL, Doctor, DoctorOptions

    if args.timeout <= 0:
        raise CliError("--timeout must be positive", 2)
    settings = ctx.settings
    wiring = settings.wiring
    explicit_queue = settings.sources.get("queue_url", "").startswith("flag")
    options = DoctorOptions(
        queue_url=settings.queue_url,
        identity=args.identity or wiring.identity,
        configuration_set=args.configuration_set or wiring.configuration_set,
        topic_arn=None if explicit_queue else wiring.topic_arn,
        send=not args.no_send, timeout=args.timeout, verify_signatures=settings.verify_signatures)
    aws = ctx.aws()
    out = Report()
    with ExitStack() as stack:
        if options.send and options.queue_url:  # the round trip stores what it takes from the queue, as collect would
            store = stack.enter_context(closing(ctx.open_store()))
        else:  # only reads: a database that is not there is said, as `status` says it, never created
            store, options.missing_database = stack.enter_context(ctx.store_or_scratch())
        try:  # the round trip receives exactly as `sestui collect` does
            collector = build_collector(settings, aws, store)
        except BuildError as exc:
            raise CliError(str(exc), 2) from None
        doctor = Doctor(aws, store, options, collector=collector)
        for check in doctor.run():
            out.line(check.status, check.name, check.detail, check.fix)
    counts = {s: sum(1 for c in doctor.results if c.status == s) for s in ("OK", "WARN", "FAIL", "SKIP")}
    facts = doctor.facts
    out.text(" ".join(f"{n} {s}" for s, n in counts.items() if n) + f" | queue {options.queue_url or '-'}, topic "
             f"{(facts.topic_arn or '-').rsplit(':', 1)[-1]}, configuration set {facts.configuration_set or '-'}, "
             f"identity {facts.identity or '-'}")
    return 1 if counts[FAIL] else 0
