"""Command line entry point: `sestui [command] ...`.

Every command takes `--db` and the AWS options; errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .events import DETAIL_FIELDS, EVENT_TYPES, parse_body
from .timespec import parse_time

EXPORT_KEYS = ("message_id", "event_type", "recipient", "timestamp") + DETAIL_FIELDS
INGEST_BATCH = 2000


class CliError(Exception):
    """A failure to report as one line, with an exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def default_db_path() -> Path:
    env = os.environ.get("SESTUI_DB")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("sestui") / "events.db"


# --- ingest -------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from .bodies import BodyFileError, iter_bodies
    from .store import AddResult

    for name in args.paths:
        if name != "-" and not os.path.isfile(name):
            raise CliError(f"{name}: no such file" if not os.path.exists(name) else f"{name}: not a file")
    store = _open_store(args)
    total = AddResult()
    try:
        for name in args.paths:
            try:
                f = sys.stdin.buffer if name == "-" else open(name, "rb")
            except OSError as exc:
                raise CliError(f"{name}: {exc.strerror}") from None
            with f:
                progress = _Progress(name, f)
                batch: list = []
                try:
                    for body in iter_bodies(f):
                        batch.append((body, parse_body(body)))
                        if len(batch) >= INGEST_BATCH:
                            total += store.add(batch)
                            batch.clear()
                            progress.update(total)
                except BodyFileError as exc:
                    if batch:
                        total += store.add(batch)
                    progress.done()
                    print(total.summary())
                    raise CliError(f"{name}: {exc} (everything before it was stored)") from None
                except OSError as exc:
                    raise CliError(f"{name}: {exc.strerror or exc}") from None
                if batch:
                    total += store.add(batch)
                progress.done()
    finally:
        store.close()
    print(total.summary())
    return 0


class _Progress:
    """A one-line progress bar on stderr, only for a terminal and only for big inputs."""

    MIN_BYTES = 8 << 20

    def __init__(self, name: str, f):
        self.name, self.f = name, f
        self.size = 0
        try:
            if f.seekable():
                self.size = os.fstat(f.fileno()).st_size
        except (OSError, ValueError):
            pass
        self.enabled = sys.stderr.isatty() and self.size >= self.MIN_BYTES
        self.last = 0.0

    def update(self, total) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        frac = min(1.0, self.f.tell() / self.size)
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        sys.stderr.write(f"\r{self.name[-30:]} [{bar}] {frac:4.0%} {total.summary()}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


# --- export -------------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from .store import iso_ms, to_ms

    now = datetime.now(timezone.utc)
    try:
        since = to_ms(parse_time(args.since, now)) if args.since else None
        until = to_ms(parse_time(args.until, now)) if args.until else None
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    store = _open_store(args, readonly=True)
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
                writer.writerow(row)
            else:
                record = {k: row[k] for k in EXPORT_KEYS if row.get(k) is not None}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    except BrokenPipeError:
        # `sestui export | head` is normal use, not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        store.close()
    return 0


# --- shared helpers -----------------------------------------------------------------------------


def _open_store(args: argparse.Namespace, readonly: bool = False):
    from .store import Store, StoreError

    path = Path(args.db).expanduser() if args.db else default_db_path()
    try:
        return Store(path, readonly=readonly)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _common_options(default=None) -> argparse.ArgumentParser:
    """The options every command takes. Subcommands get them with SUPPRESS defaults so that
    `sestui --db X ingest` and `sestui ingest --db X` mean the same."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=default,
                        help="event database (default: $SESTUI_DB or the user data folder)")
    aws = common.add_argument_group("AWS options")
    aws.add_argument("--profile", default=default, help="AWS profile (as in the AWS CLI)")
    aws.add_argument("--region", default=default, help="AWS region")
    aws.add_argument("--endpoint-url", metavar="URL", default=default,
                     help="send AWS requests to this endpoint (e.g. the one `sestui sandbox` prints)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="sestui",
        description="A terminal console for Amazon SES: account health, live events, timelines, suppressions.",
        parents=[_common_options()],
    )
    parser.add_argument("--version", action="version", version=f"sestui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")

    p = sub.add_parser("ingest", parents=[common], help="import SQS message bodies from files",
                       description="Import SQS message bodies: JSON Lines, a JSON array, or `aws sqs receive-message` output.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files to read ('-' for standard input)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("export", parents=[common], help="write stored events in timestamp order",
                       description="Write stored events in timestamp order as JSON Lines or CSV.")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--type", choices=EVENT_TYPES, help="only this event type")
    p.add_argument("--message-id", metavar="ID", help="only this SES message id")
    p.add_argument("--recipient", metavar="ADDR", help="only this recipient (case-insensitive)")
    p.add_argument("--since", metavar="T", help="from this time (ISO 8601, or e.g. 2h for two hours ago)")
    p.add_argument("--until", metavar="T", help="before this time")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return func(args) or 0
    except CliError as exc:
        print(f"sestui: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("sestui: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
