"""`sestui status` with a --db that is not there says so (and creates nothing); `sestui --help` says
that no command opens the console."""

from __future__ import annotations

import json

from sestui.cli import build_parser, main


def test_status_with_a_missing_database_says_so_and_creates_nothing(sandbox, tmp_path, capsys, isolated_environment):
    db = tmp_path / "nonexistent" / "dir" / "x.db"
    status = main(["status", "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
                   "--db", str(db)])
    out = capsys.readouterr().out
    assert f"no database at {db}" in out, out
    assert out.startswith("SESTUI ") and status in (0, 1, 2, 3)
    assert not db.parent.exists(), "status only reads: a mistyped --db leaves nothing behind"
    main(["status", "--json", "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
          "--db", str(db)])
    data = json.loads(capsys.readouterr().out)
    assert any(f"no database at {db}" in p["message"] for p in data["problems"])


def test_status_with_a_database_says_nothing_of_it(sandbox, tmp_path, capsys, isolated_environment):
    from sestui.store import Store

    db = tmp_path / "e.db"
    Store(db).close()
    main(["status", "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region, "--db", str(db)])
    assert "database" not in capsys.readouterr().out


def test_help_says_that_no_command_opens_the_console():
    text = " ".join(build_parser().format_help().split())
    assert "With no command, sestui opens the console" in text


def test_a_status_that_cannot_run_says_unknown_on_stdout_too(sandbox, tmp_path, capsys, isolated_environment):
    """A monitoring system reads stdout: a check that cannot run prints its UNKNOWN line (or JSON)."""
    foreign = tmp_path / "other.db"
    foreign.write_text("not a database")
    aws = ["--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region, "--db", str(foreign)]
    assert main(["status", *aws]) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith("SESTUI UNKNOWN - ") and "other.db" in captured.out, captured
    assert captured.out.count("\n") == 1 and captured.err.startswith("sestui: error: ")
    assert main(["status", "--json", *aws]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "UNKNOWN" and "other.db" in data["summary"]
    assert main(["status", "--json", "--warning", "nonsense=1"]) == 3
    assert json.loads(capsys.readouterr().out)["status"] == "UNKNOWN"
