"""Several accounts/regions in one config file, and switching between them in the console."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from sestui.config.settings import ConfigError, load
from sestui.store import Store
from sestui.ui.app import ConsoleContext, SestuiApp

CONFIG = """
queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/ops"

[accounts.prod-eu]
profile = "prod"
region = "eu-west-1"
queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ops"

[accounts.staging]
region = "us-west-2"
db = "/var/tmp/staging.db"
"""


def settings_from(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load({}, env={}, path=path)


def test_accounts_are_read_with_their_own_database(tmp_path):
    accounts = settings_from(tmp_path, CONFIG).accounts
    assert list(accounts) == ["prod-eu", "staging"]
    assert accounts["prod-eu"]["region"] == "eu-west-1" and accounts["prod-eu"]["db"].endswith("prod-eu.db")
    assert accounts["staging"]["db"] == "/var/tmp/staging.db"


def test_an_unknown_account_setting_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"\[accounts.x\] has no setting 'queue'"):
        _ = settings_from(tmp_path, '[accounts.x]\nqueue = "q"\n').accounts


def test_starting_on_an_unknown_account_is_a_one_line_error(tmp_path):
    (tmp_path / "config.toml").write_text(CONFIG)
    proc = subprocess.run([sys.executable, "-m", "sestui.cli", "--account", "nope", "--db", str(tmp_path / "x.db")],
                          check=False, capture_output=True, text=True, env={"SESTUI_CONFIG": str(tmp_path / "config.toml"),
                                                               "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "no account 'nope'" in proc.stderr and "prod-eu" in proc.stderr and "Traceback" not in proc.stderr


def test_the_palette_offers_the_other_accounts_and_switching_exits_to_restart(tmp_path):
    store = Store(tmp_path / "a.db")
    ctx = ConsoleContext(store=store, aws=None, accounts=["default", "prod-eu", "staging"], account_name="prod-eu")
    app = SestuiApp(ctx, tick_seconds=3600)

    async def main():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            commands = {c.title: c for c in app.get_system_commands(app.screen)}
            switches = sorted(t for t in commands if t.startswith("Switch account"))
            assert switches == ["Switch account: default", "Switch account: staging"]
            commands["Switch account: staging"].callback()
            await pilot.pause()

    asyncio.run(main())
    assert app.return_value == ("switch-account", "staging")
    store.close()
