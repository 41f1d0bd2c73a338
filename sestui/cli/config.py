"""`sestui config`: the effective settings and where each comes from; warns about keymap problems."""

from __future__ import annotations

import argparse
import importlib
import json
import re
from collections.abc import Callable

from sestui.cli.common import Context, add_command, collector_flags, say, warn

# Where the console's keymap check lives (the UI owns the binding ids); the first that exists wins.
KEYMAP_CHECKERS = ("sestui.ui.keymap", "sestui.ui.bindings", "sestui.ui.app")


def register(subparsers) -> None:
    p = add_command(subparsers, "config", run, help="print the effective settings and where they come from")
    collector_flags(p)


def keymap_checker() -> Callable[[dict[str, str]], list[str]] | None:
    """The UI's `keymap_problems(keymap) -> list[str]`, or None where this build has none."""
    for name in KEYMAP_CHECKERS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        check = getattr(module, "keymap_problems", None)
        if callable(check):
            return check
    return None


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    check = keymap_checker() if keymap else None
    return list(check(keymap)) if check else []


def run(ctx: Context, args: argparse.Namespace) -> int:
    from sestui.config.settings import SETTINGS

    settings = ctx.settings
    exists = "" if settings.file.exists() else " (not present)"
    say(f"# config file: {settings.file}{exists}")
    say(f"# database:    {without_password(str(settings.db_path))}")
    width = max(len(name) for name in SETTINGS)
    for name in SETTINGS:
        value = settings.values[name]
        shown = json.dumps(without_password(value) if name == "db" and isinstance(value, str) else value) \
            if value is not None else "-"
        say(f"{name:<{width}} = {shown:<40} # {settings.sources[name]}")
    for table, values in settings.tables.items():
        say(f"[{table}] {json.dumps(_redacted(values))}")
    for problem in keymap_problems(settings.keymap):
        warn(f"sestui: warning: [keymap] {problem}")
    from sestui.ops.rules_cli import load_for_cli

    try:  # [[rules]], [[guards]] and [policies] as `sestui collect` reads them
        load_for_cli(settings)
    except ValueError as exc:
        warn(f"sestui: warning: {exc} (sestui collect and the console refuse to start with it)")
    return 0


_URL_PASSWORD = re.compile(r"^(postgres(?:ql)?://[^/@:]*):[^?]*@")
_PARAM_PASSWORD = re.compile(r"([?&]password=)[^&]*")


def without_password(db: str) -> str:
    """A postgresql:// URL with its password (user:PASSWORD@ or ?password=) shown as ***."""
    return _PARAM_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1:***@", db))


def _redacted(value):
    """A config table with every `db` value's password hidden (an [accounts.NAME] may hold one)."""
    if isinstance(value, dict):
        return {k: without_password(v) if k == "db" and isinstance(v, str) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value
