"""The parser assembled from the command modules: each registers itself and runs with one Context;
the sandbox's flags become a typed options object; both `python -m` entry points work."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sestui import cli
from sestui.cli.common import Context

pytestmark = pytest.mark.usefixtures("isolated_environment")

NAMES = ["demo", "sandbox", "ingest", "export", "suppress", "send", "collect", "prune", "migrate", "setup", "doctor", "status", "rules", "outbox",
         "resume", "dlq", "config"]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_command_module_registers_one_command_run_by_its_module():
    parsers = subcommands(cli.build_parser())
    assert list(parsers) == NAMES
    for module, name in zip(cli.COMMANDS, NAMES, strict=True):
        assert parsers[name].get_default("run") is module.run


def test_a_command_is_one_more_module_in_commands(monkeypatch, capsys):
    import types

    from sestui.cli.common import add_command

    feed = types.ModuleType("feed")
    feed.run = lambda ctx, args: print(f"feed of {ctx.settings.db_path}") or 3
    feed.register = lambda sub: add_command(sub, "feed", feed.run, help="the feed")
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, feed))
    assert cli.main(["feed", "--db", "/tmp/x.db"]) == 3
    assert capsys.readouterr().out == "feed of /tmp/x.db\n"


def test_the_console_is_the_command_without_a_name():
    args = cli.build_parser().parse_args(["--account", "eu"])
    from sestui.cli import console

    assert args.run is console.run and args.account == "eu"


def test_settings_are_resolved_once_per_invocation(monkeypatch):
    calls = []
    import sestui.config.settings as settings_module

    real = settings_module.load
    monkeypatch.setattr(settings_module, "load", lambda flags: calls.append(flags) or real(flags))
    ctx = Context(cli.build_parser().parse_args(["export", "--db", "/tmp/a.db"]))
    assert ctx.settings is ctx.settings and str(ctx.settings.db_path) == "/tmp/a.db"
    assert len(calls) == 1
    assert not hasattr(ctx.args, "_settings")


def test_the_sandbox_gets_typed_options_when_the_sandbox_offers_them(monkeypatch):
    import sestui.sandbox as sandbox_package

    @dataclasses.dataclass
    class SandboxOptions:
        port: int = 0
        rate: float = 0.0
        bare: bool = False
        production: bool = True
        sending_paused: bool = False
        enforcement: str = "HEALTHY"
        max_send_rate: float | None = None
        max_24h_send: float | None = None
        delay_scale: float = 1.0
        seed: int | None = None
        history: int = 0
        region: str = "us-east-1"

    got = []
    monkeypatch.setattr(sandbox_package, "SandboxOptions", SandboxOptions, raising=False)
    monkeypatch.setattr(sandbox_package, "run_sandbox", lambda options: got.append(options) or 0, raising=False)
    argv = ["sandbox", "--port", "8123", "--rate", "2", "--bare", "--no-production", "--sending-paused",
            "--enforcement", "PROBATION", "--max-send-rate", "5", "--max-24h-send", "-1", "--delay-scale", "0",
            "--seed", "7", "--history", "3", "--region", "eu-west-1"]
    assert cli.main(argv) == 0
    assert got == [SandboxOptions(port=8123, rate=2.0, bare=True, production=False, sending_paused=True,
                                  enforcement="PROBATION", max_send_rate=5.0, max_24h_send=-1.0, delay_scale=0.0,
                                  seed=7, history=3, region="eu-west-1")]


@pytest.mark.parametrize("module", ["sestui", "sestui.cli"])
def test_both_module_entry_points_work(module):
    from sestui import __version__

    proc = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, check=False,
                          timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"sestui {__version__}\n")


# Written by the 798-line cli.py before the split; since then only the commands added (status, rules, outbox, resume, dlq, migrate) changed it.
HELP = Path(__file__).parent / "data" / "help.json"


def test_every_help_text_is_what_it_was_before_the_split(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    expected = json.loads(HELP.read_text(encoding="utf-8"))
    parser = cli.build_parser()
    shown = {}
    for path in expected:
        found = parser
        for name in [] if path == "sestui" else path.split():
            found = subcommands(found)[name]
        shown[path] = found.format_help()
    assert shown == expected


@pytest.mark.parametrize("command", [["dlq", "depth"], ["dlq", "redrive"], ["doctor"], ["status"], ["collect"],
                                     ["config"]])
def test_the_queue_url_before_the_command_is_the_commands_queue(command):
    """`sestui --queue-url Q dlq depth` said "no queue: pass --queue-url": the subcommand's own
    --queue-url, unset, overwrote the one given before it."""
    parser = cli.build_parser()
    queue = "http://127.0.0.1:1/123456789012/q"
    assert parser.parse_args(["--queue-url", queue, *command]).queue_url == queue
    assert parser.parse_args([*command, "--queue-url", queue]).queue_url == queue
    assert parser.parse_args(command).queue_url is None


@pytest.mark.parametrize("argv", [["--read-only", "suppress", "add", "x@example.com"], ["--read-only", "send", "--from",
                                  "a@example.com", "--to", "b@example.com"], ["--account", "eu", "config"],
                                  ["--account", "eu", "export"]])
def test_a_console_option_before_a_command_that_has_none_is_a_usage_error(argv, capsys):
    """`sestui --read-only suppress add X` changed the list all the same: the flag was the console's."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    assert f"is an option of the console (sestui with no command), not of `sestui {argv[2 if argv[0] == '--account' else 1]}`" \
        in capsys.readouterr().err


def test_read_only_before_or_after_demo_is_the_demos():
    parser = cli.build_parser()
    assert parser.parse_args(["--read-only", "demo"]).read_only is True
    assert parser.parse_args(["demo", "--read-only"]).read_only is True
    assert parser.parse_args(["resume", "--account"]).whole_account is True  # resume's own --account stays
