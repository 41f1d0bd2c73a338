"""`sestui suppress list|add|remove|export|import`: the account suppression list from the shell."""

from __future__ import annotations

import argparse
import sys

from sestui.cli.common import (
    CliError,
    Context,
    add_command,
    common_options,
    output_error,
    say,
    warn,
)
from sestui.core.safe_text import safe_cell, safe_line

REASONS = ("BOUNCE", "COMPLAINT")


def register(subparsers) -> None:
    p = add_command(subparsers, "suppress", run, help="the account suppression list from the shell",
                    description="List, add, remove, import or export entries of the SES account suppression list. "
                                "Every change is recorded in the audit table.")
    common = [common_options(argparse.SUPPRESS)]
    actions = p.add_subparsers(dest="action", metavar="action", required=True)
    q = actions.add_parser("list", parents=common, help="print every entry (all pages)")
    q.add_argument("--filter", metavar="TEXT", help="only addresses containing TEXT")
    q = actions.add_parser("add", parents=common, help="add addresses")
    q.add_argument("emails", nargs="+", metavar="EMAIL")
    q.add_argument("--reason", type=str.upper, choices=REASONS, default="BOUNCE")
    q = actions.add_parser("remove", parents=common, help="remove addresses")
    q.add_argument("emails", nargs="+", metavar="EMAIL")
    q = actions.add_parser("export", parents=common, help="write every entry as CSV (email,reason,last_update)")
    q.add_argument("path", nargs="?", default="-", help="file to write ('-' = standard output)")
    q = actions.add_parser("import", parents=common, help="add every address of a CSV file (email[,reason])")
    q.add_argument("path", help="CSV file ('-' = standard input)")
    q.add_argument("--reason", type=str.upper, choices=REASONS, default="BOUNCE",
                   help="reason for rows that give none")
    q.add_argument("--dry-run", action="store_true", help="only print what would be added")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.aws import AwsError
    from sestui.ops import suppressions as service

    aws = ctx.aws()
    if args.action in ("list", "export"):  # AWS holds the list: no database is made to cache it in
        with ctx.store_or_scratch() as (store, _missing):
            return _read(aws, store, args)
    store = ctx.open_store()
    try:
        if args.action == "add":
            for email in args.emails:
                before = aws.suppressions.get(email.strip()) if not service.email_problem(email.strip()) else None
                service.add(aws, store, email, args.reason, origin="cli")
                say(_added(email.strip(), args.reason.upper(), before.reason if before else None))
        elif args.action == "remove":
            missing = 0
            for email in args.emails:
                if service.remove(aws, store, email, origin="cli"):
                    say(f"removed {email}")
                else:
                    missing += 1
                    warn(f"{email} was not on the list")
            return 1 if missing else 0
        elif args.action == "import":
            return _import(aws, store, args)
    except AwsError as exc:
        raise CliError(service.plain_reason(exc, " ".join(getattr(args, "emails", [])))) from None
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    except BrokenPipeError:
        raise  # `| head`: cli.main ends quietly
    except OSError as exc:
        raise CliError(f"{exc.filename}: {exc.strerror}") from None
    finally:
        store.close()
    return 0


def _read(aws, store, args: argparse.Namespace) -> int:
    """`list` and `export`: the account's list, refreshed from AWS."""
    from sestui.aws import AwsError
    from sestui.ops import suppressions as service

    try:
        service.refresh(aws, store)
        if args.action == "list":
            _print_suppressions(store.suppressions(args.filter))
        else:
            _export(args.path, store.suppressions())
    except AwsError as exc:
        raise CliError(service.plain_reason(exc, "")) from None
    return 0


def _export(path: str, rows: list[dict]) -> None:
    from sestui.ops import suppressions as service

    rows = [{**row, "email": safe_cell(row["email"]), "reason": safe_cell(row["reason"])} for row in rows]
    if path == "-":
        n = service.write_csv(sys.stdout, rows)
    else:
        try:
            n = service.write_csv_file(path, rows)
        except OSError as exc:
            raise CliError(output_error(path, exc)) from None
    print(f"exported {n} addresses", file=sys.stderr)


def _import(aws, store, args: argparse.Namespace) -> int:
    from sestui.aws import AwsError
    from sestui.ops import suppressions as service

    with (sys.stdin if args.path == "-" else open(args.path, newline="", encoding="utf-8")) as f:
        rows, errors = service.read_csv(f, default_reason=args.reason.upper())
    for error in errors:
        warn(f"skipped {error}")
    # SES puts an address already listed again (its reason replaced): that is no entry more.
    listed = {entry.email.lower(): entry.reason for entry in aws.suppressions.entries()} if rows else {}
    added = updated = failed = 0
    for row in rows:
        before = listed.get(row.email.lower())
        if args.dry_run:
            say(_added(row.email, row.reason, before, would=True))
            continue
        try:
            service.add(aws, store, row.email, row.reason, origin="cli import")
        except AwsError as exc:
            failed += 1
            warn(f"line {row.line}: {row.email}: {service.plain_reason(exc, row.email)}")
            continue
        if before is None:
            added += 1
        else:
            updated += 1
    print(f"added={added} updated={updated} failed={failed} skipped={len(errors)}")
    return 1 if failed or errors else 0


def _added(email: str, reason: str, before: str | None, *, would: bool = False) -> str:
    """What putting `email` on the list did (or would do), given the reason it was listed for
    before (None: not listed)."""
    if before is None:
        return f"would add {email} ({reason})" if would else f"added {email} ({reason})"
    verb, was = ("would list", "is") if would else ("listed", "was")
    if before == reason:
        return f"{verb} {email} again ({reason}; it {was} already)"
    return f"{verb} {email} for {reason} (it {was} listed for {before})"


def _print_suppressions(rows: list[dict]) -> None:
    from sestui.store import iso_ms

    for row in rows:
        updated = iso_ms(row["last_update"]) if row["last_update"] else "-"
        print(f"{safe_line(row['email'])}\t{safe_line(row['reason'])}\t{updated}")
    print(f"{len(rows)} suppressed", file=sys.stderr)
