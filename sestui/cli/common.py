"""What every command shares: the common options, the per-invocation Context (settings resolved
once, the store and AWS openers), CliError, and the helpers that print data safely."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from sestui.core.safe_text import safe_line

if TYPE_CHECKING:
    from sestui.aws import Aws
    from sestui.config.settings import Settings
    from sestui.core.events import Verifier
    from sestui.ops.collector import CollectorOptions
    from sestui.ops.policies import PolicyConfig, PolicyEngine
    from sestui.store import Store

T = TypeVar("T")


class CliError(Exception):
    """A failure to report as one line, with an exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def say(*parts: Any, file: TextIO | None = None) -> None:
    """print() for lines that hold data: every terminal control in them escaped."""
    print(safe_line(" ".join(str(p) for p in parts)), file=file or sys.stdout)


def warn(*parts: Any) -> None:
    say(*parts, file=sys.stderr)


def output_error(where: object, exc: OSError) -> str:
    """`cannot write PATH: reason` for a failed write (a read-only place, a full disk, no folder)."""
    return f"cannot write {where}: {exc.strerror or exc}"


def common_options(default: Any = None) -> argparse.ArgumentParser:
    """The options every command takes. Subcommands get them with SUPPRESS defaults so that
    `sestui --db X ingest` and `sestui ingest --db X` mean the same."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH_OR_URL", default=default,
                        help="event database: a file path, sqlite:PATH, or postgresql://user@host:port/dbname "
                             "(default: $SESTUI_DB or the user data folder)")
    aws = common.add_argument_group("AWS options")
    aws.add_argument("--profile", default=default, help="AWS profile (as in the AWS CLI)")
    aws.add_argument("--region", default=default, help="AWS region")
    aws.add_argument("--endpoint-url", metavar="URL", default=default,
                     help="send AWS requests to this endpoint (e.g. the one `sestui sandbox` prints)")
    return common


def add_command(subparsers: Any, name: str, run: Any, **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand with the common options, run by `run(ctx, args)`."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, parents=[common_options(argparse.SUPPRESS)], **kwargs)
    parser.set_defaults(run=run)
    return parser


def collector_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue-url", metavar="URL", default=argparse.SUPPRESS, help="SQS queue URL")
    p.add_argument("--receivers", type=int, metavar="N", help="parallel receivers (default 4)")
    p.add_argument("--wait-seconds", type=int, metavar="S", help="SQS long-poll wait, 0..20 (default 20)")
    p.add_argument("--visibility-timeout", type=int, metavar="S", help="seconds a message stays hidden (default 60)")
    p.add_argument("--account-interval", type=float, metavar="S", help="account poll interval (default 60)")
    p.add_argument("--stats-interval", type=float, metavar="S", help="statistics poll interval (default 300)")
    p.add_argument("--verify-signatures", action="store_const", const=True, default=None,
                   help="verify SNS signatures (off by default)")


class Context:
    """One invocation: the parsed arguments and, resolved once on first use, the settings."""

    def __init__(self, args: argparse.Namespace):
        self.args = args

    @cached_property
    def settings(self) -> Settings:
        """Flags, environment, config file and defaults."""
        from sestui.config.settings import SETTINGS, ConfigError, load

        flags = {name: getattr(self.args, name, None) for name in SETTINGS}
        try:
            return load(flags)
        except ConfigError as exc:
            raise CliError(str(exc), 2) from None

    def open_store(self, readonly: bool = False, *, outbox: bool = False) -> Store:
        """The --db store (`outbox`: the command reads the actions outbox; every backend holds one)."""
        from sestui.store import StoreError, open_store
        from sestui.store.base import StoreUnreachable

        check_database_file(self.settings.db_path)
        try:
            store = open_store(self.settings.db_path, readonly=readonly)
        except StoreError as exc:  # a server that is not there (yet): exit 2, as a bad configuration
            raise CliError(str(exc), 2 if isinstance(exc, StoreUnreachable) else 1) from None
        return store

    def existing_store(self, readonly: bool = False, *, outbox: bool = False) -> Store:
        """The --db store for a command that only reads it: a SQLite file that is not there is a
        one-line error (exit 1, as a store that cannot be opened), never a new empty file."""
        missing = missing_database(self.settings.db_path)
        if missing is not None:
            raise CliError(f"{missing} (sestui collect or sestui ingest --db PATH creates it)")
        return self.open_store(readonly, outbox=outbox)

    @contextmanager
    def store_or_scratch(self) -> Iterator[tuple[Store, str | None]]:
        """(store, missing) for a command that mostly asks AWS and only caches in the store: a
        database that is not there is said (`missing`: `no database at PATH`) and a scratch store
        deleted afterwards stands in for it, so a mistyped --db leaves nothing behind."""
        from sestui.store import Store as SqliteStore

        missing = missing_database(self.settings.db_path)
        with tempfile.TemporaryDirectory(prefix="sestui-scratch-") as empty:
            store = self.open_store() if missing is None else SqliteStore(Path(empty) / "empty.db")
            try:
                yield store, missing
            finally:
                store.close()

    def aws(self) -> Aws:
        from sestui.aws import Aws, AwsError

        settings = self.settings
        try:
            return Aws(settings.profile, settings.region, settings.endpoint_url,
                       sqs_wait_seconds=settings.wait_seconds)
        except AwsError as exc:
            raise CliError(str(exc)) from None

    def policy_config(self) -> PolicyConfig:
        from sestui.ops import build

        return self._built(build.policy_config)

    def policy_engine(self, aws: Aws, store: Store) -> PolicyEngine:
        from sestui.ops.policies import PolicyEngine

        return PolicyEngine(self.policy_config(), aws, store)

    def verifier(self) -> Verifier | None:
        from sestui.ops import build

        return self._built(build.verifier)

    def collector_options(self, queue_url: str | None) -> CollectorOptions:
        from sestui.ops import build

        return build.collector_options(self.settings, queue_url)

    def _built(self, make: Callable[[Settings], T]) -> T:
        """`make(settings)` from ops.build, its BuildError a CliError (exit 2)."""
        from sestui.ops.build import BuildError

        try:
            return make(self.settings)
        except BuildError as exc:
            raise CliError(str(exc), 2) from None


def missing_database(db: Path | str) -> str | None:
    """`no database at PATH` when --db names an SQLite file that does not exist (None: it exists, or
    it is a PostgreSQL URL, which the store reports itself)."""
    from sestui.store import sqlite_file

    path = sqlite_file(db)
    return None if path is None or path.exists() else f"no database at {path}"


def need_terminal() -> None:
    """A CliError (exit 2) unless the console can run: Textual draws on stderr and reads keys from
    stdin. Without this, `sestui 2>log` fills the log with escape codes and `sestui </dev/null`
    opens a console no key reaches."""
    streams = {"stdin": sys.__stdin__, "stderr": sys.__stderr__}
    missing = [name for name, stream in streams.items() if stream is None or not stream.isatty()]
    if missing:
        raise CliError(f"the console needs a terminal ({' and '.join(missing)} {'is' if len(missing) == 1 else 'are'}"
                       " not one); from scripts: sestui status, sestui export, sestui collect", 2)


def check_database_file(db: Path | str) -> None:
    """A CliError when a SQLite database path names a folder or a file this user may not read
    (SQLite would say only 'unable to open database file')."""
    from sestui.store import sqlite_file

    path = sqlite_file(db)
    if path is None or not path.exists():
        return
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a database file (e.g. {path / 'events.db'})")
    if not os.access(path, os.R_OK):
        raise CliError(f"cannot read {path}: permission denied")

