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


# --- collect ------------------------------------------------------------------------------------


def cmd_collect(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from .aws import AwsError
    from .collector import Collector, CollectorOptions

    settings = _settings(args)
    if not settings.queue_url:
        raise CliError("no queue: pass --queue-url, set SESTUI_QUEUE_URL, or put queue_url in "
                       f"{settings.file} (`sestui setup` creates the wiring)", 2)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z")
    aws = _aws(args)
    try:
        aws.queue_depth(settings.queue_url)  # fail fast on a wrong queue, region or credentials
    except AwsError as exc:
        if exc.kind in ("no_queue", "credentials", "denied", "rejected"):
            raise CliError(str(exc)) from None
        logging.warning("%s (the collector will keep retrying)", exc)
    verify = _verifier(settings)
    store = _open_store(args)
    options = CollectorOptions(
        queue_url=settings.queue_url, receivers=settings.receivers, wait_seconds=settings.wait_seconds,
        visibility_timeout=settings.visibility_timeout, account_interval=settings.account_interval,
        stats_interval=settings.stats_interval,
    )
    collector = Collector(aws, store, options, verify=verify)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.info("collecting from %s into %s", settings.queue_url, store.path)
    collector.start()
    try:
        while not stop.wait(60):
            logging.info("%s received=%d rate=%.1f/s", collector.stats.totals.summary(),
                         collector.stats.received, collector.stats.rate())
    finally:
        collector.stop(timeout=2.0)
        store.close()
    logging.info("stopped: %s", collector.stats.totals.summary())
    return 0


def _verifier(settings):
    if not settings.verify_signatures:
        return None
    from .signatures import SnsVerifier

    try:
        return SnsVerifier(settings.topic_allowlist)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None


# --- console ------------------------------------------------------------------------------------


def _collector_settings(settings, queue_url: str | None):
    from .collector import CollectorOptions

    return CollectorOptions(
        queue_url=queue_url, receivers=settings.receivers, wait_seconds=settings.wait_seconds,
        visibility_timeout=settings.visibility_timeout, account_interval=settings.account_interval,
        stats_interval=settings.stats_interval,
    )


def cmd_console(args: argparse.Namespace) -> int:
    from .launch import LaunchError, Target, run_console

    settings = _settings(args)
    target = Target(settings.profile, settings.region, settings.endpoint_url, settings.queue_url,
                    None, settings.db_path)
    try:
        return run_console(target, read_only=settings.read_only, keymap=settings.keymap, theme=settings.theme,
                           collector_options=_collector_settings(settings, settings.queue_url))
    except LaunchError as exc:
        print(str(exc), file=sys.stderr)
        return 1


def cmd_demo(args: argparse.Namespace) -> int:
    from .launch import LaunchError, Target, demo_db_path, run_console, start_sandbox

    settings = _settings(args)
    try:
        proc, info = start_sandbox(args.rate)
    except LaunchError as exc:
        raise CliError(str(exc)) from None
    db = settings.db_path if settings.values["db"] else demo_db_path()
    target = Target(None, info["region"], info["endpoint_url"], info["queue_url"], info["configuration_set"], db)
    options = _collector_settings(settings, info["queue_url"])
    # The sandbox answers instantly: poll it often so the demo feels live.
    options.wait_seconds, options.receivers = 1, 2
    options.account_interval, options.stats_interval, options.depth_interval = 5.0, 15.0, 5.0
    try:
        return run_console(target, read_only=settings.read_only, keymap=settings.keymap, theme=settings.theme,
                           collector_options=options, demo_process=proc, profile_label="demo")
    except LaunchError as exc:
        proc.kill()
        raise CliError(str(exc)) from None


# --- config -------------------------------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    from .config import SETTINGS

    settings = _settings(args)
    exists = "" if settings.file.exists() else " (not present)"
    print(f"# config file: {settings.file}{exists}")
    print(f"# database:    {settings.db_path}")
    width = max(len(name) for name in SETTINGS)
    for name in SETTINGS:
        value = settings.values[name]
        shown = json.dumps(value) if value is not None else "-"
        print(f"{name:<{width}} = {shown:<40} # {settings.sources[name]}")
    for table, values in settings.tables.items():
        print(f"[{table}] {json.dumps(values)}")
    return 0


# --- shared helpers -----------------------------------------------------------------------------


def _settings(args: argparse.Namespace):
    """Flags, environment, config file and defaults, resolved once per command."""
    from .config import SETTINGS, ConfigError, load

    cached = getattr(args, "_settings", None)
    if cached is not None:
        return cached
    flags = {name: getattr(args, name, None) for name in SETTINGS}
    try:
        args._settings = load(flags)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    return args._settings


def _open_store(args: argparse.Namespace, readonly: bool = False):
    from .store import Store, StoreError

    try:
        return Store(_settings(args).db_path, readonly=readonly)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _aws(args: argparse.Namespace):
    from .aws import Aws, AwsError

    settings = _settings(args)
    try:
        return Aws(settings.profile, settings.region, settings.endpoint_url, sqs_wait_seconds=settings.wait_seconds)
    except AwsError as exc:
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
    _console_options(parser)
    parser.set_defaults(func=cmd_console)
    sub = parser.add_subparsers(dest="command", metavar="command")

    p = sub.add_parser("demo", parents=[common], help="the console against a local sandbox with generated traffic",
                       description="Start the embedded sandbox (SES, SNS, SQS on 127.0.0.1) with generated traffic "
                                   "and open the console on it. No AWS account needed.")
    p.add_argument("--rate", type=float, default=3.0, metavar="R", help="generated messages per second (default 3)")
    p.add_argument("--read-only", action="store_const", const=True, default=None,
                   help="hide every action that changes AWS")
    p.set_defaults(func=cmd_demo)

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

    p = sub.add_parser("collect", parents=[common], help="headless collector: SQS queue -> database",
                       description="Receive SES notifications from SQS into the database until SIGINT/SIGTERM; "
                                   "also polls the account status and sending statistics.")
    _collector_options(p)
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("config", parents=[common], help="print the effective settings and where they come from")
    _collector_options(p)
    p.set_defaults(func=cmd_config)
    return parser


def _console_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue-url", metavar="URL", help="SQS queue that receives the SES notifications")
    p.add_argument("--read-only", action="store_const", const=True, default=None,
                   help="hide every action that changes AWS (suppression edits, sends)")


def _collector_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue-url", metavar="URL", help="SQS queue URL")
    p.add_argument("--receivers", type=int, metavar="N", help="parallel receivers (default 4)")
    p.add_argument("--wait-seconds", type=int, metavar="S", help="SQS long-poll wait, 0..20 (default 20)")
    p.add_argument("--visibility-timeout", type=int, metavar="S", help="seconds a message stays hidden (default 60)")
    p.add_argument("--account-interval", type=float, metavar="S", help="account poll interval (default 60)")
    p.add_argument("--stats-interval", type=float, metavar="S", help="statistics poll interval (default 300)")
    p.add_argument("--verify-signatures", action="store_const", const=True, default=None,
                   help="verify SNS signatures (off by default)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = args.func
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
