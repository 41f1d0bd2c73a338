"""The config file: one schema for every table (one-line errors naming the file and key), a file
that is not UTF-8, writes through tomlkit and through a symlink, and `sestui config`'s keymap
warnings."""

from __future__ import annotations

import stat
import sys
import types

import pytest

from sestui.cli import main
from sestui.config import file as configfile
from sestui.config.schema import Account, Policies, Wiring
from sestui.config.settings import ConfigError, load

pytestmark = pytest.mark.usefixtures("isolated_environment")


def settings_from(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load({}, env={}, path=path)


def test_the_tables_are_typed(tmp_path):
    settings = settings_from(tmp_path, """
[keymap]
"flow.filter" = "f"
[policies]
complaint = "on"
soft_bounce_count = 5
[wiring]
identity = "shop.example.com"
topic_arn = "arn:aws:sns:us-east-1:1:t"
[accounts.eu]
region = "eu-west-1"
[[rules]]
match = "type:bounce"
[[guards]]
limit = 1
""")
    assert settings.keymap == {"flow.filter": "f"}
    assert settings.policies == Policies(complaint="on", soft_bounce_count=5)
    assert settings.wiring == Wiring(identity="shop.example.com", topic_arn="arn:aws:sns:us-east-1:1:t")
    (account,) = settings.account_tables.values()
    assert isinstance(account, Account) and (account.name, account.region) == ("eu", "eu-west-1")
    assert account.db.endswith("eu.db")
    assert settings.config_tables.rules == [{"match": "type:bounce"}]
    assert settings.config_tables.guards == [{"limit": 1}]


@pytest.mark.parametrize("text, message", [
    ('[policies]\ncomplaint = "yes"\n', "[policies] complaint must be one of off, dry-run, on, not 'yes'"),
    ("[policies]\nsoft_bounce_days = 0\n", "[policies] soft_bounce_days must be a whole number of at least 1"),
    ("[policies]\nsoft_bounce_days = true\n", "[policies] soft_bounce_days must be a whole number of at least 1"),
    ('[policies]\nhard = "on"\n', ("[policies] has no setting 'hard' (known: complaint, hard_bounce, soft_bounce, "
                                 "soft_bounce_count, soft_bounce_days)")),
    ('[keymap]\n"flow.filter" = 1\n', "[keymap] flow.filter must be a string, not 1"),
    ('[wiring]\nqueue = "q"\n', "[wiring] has no setting 'queue' (known: configuration_set, identity, topic_arn)"),
    ('[wiring]\nidentity = 3\n', "[wiring] identity must be a string, not 3"),
    ('[accounts]\nx = "y"\n', "[accounts.x] must be a table"),
    ('[accounts.x]\nregion = 1\n', "[accounts.x] region must be a string, not 1"),
    ("[keymaps]\n", "unknown table [keymaps] (known: accounts, breakdown, guards, keymap, policies, rules, wiring)"),
    ("rules = 1\n", "rules must be an array of tables ([[rules]])"),
    ('keymap = "f"\n', "keymap must be a table ([keymap])"),
    ("retention_days = 99999999999\n", None),
])
def test_a_bad_table_is_one_line_naming_the_file_and_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, text)
    path = tmp_path / "config.toml"
    if message is None:  # a top-level value: named with its source, as before
        assert str(caught.value) == f"retention_days from file {path}: at most 999999999 days, got 99999999999"
    else:
        assert str(caught.value) == f"{path}: {message}"


def test_a_bad_table_stops_every_command_with_status_2(tmp_path, monkeypatch, capsys):
    path = tmp_path / "config.toml"
    path.write_text('[policies]\ncomplaint = "yes"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(path))
    assert main(["export", "--db", str(tmp_path / "e.db")]) == 2
    assert capsys.readouterr().err == (f"sestui: error: {path}: [policies] complaint must be one of off, dry-run, "
                                       "on, not 'yes'\n")


def test_a_config_file_that_is_not_utf8_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    path = tmp_path / "config.toml"
    path.write_bytes(b'# r\xe9gion en latin-1\nregion = "eu-west-1"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(path))
    assert main(["config"]) == 2
    assert capsys.readouterr().err == f"sestui: error: {path}: not UTF-8 text (byte 3); save it as UTF-8\n"
    with pytest.raises(configfile.ConfigWriteError, match="not UTF-8 text"):
        configfile.update(path, {"region": "x"})
    assert path.read_bytes().startswith(b"# r\xe9gion")


def test_writing_through_a_symlink_writes_its_target(tmp_path):
    real = tmp_path / "dotfiles" / "sestui.toml"
    real.parent.mkdir()
    real.write_text('# kept\nprofile = "prod"\n')
    real.chmod(0o640)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    assert configfile.update(link, {"queue_url": "https://q"}, {"wiring": {"identity": "x.example"}}) == [
        "queue_url", "wiring.identity"]
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == '# kept\nprofile = "prod"\nqueue_url = "https://q"\n\n[wiring]\nidentity = "x.example"\n'
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["sestui.toml"]  # no temporary file left


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "config.toml"
    link.symlink_to(tmp_path / "elsewhere.toml")
    configfile.update(link, {"region": "eu-west-1"})
    assert link.is_symlink() and (tmp_path / "elsewhere.toml").read_text() == 'region = "eu-west-1"\n'


def test_the_writer_refuses_what_the_schema_would_refuse(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[wiring]\n")
    with pytest.raises(configfile.ConfigWriteError, match=r"\[wiring\] has no setting 'dlq'.*\(not changed\)"):
        configfile.update(path, {}, {"wiring": {"dlq": "x"}})
    assert path.read_text() == "[wiring]\n"


def test_a_write_to_an_impossible_place_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(configfile.ConfigWriteError, match=r"^/.*/file/config.toml: Not a directory \(not changed\)$"):
        configfile.update(tmp_path / "file" / "config.toml", {"region": "x"})


def test_sestui_config_lists_arrays_of_tables(tmp_path, monkeypatch, capsys):
    path = tmp_path / "config.toml"
    path.write_text('[[rules]]\nmatch = "type:bounce"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(path))
    assert main(["config"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == '[rules] [{"match": "type:bounce"}]'


@pytest.fixture
def ui_keymap_check(monkeypatch):
    """The UI's keymap_problems, as the console's helper provides it (a stand-in module)."""
    seen = []

    def keymap_problems(keymap):
        seen.append(dict(keymap))
        return [f"unknown binding id {k!r}" for k in keymap if k == "flow.filtr"]

    module = types.ModuleType("sestui.ui.keymap")
    module.keymap_problems = keymap_problems
    monkeypatch.setitem(sys.modules, "sestui.ui.keymap", module)
    return seen


def test_sestui_config_warns_about_keymap_problems(tmp_path, monkeypatch, capsys, ui_keymap_check):
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"flow.filtr" = "f"\n"flow.top" = "g"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(path))
    assert main(["config"]) == 0
    out, err = capsys.readouterr()
    assert err == "sestui: warning: [keymap] unknown binding id 'flow.filtr'\n"
    assert out.splitlines()[-1] == '[keymap] {"flow.filtr": "f", "flow.top": "g"}'
    assert ui_keymap_check == [{"flow.filtr": "f", "flow.top": "g"}]


def test_sestui_config_without_a_keymap_asks_nothing(tmp_path, monkeypatch, capsys, ui_keymap_check):
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "absent.toml"))
    assert main(["config"]) == 0
    assert capsys.readouterr().err == "" and ui_keymap_check == []
