"""A command that only reads the store never creates it: a --db that is not there is a one-line error
(exit 1, as `export` always said), or, for the commands that ask AWS and only cache in the store
(`status`, `doctor --no-send`, `suppress list|export`), said or ignored; no file is left behind.
`suppress export` writes its file 0600."""

from __future__ import annotations

import os
import stat

import pytest

from sestui.cli import main

pytestmark = pytest.mark.usefixtures("isolated_environment")


def aws_flags(sandbox) -> list[str]:
    return ["--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region]


@pytest.mark.parametrize("argv", [
    ["rules", "list"], ["outbox", "list"], ["outbox", "retry", "1"], ["outbox", "discard", "1"],
    ["prune", "--older-than", "30d"], ["export"], ["export", "--format", "csv"],
])
def test_a_store_reader_refuses_a_missing_database_and_creates_nothing(tmp_path, capsys, argv):
    db = tmp_path / "nowhere" / "events.db"
    assert main([*argv, "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sestui: error: no database at {db}"), captured.err
    assert "sestui collect" in lines[0]
    assert not db.parent.exists(), "a command that only reads leaves nothing behind"


def test_doctor_without_the_round_trip_says_the_database_is_missing_and_creates_nothing(sandbox, tmp_path, capsys):
    db = tmp_path / "events.db"
    status = main(["doctor", "--no-send", "--db", str(db), "--queue-url", sandbox.info.queue_url,
                   *aws_flags(sandbox)])
    out = " ".join(capsys.readouterr().out.split())
    assert status == 1 and f"no database at {db}" in out, out
    assert "sestui-scratch" not in out, "the stand-in store is never named"
    assert not db.exists()


@pytest.mark.parametrize("action", ["list", "export"])
def test_suppress_list_and_export_read_aws_without_making_a_database(sandbox, sestui_aws, tmp_path, capsys,
                                                                     action):
    sestui_aws.suppressions.put("kept-out@example.com", "BOUNCE")
    db = tmp_path / "events.db"
    assert main(["suppress", action, "--db", str(db), *aws_flags(sandbox)]) == 0
    assert "kept-out@example.com" in capsys.readouterr().out
    assert not db.exists(), "the suppression list is AWS's: no database is made to cache it"


def test_suppress_export_is_readable_by_its_owner_only(sandbox, sestui_aws, tmp_path, capsys):
    sestui_aws.suppressions.put("private@example.com", "COMPLAINT")
    fresh, old = tmp_path / "fresh.csv", tmp_path / "old.csv"
    old.write_text("stale\n")
    old.chmod(0o644)
    for target in (fresh, old):
        assert main(["suppress", "export", str(target), "--db", str(tmp_path / "e.db"), *aws_flags(sandbox)]) == 0
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600, target
        assert "private@example.com" in target.read_text()
