"""`sestui status [--json]`: the account's health with the Nagios plugin exit codes."""

from __future__ import annotations

import argparse
import json
import sys

from sestui.cli.common import CliError, Context, add_command, say

HELP = "account, quota, AWS's rates and the feed; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"


def register(subparsers) -> None:
    p = add_command(subparsers, "status", run, help=HELP,
                       description="Print the account's health (sandbox or production, sending, enforcement, quota), "
                                   "AWS's bounce and complaint rates (CloudWatch, or a labelled estimate) for the "
                                   "account and each configuration set, and the event feed. Exit status as a Nagios "
                                   "plugin: 0 OK, 1 WARNING (a review line crossed, probation, feed stale), "
                                   "2 CRITICAL (a pause line, sending disabled, quota used up), 3 UNKNOWN.")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the plugin line")
    p.add_argument("--queue-url", metavar="URL", default=argparse.SUPPRESS,
                   help="SQS queue the feed is for (default: queue_url from the config)")
    p.add_argument("--warning", action="append", default=[], metavar="KIND=RATE",
                   help="WARNING from this rate instead of AWS's review line, e.g. bounce=0.03 or complaint=0.08%%")
    p.add_argument("--critical", action="append", default=[], metavar="KIND=RATE",
                   help="CRITICAL from this rate instead of AWS's pause line")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.core.reputation import EXIT_CODES, UNKNOWN
    from sestui.ops.status import Limits, nagios_line, parse_limit, report
    from sestui.store import StoreError, now_ms

    try:
        limits = Limits(dict(map(parse_limit, args.warning)), dict(map(parse_limit, args.critical)))
    except ValueError as exc:
        _unknown(str(exc), args.json)
        raise CliError(str(exc), EXIT_CODES[UNKNOWN]) from None
    try:
        settings = ctx.settings
        aws = ctx.aws()
        # status only reads: a database that is not there is said, never created (a mistyped
        # --db would otherwise leave a new empty file behind and report an empty feed)
        with ctx.store_or_scratch() as (store, missing):
            data = report(aws, store, now_ms=now_ms(), queue_url=settings.queue_url, limits=limits)
    except CliError as exc:  # a monitoring check that cannot run is UNKNOWN, not a plain failure
        # A monitoring system reads stdout: the plugin line (or the JSON object) says why too.
        _unknown(str(exc), args.json)
        exc.status = EXIT_CODES[UNKNOWN]
        raise
    except StoreError as exc:  # the database failed while it was read
        _unknown(str(exc), args.json)
        raise CliError(str(exc), EXIT_CODES[UNKNOWN]) from None
    if missing is not None:
        data["problems"].insert(0, {"status": "OK", "message": f"database: {missing}; the feed and the"
                                    " local figures are empty (sestui collect --db PATH creates it)"})
    if args.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=True) + "\n")
    else:
        say(nagios_line(data))
        for problem in data["problems"]:
            say(f"{problem['status']}: {problem['message']}")
    return EXIT_CODES[data["status"]]



def _unknown(reason: str, as_json: bool) -> None:
    """The output of a check that could not run: `SESTUI UNKNOWN - reason`, or its JSON object."""
    from sestui.core.reputation import UNKNOWN

    if as_json:
        data = {"status": UNKNOWN, "summary": reason, "problems": [{"status": UNKNOWN, "message": reason}]}
        sys.stdout.write(json.dumps(data, ensure_ascii=True) + "\n")
    else:
        say(f"SESTUI {UNKNOWN} - {reason}")
