"""The command line with `--db postgresql://...` (and SESTUI_DB): ingest, export, prune, errors."""

from __future__ import annotations

import json

from sestui.cli import main
from sestui.store import Store
from test_cli_ingest import BODIES, EXPECTED_ROWS, SUMMARY


def _options():
    from sestui.ops.collector import CollectorOptions

    return CollectorOptions(queue_url="https://sqs.example/q")


def test_ingest_then_export_through_a_postgresql_url(tmp_path, pg_url, capsys, isolated_environment):
    path = tmp_path / "bodies.jsonl"
    path.write_text("".join(json.dumps(json.loads(b)) + "\n" for b in BODIES))
    assert main(["ingest", "--db", pg_url, str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == SUMMARY
    assert main(["export", "--db", pg_url]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == EXPECTED_ROWS


def test_sestui_db_environment_variable_selects_postgresql(tmp_path, pg_url, capsys, isolated_environment,
                                                           monkeypatch):
    monkeypatch.setenv("SESTUI_DB", pg_url)
    path = tmp_path / "bodies.jsonl"
    path.write_text("".join(json.dumps(json.loads(b)) + "\n" for b in BODIES))
    assert main(["ingest", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == SUMMARY
    assert main(["prune", "--older-than", "1d"]) == 0  # the fixtures are from 2024: all of it goes
    assert capsys.readouterr().out.splitlines()[-1] == "events=7 records=6 quarantine=0 messages=4"
    assert main(["export"]) == 0
    assert capsys.readouterr().out == ""


def test_a_missing_database_is_one_line_on_stderr(pg_server, capsys, isolated_environment):
    assert main(["export", "--db", pg_server.url("nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "database nowhere does not exist" in err and err.startswith("sestui: error: ")


def test_a_store_url_is_kept_as_given_by_the_settings_and_the_console_targets(monkeypatch, isolated_environment):
    import argparse

    from sestui.cli.common import Context
    from sestui.cli.console import _targets
    from sestui.cli.launch import collector_command, side_file
    from sestui.config import load

    url = "postgresql://sestui@db.internal:5433/events"
    monkeypatch.setenv("SESTUI_DB", url)
    settings = load()
    assert settings.db_path == url
    target = _targets(Context(argparse.Namespace()))["default"]
    assert target.db_path == url
    # the console's child collector gets the URL itself; its log and modes files go to the data folder
    cmd, _ = collector_command(target, _options(), settings)
    assert cmd[cmd.index("--db") + 1] == url
    assert "db.internal" not in side_file(url, "-collect.log").name
    monkeypatch.setenv("SESTUI_DB", "sqlite:~/x.db")
    assert load().db_path == "sqlite:~/x.db"


def test_migrate_copies_a_sqlite_file_into_postgresql_and_a_missing_source_is_one_line(tmp_path, pg_url, capsys,
                                                                                        isolated_environment):
    path = tmp_path / "bodies.jsonl"
    path.write_text("".join(json.dumps(json.loads(b)) + "\n" for b in BODIES))
    db = str(tmp_path / "a.db")
    assert main(["ingest", "--db", db, str(path)]) == 0
    capsys.readouterr()
    assert main(["migrate", "--from", db, "--to", pg_url]) == 0
    assert capsys.readouterr().out == "events_read=7 events_copied=7 quarantine_copied=2 audit_copied=0\n"
    assert main(["export", "--db", pg_url]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == EXPECTED_ROWS
    assert main(["migrate", "--from", str(tmp_path / "missing.db"), "--to", pg_url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sestui: error: ") and "missing.db" in err


def test_the_outbox_commands_and_a_collector_with_rules_work_on_postgresql(pg_url, capsys, isolated_environment,
                                                                          tmp_path, monkeypatch):
    """The outbox is on PostgreSQL too (it used to refuse it in one line): the commands answer and a
    collector with rules gets its deliverer."""
    from sestui.ops.build import build_collector
    from sestui.store import open_store

    config = tmp_path / "config.toml"
    config.write_text('[[rules]]\nname = "hard"\nmode = "on"\nwhen.event_types = ["bounce"]\n\n'
                      '[[rules.do]]\naction = "webhook"\nurl = "http://127.0.0.1:9/ses"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(config))
    assert main(["outbox", "list", "--db", pg_url]) == 0
    assert capsys.readouterr().out == "the outbox is empty\n"
    assert main(["rules", "list", "--db", pg_url]) == 0
    assert "hard  on" in capsys.readouterr().out
    from sestui.config import load

    with open_store(pg_url) as store:
        collector = build_collector(load(), None, store)
        assert collector.deliverer is not None
        collector.deliverer.outbox.close()


def test_a_server_that_cannot_be_reached_at_start_is_one_line_and_exit_2(tmp_path, capsys, isolated_environment,
                                                                          sandbox):
    nowhere = f"postgresql://sestui@/events?host={tmp_path / 'no-server-here'}"  # no socket: no server
    info = sandbox.info
    source = tmp_path / "source.db"
    Store(source).close()
    for argv in (["export", "--db", nowhere],
                 ["migrate", "--from", str(source), "--to", nowhere],
                 ["--db", nowhere, "--endpoint-url", info.endpoint_url, "--region", info.region],  # the console
                 ["collect", "--db", nowhere, "--queue-url", info.queue_url, "--endpoint-url", info.endpoint_url,
                  "--region", info.region]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("sestui: error: "), err
        assert "cannot reach the PostgreSQL server" in err and "is it running" in err, err
