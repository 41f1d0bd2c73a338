"""`sestui ingest PATH...`: SQS message bodies from files into the database."""

from __future__ import annotations

import argparse
import os
import sys
from typing import BinaryIO

from sestui.cli.common import CliError, Context, add_command


def register(subparsers) -> None:
    p = add_command(subparsers, "ingest", run, help="import SQS message bodies from files",
                    description="Import SQS message bodies: JSON Lines, a JSON array, or `aws sqs receive-message` "
                                "output.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files to read ('-' for standard input)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.cli.output import (
        IngestProgress,  # rich: imported only by the commands that draw
    )
    from sestui.ops.bodies import BodyFileError, iter_bodies
    from sestui.ops.ingest import Ingester
    from sestui.store import StoreFull

    for name in args.paths:
        if name != "-" and not os.path.isfile(name):
            raise CliError(f"{name}: no such file" if not os.path.exists(name) else f"{name}: not a file")
    sizes = [os.path.getsize(n) for n in args.paths if n != "-"]
    store = ctx.open_store()
    ingester = Ingester(store, parallel=Ingester.worth_parallel(sum(sizes)))
    try:
        for name in args.paths:
            with _source(name) as f:
                progress = IngestProgress(name, f)
                ingester.on_progress = progress.update
                try:
                    ingester.run(iter_bodies(f))
                except BodyFileError as exc:
                    progress.done()
                    print(ingester.total.summary())
                    raise CliError(f"{name}: {exc} (everything before it was stored)") from None
                except OSError as exc:
                    raise CliError(f"{name}: {exc.strerror or exc}") from None
                except StoreFull as exc:
                    # Batches are committed whole or not at all: what the summary counts is stored.
                    progress.done()
                    print(ingester.total.summary())
                    raise CliError(f"{exc}; stored before it: {ingester.total.summary()}"
                                   f" (from {name} on, the rest was not stored: run the import again"
                                   " once there is room; what is stored already counts as duplicates)") from None
                finally:
                    progress.done()
    finally:
        ingester.close()
        store.close()
    print(ingester.total.summary())
    return 0


def _source(name: str) -> BinaryIO:
    if name == "-":
        return sys.stdin.buffer
    try:
        return open(name, "rb")
    except OSError as exc:
        raise CliError(f"{name}: {exc.strerror}") from None
