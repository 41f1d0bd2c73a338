"""Draining a backlog: `sestui collect` against a naive consumer on the same queue and the same N.

    python benchmarks/drain.py [--n 3000] [--receivers N]
    python benchmarks/drain.py --db pg|postgresql://... [--collectors 2] [--rounds R] [--probe] [--fake-store]

1. Starts `sestui sandbox` (its own process, delays off) and fills its SQS queue with N realistic
   SNS-wrapped SES notifications (benchmarks/corpus.py; a few are SQS redeliveries).
2. collector: runs `sestui collect --queue-url ...` as a user would (default settings unless
   --receivers is given) on a fresh database and times it from launch until its database holds
   every record (watched in SQLite, so that the watching puts no load on the sandbox); the queue is
   then checked to be empty (a message is deleted right after its commit). Its CPU time is read from
   /proc (Linux) between "collecting from" on its log and the drained queue, and, from launch to
   exit with start-up included, with getrusage(RUSAGE_CHILDREN) around the child.
3. naive: fills another queue with the same N and runs the loop of a basic tutorial in this
   process: receive one message, parse and store it (one transaction), delete it, repeat.

With --db, into PostgreSQL instead: one collector, then --collectors collectors in parallel on one
queue and one database (each run a fresh queue and database); the last line compares their rates
from the moment every collector said "collecting from" (start-up left out). --rounds alternates the
two R times (medians count); --probe samples each component's CPU and the database sessions' waits
(drain_pg_probe.py); --fake-store makes the collectors' event writes no-ops, timed to the empty
queue: the rate the sandbox's queue and this machine allow without the store.

The sandbox's queue (moto) is slow, and its receive cost grows with the queue's depth, so the rates
say more about the sandbox than about sestui: the collector's own CPU seconds per 1,000
notifications is the figure that carries over to real SQS. The last line printed is one JSON
object: n, collector_per_s, naive_per_s, ratio, collector_cpu_s_per_1000, ...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from typing import Any
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

from sestui.core.events import parse_body  # noqa: E402
from sestui.store import Store  # noqa: E402

SESTUI = [sys.executable, "-m", "sestui.cli"]


def client(info: dict, service: str):
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench",
                                    region_name=info["region"])
    return session.client(service, endpoint_url=info["endpoint_url"],
                          config=Config(retries={"total_max_attempts": 3, "mode": "standard"},
                                        max_pool_connections=16))


def depth(sqs, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def fill(info: dict, url: str, bodies: list[str]) -> None:
    """Put every body in the queue (batches of 10 from 4 threads), then check the count."""
    sqs = client(info, "sqs")
    batches = [bodies[i:i + 10] for i in range(0, len(bodies), 10)]

    def put(batch: list[str]) -> None:
        reply = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)])
        if reply.get("Failed"):
            raise RuntimeError(f"SendMessageBatch refused entries: {reply['Failed'][:1]}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, batches))
    if depth(sqs, url) != len(bodies):
        raise RuntimeError(f"queue holds {depth(sqs, url)} messages, expected {len(bodies)}")


def expected_rows(bodies: list[str], db: Path) -> dict[str, int]:
    """What storing every body gives (the corpus holds a few SQS redeliveries): records, quarantine."""
    with Store(db) as store:
        store.add((body, parse_body(body)) for body in bodies)
        return {table: store.count(table) for table in ("records", "quarantine")}


def stored_rows(db: Path) -> dict[str, int]:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:  # not created yet
        return {}
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("records", "quarantine")}
    except sqlite3.OperationalError:  # no schema yet
        return {}
    finally:
        conn.close()


def pg_rows(url: str) -> Callable[[], dict[str, int]]:
    """stored_rows for a PostgreSQL database, on one connection of its own."""
    import psycopg

    conn: list = []

    def stored() -> dict[str, int]:
        try:
            if not conn:
                conn.append(psycopg.connect(url, autocommit=True))
            return {table: conn[0].execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in ("records", "quarantine")}
        except psycopg.Error:  # no schema yet
            return {}
    return stored


def wait_stored(stored: Callable[[], dict[str, int]], expected: dict[str, int], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while stored() != expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not drained after {timeout:.0f}s: {stored()} of {expected}")
        time.sleep(0.02)
    return time.monotonic()


def proc_cpu(pid: int) -> float | None:
    """utime + stime of a running process, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_collector(info: dict, url: str, expected: dict[str, int], db: str, receivers: int | None,
                  stored: Callable[[], dict[str, int]], config: Path, collectors: int = 1,
                  program: list[str] = SESTUI, probe: Callable[[list[int]], Any] | None = None) -> dict:
    """`collectors` `sestui collect` processes on one queue and one database (SQLite path or URL);
    `probe(collector pids)`: a drain_pg_probe.Probe to run from their start to the drained queue."""
    sqs = client(info, "sqs")
    args = [*program, "collect", "--queue-url", url, "--endpoint-url", info["endpoint_url"],
            "--region", info["region"], "--db", db]
    if receivers:
        args += ["--receivers", str(receivers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESTUI_")}
    env["SESTUI_CONFIG"] = str(config)  # absent: no user config applies
    cpu_before = children_cpu()
    started = time.monotonic()
    children = [subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env) for _ in range(collectors)]
    ready = [threading.Event() for _ in children]
    ready_cpu: list[float | None] = [None] * collectors
    log: list[str] = []

    def read_log(i: int, child: subprocess.Popen) -> None:
        for line in child.stderr:
            log.append(line)
            if not ready[i].is_set() and "collecting from" in line:
                ready_cpu[i] = proc_cpu(child.pid)
                ready[i].set()

    readers = [threading.Thread(target=read_log, args=(i, c), daemon=True) for i, c in enumerate(children)]
    for reader in readers:
        reader.start()
    try:
        for event in ready:
            if not event.wait(60):
                raise RuntimeError("sestui collect did not start:\n" + "".join(log))
        ready_at = time.monotonic()
        sampling = probe([c.pid for c in children]) if probe else None
        if sampling:
            sampling.start()
        drained = wait_stored(stored, expected, timeout=600)
        drained_cpu = [proc_cpu(c.pid) for c in children]
        if sampling:
            sampling.stop()
        deadline = time.monotonic() + 30  # the last deletes follow their commit closely
        while (leftover := depth(sqs, url)) and time.monotonic() < deadline:
            time.sleep(0.05)
        signalled = time.monotonic()
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait(timeout=10)
        stopped = time.monotonic()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    for reader in readers:
        reader.join(5)
    total_cpu = children_cpu() - cpu_before
    steady = [d - r for d, r in zip(drained_cpu, ready_cpu, strict=True) if d is not None and r is not None]
    return {
        "collectors": collectors,
        "seconds": drained - started,
        "seconds_after_start": drained - ready_at,
        "stop_seconds": stopped - signalled,
        "exit_status": [c.returncode for c in children],
        "cpu_s": sum(steady) if len(steady) == collectors else None,
        "cpu_s_with_startup": total_cpu,
        "left_in_queue": leftover,
        **stored(),
        **({"probe": sampling.report()} if sampling else {}),
    }


def queue_drained(sqs, url: str, expected: dict[str, int]) -> Callable[[], dict[str, int]]:
    """stored_rows for collectors that store nothing (--fake-store): `expected` once the queue is empty
    (asked at most every 0.2 s: the sandbox's queue is what is measured)."""
    last = [0.0]

    def stored() -> dict[str, int]:
        if time.monotonic() - last[0] < 0.2:
            return {}
        last[0] = time.monotonic()
        return expected if depth(sqs, url) == 0 else {}
    return stored


def run_pg(info: dict, sqs, bodies: list[str], expected: dict[str, int], args, tmp: Path, sandbox_pid: int) -> int:
    """One collector, then `--collectors` collectors, on a fresh queue and PostgreSQL database each;
    --rounds times, alternating."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import psycopg
    from drain_pg_probe import Probe
    from pg_server import PgServer

    server = None
    admin = args.db
    if admin == "pg":
        server = PgServer().start()
        admin = server.url()
    program = [sys.executable, str(Path(__file__).resolve().parent / "drain_pg_probe.py")] if args.fake_store \
        else SESTUI
    runs: dict[int, list[dict]] = {1: [], args.collectors: []}
    try:
        for round_ in range(args.rounds):
            for collectors in (1, args.collectors):
                name = f"sestui_drain_{os.getpid()}_{round_}_{collectors}"
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name}")
                    conn.execute(f"CREATE DATABASE {name}")
                db = urlsplit(admin)._replace(path=f"/{name}").geturl()
                url = sqs.create_queue(QueueName=f"drain-pg-{round_}-{collectors}")["QueueUrl"]
                fill(info, url, bodies)
                stored = queue_drained(sqs, url, expected) if args.fake_store else pg_rows(db)

                def probe(pids: list[int], db_name: str = name) -> Probe:
                    return Probe(admin, db_name, {"sandbox": [sandbox_pid], "collectors": pids},
                                 server.proc.pid if server and server.proc else None)

                run = run_collector(info, url, expected, db, args.receivers, stored, tmp / "absent.toml",
                                    collectors, program=program, probe=probe if args.probe else None)
                print(json.dumps({"collector": run}), flush=True)
                if run["left_in_queue"] or any(run[k] != v for k, v in expected.items()):
                    raise SystemExit(f"the collectors left something behind: {run} / expected {expected}")
                runs[collectors].append(run)
    finally:
        if server is not None:
            server.stop()
    rates = {c: [len(bodies) / r["seconds_after_start"] for r in got] for c, got in runs.items()}
    one, many = (statistics.median(rates[c]) for c in (1, args.collectors))
    print(json.dumps({
        "benchmark": "drain_pg" + ("_fake_store" if args.fake_store else ""),
        "n": len(bodies),
        "collectors": args.collectors,
        "rounds": args.rounds,
        "one_collector_per_s": round(one, 1),
        f"{args.collectors}_collectors_per_s": round(many, 1),
        "ratio_many_over_one": round(many / one, 2),
        "ratio_per_round": [round(m / o, 2) for o, m in zip(rates[1], rates[args.collectors], strict=True)],
        "cpu_s_per_1000": {c: [round(r["cpu_s"] / len(bodies) * 1000, 3) if r["cpu_s"] else None for r in got]
                           for c, got in runs.items()},
    }))
    return 0


def run_naive(info: dict, url: str, n: int, db: Path) -> dict:
    """The tutorial loop: one message at a time, each stored in its own transaction, then deleted."""
    sqs = client(info, "sqs")
    store = Store(db)
    done = 0
    started = time.monotonic()
    cpu_started = time.process_time()
    try:
        while done < n:
            reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
            for message in reply.get("Messages", []):
                store.add([(message["Body"], parse_body(message["Body"]))])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
        elapsed = time.monotonic() - started
        cpu = time.process_time() - cpu_started
        stored = {table: store.count(table) for table in ("records", "quarantine")}
    finally:
        store.close()
    return {"seconds": elapsed, "cpu_s": cpu, **stored}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="notifications in the queue (default 3000)")
    parser.add_argument("--receivers", type=int, help="collector receivers (default: the collector's own)")
    parser.add_argument("--db", metavar="URL", help="postgresql://... (a role that may create databases), or `pg`"
                        " for a throwaway server: drain into PostgreSQL with one collector, then --collectors")
    parser.add_argument("--collectors", type=int, default=2, help="with --db: how many collectors share the queue"
                        " and the database in the second run (default 2)")
    parser.add_argument("--rounds", type=int, default=1, help="with --db: one collector then --collectors, this"
                        " many times, alternating; medians count (default 1)")
    parser.add_argument("--fake-store", action="store_true", help="with --db: collectors whose event writes are"
                        " no-ops (drain_pg_probe.py), timed to the empty queue: what the sandbox's queue allows")
    parser.add_argument("--probe", action="store_true", help="with --db: sample CPU per component and the"
                        " sessions' waits while draining (drain_pg_probe.py)")
    args = parser.parse_args()
    n = args.n

    sandbox = subprocess.Popen([*SESTUI, "sandbox", "--delay-scale", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(sandbox.stdout.readline())
        sqs = client(info, "sqs")
        bodies = corpus.bodies(n, seed=7)
        with tempfile.TemporaryDirectory(prefix="sestui-drain-") as tmp:
            # A queue each: the long polls the stopped collector leaves behind would take messages.
            url = sqs.create_queue(QueueName="drain-collector")["QueueUrl"]
            if not args.db:
                fill(info, url, bodies)
            expected = expected_rows(bodies, Path(tmp) / "expected.db")
            if args.db:
                return run_pg(info, sqs, bodies, expected, args, Path(tmp), sandbox.pid)
            db = Path(tmp) / "collector.db"
            collector = run_collector(info, url, expected, str(db), args.receivers, lambda: stored_rows(db),
                                      db.with_suffix(".toml"))
            print(json.dumps({"collector": collector}), flush=True)
            url = sqs.create_queue(QueueName="drain-naive")["QueueUrl"]
            fill(info, url, bodies)
            naive = run_naive(info, url, n, Path(tmp) / "naive.db")
            print(json.dumps({"naive": naive}), flush=True)
    finally:
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.wait()

    if collector["left_in_queue"] or any(naive[k] != v for k, v in expected.items()):
        raise SystemExit(f"a consumer left something behind: {collector} / {naive} / expected {expected}")
    collector_rate = n / collector["seconds"]
    naive_rate = n / naive["seconds"]
    cpu = collector["cpu_s"] if collector["cpu_s"] is not None else collector["cpu_s_with_startup"]
    print(json.dumps({
        "benchmark": "drain",
        "n": n,
        "collector_per_s": round(collector_rate, 1),
        "collector_per_s_after_start": round(n / collector["seconds_after_start"], 1),
        "naive_per_s": round(naive_rate, 1),
        "ratio": round(collector_rate / naive_rate, 2),
        "collector_cpu_s_per_1000": round(cpu / n * 1000, 3),
        "collector_cpu_s_per_1000_with_startup": round(collector["cpu_s_with_startup"] / n * 1000, 3),
        "naive_cpu_s_per_1000": round(naive["cpu_s"] / n * 1000, 3),
        "collector_stop_s": round(collector["stop_seconds"], 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
