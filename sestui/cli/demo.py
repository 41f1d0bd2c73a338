"""`sestui demo`: the console against the embedded sandbox with generated traffic.

The demo runs with rules and guards of its own (sandbox/demo/routes.py), so the routing loop shows
with no setup: a complaint unsubscribes the person from the newsletter contact list, bounces and
complaints are POSTed, signed, to a webhook receiver this process runs on 127.0.0.1 (the sender's
application, sandbox/demo/receiver.py), and a guard pauses the "marketing" set when its complaint
rate crosses 3%. They are written, with the rest of the user's config file, into a config file of
the demo's own next to its database, which its collector reads."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sestui.cli.common import CliError, Context, add_command, need_terminal


def register(subparsers) -> None:
    p = add_command(subparsers, "demo", run, help="the console against a local sandbox with generated traffic",
                    description="Start the embedded sandbox (SES, SNS, SQS on 127.0.0.1) with generated traffic "
                                "and open the console on it. No AWS account needed. The demo routes events "
                                "with rules and guards of its own (a complaint unsubscribes the contact, bounces "
                                "and complaints go to a local webhook, a guard pauses the marketing set).")
    p.add_argument("--rate", type=float, default=3.0, metavar="R", help="generated messages per second (default 3)")
    p.add_argument("--read-only", action="store_const", const=True, default=argparse.SUPPRESS,
                   help="hide every action that changes AWS")


def demo_settings(ctx: Context, db: Path | str, webhook_url: str):
    """The settings with the demo's [[rules]] and [[guards]] in place of the user's: the user's
    config file (keymap, theme, [policies], ...) copied to <database>-demo.toml with them."""
    import tomlkit

    from sestui.cli.launch import side_file
    from sestui.config.settings import SETTINGS, ConfigError, load
    from sestui.config.file import read_document
    from sestui.private_file import open_private
    from sestui.sandbox.demo import routes

    settings = ctx.settings
    try:
        document = {k: v for k, v in read_document(settings.file).items() if k not in ("rules", "guards")}
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    document.update(routes.tables(webhook_url))
    path = side_file(db, "-demo.toml")
    with open_private(path, "w") as f:
        f.write("# Written by `sestui demo` for this run: your config file, with the demo's rules and guards.\n")
        f.write(tomlkit.dumps(document))
    flags = {name: getattr(ctx.args, name, None) for name in SETTINGS}
    try:
        return load(flags, path=path)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.cli.launch import demo_db_path, exit_on_signals, on_leave, remove_demo_run, run_leave_hooks

    need_terminal()  # before the sandbox starts (it takes seconds)
    exit_on_signals()
    if ctx.settings.values["db"]:
        db = ctx.settings.db_path
    else:  # a run folder of its own: it goes when the demo ends, however it ends
        db = demo_db_path()
        on_leave(lambda: remove_demo_run(db.parent))
    try:
        return _run(ctx, args, db)
    finally:  # an error or a signal before the console (which runs them as it leaves)
        run_leave_hooks()


def _run(ctx: Context, args: argparse.Namespace, db: Path | str) -> int:
    import secrets

    from sestui.cli.launch import LaunchError, Target, run_console, side_file, start_sandbox
    from sestui.sandbox.demo import routes
    from sestui.sandbox.demo.receiver import WebhookReceiver

    settings = ctx.settings
    secret = secrets.token_hex(16)
    os.environ[routes.WEBHOOK_SECRET_ENV] = secret  # the collector child inherits it
    receiver = WebhookReceiver(secret, log_path=side_file(db, "-webhook.jsonl")).start()
    settings = demo_settings(ctx, db, receiver.url)
    try:
        proc, info = start_sandbox(args.rate, ["--history", "14"])
    except LaunchError as exc:
        raise CliError(str(exc)) from None
    target = Target(None, info["region"], info["endpoint_url"], info["queue_url"], info["configuration_set"], db,
                    label="demo")
    options = ctx.collector_options(info["queue_url"])
    # The sandbox answers instantly: poll it often so the demo feels live.
    options.wait_seconds, options.receivers = 1, 2
    options.account_interval, options.stats_interval, options.depth_interval = 5.0, 15.0, 5.0
    try:
        return run_console({"demo": target}, "demo", read_only=settings.read_only, keymap=settings.keymap,
                           theme=settings.theme, collector_options=options, policies=ctx.policy_config(),
                           demo_process=proc, settings=settings)
    except LaunchError as exc:
        proc.kill()
        raise CliError(str(exc)) from None
