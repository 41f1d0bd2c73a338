"""`sestui export`: stored events in timestamp order as JSON Lines or CSV, every control escaped."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import UTC, datetime

from sestui.cli.common import CliError, Context, add_command, output_error
from sestui.core.events import DETAIL_FIELDS, EVENT_TYPES
from sestui.core.safe_text import json_line, safe_row
from sestui.core.timespec import parse_time

EXPORT_KEYS = ("message_id", "event_type", "recipient", "timestamp") + DETAIL_FIELDS


def register(subparsers) -> None:
    p = add_command(subparsers, "export", run, help="write stored events in timestamp order",
                    description="Write stored events in timestamp order as JSON Lines or CSV.")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--type", choices=EVENT_TYPES, help="only this event type")
    p.add_argument("--message-id", metavar="ID", help="only this SES message id")
    p.add_argument("--recipient", metavar="ADDR", help="only this recipient (case-insensitive)")
    p.add_argument("--since", metavar="T", help="from this time (ISO 8601, or e.g. 2h for two hours ago)")
    p.add_argument("--until", metavar="T", help="before this time")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.store import iso_ms, to_ms

    now = datetime.now(UTC)
    try:
        since = to_ms(parse_time(args.since, now)) if args.since else None
        until = to_ms(parse_time(args.until, now)) if args.until else None
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    if since is not None and until is not None and since >= until:
        raise CliError(f"--since {args.since} is not before --until {args.until}: no event can match", 2)
    store = ctx.existing_store(readonly=True)

    out = sys.stdout
    try:
        rows = store.iter_events(
            event_type=args.type, message_id=args.message_id, recipient=args.recipient,
            since_ms=since, until_ms=until,
        )
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_KEYS, extrasaction="ignore")
            writer.writeheader()
        for row in rows:
            row["timestamp"] = iso_ms(row["ts"])
            if args.format == "csv":
                writer.writerow(safe_row({k: row.get(k) for k in EXPORT_KEYS}))
            else:
                out.write(json_line({k: row[k] for k in EXPORT_KEYS if row.get(k) is not None}) + "\n")
        out.flush()
    except BrokenPipeError:
        # `sestui export | head` is normal use, not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        raise CliError(output_error("standard output", exc)) from None
    finally:
        store.close()
    return 0

