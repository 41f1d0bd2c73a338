"""Query latency against history size: the console's hot queries at 10,000 and 1,000,000 events.

    python benchmarks/queries.py [--sizes 10000 1000000] [--lookups 200] [--rebuild]

For each size, a database in the store's schema (created by Store, so the same tables and
indexes) is filled with normalized rows generated directly, with realistic cardinalities: ~2.6
events per message (Send, Delivery, some Opens and Clicks, a few Bounces, Delays, Complaints),
5% of messages to several recipients, and recipients that recur across messages (one distinct
address per ~8 events, heavy-tailed). Every size covers the same 14 days (SPAN_MS), at the rate that
fills them: a bigger history is more mail per hour, not more hours (see generate). Databases are
cached under /tmp by size and seed.

Then, through the Store's own methods, `lookups` random calls each of:
  * timeline(message_id)           a random stored message;
  * recipient_history(address)     a random stored recipient, in a random letter case;
  * latest(200)                    the newest 200 events by event time;
  * flow_page(limit=200)           the live flow's first page (newest by arrival);
  * counts_by_type(last 5 minutes) the health header's rates over the newest 5 minutes of traffic
                                   (which hold ~100 times as many events at 1M as at 10k: its
                                   ratio is per window event);
  * flow_filter_nomatch            the flow's first page filtered by text that matches nothing
                                   (target: under 20 ms at 1M events), and flow_count of it;
  * flow_filter_match              the flow's first page filtered by a stored recipient's local part
                                   (its cost follows the segments of the text index: fts_segments);
  * flow_{set,tag}_{nomatch,match} the flow's first page filtered by `set:NAME` / `tag:campaign=X`, for
                                   a name nothing carries (target: under 20 ms at 1M events) and for a
                                   common one; flow_tag_few: a tag ~300 messages carry; flow_count_*:
                                   the same filters counting what arrived since the last 200 events;
  * breakdown_{1h,24h,14d}_{dim}   the breakdown pane's queries, from the roll-ups, over windows
                                   that hold the same hours at every size (target: under 50 ms at
                                   1M events, 1M/10k ratio <= 3);
and the median time of each. The last line printed is one JSON object with the medians (ms)
for every size and, per query, the ratio largest/smallest size (target: <= 3).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Through store.sqlite, which names these in every version, so old and new code can be compared.
from sestui.store.sqlite import EVENT_COLUMNS, MIGRATIONS, STATUS_RANK, Rows, Store, status_of

try:
    from sestui.store import rollups
except ImportError:  # a sestui from before the roll-ups
    rollups = None  # type: ignore[assignment]

EPOCH_MS = 1_714_521_600_000  # 2024-05-01T00:00:00Z
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "example.org", "example.net",
           "mail.example.de", "corp.example.co.uk", "web.example.fr"]
SOURCES = ["Billing <billing@shop.example.com>", "Shop <orders@shop.example.com>", "News <news@shop.example.com>"]
SUBJECTS = ["Your receipt #{n}", "Order {n} has shipped", "Reset your password", "Your weekly digest",
            "Invoice {n} is available"]
CAMPAIGNS = ["spring", "receipts", "digest", "winback"]
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


SETS = ["tx", "bulk", "marketing"]


def event_row(mid, kind, rcpt, ts, subject, source, config_set="tx", **details) -> tuple:
    row = {"message_id": mid, "event_type": kind, "recipient": rcpt, "ts": ts, "subject": subject,
           "source": source, "configuration_set": config_set, **details}
    return tuple(row.get(c) for c in EVENT_COLUMNS)


# Every history covers the same two weeks, at a rate that fills them with n_events: history grows as
# more mail per hour, as a store kept for its retention grows. (A constant rate spreads 10,000 events
# over minutes and 1,000,000 over days, so the 24 h and 14 d breakdowns would read 1 hour of roll-ups
# at one size and 50 at the other: a question about span, not about history.)
SPAN_MS = 14 * 86_400_000
EVENTS_PER_MESSAGE = 2.6  # what the mix below makes, on average (the span comes out within a few %)


def generate(n_events: int, seed: int):
    """Yield (message row, [event rows]) per message until about n_events events, the sends spread
    evenly (with jitter) over SPAN_MS."""
    rng = random.Random(seed)
    pool = [f"user{i}.{rng.choice(['lopez', 'smith', 'muller', 'rossi'])}@{rng.choice(DOMAINS)}"
            for i in range(max(100, n_events // 8))]
    ts, count, serial = EPOCH_MS, 0, 0
    gap = SPAN_MS * EVENTS_PER_MESSAGE / n_events  # mean time between sends
    while count < n_events:
        serial += 1
        ts += rng.randint(1, max(1, round(2 * gap)))
        mid = f"{ts:016x}-{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-" \
              f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}-000000"
        n_rcpt = 1 if rng.random() < 0.95 else rng.randint(2, 5)
        rcpts = list(dict.fromkeys(
            pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)] if rng.random() < 0.2
            else pool[rng.randrange(len(pool))] for _ in range(n_rcpt)))
        subject, source = rng.choice(SUBJECTS).format(n=serial), rng.choice(SOURCES)
        config_set = SETS[serial % len(SETS)]

        def row(*args, _set=config_set, **kw) -> tuple:
            return event_row(*args, config_set=_set, **kw)

        rows = []
        for rcpt in rcpts:
            rows.append(row(mid, "send", rcpt, ts, subject, source))
            done = ts + rng.randint(300, 4000)
            roll = rng.random()
            if roll < 0.01:
                rows.append(row(mid, "delivery_delay", rcpt, done, subject, source, delay_type="MailboxFull",
                                      diagnostic_code="smtp; 452 4.2.2 Mailbox full"))
                done += rng.randint(300_000, 3_600_000)
            if roll < 0.025:
                rows.append(row(mid, "bounce", rcpt, done, subject, source, bounce_type="Permanent",
                                      bounce_subtype="General", diagnostic_code="smtp; 550 5.1.1 user unknown"))
                continue
            rows.append(row(mid, "delivery", rcpt, done, subject, source))
            if rng.random() < 0.001:
                rows.append(row(mid, "complaint", rcpt, done + 7_200_000, subject, source,
                                      complaint_feedback_type="abuse"))
            if rng.random() < 0.25:
                opened = done + rng.randint(10_000, 7_200_000)
                ip = f"203.0.113.{rng.randint(1, 254)}"
                rows.append(row(mid, "open", rcpt, opened, subject, source, user_agent=UA, ip_address=ip))
                if rng.random() < 0.3:
                    rows.append(row(mid, "click", rcpt, opened + rng.randint(2000, 120_000), subject, source,
                                          user_agent=UA, ip_address=ip, link=f"https://shop.example.com/o/{serial}"))
        count += len(rows)
        # a campaign per message; "batch" tags about 300 messages each (a tag few messages carry)
        tags = {"ses:configuration-set": [config_set], "campaign": [CAMPAIGNS[serial % len(CAMPAIGNS)]],
                "batch": [f"b{serial // 300}"]}
        message = (mid, ts, ts, max(r[3] for r in rows), source, subject, json.dumps(rcpts), config_set,
                   json.dumps(tags))
        yield message, rows


def flow_filters(n: int, rng: random.Random, n_messages: int) -> dict[str, list[dict]]:
    """n flow_page/flow_count keyword sets for each set:/tag: filter measured (queries_pg.py too)."""
    return {
        "set_nomatch": [{"configuration_set": f"no-such-set-{i}"} for i in range(n)],
        "set_match": [{"configuration_set": SETS[i % len(SETS)]} for i in range(n)],
        "tag_nomatch": [{"tag": ("campaign", f"no-such-{i}")} for i in range(n)],
        "tag_match": [{"tag": ("campaign", CAMPAIGNS[i % len(CAMPAIGNS)])} for i in range(n)],
        # a tag ~300 messages carry, spread over the history (looked up by message id)
        "tag_few": [{"tag": ("batch", f"b{rng.randrange(max(1, n_messages // 300))}")} for _ in range(n)],
    }


def check_flow_filters(store, flows: dict[str, list[dict]]) -> None:
    """The filters find what they look for (and nothing where nothing carries the name)."""
    assert store.flow_page(**flows["set_nomatch"][0]) == [] and store.flow_page(**flows["set_match"][0])
    assert store.flow_page(**flows["tag_nomatch"][0]) == [] and store.flow_page(**flows["tag_few"][0])


def build(path: Path, n_events: int, seed: int) -> None:
    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    Store(tmp).close()  # the store's schema and indexes
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: a faster build, not used by the measurements
    start = time.perf_counter()
    messages, events, recipients = [], [], []

    def flush():
        conn.execute("BEGIN")
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        conn.executemany(Rows.EVENT_SQL, events)
        conn.executemany(Rows.MESSAGE_SQL, messages)
        conn.executemany(Rows.RECIPIENT_SQL, recipients)
        if hasattr(rollups, "after_write"):  # as Rows.write keeps them (schema 6 on)
            rollups.after_write(conn, newest, [m[0] for m in messages])
        elif rollups is not None:
            conn.execute(rollups.ADD_NEW, (newest,))
        conn.execute("COMMIT")
        messages.clear(), events.clear(), recipients.clear()

    for message, rows in generate(n_events, seed):
        messages.append(message)
        events.extend(rows)
        for r in rows:
            status = status_of(r[1], r[4])
            if status is not None:
                recipients.append((r[0], r[2], status, STATUS_RANK[status], r[3]))
        if len(events) >= 50_000:
            flush()
    flush()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    print(f"built {path} in {time.perf_counter() - start:.1f}s", file=sys.stderr)


def database(n_events: int, seed: int, cache_dir: Path, rebuild: bool) -> Path:
    path = cache_dir / f"sestui-bench-queries-{n_events}-seed{seed}-schema{len(MIGRATIONS)}-span14d.db"
    if rebuild or not path.exists():
        build(path, n_events, seed)
    return path


def median_ms(calls, lookups: int, warm: int = 20) -> float:
    for call in calls[:warm]:  # warm up the page cache and SQLite's statement cache
        call()
    times = []
    for call in calls[:lookups]:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(path: Path, lookups: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    with Store(path) as store:
        message_ids = [r[0] for r in store.conn.execute("SELECT message_id FROM messages")]
        addresses = [r[0] for r in store.conn.execute("SELECT DISTINCT recipient FROM message_recipients")]
        n = store.count("events")
        mids = rng.sample(message_ids, min(len(message_ids), lookups + 20))
        addrs = [rng.choice([a, a.upper(), a.capitalize()]) for a in rng.sample(addresses, min(len(addresses), lookups + 20))]
        result = {
            "events": n,
            "timeline": median_ms([lambda m=m: store.timeline(m) for m in mids], lookups),
            "recipient_history": median_ms([lambda a=a: store.recipient_history(a) for a in addrs], lookups),
            "latest": median_ms([lambda: store.latest(200)] * (lookups + 20), lookups),
            "flow_page": median_ms([lambda: store.flow_page(limit=200)] * (lookups + 20), lookups),
        }
        # "Now" is the newest send: later Opens and Complaints trail off for hours after it.
        now = store.conn.execute("SELECT max(ts) FROM events WHERE event_type = 'send'").fetchone()[0]
        result["counts_by_type_5min"] = median_ms(
            [lambda: store.counts_by_type(now - 300_000)] * (lookups + 20), lookups)
        result["events_in_5min_window"] = sum(store.counts_by_type(now - 300_000).values())
        nomatch = [f"zq{i:04d}xj-no-such" for i in range(lookups + 20)]
        result["flow_filter_nomatch"] = median_ms([lambda t=t: store.flow_page(text=t, limit=200) for t in nomatch],
                                                  lookups)
        result["flow_count_nomatch"] = median_ms([lambda t=t: store.flow_count(after_id=0, text=t) for t in nomatch],
                                                 lookups)
        locals_ = [a.split("@")[0] for a in addrs]
        result["flow_filter_match"] = median_ms([lambda t=t: store.flow_page(text=t, limit=200) for t in locals_],
                                                lookups)
        assert store.flow_page(text=nomatch[0]) == [] and store.flow_page(text=locals_[0])
        # the text filter's look-ups cost per segment of its index (Store.vacuum merges them into one)
        result["fts_segments"] = store.conn.execute("SELECT count(DISTINCT segid) FROM events_fts_idx").fetchone()[0]
        if hasattr(store, "_tag_messages"):  # set: and tag: filters (schema 6 on)
            flows = flow_filters(lookups + 20, rng, len(message_ids))
            for name, wheres in flows.items():
                result[f"flow_{name}"] = median_ms([lambda w=w: store.flow_page(limit=200, **w) for w in wheres],
                                                   lookups)
            newest = store.flow_page(limit=1)[0]["id"]
            for name in ("set_nomatch", "set_match", "tag_nomatch", "tag_match", "tag_few"):
                # what the console asks every tick while the operator reads: how many arrived since
                result[f"flow_count_{name}"] = median_ms(
                    [lambda w=w: store.flow_count(after_id=newest - 200, **w) for w in flows[name]], lookups)
            check_flow_filters(store, flows)
        if hasattr(store, "breakdown"):  # the roll-ups (schema 4 on)
            for window, name in ((3_600_000, "1h"), (86_400_000, "24h"), (14 * 86_400_000, "14d")):
                for dim in ("configuration_set", "recipient_domain", "campaign", "bounce_class"):
                    result[f"breakdown_{name}_{dim}"] = median_ms(
                        [lambda w=window, d=dim: store.breakdown(w, d, now=now)] * (lookups + 20), lookups)
            result["rollup_rows_1h"] = store.conn.execute(
                "SELECT count(*) FROM rollup_hourly WHERE hour >= ?", ((now - 3_600_000) // 3_600_000 * 3_600_000,)
            ).fetchone()[0]
            assert store.breakdown(3_600_000, "campaign", now=now)
        # Sanity: the lookups find what they look for.
        assert store.timeline(mids[0]) and store.recipient_history(addrs[0]) and len(store.latest(200)) == 200
    return result


def parser_for(doc: str, sizes: list[int], lookups: int) -> argparse.ArgumentParser:
    """The options this benchmark and queries_pg.py share."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes)
    parser.add_argument("--lookups", type=int, default=lookups)
    parser.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: list[str] | None = None) -> dict:
    parser = parser_for(__doc__, [10_000, 1_000_000], 200)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached databases")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure every size this many times, alternating; the lowest median counts")
    args = parser.parse_args(argv)

    sizes = sorted(args.sizes)
    paths = {size: database(size, args.seed, args.cache_dir, args.rebuild) for size in sizes}
    figures: dict[int, dict] = {}
    for round_ in range(args.rounds):  # alternating sizes, so a burst of load elsewhere hits both
        for size in sizes:
            got = measure(paths[size], args.lookups, args.seed + round_)
            figures[size] = {k: min(v, figures.get(size, got)[k]) for k, v in got.items()}
            print(f"round {round_ + 1}, {size}: {json.dumps(got)}", file=sys.stderr)
    queries = ("timeline", "recipient_history", "latest", "flow_page", "counts_by_type_5min", "flow_filter_nomatch",
               "flow_count_nomatch", "flow_filter_match")
    queries += tuple(sorted(k for k in figures[sizes[0]] if k.startswith(("flow_set", "flow_tag", "flow_count_set",
                                                                          "flow_count_tag"))))
    queries += tuple(sorted(k for k in figures[sizes[0]] if k.startswith("breakdown_")))
    # counts_by_type's cost follows the events in its window, which differ a little between sizes
    # (the short small history has fewer late Opens): its ratio is per window event.
    small, large = figures[sizes[0]], figures[sizes[-1]]
    result = {
        "sizes": sizes,
        "stored_events": [figures[s]["events"] for s in sizes],
        "median_ms": {q: {str(s): round(figures[s][q], 4) for s in sizes} for q in queries},
        "events_in_5min_window": [figures[s]["events_in_5min_window"] for s in sizes],
        "fts_segments": [figures[s]["fts_segments"] for s in sizes],
        "ratio_large_small": {q: round(large[q] / small[q], 2) for q in queries if q != "counts_by_type_5min"},
    }
    per_event = [figures[s]["counts_by_type_5min"] / figures[s]["events_in_5min_window"] for s in (sizes[0], sizes[-1])]
    result["ratio_large_small"]["counts_by_type_5min_per_window_event"] = round(per_event[1] / per_event[0], 2)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
