"""`sestui prune`: delete old events, raw records, quarantined bodies and finished outbox items
(audit rows are kept)."""

from __future__ import annotations

import argparse
from datetime import timedelta

from sestui.cli.common import CliError, Context, add_command


def register(subparsers) -> None:
    p = add_command(subparsers, "prune", run, help="delete old events and quarantined bodies",
                    description="Delete events, raw records, quarantined bodies and finished outbox items older "
                                "than a given age (the database holds personal data). Audit rows are kept.")
    p.add_argument("--older-than", metavar="AGE", help="e.g. 30d, 12h (default: retention_days from the config)")
    p.add_argument("--vacuum", action="store_true", help="reclaim the disk space afterwards (VACUUM)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.core.timespec import parse_duration
    from sestui.store import now_ms

    settings = ctx.settings
    if args.older_than:
        try:
            age = parse_duration(args.older_than)
        except ValueError as exc:
            raise CliError(str(exc), 2) from None
        except OverflowError:
            raise CliError(f"--older-than {args.older_than!r}: too long ago (at most {timedelta.max.days} days)",
                           2) from None
        if age <= timedelta(0):
            raise CliError(f"--older-than {args.older_than!r}: would delete every event; give an age (e.g. 30d)",
                           2)
    elif settings.retention_days:
        age = timedelta(days=settings.retention_days)
    else:
        raise CliError("say how old: --older-than 30d (or set retention_days in the config)", 2)
    store = ctx.existing_store()
    try:
        cutoff = now_ms() - int(age.total_seconds() * 1000)
        removed = {**store.prune(cutoff), "outbox": store.outbox.prune(cutoff)}
        if args.vacuum:
            store.vacuum()
    finally:
        store.close()
    if not removed["outbox"]:  # a database no rule writes to says what it always said
        del removed["outbox"]
    print(" ".join(f"{k}={v}" for k, v in removed.items()))
    return 0
