"""Command line entry point: `sestui [command] ...`.

Every command takes `--db` and the AWS options; errors are one line on stderr and a non-zero exit.
Each command is a module with `register(subparsers)` (adding its parser, whose `run` default is
`run(ctx, args)`); a new command is one more entry in COMMANDS.
"""

from __future__ import annotations

import argparse
import os
import sys

from sestui import __version__
from sestui.cli import (
    collect,
    config,
    console,
    demo,
    dlq,
    doctor,
    export,
    ingest,
    migrate,
    outbox,
    prune,
    resume,
    rules,
    sandbox,
    send,
    setup,
    status,
    suppress,
)
from sestui.cli.common import CliError, Context, common_options
from sestui.core.safe_text import safe_line

# In the order `sestui --help` lists them.
COMMANDS = (demo, sandbox, ingest, export, suppress, send, collect, prune, migrate, setup, doctor, status, rules,
            outbox, resume, dlq, config)

__all__ = ["COMMANDS", "CliError", "Context", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sestui",
        description="A terminal console for Amazon SES: account health, live events, timelines, suppressions. "
                    "With no command, sestui opens the console (the options below are its); "
                    "`sestui demo` opens it on a local sandbox, without AWS.",
        parents=[common_options()],
    )
    parser.add_argument("--version", action="version", version=f"sestui {__version__}")
    console.configure(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _known_failure(exc: Exception) -> int | None:
    """The exit status of an error from the layers below that is a one-line message, not a bug:
    a corrupt or foreign database, an unusable config file, an AWS failure nobody caught."""
    from sestui.aws import AwsError
    from sestui.config.file import ConfigWriteError
    from sestui.config.settings import ConfigError
    from sestui.store import StoreError
    from sestui.store.base import StoreUnreachable

    # A database server that cannot be reached is 2, as a bad configuration (the console's start too).
    statuses: dict[type[Exception], int] = {ConfigError: 2, ConfigWriteError: 1, StoreUnreachable: 2, StoreError: 1,
                                            AwsError: 1}
    return next((status for kind, status in statuses.items() if isinstance(exc, kind)), None)


def _console_option_of(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The console's own option (--account, --read-only) given with a command that has no such option."""
    if not args.command:
        return None
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own = {action.dest for action in commands.choices[args.command]._actions}
    return next((flag for flag, dest in (("--account", "account"), ("--read-only", "read_only"))
                 if getattr(args, dest, None) and dest not in own), None)


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("SESTUI_PARENT_FD"):  # a child of the console: end with it (where no PDEATHSIG)
        from sestui.cli.children import watch_parent_pipe

        watch_parent_pipe()
    parser = build_parser()
    args = parser.parse_args(argv)
    misplaced = _console_option_of(parser, args)
    if misplaced:  # `sestui --read-only suppress add X` would change AWS all the same
        parser.error(f"{misplaced} is an option of the console (sestui with no command), not of `sestui {args.command}`")
    try:
        return args.run(Context(args), args) or 0
    except CliError as exc:
        print(f"sestui: error: {safe_line(exc)}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("sestui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `sestui outbox list | head` is normal use: the reader has what it wanted. Nothing more is
        # written (not even the buffer's flush at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        status = _known_failure(exc)
        if status is not None:
            print(f"sestui: error: {safe_line(exc)}", file=sys.stderr)
            return status
        # A bug: say so in one line; the traceback on request.
        if os.environ.get("SESTUI_DEBUG"):
            raise
        print(f"sestui: internal error: {type(exc).__name__}: {safe_line(exc)} (SESTUI_DEBUG=1 shows the "
              "traceback; please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
