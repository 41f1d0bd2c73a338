"""`sestui demo` leaves nothing behind however it ends: its run folder (database, config, logs) is
removed and its children (the sandbox, the collector) have ended, whether the operator quits, the
terminal goes away (SIGHUP: tmux killed, SSH dropped) or it is told to stop (SIGTERM)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from polling import wait_for

from sestui.store import Store, StoreError


def children_of(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def stored(db: Path) -> int:
    try:
        with Store(db, readonly=True) as store:
            return store.count("events")
    except (StoreError, OSError):  # not made yet, or its schema not yet written
        return 0


def start_demo(tmp_path) -> tuple[subprocess.Popen, int]:
    """A real `sestui demo` on a pseudo-terminal; returns it and the master end (drained)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SESTUI_", "AWS_"))}
    env.update(TMPDIR=str(tmp_path), HOME=str(tmp_path), SESTUI_CONFIG=str(tmp_path / "config.toml"),
               TERM="xterm-256color", COLUMNS="80", LINES="24")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sestui.cli", "demo", "--rate", "5"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True, close_fds=True)
    os.close(slave)

    def drain() -> None:  # a full terminal would block its writes
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass
    threading.Thread(target=drain, daemon=True).start()
    return proc, master


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("way_out", ["SIGHUP", "SIGTERM", "q"])
def test_the_demo_removes_its_run_folder_and_leaves_no_child_however_it_ends(tmp_path, way_out):
    proc, master = start_demo(tmp_path)
    try:
        run = tmp_path / f"sestui-demo-{os.getuid()}" / f"run-{proc.pid}"
        db = run / "demo.db"
        wait_for(lambda: stored(db), 90, "the demo's collector to store the generated traffic")
        children = children_of(proc.pid)
        assert len(children) >= 2, children  # the sandbox and the collector
        if way_out == "q":
            os.write(master, b"q")
        else:
            proc.send_signal(getattr(signal, way_out))
        proc.wait(30)
        wait_for(lambda: not any(alive(pid) for pid in children), 10, "the demo's children to end")
        assert not run.exists(), sorted(p.name for p in run.iterdir())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_a_leave_hook_that_fails_says_so_in_one_line_and_the_others_still_run(capsys, monkeypatch):
    from sestui.cli import launch

    monkeypatch.setattr(launch, "_on_leave", [])
    monkeypatch.setattr(launch.signal, "signal", lambda *a: None)  # not this test process's handlers
    ran = []
    launch.on_leave(lambda: ran.append("first registered"))
    launch.on_leave(lambda: Path("/proc/no-such-dir/run").rmdir())
    launch.run_leave_hooks()
    launch.run_leave_hooks()  # once only
    assert ran == ["first registered"]
    said = capsys.readouterr().err
    assert said.startswith("sestui: while leaving: FileNotFoundError:") and said.count("\n") == 1, said
