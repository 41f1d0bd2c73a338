"""`sestui demo`'s config: the user's file copied beside the demo's database with the demo's rules
and guards in place of the user's (the demo must not POST its made-up events to the user's real
systems), everything else kept, the file private."""

from __future__ import annotations

import argparse
import stat

from sestui.cli.common import Context
from sestui.cli.demo import demo_settings
from sestui.ops import routing

USER_FILE = """\
theme = "textual-light"

[keymap]
"flow.filter" = "f"

[[rules]]
name = "to-production"
when.event_types = ["bounce"]
[[rules.do]]
action = "webhook"
url = "https://hooks.example.com/ses"
"""


def test_the_demo_config_keeps_the_users_file_but_not_their_rules(isolated_environment, tmp_path):
    (tmp_path / "config.toml").write_text(USER_FILE)
    settings = demo_settings(Context(argparse.Namespace()), tmp_path / "demo.db", "http://127.0.0.1:4321/sestui")
    assert settings.file == tmp_path / "demo.db-demo.toml"
    assert stat.S_IMODE(settings.file.stat().st_mode) == 0o600
    assert settings.values["theme"] == "textual-light" and settings.keymap == {"flow.filter": "f"}
    config = routing.load(settings.tables)
    assert [r.name for r in config.rules.rules] == ["unsubscribe-complainers", "feedback-to-app"]
    urls = {a.params.get("url") for r in config.rules.rules for a in r.do} - {None}
    assert urls == {"http://127.0.0.1:4321/sestui"}
    assert [(g.name, g.configuration_set, g.pause.threshold) for g in config.guards] == \
        [("marketing-complaints", "marketing", 0.03)]
    assert [a.kind for a in config.guards[0].pause.do] == ["pause_sending", "webhook"]


def test_the_demo_config_without_a_user_file(isolated_environment, tmp_path):
    settings = demo_settings(Context(argparse.Namespace()), tmp_path / "demo.db", "http://127.0.0.1:4321/sestui")
    assert routing.load(settings.tables).active
