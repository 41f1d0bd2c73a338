"""Ingest throughput: the real `sestui ingest` path against what SQLite alone can do with the same rows.

    python benchmarks/ingest.py [--events N] [--repeat R]

1. Generates N realistic SNS-wrapped SES notifications (benchmarks/corpus.py) as JSON Lines.
2. pipeline: `sestui ingest --db fresh.db file`, run as a program (bodies.py reads the file,
   events.parse_body normalizes, Store.add writes in the CLI's batches).
3. limit: the rows that pipeline writes to each table, normalized beforehand (outside the clock),
   inserted by plain sqlite3 `executemany` with the store's own statements into a fresh database
   the Store created (same tables, indexes and pragmas), in the same batches, one transaction each.

Each side is run R times on a fresh database; the best time counts (the machine is shared).
The last line printed is one JSON object: events, pipeline_events_per_s, sqlite_limit_events_per_s, ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

from sestui.ops.ingest import BATCH  # noqa: E402
from sestui.ops.bodies import iter_bodies  # noqa: E402
from sestui.core.events import parse_body  # noqa: E402
from sestui.store import Store, Rows, rollups  # noqa: E402


def run_pipeline(path: Path, db: Path) -> tuple[float, str]:
    """`sestui ingest` as a user runs it, in its own process (start-up included, so a little
    pessimistic): this process's heap, which holds the limit's rows, does not weigh on it."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sestui.cli", "ingest", "--db", str(db), str(path)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"sestui ingest failed with status {proc.returncode}: {proc.stderr.strip()}")
    return elapsed, proc.stdout.splitlines()[-1]


Batch = tuple[list[tuple], list[tuple], list[tuple], list[tuple], list[tuple]]


def normalized_batches(path: Path, received_ms: int) -> list[Batch]:
    """The rows each CLI batch writes to each table, exactly as Store.add flattens them.

    Only tuples of plain values are kept: once the collector has untracked them they cost the
    garbage collector nothing, so holding them does not slow the pipeline runs in this process.
    """
    batches: list[Batch] = []
    current, n = Rows(received_ms), 0

    def flush(rows: Rows) -> None:
        batches.append((rows.events, rows.records, rows.messages, rows.recipients, rows.quarantine))

    with open(path, "rb") as f:
        for body in iter_bodies(f):
            current.add(body, parse_body(body))
            n += 1
            if n % BATCH == 0:
                flush(current)
                current = Rows(received_ms)
    if n % BATCH:
        flush(current)
    gc.collect()
    return batches


def run_limit(batches: list[Batch], db: Path) -> float:
    Store(db).close()  # the same schema, indexes and journal mode
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")  # as the Store sets it on its connection
    start = time.perf_counter()
    for events, records, messages, recipients, quarantine in batches:  # as Rows.write, one transaction each
        conn.execute("BEGIN IMMEDIATE")
        newest = conn.execute(rollups.MAX_ID).fetchone()[0]
        conn.executemany(Rows.EVENT_SQL, events)
        conn.executemany(Rows.RECORD_SQL, records)
        conn.executemany(Rows.MESSAGE_SQL, messages)
        conn.executemany(Rows.RECIPIENT_SQL, recipients)
        conn.executemany(Rows.QUARANTINE_SQL, quarantine)
        rollups.after_write(conn, newest, list({m[0]: None for m in messages}))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def parse_args(doc: str, events: int, db_help: str, argv: list[str] | None) -> argparse.Namespace:
    """The options this benchmark and ingest_pg.py share."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=events, help=f"notifications to generate (default {events})")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best counts (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", metavar="URL", help=db_help)
    args = parser.parse_args(argv)
    if args.db and args.db != "pg" and not args.db.startswith(("postgresql://", "postgres://")):
        # `sestui ingest --db` takes anything else for a SQLite path: files named "user=... dbname=..."
        parser.error("--db must be a postgresql:// URL (not a key=value conninfo string)")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, 100_000, "postgresql://...: measure the PostgreSQL store on that server instead "
                      "(benchmarks/ingest_pg.py; `--db pg` starts a throwaway server)", argv)
    if args.db:
        import ingest_pg

        return ingest_pg.main(["--events", str(args.events), "--repeat", str(args.repeat), "--seed", str(args.seed)]
                              + ([] if args.db == "pg" else ["--db", args.db]))

    with tempfile.TemporaryDirectory(prefix="sestui-bench-") as tmp:
        tmp_path = Path(tmp)
        source = tmp_path / "bodies.jsonl"
        t0 = time.perf_counter()
        with open(source, "w", encoding="utf-8") as f:
            for body in corpus.bodies(args.events, seed=args.seed):
                f.write(body + "\n")
        print(f"generated {args.events} bodies ({source.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)

        batches = normalized_batches(source, received_ms=int(time.time() * 1000))
        events = sum(len(b[0]) for b in batches)

        pipeline_times, limit_times, summary = [], [], ""
        for i in range(args.repeat):  # interleaved, so a burst of load elsewhere hits both sides
            elapsed, summary = run_pipeline(source, tmp_path / f"pipeline-{i}.db")
            pipeline_times.append(elapsed)
            limit_times.append(run_limit(batches, tmp_path / f"limit-{i}.db"))
            print(f"run {i + 1}: pipeline {elapsed:.2f}s, sqlite limit {limit_times[-1]:.2f}s ({summary})",
                  file=sys.stderr)
            for name in (f"pipeline-{i}.db", f"limit-{i}.db"):
                for suffix in ("", "-wal", "-shm"):
                    (tmp_path / (name + suffix)).unlink(missing_ok=True)

    pipeline_rate = events / min(pipeline_times)
    limit_rate = events / min(limit_times)
    result = {
        "events": events,
        "bodies": args.events,
        "ingest_summary": summary,
        "pipeline_events_per_s": round(pipeline_rate),
        "sqlite_limit_events_per_s": round(limit_rate),
        "ratio": round(pipeline_rate / limit_rate, 3),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
