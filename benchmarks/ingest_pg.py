"""Ingest throughput into PostgreSQL: the real `sestui ingest --db postgresql://...` path, and the
store's two write paths, against a plain COPY of the same normalized rows.

    python benchmarks/ingest_pg.py [--events N] [--repeat R] [--db URL]

Without --db a throwaway server is started (tests/pg_server.py: unix socket, fsync off; the same
settings for every side). Each run gets a fresh database holding the sestui schema, on a quiet
server (no autovacuum worker still busy with the previous run's tables).

1. pipeline: `sestui ingest --db URL file`, run as a program (read, parse, PostgresStore.write in
   the CLI's batches, one transaction each, with partition creation, the write lock and NOTIFY).
2. store_write_pipeline / store_write_copy: PostgresStore.write of the pre-normalized batches with
   each write mode (executemany in pipeline mode, or COPY into temp tables + INSERT ... SELECT);
   store_write_prepared: write_prepared of batches prepare_write made beforehand (the copy mode:
   what `sestui ingest`'s writer does while its parse thread prepares the next batch).
3. limit: the same normalized rows COPYed straight into the tables (partitions made beforehand,
   no conflict handling, no merging; one transaction per batch; the binary format, as the store's,
   which is faster than the text one: `limit_text_events_per_s` is that, for comparison with older
   figures): what PostgreSQL can take at best.

The best of R runs counts. The last line printed is one JSON object with events/s for each side
and ratio = pipeline / limit.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

import corpus  # noqa: E402
from ingest import normalized_batches, parse_args  # noqa: E402

from sestui.store.postgres import schema as pgschema  # noqa: E402
from sestui.store.postgres import PostgresStore  # noqa: E402
from sestui.store.postgres.write import TABLES, copy_rows  # noqa: E402
from sestui.store import Rows  # noqa: E402


class Databases:
    """Fresh databases with the schema, cloned from a template on one server."""

    def __init__(self, url: str | None):
        import psycopg

        self.server = None
        if url is None:
            from pg_server import PgServer

            self.server = PgServer().start()
            url = self.server.url()
        self.admin_url = url
        self.psycopg = psycopg
        self.n = 0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS sestui_bench_template")
            conn.execute("CREATE DATABASE sestui_bench_template")
        PostgresStore(self._url("sestui_bench_template")).close()

    def _url(self, name: str) -> str:
        # a postgresql:// URL (a key=value conninfo string would be taken for a SQLite path by --db)
        return urlsplit(self.admin_url)._replace(path=f"/{name}").geturl()

    def fresh(self) -> str:
        """A new database (the one before it dropped), once the server is quiet: after a load,
        autovacuum analyzes the new tables for seconds on the other core, which would slow whichever
        side ran next."""
        self.n += 1
        name = f"sestui_bench_{os.getpid()}_{self.n}"
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS sestui_bench_{os.getpid()}_{self.n - 1} WITH (FORCE)")
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE sestui_bench_template")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'").fetchone()[0]:
                time.sleep(0.2)
        return self._url(name)

    def close(self) -> None:
        if self.server:
            self.server.stop()


def to_rows(batch) -> Rows:
    rows = Rows(0)
    rows.events, rows.records, rows.messages, rows.recipients, rows.quarantine = batch
    return rows


def run_pipeline(path: Path, url: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sestui.cli", "ingest", "--db", url, str(path)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"sestui ingest failed with status {proc.returncode}: {proc.stderr.strip()}")
    summary = proc.stdout.splitlines()[-1]
    with PostgresStore(url) as store:  # it really went into PostgreSQL
        if f"stored={store.count('events')} " not in summary + " ":
            raise SystemExit(f"sestui ingest said {summary!r} but the database holds {store.count('events')} events")
    return elapsed, summary


def run_store(batches, url: str, mode: str, *, prepared: bool = False) -> float:
    with PostgresStore(url, write_mode=mode) as store:
        todo = [store.prepare_write(to_rows(b)) if prepared else to_rows(b) for b in batches]
        write = store.write_prepared if prepared else store.write
        start = time.perf_counter()
        for batch in todo:
            write(batch)
        return time.perf_counter() - start


def _copy_text(cur, table: str, cols: tuple, data: list[tuple]) -> None:
    if not data:
        return
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in data:
            copy.write_row(row)


def run_limit(batches, url: str, *, binary: bool = True) -> float:
    import psycopg

    with PostgresStore(url) as store:  # the partitions, made outside the clock
        with store._conn() as conn:
            store._ensure_bounds(conn, {pgschema.partition_bounds(ev[3]) for b in batches for ev in b[0]})
    copy = copy_rows if binary else _copy_text
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        for batch in batches:
            with conn.cursor() as cur:
                for (table, cols, _), data in zip(TABLES, batch, strict=False):
                    copy(cur, table, cols, data)
            conn.commit()
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, 50_000, "a postgresql:// URL of a server to use, as a role that may create "
                      "databases (default: start a throwaway one)", argv)

    dbs = Databases(None if args.db == "pg" else args.db)
    try:
        with tempfile.TemporaryDirectory(prefix="sestui-bench-") as tmp:
            source = Path(tmp) / "bodies.jsonl"
            with open(source, "w", encoding="utf-8") as f:
                for body in corpus.bodies(args.events, seed=args.seed):
                    f.write(body + "\n")
            # a limit that breaks on duplicates would measure nothing: keep each identity once
            batches, seen = [], set()
            for events, records, messages, recipients, quarantine in normalized_batches(source, int(time.time() * 1000)):
                events = [e for e in events if e[:4] not in seen and not seen.add(e[:4])]
                records = [r for r in records if ("r",) + r[:3] not in seen and not seen.add(("r",) + r[:3])]
                messages = [m for m in {m[0]: m for m in messages}.values() if ("m", m[0]) not in seen
                            and not seen.add(("m", m[0]))]
                recipients = [r for r in {r[:2]: r for r in recipients}.values() if ("p",) + r[:2] not in seen
                              and not seen.add(("p",) + r[:2])]
                batches.append((events, records, messages, recipients, quarantine))
            full = normalized_batches(source, int(time.time() * 1000))
            gc.collect()
            events = sum(len(b[0]) for b in full)
            times: dict[str, list[float]] = {"pipeline": [], "store_write_pipeline": [], "store_write_copy": [],
                                             "store_write_prepared": [], "limit": [], "limit_text": []}
            summary = ""
            for i in range(args.repeat):
                elapsed, summary = run_pipeline(source, dbs.fresh())
                times["pipeline"].append(elapsed)
                times["store_write_pipeline"].append(run_store(full, dbs.fresh(), "pipeline"))
                times["store_write_copy"].append(run_store(full, dbs.fresh(), "copy"))
                times["store_write_prepared"].append(run_store(full, dbs.fresh(), "copy", prepared=True))
                times["limit"].append(run_limit(batches, dbs.fresh()))
                times["limit_text"].append(run_limit(batches, dbs.fresh(), binary=False))
                print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()) + f" ({summary})",
                      file=sys.stderr)
    finally:
        dbs.close()
    rates = {k: events / min(v) for k, v in times.items()}
    result = {"events": events, "bodies": args.events, "ingest_summary": summary,
              "partition_days": pgschema.PARTITION_MS // pgschema.DAY_MS,
              **{f"{k}_events_per_s": round(r) for k, r in rates.items()},
              "ratio": round(rates["pipeline"] / rates["limit"], 3),
              # each run's pipeline against the limit measured next to it (the load of the shared machine moves)
              "ratio_per_run": [round(lim / pipe, 3) for pipe, lim in zip(times["pipeline"], times["limit"], strict=True)],
              "store_write_copy_over_pipeline": round(rates["store_write_copy"] / rates["store_write_pipeline"], 3)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
