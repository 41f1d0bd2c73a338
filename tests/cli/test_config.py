"""Settings: flags > SESTUI_* environment > TOML file > defaults, errors that name the setting and
where it came from, and `sestui config` printing the effective values with their sources."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest

from sestui import cli
from sestui.config.settings import SETTINGS, ConfigError, config_path, load


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("SESTUI_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """`write(text)` -> the path of a config file that `sestui` will read (SESTUI_CONFIG)."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("SESTUI_CONFIG", str(path))

    def write(text: str) -> Path:
        path.write_text(text)
        return path

    return write


FILE = """
region = "eu-west-1"
queue_url = "https://sqs.eu-west-1.amazonaws.com/1/from-file"
receivers = 2
wait_seconds = 5
topic_allowlist = ["arn:aws:sns:eu-west-1:1:a"]

[policies]
complaint = "on"
"""


def test_flags_beat_environment_beat_file_beat_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    env = {"SESTUI_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/from-env", "SESTUI_RECEIVERS": "6",
           "SESTUI_REGION": ""}  # an empty variable counts as unset
    settings = load({"receivers": 8, "profile": None}, env=env, path=path)

    assert settings.receivers == 8 and settings.sources["receivers"] == "flag --receivers"
    assert settings.queue_url.endswith("/from-env")
    assert settings.sources["queue_url"] == "environment SESTUI_QUEUE_URL"
    assert (settings.region, settings.sources["region"]) == ("eu-west-1", f"file {path}")
    assert (settings.wait_seconds, settings.topic_allowlist) == (5, ["arn:aws:sns:eu-west-1:1:a"])
    assert (settings.account_interval, settings.sources["account_interval"]) == (60.0, "default")
    assert (settings.profile, settings.sources["profile"]) == (None, "default")
    assert settings.tables == {"policies": {"complaint": "on"}}


def test_every_setting_has_a_default_when_nothing_is_given(tmp_path):
    settings = load({}, env={}, path=tmp_path / "absent.toml")
    assert settings.values == {name: default for name, (_, default, _) in SETTINGS.items()}
    assert set(settings.sources.values()) == {"default"}


def test_environment_values_are_parsed_like_file_values(tmp_path):
    env = {"SESTUI_VERIFY_SIGNATURES": "yes", "SESTUI_TOPIC_ALLOWLIST": "arn:a, arn:b",
           "SESTUI_ACCOUNT_INTERVAL": "90", "SESTUI_RETENTION_DAYS": "0"}
    settings = load({}, env=env, path=tmp_path / "absent.toml")
    assert settings.verify_signatures is True
    assert settings.topic_allowlist == ["arn:a", "arn:b"]
    assert settings.account_interval == 90.0
    assert settings.retention_days is None  # 0 = keep everything


def test_the_file_lives_in_the_user_config_folder_unless_sestui_config_says(monkeypatch, tmp_path):
    assert config_path() == platformdirs.user_config_path("sestui") / "config.toml"
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_path() == tmp_path / "elsewhere.toml"


@pytest.mark.parametrize("where, text, message", [
    ("env", "SESTUI_RECEIVERS=0", "receivers from environment SESTUI_RECEIVERS: must be at least 1, got 0"),
    ("env", "SESTUI_VERIFY_SIGNATURES=maybe",
     "verify_signatures from environment SESTUI_VERIFY_SIGNATURES: not a boolean: 'maybe'"),
    ("file", "receivers = true", "receivers from file {path}: not a whole number: True"),
    ("file", "receivers = 2.5", "receivers from file {path}: not a whole number: 2.5"),
    ("file", "wait_seconds = 21", "wait_seconds from file {path}: SQS long polling takes 0..20 seconds, got 21"),
    ("file", "account_interval = 0.2", ("account_interval from file {path}: SES allows one request per second: "
                                        "poll at most once a second, got 0.2")),
    ("file", "stats_interval = nan", "stats_interval from file {path}: not a number of seconds: nan"),
    ("file", "visibility_timeout = -1", "visibility_timeout from file {path}: must be at least 1, got -1"),
    ("file", "queue = 'x'", "{path}: unknown setting 'queue' (see `sestui config`)"),
])
def test_a_bad_value_names_the_setting_and_where_it_came_from(tmp_path, where, text, message):
    path = tmp_path / "config.toml"
    env = {}
    if where == "file":
        path.write_text(text + "\n")
    else:
        name, _, value = text.partition("=")
        env[name] = value
    with pytest.raises(ConfigError) as caught:
        load({}, env=env, path=path)
    assert str(caught.value) == message.format(path=path)


def test_invalid_toml_is_one_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("region = \n")
    with pytest.raises(ConfigError, match=rf"^{path}: invalid TOML: "):
        load({}, env={}, path=path)


def test_sestui_config_prints_effective_values_sources_and_file_locations(config_file, monkeypatch, capsys):
    path = config_file(FILE)
    monkeypatch.setenv("SESTUI_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/1/from-env")
    monkeypatch.setenv("SESTUI_DB", "/tmp/sestui-test/events.db")

    assert cli.main(["config", "--receivers", "3", "--region", "us-west-2"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == f"# config file: {path}"
    assert lines[1] == "# database:    /tmp/sestui-test/events.db"
    shown = {line.split(" = ")[0].strip(): line.split(" = ", 1)[1] for line in lines[2:] if " = " in line}
    assert set(shown) == set(SETTINGS)

    def value_and_source(name):
        value, _, source = shown[name].partition(" # ")
        return value.strip(), source

    assert value_and_source("receivers") == ("3", "flag --receivers")
    assert value_and_source("region") == ('"us-west-2"', "flag --region")
    assert value_and_source("queue_url") == ('"https://sqs.eu-west-1.amazonaws.com/1/from-env"',
                                             "environment SESTUI_QUEUE_URL")
    assert value_and_source("wait_seconds") == ("5", f"file {path}")
    assert value_and_source("db") == ('"/tmp/sestui-test/events.db"', "environment SESTUI_DB")
    assert value_and_source("profile") == ("-", "default")
    assert value_and_source("account_interval") == ("60.0", "default")
    assert lines[-1] == '[policies] {"complaint": "on"}'


def test_sestui_config_says_when_the_file_is_absent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "absent.toml"))
    assert cli.main(["config"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"# config file: {tmp_path / 'absent.toml'} (not present)"


def test_a_bad_setting_stops_a_command_with_status_2(config_file, capsys):
    path = config_file("receivers = 0\n")
    assert cli.main(["config"]) == 2
    assert capsys.readouterr().err.strip() == f"sestui: error: receivers from file {path}: must be at least 1, got 0"


def test_sestui_config_warns_of_a_guard_that_sestui_collect_would_refuse(config_file, capsys):
    """A key of the next table lands in the [[guards]] above it: `sestui config` said nothing while
    `sestui collect` refused to start (found in the ops trial)."""
    path = config_file('[[guards]]\nname = "g"\nmetric = "bounce_rate"\npause.level = 0.04\n'
                       'pause.do = [{ action = "pause_sending" }]\nretention_days = 30\n')
    assert cli.main(["config"]) == 0  # what it read is shown, as for a keymap problem
    out, err = capsys.readouterr()
    assert "[guards]" in out
    assert err.startswith(f"sestui: warning: {path}: guard 'g': has no key 'retention_days'") and err.count("\n") == 1


def test_collect_takes_its_options_from_all_three_places(config_file, monkeypatch):
    config_file(FILE.replace("receivers = 2", "receivers = 2\nvisibility_timeout = 30"))
    monkeypatch.setenv("SESTUI_WAIT_SECONDS", "7")
    args = cli.build_parser().parse_args(["collect", "--receivers", "6", "--stats-interval", "120"])
    ctx = cli.Context(args)
    options = ctx.collector_options(ctx.settings.queue_url)
    assert (options.queue_url, options.receivers, options.wait_seconds, options.visibility_timeout) == (
        "https://sqs.eu-west-1.amazonaws.com/1/from-file", 6, 7, 30)
    assert (options.stats_interval, options.account_interval) == (120.0, 60.0)


def test_collect_without_a_queue_says_where_to_give_one(config_file, capsys, tmp_path):
    path = config_file("")
    assert cli.main(["collect", "--db", str(tmp_path / "events.db")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"sestui: error: no queue: pass --queue-url, set SESTUI_QUEUE_URL, or put queue_url in {path} "
        "(`sestui setup` creates the wiring)")


def test_sestui_config_never_prints_a_database_password(config_file, monkeypatch, capsys):
    config_file('[accounts.team]\ndb = "postgresql://team:hunter2@db.internal/sestui"\n')
    monkeypatch.setenv("SESTUI_DB", "postgresql://sestui:s3cr%2Ft@db.internal:5432/sestui?password=other&sslmode=require")
    assert cli.main(["config"]) == 0
    out = capsys.readouterr().out
    for secret in ("hunter2", "s3cr", "other"):
        assert secret not in out, out
    assert "postgresql://sestui:***@db.internal:5432/sestui?password=***&sslmode=require" in out
    assert "postgresql://team:***@db.internal/sestui" in out
