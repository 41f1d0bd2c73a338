"""`sestui collect`: the headless collector, SQS queue -> database, until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import itertools
import logging
import signal
import sys

from sestui.cli.common import CliError, Context, add_command, collector_flags
from sestui.core.safe_text import safe_line

log = logging.getLogger("sestui.collect")


def register(subparsers) -> None:
    p = add_command(subparsers, "collect", run, help="headless collector: SQS queue -> database",
                    description="Receive SES notifications from SQS into the database until SIGINT/SIGTERM; "
                                "also polls the account status and sending statistics.")
    collector_flags(p)
    p.add_argument("--metrics", metavar="HOST:PORT",
                   help="serve Prometheus metrics at http://HOST:PORT/metrics (PORT alone: on 127.0.0.1)")


class SafeFormatter(logging.Formatter):
    """Log lines hold AWS messages and queue names: escape every control in them."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return safe_line(super().formatMessage(record))


def run(ctx: Context, args: argparse.Namespace) -> int:
    import os

    from sestui.aws import AwsError
    from sestui.ops.build import BuildError, build_collector
    from sestui.ops.policies import RULES

    settings = ctx.settings
    if not settings.queue_url:
        raise CliError("no queue: pass --queue-url, set SESTUI_QUEUE_URL, or put queue_url in "
                       f"{settings.file} (`sestui setup` creates the wiring)", 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # psycopg_pool logs each failed reconnect (twice a second while a server is down, a line of its
    # own each): the collector says once that it cannot store, and again when it resumes.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    from sestui.cli.children import SignalStop  # ctypes and subprocess: not on other commands' start

    stop = SignalStop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop.handler)
    aws = ctx.aws()
    try:
        aws.sqs.depth(settings.queue_url)  # fail fast on a wrong queue, region or credentials
    except AwsError as exc:
        if exc.kind in ("no_queue", "credentials", "denied", "rejected"):
            raise CliError(str(exc)) from None
        log.warning("%s (the collector will keep retrying)", exc)
    store = ctx.open_store()
    try:
        # A console that runs this collector as its child shares its live policy toggles here.
        collector = build_collector(settings, aws, store, modes_file=os.environ.get("SESTUI_POLICY_MODES_FILE"))
    except BuildError as exc:
        store.close()
        raise CliError(str(exc), 2) from None
    engine = collector.policies
    if engine.active:
        modes = ", ".join(f"{rule}={engine.config.mode(rule)}" for rule in RULES)
        log.info("suppression policies: %s", modes)
    if stop.is_set():  # interrupted while starting: nothing was received yet
        store.close()
        return 0
    if collector.deliverer is not None:
        log.info("rules and guards: the outbox delivers their actions")
    if args.metrics:
        from sestui.ops import metrics

        def counters() -> dict:
            totals, stats = collector.stats.totals, collector.stats
            return {"stored": totals.stored, "duplicates": totals.duplicates, "quarantined": totals.quarantined,
                    "received": stats.received}

        try:
            server, _ = metrics.serve(args.metrics, metrics.SestuiMetrics(lambda: ctx.open_store(readonly=True),
                                                                          counters))
        except ValueError as exc:  # the message names --metrics and what it wants
            store.close()
            raise CliError(str(exc), 2) from None
        except OSError as exc:
            store.close()
            raise CliError(f"--metrics {args.metrics}: cannot listen: {exc.strerror or exc}", 2) from None
        log.info("metrics at http://%s:%d/metrics", *server.server_address[:2])
    log.info("collecting from %s into %s", settings.queue_url, store.path)
    collector.start()
    held: str | None = None
    try:
        for second in itertools.count(1):
            if stop.wait(1.0):
                break
            held = _report_holding(collector, held)
            if second % 60 == 0:
                # an SQS message carries one record, a record one event per recipient: say which is which
                log.info("messages=%d, their events: %s, %.1f events/s stored", collector.stats.received,
                         collector.stats.totals.summary(), collector.stats.rate())
    finally:
        collector.stop(timeout=2.0)
        store.close()
    log.info("stopped: %s", collector.stats.totals.summary())
    if held and _cannot_store(held):
        raise CliError(f"stopped while it could not store: {held}; stored before it: "
                       f"{collector.stats.totals.summary()}; {NOTHING_LOST}")
    return 0


NOTHING_LOST = "nothing that was not stored was deleted from SQS (it is redelivered to the next collector)"


def _cannot_store(reason: str) -> bool:
    return reason.startswith("cannot store")


def _report_holding(collector, held: str | None) -> str | None:
    """Say once when the collector stops storing (what it stored until then) and when it resumes;
    returns why it is paused now."""
    reason = collector.paused
    if bool(reason) != bool(held):
        totals = collector.stats.totals.summary()
        if reason and _cannot_store(reason):
            log.error("%s; stored before it: %s; %s", reason, totals, NOTHING_LOST)
        elif reason:
            log.warning("%s; stored before it: %s", reason, totals)
        else:
            log.info("receiving again (%s so far)", totals)
    return reason
