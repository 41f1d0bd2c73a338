"""What limits `drain.py --db pg --collectors N`: where the CPU goes and what the collectors' database
sessions wait on, sampled while they drain.

Probe(...) samples every `interval` seconds, from start() to stop():
  * pg_stat_activity of the drain's database: per sample, its sessions by state and wait event (a
    session "active" with wait_event_type Lock / advisory waits for another writer's EVENTS_WRITE_LOCK);
  * CPU seconds (utime + stime from /proc) of the sandbox, of each collector and of the PostgreSQL
    server's processes (the postmaster and its children), and of the whole machine (/proc/stat:
    every core, other users' work included).
report() is a dict of those: shares of samples per wait, cores busy per component over the window.

Run as a program it is `sestui` with PostgresStore.write made a no-op that reports every event
stored (`drain.py --fake-store`): the same receive, parse, delete and bookkeeping, no events written.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _machine() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Probe:
    def __init__(self, url: str, database: str, pids: dict[str, list[int]], postmaster: int | None,
                 interval: float = 0.05):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.database = database
        self.pids = pids  # component -> its processes
        self.postmaster = postmaster
        self.interval = interval
        self.waits: Counter[str] = Counter()
        self.samples = 0
        self._cpu_first: dict[int, float] = {}
        self._cpu_last: dict[int, float] = {}
        self._pg_pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._machine_first = _machine()
        self._started = time.monotonic()
        self._read_cpu()
        self._thread.start()

    def _components(self) -> dict[str, list[int]]:
        out = dict(self.pids)
        if self.postmaster:
            self._pg_pids |= {self.postmaster, *_children(self.postmaster)}
            out["postgres"] = sorted(self._pg_pids)
        return out

    def _read_cpu(self) -> None:
        for pids in self._components().values():
            for pid in pids:
                used = _cpu(pid)
                self._cpu_first.setdefault(pid, used)
                if used:
                    self._cpu_last[pid] = used

    def _run(self) -> None:
        me = self.conn.info.backend_pid
        while not self._stop.wait(self.interval):
            rows = self.conn.execute(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = %s AND pid != %s"
                " AND backend_type = 'client backend'", (self.database, me)).fetchall()
            self.samples += 1
            for state, wait_type, wait in rows:
                self.waits[f"{state}:{wait_type or '-'}:{wait or '-'}"] += 1
            if self.samples % 10 == 0:
                self._read_cpu()

    def stop(self) -> None:
        self._read_cpu()
        self._stop.set()
        self._thread.join(5)
        self._seconds = time.monotonic() - self._started
        self._machine_last = _machine()
        self.conn.close()

    def report(self) -> dict:
        seconds = self._seconds
        cores = {name: round(sum(self._cpu_last.get(p, 0) - self._cpu_first.get(p, 0) for p in pids) / seconds, 2)
                 for name, pids in self._components().items()}
        busy = (self._machine_last[0] - self._machine_first[0]) / (self._machine_last[1] - self._machine_first[1])
        ncpu = os.cpu_count() or 1
        return {"seconds": round(seconds, 2), "samples": self.samples,
                "sessions_per_sample": {k: round(v / max(self.samples, 1), 2) for k, v in self.waits.most_common(8)},
                "cores_busy": {**cores, "machine": round(busy * ncpu, 2),
                               "others": round(busy * ncpu - sum(cores.values()), 2), "of": ncpu}}


def _fake_write(self, rows):
    from sestui.store.base import AddResult

    return AddResult(len(rows.events), 0, len(rows.quarantine))


if __name__ == "__main__":
    import runpy
    import sys

    from sestui.store.postgres import PostgresStore

    PostgresStore.write = _fake_write  # type: ignore[method-assign]
    sys.argv[0] = "sestui"
    runpy.run_module("sestui.cli", run_name="__main__", alter_sys=True)
