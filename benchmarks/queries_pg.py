"""The flow's set:/tag: filters and the breakdown on PostgreSQL, against history size.

    python benchmarks/queries_pg.py [--sizes 10000 1000000] [--lookups 100] [--db URL]

Without --db a throwaway server is started (tests/pg_server.py). For each size a fresh database is
filled through PostgresStore.write with benchmarks/queries.py's generated history (three
configuration sets, a campaign tag on every message, a `batch` tag ~300 messages carry), then
ANALYZEd as autovacuum would. Then, through the store's methods, the median of `lookups` calls of:
  * flow_page                      the flow's first page, unfiltered;
  * flow_{set,tag}_{nomatch,match} the first page filtered by `set:NAME` / `tag:campaign=X`, for a
                                   name nothing carries (target: under 20 ms at 1M) and a common one;
  * flow_tag_few                   filtered by a tag ~300 messages carry;
  * timeline, recipient_history, latest, counts_by_type_5min: as benchmarks/queries.py;
  * breakdown_{1h,24h,14d}_{dim}   the breakdown pane's queries.
Each size is measured --rounds times, alternating; the median of the rounds counts.
--only breakdown measures the breakdowns alone; --explain prints, for each size, EXPLAIN (ANALYZE,
BUFFERS) of every statement the breakdowns send (to stderr).
The last line printed is one JSON object: medians (ms) per size and the largest/smallest ratio.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from queries import check_flow_filters, flow_filters, generate, median_ms, parser_for  # noqa: E402

from sestui.store.postgres import PostgresStore  # noqa: E402
from sestui.store.rows import Rows  # noqa: E402


def fill(store: PostgresStore, n_events: int, seed: int) -> None:
    rows = Rows(0)
    for message, events in generate(n_events, seed):
        rows.messages.append(message)
        rows.events.extend(events)
        if len(rows.events) >= 20_000:
            store.write(rows)
            rows = Rows(0)
    store.write(rows)
    store._write("ANALYZE")


BREAKDOWNS = tuple((window, label, dim) for window, label in ((3_600_000, "1h"), (86_400_000, "24h"),
                                                               (14 * 86_400_000, "14d"))
                   for dim in ("configuration_set", "recipient_domain", "campaign", "bounce_class"))


def _now(store: PostgresStore) -> int:
    return store._query("SELECT max(ts) AS ts FROM events WHERE event_type = 'send'")[0]["ts"]


def measure_breakdowns(store: PostgresStore, lookups: int, now: int) -> dict[str, float]:
    return {f"breakdown_{label}_{dim}": median_ms([lambda w=window, d=dim: store.breakdown(w, d, now=now)]
                                                  * (lookups + 10), max(3, lookups // 10), warm=1)
            for window, label, dim in BREAKDOWNS}


def explain_breakdowns(store: PostgresStore) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the breakdowns send, to stderr."""
    now, real, events = _now(store), store._query, store.count("events")

    def explained(sql: str, params=()) -> list[dict]:
        plan = real("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\n".join(next(iter(r.values())) for r in plan), file=sys.stderr)
        return real(sql, params)

    store._query = explained  # type: ignore[method-assign]
    try:
        for window, label, dim in BREAKDOWNS:
            print(f"--- breakdown {label} {dim} at {events} events", file=sys.stderr)
            store.breakdown(window, dim, now=now)
    finally:
        del store._query


def measure(store: PostgresStore, lookups: int, seed: int, n_messages: int) -> dict[str, float]:
    rng = random.Random(seed)
    n = lookups + 10
    newest = store.flow_page(limit=1)[0]["id"]
    now = _now(store)
    mids = [r["message_id"] for r in store._query("SELECT message_id FROM messages ORDER BY random() LIMIT %s", (n,))]
    recipients = [r["recipient"] for r in store._query("SELECT DISTINCT recipient FROM events LIMIT 20000")]
    addrs = [rng.choice([a, a.upper()]) for a in rng.sample(recipients, min(n, len(recipients)))]
    flows = flow_filters(n, rng, n_messages)
    result = {"events": store.count("events"),
              "timeline": median_ms([lambda m=m: store.timeline(m) for m in mids], lookups),
              "recipient_history": median_ms([lambda a=a: store.recipient_history(a) for a in addrs], lookups),
              "latest": median_ms([lambda: store.latest(200)] * n, lookups),
              "counts_by_type_5min": median_ms([lambda: store.counts_by_type(now - 300_000)] * n, lookups),
              "flow_page": median_ms([lambda: store.flow_page(limit=200)] * n, lookups),
              "events_in_5min_window": sum(store.counts_by_type(now - 300_000).values())}
    for name, wheres in flows.items():
        result[f"flow_{name}"] = median_ms([lambda w=w: store.flow_page(limit=200, **w) for w in wheres], lookups)
        result[f"flow_count_{name}"] = median_ms(
            [lambda w=w: store.flow_count(after_id=newest - 200, **w) for w in wheres], lookups)
    result.update(measure_breakdowns(store, lookups, now))
    check_flow_filters(store, flows)
    assert store.timeline(mids[0]) and store.recipient_history(addrs[0])
    return result


def main(argv: list[str] | None = None) -> dict:
    import psycopg

    parser = parser_for(__doc__, [10_000, 1_000_000], 100)
    parser.add_argument("--rounds", type=int, default=3, help="measure each size this many times, alternating;"
                        " the median of the rounds counts (default 3)")
    parser.add_argument("--db", help="a server's admin URL (default: a throwaway server)")
    parser.add_argument("--only", choices=["breakdown"], help="measure only these queries")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the breakdowns at each size")
    args = parser.parse_args(argv)

    server = None
    url = args.db
    if url is None:
        from pg_server import PgServer

        server = PgServer().start()
        url = server.url()
    rounds: dict[int, list[dict]] = {}
    stores: dict[int, PostgresStore] = {}
    try:
        for size in sorted(args.sizes):
            name = f"sestui_bench_q_{os.getpid()}_{size}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
            stores[size] = store = PostgresStore(urlsplit(url)._replace(path=f"/{name}").geturl())
            start = time.perf_counter()
            fill(store, size, args.seed)
            print(f"filled {size} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
        for round_ in range(args.rounds):  # alternating sizes, so a burst of load elsewhere hits both
            for size, store in stores.items():
                if args.only:
                    got = {"events": store.count("events"), **measure_breakdowns(store, args.lookups, _now(store))}
                else:
                    got = measure(store, args.lookups, args.seed + round_, store.count("messages"))
                rounds.setdefault(size, []).append(got)
                print(f"round {round_ + 1}, {size}: {json.dumps(got)}", file=sys.stderr)
        if args.explain:
            for store in stores.values():
                explain_breakdowns(store)
    finally:
        for store in stores.values():
            store.close()
        if server is not None:
            server.stop()
    figures = {size: {k: statistics.median(r[k] for r in got) for k in got[0]} for size, got in rounds.items()}
    sizes = sorted(figures)
    small, large = figures[sizes[0]], figures[sizes[-1]]
    queries = [k for k in small if k not in ("events", "events_in_5min_window")]
    result = {"sizes": sizes, "stored_events": [figures[s]["events"] for s in sizes],
              "median_ms": {q: {str(s): round(figures[s][q], 3) for s in sizes} for q in queries},
              "ratio_large_small": {q: round(large[q] / small[q], 2) for q in queries}}
    if args.only:
        print(json.dumps(result))
        return result
    # as in queries.py: counts_by_type's cost follows the events in its window, which differ a little
    per_event = [f["counts_by_type_5min"] / f["events_in_5min_window"] for f in (small, large)]
    result["events_in_5min_window"] = [figures[s]["events_in_5min_window"] for s in sizes]
    result["ratio_large_small"]["counts_by_type_5min_per_window_event"] = round(per_event[1] / per_event[0], 2)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
