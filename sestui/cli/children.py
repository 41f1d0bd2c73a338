"""Children that die with the process that started them (the console's collector, the demo's
sandbox), whatever kills it: a parent-death signal on Linux, elsewhere a pipe the child watches
(watch_parent_pipe, which the CLI calls at start)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

PARENT_FD_ENV = "SESTUI_PARENT_FD"
_parent_pipes: dict[int, int] = {}  # child pid -> the write end of its parent pipe
_children: list[subprocess.Popen] = []  # every child spawn_child made (for end_children)
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int):
    """A preexec_fn: the child gets SIGTERM when the process that started it ends (Linux). libc
    is loaded here, before the fork, so that the child only makes two system calls before exec."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

    def preexec() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return preexec


def spawn_child(cmd: list[str], *, env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """Popen a child that dies with this process whatever kills it: a parent-death signal on
    Linux; elsewhere the child holds the read end of a pipe whose write end only this process
    has, and watch_parent_pipe() in the child ends it at EOF."""
    env = dict(os.environ if env is None else env)
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)
    env[PARENT_FD_ENV] = str(read_end)
    try:
        # preexec_fn and threads: the child runs only the two system calls above before exec.
        proc = subprocess.Popen(cmd, env=env, pass_fds=(read_end,),
                                preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509
                                start_new_session=True, **popen)
    finally:
        os.close(read_end)
    _parent_pipes[proc.pid] = write_end  # kept open for the child's lifetime
    _children.append(proc)
    return proc


def end_children(timeout: float) -> None:
    """SIGTERM to every child spawn_child made that still runs, then wait for them all: a child
    still running after `timeout` seconds gets SIGKILL (each commits what it holds on SIGTERM, and
    a kill loses nothing either)."""
    deadline = time.monotonic() + timeout
    for proc in _children:
        if proc.poll() is None:
            proc.terminate()
    for proc in _children:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def watch_parent_pipe() -> None:
    """In a child made by spawn_child: exit (SIGTERM to itself, so its handlers stop it cleanly)
    once the parent's end of the pipe closes, i.e. the parent is gone. The CLI calls it at start."""
    fd = os.environ.pop(PARENT_FD_ENV, None)
    if not fd or not fd.isdigit():
        return

    def watch(descriptor: int) -> None:
        try:
            while os.read(descriptor, 1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, args=(int(fd),), name="sestui-parent-watch", daemon=True).start()


def release_parent_pipe(proc: subprocess.Popen) -> None:
    """Close this process's end of `proc`'s parent pipe (its child ends when it reads EOF)."""
    fd = _parent_pipes.pop(proc.pid, None)
    if fd is not None:
        os.close(fd)


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()


class SignalStop:
    """What SIGINT/SIGTERM set, with no lock taken (the sandbox's runner has its twin: it imports
    nothing of sestui). Python runs a handler on the main thread between two of its steps, maybe
    inside threading.Event.wait while it holds the Event's lock: Event.set in the handler then
    waits for that lock forever, and the process ignores every later SIGTERM."""

    def __init__(self) -> None:
        self.signalled: int | None = None

    def handler(self, signum: int, _frame: object) -> None:
        self.signalled = signum

    def is_set(self) -> bool:
        return self.signalled is not None

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True once a signal came."""
        if self.signalled is None:
            time.sleep(seconds)
        return self.signalled is not None

