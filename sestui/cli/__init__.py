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

from sestui import __version__
from sestui.core.events import DETAIL_FIELDS, EVENT_TYPES
from sestui.core.timespec import parse_time

EXPORT_KEYS = ("message_id", "event_type", "recipient", "timestamp") + DETAIL_FIELDS


class CliError(Exception):
    """A failure to report as one line, with an exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


# --- ingest -------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from sestui.ops.bodies import BodyFileError, iter_bodies
    from sestui.ops.ingest import Ingester

    for name in args.paths:
        if name != "-" and not os.path.isfile(name):
            raise CliError(f"{name}: no such file" if not os.path.exists(name) else f"{name}: not a file")
    sizes = [os.path.getsize(n) for n in args.paths if n != "-"]
    store = _open_store(args)
    ingester = Ingester(store, parallel=Ingester.worth_parallel(sum(sizes)))
    try:
        for name in args.paths:
            try:
                f = sys.stdin.buffer if name == "-" else open(name, "rb")
            except OSError as exc:
                raise CliError(f"{name}: {exc.strerror}") from None
            with f:
                progress = _Progress(name, f)
                ingester.on_progress = progress.update
                try:
                    ingester.run(iter_bodies(f))
                except BodyFileError as exc:
                    progress.done()
                    print(ingester.total.summary())
                    raise CliError(f"{name}: {exc} (everything before it was stored)") from None
                except OSError as exc:
                    raise CliError(f"{name}: {exc.strerror or exc}") from None
                progress.done()
    finally:
        ingester.close()
        store.close()
    print(ingester.total.summary())
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
    from sestui.store import iso_ms, to_ms

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

    from sestui.aws import AwsError
    from sestui.ops.collector import Collector
    from sestui.ops.policies import RULES

    settings = _settings(args)
    if not settings.queue_url:
        raise CliError("no queue: pass --queue-url, set SESTUI_QUEUE_URL, or put queue_url in "
                       f"{settings.file} (`sestui setup` creates the wiring)", 2)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    aws = _aws(args)
    try:
        aws.queue_depth(settings.queue_url)  # fail fast on a wrong queue, region or credentials
    except AwsError as exc:
        if exc.kind in ("no_queue", "credentials", "denied", "rejected"):
            raise CliError(str(exc)) from None
        logging.warning("%s (the collector will keep retrying)", exc)
    verify = _verifier(settings)
    store = _open_store(args)
    options = _collector_settings(settings, settings.queue_url)
    engine = _policy_engine(settings, aws, store)
    collector = Collector(aws, store, options, verify=verify, on_commit=engine.apply)
    if engine.active:
        modes = ", ".join(f"{rule}={engine.config.mode(rule)}" for rule in RULES)
        logging.info("suppression policies: %s", modes)
    if stop.is_set():  # interrupted while starting: nothing was received yet
        store.close()
        return 0
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


def _policy_config(settings):
    from sestui.ops.policies import PolicyConfig

    try:
        return PolicyConfig.from_table(settings.tables.get("policies"))
    except ValueError as exc:
        raise CliError(f"{settings.file}: {exc}", 2) from None


def _policy_engine(settings, aws, store):
    from sestui.ops.policies import PolicyEngine

    return PolicyEngine(_policy_config(settings), aws, store)


def _verifier(settings):
    if not settings.verify_signatures:
        return None
    from sestui.aws.signatures import SnsVerifier

    try:
        return SnsVerifier(settings.topic_allowlist)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None


# --- console ------------------------------------------------------------------------------------


def _collector_settings(settings, queue_url: str | None):
    from sestui.ops.collector import CollectorOptions

    return CollectorOptions(
        queue_url=queue_url, receivers=settings.receivers, wait_seconds=settings.wait_seconds,
        visibility_timeout=settings.visibility_timeout, account_interval=settings.account_interval,
        stats_interval=settings.stats_interval, retention_days=settings.retention_days,
    )


def cmd_console(args: argparse.Namespace) -> int:
    from sestui.config.settings import ConfigError
    from sestui.cli.launch import LaunchError, run_console

    settings = _settings(args)
    try:
        targets = _targets(settings)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    first = args.account or "default"
    if first not in targets:
        raise CliError(f"no account {first!r} in {settings.file} (known: {', '.join(targets)})", 2)
    try:
        return run_console(targets, first, read_only=settings.read_only, keymap=settings.keymap,
                           theme=settings.theme, collector_options=_collector_settings(settings, settings.queue_url),
                           policies=_policy_config(settings))
    except LaunchError as exc:
        print(str(exc), file=sys.stderr)
        return 1


def _targets(settings) -> dict:
    """The configured account (flags, environment, file) as "default", then each [accounts.NAME]."""
    from pathlib import Path

    from sestui.cli.launch import Target

    wiring = settings.tables.get("wiring") or {}
    targets = {"default": Target(settings.profile, settings.region, settings.endpoint_url, settings.queue_url,
                                 wiring.get("configuration_set"), settings.db_path,
                                 label=settings.profile or "default")}
    for name, acct in settings.accounts.items():
        targets[name] = Target(acct.get("profile"), acct.get("region"), acct.get("endpoint_url"),
                               acct.get("queue_url"), acct.get("configuration_set"),
                               Path(acct["db"]).expanduser(), label=name)
    return targets


def cmd_demo(args: argparse.Namespace) -> int:
    from sestui.cli.launch import LaunchError, Target, demo_db_path, run_console, start_sandbox

    settings = _settings(args)
    try:
        proc, info = start_sandbox(args.rate, ["--history", "14"])
    except LaunchError as exc:
        raise CliError(str(exc)) from None
    db = settings.db_path if settings.values["db"] else demo_db_path()
    target = Target(None, info["region"], info["endpoint_url"], info["queue_url"], info["configuration_set"], db,
                    label="demo")
    options = _collector_settings(settings, info["queue_url"])
    # The sandbox answers instantly: poll it often so the demo feels live.
    options.wait_seconds, options.receivers = 1, 2
    options.account_interval, options.stats_interval, options.depth_interval = 5.0, 15.0, 5.0
    try:
        return run_console({"demo": target}, "demo", read_only=settings.read_only, keymap=settings.keymap,
                           theme=settings.theme, collector_options=options, policies=_policy_config(settings),
                           demo_process=proc)
    except LaunchError as exc:
        proc.kill()
        raise CliError(str(exc)) from None


def cmd_sandbox(args: argparse.Namespace) -> int:
    try:
        from sestui.sandbox import SandboxError, SandboxOptions, run_sandbox
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in ("moto", "flask", "flask_cors", "werkzeug"):
            raise CliError("the sandbox needs the demo extra: pip install 'sestui[demo]'") from None
        raise
    try:
        return run_sandbox(SandboxOptions(**{f: getattr(args, f) for f in SandboxOptions.__dataclass_fields__
                                             if getattr(args, f, None) is not None}))
    except SandboxError as exc:
        raise CliError(str(exc)) from None


# --- suppress / send -----------------------------------------------------------------------------


def cmd_suppress(args: argparse.Namespace) -> int:
    from sestui.ops import suppressions as service
    from sestui.aws import AwsError

    aws = _aws(args)
    store = _open_store(args)
    try:
        if args.action == "list":
            service.refresh(aws, store)
            _print_suppressions(store.suppressions(args.filter))
        elif args.action == "add":
            for email in args.emails:
                service.add(aws, store, email, args.reason, origin="cli")
                print(f"added {email} ({args.reason.upper()})")
        elif args.action == "remove":
            missing = 0
            for email in args.emails:
                if service.remove(aws, store, email, origin="cli"):
                    print(f"removed {email}")
                else:
                    missing += 1
                    print(f"{email} was not on the list", file=sys.stderr)
            return 1 if missing else 0
        elif args.action == "export":
            service.refresh(aws, store)
            rows = store.suppressions()
            if args.path == "-":
                n = service.write_csv(sys.stdout, rows)
            else:
                with open(args.path, "w", newline="", encoding="utf-8") as f:
                    n = service.write_csv(f, rows)
            print(f"exported {n} addresses", file=sys.stderr)
        elif args.action == "import":
            return _import_suppressions(aws, store, args)
    except AwsError as exc:
        raise CliError(service.plain_reason(exc, " ".join(getattr(args, "emails", [])))) from None
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    except OSError as exc:
        raise CliError(f"{exc.filename}: {exc.strerror}") from None
    finally:
        store.close()
    return 0


def _import_suppressions(aws, store, args) -> int:
    from sestui.ops import suppressions as service
    from sestui.aws import AwsError

    with (sys.stdin if args.path == "-" else open(args.path, newline="", encoding="utf-8")) as f:
        rows, errors = service.read_csv(f, default_reason=args.reason.upper())
    for error in errors:
        print(f"skipped {error}", file=sys.stderr)
    added = failed = 0
    for row in rows:
        if args.dry_run:
            print(f"would add {row.email} ({row.reason})")
            continue
        try:
            service.add(aws, store, row.email, row.reason, origin="cli import")
            added += 1
        except AwsError as exc:
            failed += 1
            print(f"line {row.line}: {row.email}: {service.plain_reason(exc, row.email)}", file=sys.stderr)
    print(f"added={added} failed={failed} skipped={len(errors)}")
    return 1 if failed or errors else 0


def _print_suppressions(rows: list[dict]) -> None:
    from sestui.store import iso_ms

    for row in rows:
        updated = iso_ms(row["last_update"]) if row["last_update"] else "-"
        print(f"{row['email']}\t{row['reason']}\t{updated}")
    print(f"{len(rows)} suppressed", file=sys.stderr)


def cmd_send(args: argparse.Namespace) -> int:
    from sestui.aws import AwsError

    aws = _aws(args)
    tags = {}
    for item in args.tag or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"--tag {item!r}: use NAME=VALUE", 2)
        tags[name] = value
    try:
        message_id = aws.send_email(sender=args.sender, to=args.to, subject=args.subject, body=args.body,
                                    configuration_set=args.configuration_set, tags=tags)
    except AwsError as exc:
        raise CliError(str(exc)) from None
    print(message_id)
    return 0


# --- prune --------------------------------------------------------------------------------------


def cmd_prune(args: argparse.Namespace) -> int:
    from sestui.store import now_ms
    from sestui.core.timespec import parse_duration

    settings = _settings(args)
    if args.older_than:
        try:
            age = parse_duration(args.older_than)
        except ValueError as exc:
            raise CliError(str(exc), 2) from None
    elif settings.retention_days:
        from datetime import timedelta

        age = timedelta(days=settings.retention_days)
    else:
        raise CliError("say how old: --older-than 30d (or set retention_days in the config)", 2)
    store = _open_store(args)
    try:
        removed = store.prune(now_ms() - int(age.total_seconds() * 1000))
        if args.vacuum:
            store.vacuum()
    finally:
        store.close()
    print(" ".join(f"{k}={v}" for k, v in removed.items()))
    return 0


# --- config -------------------------------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    from sestui.config.settings import SETTINGS

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


# --- setup / doctor -----------------------------------------------------------------------------

_NAME_RULES = {"topic": (256, "--topic"), "queue": (76, "--queue"), "configuration_set": (64, "--configuration-set")}


def cmd_setup(args: argparse.Namespace) -> int:
    import re

    from sestui.ops import setup as wiring
    from sestui.aws import AwsError

    for attr, (limit, flag) in _NAME_RULES.items():
        value = getattr(args, attr)
        if value is not None and not re.fullmatch(rf"[A-Za-z0-9_-]{{1,{limit}}}", value):
            raise CliError(f"{flag} {value!r}: use up to {limit} letters, digits, - and _", 2)
    if "." not in args.identity.rpartition("@")[2]:
        raise CliError(f"--identity {args.identity!r}: give a domain (example.com) or an address", 2)
    settings = _settings(args)
    request = wiring.Request(
        identity=args.identity, configuration_set=args.configuration_set,
        topic=args.topic or wiring.DEFAULT_TOPIC, queue=args.queue or wiring.default_queue_name(),
        identity_notifications=args.identity_notifications)
    aws = _aws(args)
    try:
        current = wiring.survey(aws, request)
    except AwsError as exc:
        raise CliError(f"reading the account: {exc}") from None
    steps = wiring.plan(request, current)
    out = _Report()
    print(f"sestui setup: account {current.account}, region {current.region}"
          + (" (dry run: nothing is changed)" if args.dry_run else ""))
    if args.dry_run:
        for step in steps:
            out.line(step.action, step.label, step.detail)
        todo = len(wiring.changes(steps))
        print(f"{todo} to create or change" if todo else "nothing to change")
        return 0
    try:
        done = wiring.Setup(aws, request, current).apply(
            steps, on_step=lambda step: out.line(wiring.DONE[step.action], step.label, step.detail))
    except AwsError as exc:
        raise CliError(f"setup stopped: {exc} (what was done is kept; run `sestui setup` again)") from None
    made = len(wiring.changes(done))
    print(f"{made} created or changed" if made else "nothing to change")
    return _write_wiring_config(settings, aws, request, current)


def _write_wiring_config(settings, aws, request, current) -> int:
    from sestui.config.file import ConfigWriteError, update

    values = {"queue_url": current.queue_url, "region": aws.region}
    if settings.endpoint_url:
        values["endpoint_url"] = settings.endpoint_url  # the queue URL only works with it
    table = {"identity": request.identity, "configuration_set": request.configuration_set,
             "topic_arn": current.topic_arn}
    try:
        changed = update(settings.file, values, {"wiring": table})
    except ConfigWriteError as exc:
        print(f"sestui: error: {exc}", file=sys.stderr)
        return 1
    print(f"config: {', '.join(changed)} written to {settings.file}" if changed
          else f"config: {settings.file} already up to date")
    source = settings.sources.get("queue_url", "")
    if source.startswith(("flag", "environment")) and settings.queue_url != current.queue_url:
        print(f"note: queue_url from {source} overrides the file")
    print("next: sestui doctor")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from sestui.ops.doctor import FAIL, Doctor, DoctorOptions

    if args.timeout <= 0:
        raise CliError("--timeout must be positive", 2)
    settings = _settings(args)
    table = settings.tables.get("wiring") or {}
    explicit_queue = settings.sources.get("queue_url", "").startswith("flag")
    options = DoctorOptions(
        queue_url=settings.queue_url,
        identity=args.identity or table.get("identity"),
        configuration_set=args.configuration_set or table.get("configuration_set"),
        topic_arn=None if explicit_queue else table.get("topic_arn"),
        send=not args.no_send, timeout=args.timeout, verify_signatures=settings.verify_signatures)
    aws = _aws(args)
    store = _open_store(args)
    try:
        doctor = Doctor(aws, store, options, verify=_verifier(settings),
                        on_commit=_policy_engine(settings, aws, store).apply)
        out = _Report()
        for check in doctor.run():
            out.line(check.status, check.name, check.detail, check.fix)
    finally:
        store.close()
    counts = {s: sum(1 for c in doctor.results if c.status == s) for s in ("OK", "WARN", "FAIL", "SKIP")}
    facts = doctor.facts
    print(" ".join(f"{n} {s}" for s, n in counts.items() if n) + f" | queue {options.queue_url or '-'}, topic "
          f"{(facts.topic_arn or '-').rsplit(':', 1)[-1]}, configuration set {facts.configuration_set or '-'}, "
          f"identity {facts.identity or '-'}")
    return 1 if counts[FAIL] else 0


class _Report:
    """Aligned `WORD  name  detail` lines (and `fix:` lines), coloured only on a terminal."""

    COLOURS = {"OK": "32", "exists": "32", "created": "32", "changed": "32", "WARN": "33", "keep": "33",
               "kept": "33", "create": "36", "change": "36", "FAIL": "31;1", "SKIP": "2"}

    def __init__(self) -> None:
        self.colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def line(self, word: str, name: str, detail: str, fix: str = "") -> None:
        shown = f"{word:<7}"
        if self.colour and word in self.COLOURS:
            shown = f"\033[{self.COLOURS[word]}m{word}\033[0m" + " " * (7 - len(word))
        print(f"{shown} {name:<18}  {detail}")
        if fix:
            print(f"{'':<7} {'':<18}  fix: {fix}")
        sys.stdout.flush()


# --- shared helpers -----------------------------------------------------------------------------


def _settings(args: argparse.Namespace):
    """Flags, environment, config file and defaults, resolved once per command."""
    from sestui.config.settings import SETTINGS, ConfigError, load

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
    from sestui.store import Store, StoreError

    try:
        return Store(_settings(args).db_path, readonly=readonly)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _aws(args: argparse.Namespace):
    from sestui.aws import Aws, AwsError

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

    p = sub.add_parser("sandbox", parents=[common], help="run the local AWS endpoint (SES, SNS, SQS) alone",
                       description="Serve SES v1/v2, SNS and SQS with the SES mailbox simulator on 127.0.0.1 until "
                                   "SIGINT/SIGTERM. The first stdout line is a JSON object: endpoint_url, region, "
                                   "queue_url, topic_arn, identity, configuration_set. Any credentials work.")
    p.add_argument("--port", type=int, default=0, metavar="N", help="port to listen on (default: a free one)")
    p.add_argument("--rate", type=float, default=0.0, metavar="R", help="generated messages per second (default 0)")
    p.add_argument("--bare", action="store_true", help="an empty account: no identity, topic, queue or configuration set")
    p.add_argument("--production", action=argparse.BooleanOptionalAction, default=True,
                   help="production access; --no-production = SES sandbox mode, verified recipients only")
    p.add_argument("--sending-paused", action="store_true", help="start with sending disabled")
    p.add_argument("--enforcement", choices=("HEALTHY", "PROBATION", "SHUTDOWN"), default="HEALTHY",
                   help="account enforcement status")
    p.add_argument("--max-send-rate", type=float, metavar="N", help="sends per second allowed (default: 14, or twice --rate)")
    p.add_argument("--max-24h-send", type=float, metavar="N", help="24-hour quota, -1 unlimited (default: 50000 or more for --rate)")
    p.add_argument("--delay-scale", type=float, default=1.0, metavar="F", help="multiply simulated delays (0 = instant)")
    p.add_argument("--seed", type=int, help="make the simulated outcomes repeatable")
    p.add_argument("--history", type=int, default=0, metavar="DAYS",
                   help="give the account a past: DAYS of sending statistics and suppressed addresses")
    p.set_defaults(func=cmd_sandbox)

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

    p = sub.add_parser("suppress", parents=[common], help="the account suppression list from the shell",
                       description="List, add, remove, import or export entries of the SES account suppression list. "
                                   "Every change is recorded in the audit table.")
    actions = p.add_subparsers(dest="action", metavar="action", required=True)
    q = actions.add_parser("list", parents=[common], help="print every entry (all pages)")
    q.add_argument("--filter", metavar="TEXT", help="only addresses containing TEXT")
    q = actions.add_parser("add", parents=[common], help="add addresses")
    q.add_argument("emails", nargs="+", metavar="EMAIL")
    q.add_argument("--reason", type=str.upper, choices=("BOUNCE", "COMPLAINT"), default="BOUNCE")
    q = actions.add_parser("remove", parents=[common], help="remove addresses")
    q.add_argument("emails", nargs="+", metavar="EMAIL")
    q = actions.add_parser("export", parents=[common], help="write every entry as CSV (email,reason,last_update)")
    q.add_argument("path", nargs="?", default="-", help="file to write ('-' = standard output)")
    q = actions.add_parser("import", parents=[common], help="add every address of a CSV file (email[,reason])")
    q.add_argument("path", help="CSV file ('-' = standard input)")
    q.add_argument("--reason", type=str.upper, choices=("BOUNCE", "COMPLAINT"), default="BOUNCE",
                   help="reason for rows that give none")
    q.add_argument("--dry-run", action="store_true", help="only print what would be added")
    p.set_defaults(func=cmd_suppress)

    p = sub.add_parser("send", parents=[common], help="send one test message; prints its MessageId")
    p.add_argument("--from", dest="sender", required=True, metavar="ADDR", help="verified sender address")
    p.add_argument("--to", required=True, action="append", metavar="ADDR", help="recipient (repeatable)")
    p.add_argument("--subject", default="sestui test message")
    p.add_argument("--body", default="Sent by sestui to check the SES -> SNS -> SQS loop.")
    p.add_argument("--configuration-set", metavar="NAME")
    p.add_argument("--tag", action="append", metavar="NAME=VALUE", help="message tag (repeatable)")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("collect", parents=[common], help="headless collector: SQS queue -> database",
                       description="Receive SES notifications from SQS into the database until SIGINT/SIGTERM; "
                                   "also polls the account status and sending statistics.")
    _collector_options(p)
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("prune", parents=[common], help="delete old events and quarantined bodies",
                       description="Delete events, raw records and quarantined bodies older than a given age "
                                   "(the database holds personal data). Audit rows are kept.")
    p.add_argument("--older-than", metavar="AGE", help="e.g. 30d, 12h (default: retention_days from the config)")
    p.add_argument("--vacuum", action="store_true", help="reclaim the disk space afterwards (VACUUM)")
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser("setup", parents=[common], help="create or adopt the SES -> SNS -> SQS wiring",
                       description="Create what is missing, idempotently: an SNS topic, an SQS queue (one per operator) "
                                   "with a dead-letter queue and a policy that lets the topic send, the subscription, "
                                   "the configuration set's SNS event destination for every event type, the set as "
                                   "the identity's default (if it has none) and, on request, the identity's "
                                   "notification topics. Writes queue_url to the config file.")
    p.add_argument("--identity", required=True, metavar="DOMAIN_OR_ADDRESS", help="the SES identity you send from")
    p.add_argument("--configuration-set", default="sestui", metavar="NAME", help="configuration set (default sestui)")
    p.add_argument("--topic", metavar="NAME", help="SNS topic, shared by every operator (default sestui-events)")
    p.add_argument("--queue", metavar="NAME", help="your SQS queue (default sestui-<login>)")
    p.add_argument("--identity-notifications", action="store_true",
                   help="also send the identity's Bounce/Complaint/Delivery notifications to the topic")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("doctor", parents=[common], help="check the wiring end to end; OK / WARN / FAIL with fixes",
                       description="Check credentials, account, queue, subscription, policy, configuration set, "
                                   "identity, dead-letter queue and stored events, then send one message to "
                                   "success@simulator.amazonses.com and wait for its Delivery. Exit status 1 if "
                                   "any check FAILs.")
    p.add_argument("--queue-url", metavar="URL", help="SQS queue URL (default: queue_url from the config)")
    p.add_argument("--identity", metavar="DOMAIN_OR_ADDRESS", help="identity to check and send from")
    p.add_argument("--configuration-set", metavar="NAME", help="configuration set to check and send with")
    p.add_argument("--no-send", action="store_true", help="skip the round trip (sends no mail)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds to wait for the round trip's Delivery (default 60)")
    p.set_defaults(func=cmd_doctor)

    from sestui.cli import status as status_command

    status_command.register(sub, common)

    p = sub.add_parser("config", parents=[common], help="print the effective settings and where they come from")
    _collector_options(p)
    p.set_defaults(func=cmd_config)
    return parser


def _console_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue-url", metavar="URL", help="SQS queue that receives the SES notifications")
    p.add_argument("--account", metavar="NAME", help="start on this [accounts.NAME] of the config file")
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
    except Exception as exc:  # a bug: say so in one line; the traceback on request
        if os.environ.get("SESTUI_DEBUG"):
            raise
        print(f"sestui: internal error: {type(exc).__name__}: {exc} (SESTUI_DEBUG=1 shows the traceback; "
              "please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
