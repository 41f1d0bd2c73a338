"""`sestui migrate --from A --to B`: copy history between stores (a SQLite path or a postgresql:// URL)."""

from __future__ import annotations

import argparse
import sys

from sestui.cli.common import CliError, Context, add_command, check_database_file


def register(subparsers) -> None:
    p = add_command(subparsers, "migrate", run, help="copy history between databases (SQLite, PostgreSQL)",
                    description="Copy events, raw records, messages, quarantined bodies and the audit log from "
                                "one database to another: a SQLite path or a postgresql:// URL. Safe to run "
                                "again: an interrupted copy resumes, a finished one copies nothing.")
    p.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL", help="the database to read")
    p.add_argument("--to", dest="target", required=True, metavar="PATH_OR_URL", help="the database to write")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.ops.migrate import migrate
    from sestui.store import StoreError, open_store
    from sestui.store.base import StoreUnreachable

    check_database_file(args.source)
    check_database_file(args.target)
    if _same_database(args.source, args.target):
        raise CliError(f"--from and --to name the same database ({args.target}): nothing to copy", 2)
    try:
        with open_store(args.source, readonly=True) as src, open_store(args.target) as dst:
            progress = _Bar(src.count("events")) if sys.stderr.isatty() else None
            try:
                result = migrate(src, dst, progress=progress.update if progress else None)
            finally:
                if progress:
                    progress.stop()
    except StoreError as exc:  # a server that is not there (yet): exit 2, as every command
        raise CliError(str(exc), 2 if isinstance(exc, StoreUnreachable) else 1) from None
    print(result.summary())
    return 0


def _same_database(source: str, target: str) -> bool:
    """Both name one SQLite file (however spelled), or the very same URL."""
    from sestui.store import sqlite_file

    source_file, target_file = sqlite_file(source), sqlite_file(target)
    if source_file is None or target_file is None:
        return source == target
    return source_file.resolve() == target_file.resolve()


class _Bar:
    """A transient rich bar on a terminal's stderr: the source's events read so far."""

    def __init__(self, events: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        self.progress = Progress(TextColumn("migrate"), BarColumn(), TaskProgressColumn(),
                                 TextColumn("{task.fields[summary]}"), console=Console(file=sys.stderr),
                                 transient=True)
        self.task = self.progress.add_task("migrate", total=max(events, 1), summary="")
        self.progress.start()

    def update(self, result) -> None:
        self.progress.update(self.task, completed=result.events_read, summary=result.summary())

    def stop(self) -> None:
        self.progress.stop()

