"""Time from a restarted PostgreSQL server answering again to the store's first successful write.

A throwaway server (tests/pg_server.py) is shut down for --down seconds with four idle connections
in the store's pool, while a writer retries every 0.5 s after a failure (a collector's first
retries), then started again. Goal: under a second (it was ~7 s for a quick restart: psycopg_pool's
checks of the four dropped connections, 0 + 1 + 2 + 4 s of sleeps apart). Prints one JSON line.
    python benchmarks/pg_restart.py [--down 0 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]


def first_write_after_restart(down_s: float) -> float:
    from pg_server import PgServer

    from sestui.store.postgres import PostgresStore

    server = PgServer().start()
    try:
        with server.admin() as conn:
            conn.execute("CREATE DATABASE r")
        with PostgresStore(server.url("r")) as store:
            held = [store.pool.getconn() for _ in range(4)]
            for conn in held:
                store.pool.putconn(conn)
            ok: list[float] = []
            stop = threading.Event()

            def write() -> None:
                now = int(time.time() * 1000)
                store.save_collector_state("bench", {
                    "queue_url": "q", "state": "running", "started": now, "heartbeat": now, "last_success": now,
                    "events_per_s": 0.0, "received": 0, "stored": 0, "duplicates": 0, "quarantined": 0,
                    "db_path": store.identity})

            def writer() -> None:
                while not stop.is_set():
                    try:
                        write()
                        ok.append(time.monotonic())
                        stop.wait(0.05)
                    except Exception:  # noqa: BLE001  (the outage: retry as a collector would)
                        stop.wait(0.5)

            server.pause()
            thread = threading.Thread(target=writer)
            thread.start()
            time.sleep(down_s)
            server.resume()
            back = time.monotonic()
            while not any(t > back for t in ok) and time.monotonic() < back + 60:
                time.sleep(0.01)
            stop.set()
            thread.join()
            return min((t for t in ok if t > back), default=float("inf")) - back
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", type=float, nargs="+", default=[0.0, 3.0], help="seconds the server is down")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = {}
    for down in args.down:
        runs = [first_write_after_restart(down) for _ in range(args.repeat)]
        result[f"down_{down:g}s"] = {"median_s": round(statistics.median(runs), 3), "runs_s": [round(r, 3) for r in runs]}
    print(json.dumps({"benchmark": "pg_restart", "goal_s": 1.0, **result}))


if __name__ == "__main__":
    main()
