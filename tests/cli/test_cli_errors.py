"""Issue 11 items 11 and 12, CLI side: one-line errors (never exit 70) for an age too large to
compute, a database the store refuses at any point, and output that cannot be written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fixtures import record, sns_envelope

from sestui.cli import main
from sestui.store import Store, StoreError

pytestmark = pytest.mark.usefixtures("isolated_environment")


def sestui(*argv, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sestui.cli", *map(str, argv)], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)


def one_line_error(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sestui: error: "), stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "bodies.jsonl"
    path.write_text(json.dumps(json.loads(sns_envelope(record("event-send")))) + "\n")
    db = tmp_path / "events.db"
    assert sestui("ingest", "--db", db, path).returncode == 0
    return db


@pytest.mark.parametrize("age", ["99999999999d", "999999999999999999999h"])
def test_prune_older_than_an_impossible_age_is_a_usage_error(db, age):
    proc = sestui("prune", "--db", db, "--older-than", age)
    assert proc.returncode == 2
    assert "too long ago" in one_line_error(proc.stderr)


@pytest.mark.parametrize("age", ["0d", "0s", "0.0h"])
def test_prune_older_than_nothing_is_a_usage_error_and_deletes_nothing(db, age):
    """An age of zero is an empty window turned inside out: every event would go, silently."""
    proc = sestui("prune", "--db", db, "--older-than", age)
    assert proc.returncode == 2
    assert "would delete every event" in one_line_error(proc.stderr)
    assert sestui("export", "--db", db).stdout.count("\n") == 1


def test_prune_from_a_huge_retention_setting_is_a_config_error(db, tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text("retention_days = 99999999999\n")
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "config.toml"))
    proc = sestui("prune", "--db", db)
    assert proc.returncode == 2
    assert "retention_days from file" in one_line_error(proc.stderr)


def test_a_store_error_in_the_middle_of_a_command_is_one_line(db, monkeypatch, capsys):
    def corrupt(self, *args, **kwargs):
        raise StoreError(f"{self.path}: database disk image is malformed")

    monkeypatch.setattr(Store, "prune", corrupt)
    assert main(["prune", "--db", str(db), "--older-than", "30d"]) == 1
    assert one_line_error(capsys.readouterr().err) == f"sestui: error: {db}: database disk image is malformed"


def test_export_to_a_full_disk_says_so(db):
    with open("/dev/full", "w") as full:
        proc = sestui("export", "--db", db, stdout=full)
    assert proc.returncode == 1
    assert one_line_error(proc.stderr) == "sestui: error: cannot write standard output: No space left on device"


@pytest.mark.parametrize("where, reason", [
    ("/sys/sestui-suppressions.csv", "Permission denied"),  # sysfs: read-only even for root
    ("{tmp}/file.txt/suppressions.csv", "Not a directory"),
    ("{tmp}/absent/suppressions.csv", "No such file or directory"),
])
def test_suppress_export_to_a_place_it_cannot_write_names_the_path_and_why(sandbox, tmp_path, capsys, where,
                                                                          reason):
    (tmp_path / "file.txt").write_text("x")
    target = where.format(tmp=tmp_path)
    status = main(["suppress", "export", target, "--endpoint-url", sandbox.info.endpoint_url,
                   "--region", sandbox.info.region, "--db", str(tmp_path / "s.db")])
    assert status == 1
    assert one_line_error(capsys.readouterr().err) == f"sestui: error: cannot write {target}: {reason}"
    assert not os.path.exists(target)


@pytest.mark.parametrize("argv", [["config"], ["rules", "list"], ["outbox", "list"], ["export"]])
def test_a_reader_that_stops_early_is_normal_use_not_an_internal_error(db, argv):
    """`sestui outbox list | head`: the pipe's reader is gone before the output ends. Exit 0 and
    nothing on stderr (it was `internal error: BrokenPipeError`, exit 70)."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line: every write fails
    try:
        done = sestui(*argv, "--db", db, stdout=write)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def test_the_collectors_stop_signal_handler_takes_no_lock(tmp_path, monkeypatch):
    """The console's collector child stops on SIGTERM like the demo's sandbox: its handler must take
    no lock (Event.set from a handler that interrupted Event.wait waits forever for the Event's lock;
    a quit demo's sandbox hung so, deaf to SIGTERM). Run as Python runs it, every C call recorded."""
    import signal

    from sestui.cli import collect

    calls: list[str] = []

    def install(sig, handler):
        if sig == signal.SIGTERM:
            def record(_frame, event, arg):
                if event == "c_call":
                    calls.append(f"{type(getattr(arg, '__self__', None)).__name__}.{arg.__name__}")

            sys.setprofile(record)
            try:
                handler(sig, None)  # at once: the collector sees it was told to stop while starting
            finally:
                sys.setprofile(None)

    monkeypatch.setattr(collect.signal, "signal", install)
    status = main(["collect", "--db", str(tmp_path / "e.db"), "--queue-url", "http://127.0.0.1:9/123456789012/q",
                   "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9"])
    assert status == 0  # told to stop while starting: it returned
    locks = [c for c in calls if "lock" in c.lower() or c.split(".")[-1] in ("acquire", "__enter__")]
    assert not locks, calls


@pytest.mark.parametrize("argv", [["export", "--db", "{folder}"], ["ingest", "--db", "{folder}", "{body}"],
                                  ["migrate", "--from", "{db}", "--to", "{folder}"]])
def test_a_db_that_is_a_folder_says_so(db, tmp_path, argv):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    proc = sestui(*(a.format(folder=folder, db=db, body=tmp_path / "bodies.jsonl") for a in argv))
    assert proc.returncode == 1
    assert f"{folder} is a folder, not a database file" in one_line_error(proc.stderr)
    assert list(folder.iterdir()) == []


def test_migrate_onto_itself_is_refused(db):
    proc = sestui("migrate", "--from", db, "--to", f"sqlite:{db.parent}/./{db.name}")
    assert proc.returncode == 2
    assert "the same database" in one_line_error(proc.stderr)


def test_a_bad_metrics_address_is_said_once(sandbox, db, capsys):
    import logging

    info = sandbox.info
    argv = ["collect", "--db", str(db), "--queue-url", info.queue_url, "--endpoint-url", info.endpoint_url,
            "--region", info.region, "--metrics", "nowhere"]
    pool = logging.getLogger("psycopg.pool")
    level = pool.level
    try:
        assert main(argv) == 2
        # the pool's every failed reconnect would flood the collector's log while a server is down
        assert pool.level == logging.ERROR
    finally:
        pool.setLevel(level)
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("sestui: error: ") and err.count("--metrics") == 1, err


def test_a_db_this_user_may_not_read_says_so(db, monkeypatch, capsys):
    import sestui.cli.common as common

    real = os.access
    # (as root every file is readable: deny it the way the kernel would for another user)
    monkeypatch.setattr(common.os, "access", lambda p, mode: False if os.fspath(p) == str(db) else real(p, mode))
    for argv in (["export", "--db", str(db)], ["migrate", "--from", str(db), "--to", str(db.parent / "copy.db")]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err == f"sestui: error: cannot read {db}: permission denied\n", err
    assert not (db.parent / "copy.db").exists()


@pytest.mark.parametrize("argv", [["--db", "{db}", "--endpoint-url", "{endpoint}", "--region", "{region}"],
                                  ["demo", "--db", "{db}"]])
def test_the_console_without_a_terminal_is_one_line_and_exit_2(db, sandbox, argv):
    """`sestui 2>log` filled the log with escape codes; `sestui </dev/null` opened a console no key reached."""
    info = sandbox.info
    argv = [a.format(db=db, endpoint=info.endpoint_url, region=info.region) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "sestui.cli", *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc
    assert "the console needs a terminal" in one_line_error(proc.stderr)
    assert proc.stdout == ""
