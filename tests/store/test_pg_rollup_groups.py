"""PostgreSQL's roll-ups per dimension (rollup_groups, kept from each batch in Python): equal to a
recount of the events in SQL after ingest, prune and duplicates, on both write paths; the
breakdowns read only the roll-ups; a database of schema 5 gets them from what it holds, one of
schema 6 (a row per event type) keeps its breakdowns in schema 7's shape (a count column per type);
odd addresses and tags roll up as SQLite's do."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from fixtures import sns_envelope
from psycopg.rows import dict_row

from sestui.core.events import EVENT_TYPES, parse_body
from sestui.store import Store, rollups, to_ms
from sestui.store.postgres import PostgresStore
from sestui.store.postgres import rollup_schema
from sestui.store.postgres import schema as pgschema
from sestui.store.postgres.reports import COMPLAINT_COUNTED, GROUP_EXPR, HARD
from sestui.store.postgres.rollups import TIERS, cover
from test_pg_breakdown import DIMENSIONS
from test_pg_rollups import WINDOWS, at_version, upgraded
from test_rollups import T0, _ingest, _message

_HOUR = f"e.ts / {rollups.HOUR_MS} * {rollups.HOUR_MS}"
_TAGS = ("SELECT DISTINCT m.message_id, t.key, v.value #>> '{}' AS value FROM messages m,"
         " jsonb_each(CASE WHEN jsonb_typeof(m.tags::jsonb) = 'object' THEN m.tags::jsonb ELSE '{}' END) t,"
         " jsonb_array_elements(CASE WHEN jsonb_typeof(t.value) = 'array' THEN t.value ELSE '[]' END) v"
         " WHERE jsonb_typeof(v.value) = 'string'")


def recount(pg: PostgresStore) -> Counter:
    """rollup_groups as it should be, counted in SQL from every stored event, a row per type and
    hard: per hour, 6 hours (dimension "6h:X") and day ("day:X"); tags as dimension "tag:KEY"
    ("6h:tag:KEY", "day:tag:KEY")."""
    groups: Counter = Counter()
    for dim in ("", *rollups.GROUP_DIMENSIONS):
        value = GROUP_EXPR[dim] if dim else "''"
        for r in pg._query(f"SELECT {_HOUR} AS hour, e.event_type, {HARD}::int AS hard, {value} AS value,"
                           f" count(*)::int AS n FROM events e LEFT JOIN messages m ON m.message_id = e.message_id"
                           f" WHERE {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4"):
            for prefix, unit in (("", 3_600_000), ("6h:", 6 * 3_600_000), ("day:", 86_400_000)):
                groups[(prefix + dim, r["hour"] // unit * unit, r["event_type"], r["hard"], r["value"])] += r["n"]
    for r in pg._query(f"SELECT mt.key, {_HOUR} AS hour, e.event_type, {HARD}::int AS hard, mt.value,"
                       f" count(*)::int AS n FROM events e JOIN ({_TAGS}) mt ON mt.message_id = e.message_id"
                       f" WHERE {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4, 5"):
        for prefix, unit in (("", 3_600_000), ("6h:", 6 * 3_600_000), ("day:", 86_400_000)):
            groups[(f"{prefix}tag:{r['key']}", r["hour"] // unit * unit, r["event_type"], r["hard"], r["value"])] += r["n"]
    return groups


def rolled_up(pg: PostgresStore) -> Counter:
    """The roll-ups as recount gives them: rollup_groups' count columns as a row per type and hard."""
    groups: Counter = Counter()
    for r in pg._query("SELECT * FROM rollup_groups"):
        assert any(r[c] for c in rollups.COUNTS) and 0 <= r["bounce_hard"] <= r["bounce"], r  # no empty row
        for t in EVENT_TYPES:
            hard = r["bounce_hard"] if t == "bounce" else 0
            for h, n in ((0, r[t] - hard), (1, hard)):
                if n:
                    groups[(r["dimension"], r["hour"], t, h, r["value"])] += n
    return groups


@pytest.mark.parametrize("mode", ["copy", "pipeline"])
def test_groups_equal_a_recount_after_ingest_prune_and_duplicates(pg_url, mode):
    rng = random.Random(20261201)
    bodies = [b for i in range(300) for b in _message(rng, i)]
    with PostgresStore(pg_url, write_mode=mode) as pg:
        _ingest(pg, list(bodies), rng)
        assert rolled_up(pg) == recount(pg) and sum(recount(pg).values()) > 1000
        assert any(k[0].startswith(rollups.DAILY) for k in rolled_up(pg))
        pg.prune(to_ms(T0 + timedelta(days=2, minutes=17, seconds=5)))  # inside an hour, not on its edge
        assert rolled_up(pg) == recount(pg)
        _ingest(pg, rng.sample(bodies, 500), rng)  # duplicates, and what the prune removed, again
        assert rolled_up(pg) == recount(pg)


def test_breakdowns_read_only_the_rollups(pg_url):
    with PostgresStore(pg_url) as pg:
        rng = random.Random(3)
        _ingest(pg, [b for i in range(40) for b in _message(rng, i)], rng)
        seen: list[str] = []
        real = pg._query
        pg._query = lambda sql, params=(): seen.append(sql) or real(sql, params)  # type: ignore[method-assign]
        for group_by in DIMENSIONS:
            assert pg.breakdown(14 * 86_400_000, group_by, now=to_ms(T0 + timedelta(days=6)))
        del pg._query
    assert seen and all("rollup_groups" in sql for sql in seen)
    assert not any(" events" in sql or "rollup_hourly" in sql for sql in seen)


def test_a_version_5_database_gets_its_groups_from_what_it_holds(tmp_path, pg_url):
    rng = random.Random(8)
    bodies = [b for i in range(150) for b in _message(rng, i)]
    # as version 5 left it: rollup_hourly and rollup_tags, filled from the events; no rollup_groups
    at_version(pg_url, bodies, 5, "DROP TABLE IF EXISTS rollup_groups, rollup_tags", *pgschema.statements(rollup_schema.migration_5()))
    with upgraded(tmp_path, pg_url, bodies) as pg:
        assert pg._query("SELECT to_regclass('rollup_hourly') AS t")[0]["t"] is None
        assert rolled_up(pg) == recount(pg)


def _v6_breakdown(query: Callable[[str, tuple], list[dict]], window_ms: int, group_by: str, now: int) -> list:
    """A breakdown as version 6's code read its rollup_groups (a row per event type and hard)."""
    hour = rollups.HOUR_MS
    ranges = cover((now - window_ms) // hour * hour, now // hour * hour + hour)
    campaign = group_by == "campaign"
    rows, totals = [], Counter()
    for prefix, lo, hi in ranges:
        if campaign and not prefix:
            rows += query("SELECT tag_value AS grp, event_type, hard, n FROM rollup_tags"
                          " WHERE tag_key = 'campaign' AND hour >= %s AND hour < %s", (lo, hi))
        else:
            rows += query("SELECT value AS grp, event_type, hard, n FROM rollup_groups WHERE dimension = %s"
                          " AND hour >= %s AND hour < %s", (prefix + ("tag:campaign" if campaign else group_by), lo, hi))
        if campaign:
            for r in query("SELECT event_type, hard, n FROM rollup_groups WHERE dimension = %s"
                           " AND hour >= %s AND hour < %s", (prefix, lo, hi)):
                totals[(r["event_type"], r["hard"])] += r["n"]
    return rollups.breakdown_rows(rows, untagged=[{"event_type": t, "hard": h, "n": n} for (t, h), n in totals.items()])


def test_a_version_6_database_keeps_its_breakdowns(tmp_path, pg_url):
    rng = random.Random(9)
    bodies = [b for i in range(200) for b in _message(rng, i)]
    # version 6's rollup_groups (a row per type and hard), made as that migration made it
    at_version(pg_url, bodies, 6, "DROP TABLE IF EXISTS rollup_groups, rollup_tags",
               *pgschema.statements(rollup_schema.migration_5()), *pgschema.statements(rollup_schema.migration_6()))
    cases = [(w * 3_600_000, g, to_ms(T0 + timedelta(days=d, minutes=17))) for g in DIMENSIONS for d, w in WINDOWS]
    with psycopg.connect(pg_url, row_factory=dict_row) as conn:  # opening a PostgresStore would migrate it
        assert conn.execute("SELECT version FROM sestui_schema").fetchone()["version"] == 6
        before = [_v6_breakdown(lambda sql, params: conn.execute(sql, params).fetchall(), *case) for case in cases]
    assert sum(map(bool, before)) > 12
    with upgraded(tmp_path, pg_url, bodies) as pg:
        assert [pg.breakdown(*case[:2], now=case[2]) for case in cases] == before
        assert rolled_up(pg) == recount(pg)
        assert pg._query("SELECT to_regclass('rollup_groups_v6') AS t, to_regclass('rollup_tags') AS u")[0] == \
            {"t": None, "u": None}


def _record(i: int, recipient: str, source: str, tags: object, event: dict) -> str:
    mail = {"timestamp": "2024-05-02T10:00:00.000Z", "source": source, "messageId": f"odd-{i}",
            "destination": [recipient], "tags": tags, "commonHeaders": {"subject": "s"}}
    return sns_envelope({**event, "mail": mail})


def test_odd_addresses_and_tags_roll_up_as_in_sqlite(tmp_path, pg_url):
    when = "2024-05-02T10:30:00.000Z"
    complaint = {"eventType": "Complaint", "complaint": {"timestamp": when, "complaintFeedbackType": "Not-Spam",
                                                          "complainedRecipients": [{"emailAddress": "x@y.z"}]}}
    cases = [  # (recipient, source, tags)
        ("Someone@SIMULATOR.amazonses.com", "a@b.example", {"campaign": ["sim"]}),
        ("bounce@simulator.amazonses.com.example", "a@b.example", {"campaign": ["near"]}),
        ("no-at-sign", "Name <x@Odd.Example> ", {"campaign": ["x", "y", 3, None], "k": "not-a-list"}),
        ("a@b@Two.Ats", "", {"campaign": ["dup", "dup"]}),
        ("u@ Spaced.example ", "x@Trail.example>>", []),
    ]
    bodies = []
    for i, (recipient, source, tags) in enumerate(cases):
        delivery = {"eventType": "Delivery", "delivery": {"timestamp": when, "recipients": [recipient]}}
        bodies += [_record(i, recipient, source, tags, delivery), _record(100 + i, recipient, source, tags, complaint)]
    with Store(tmp_path / "events.db") as sqlite, PostgresStore(pg_url) as pg:
        for store in (sqlite, pg):
            store.add([(b, parse_body(b)) for b in bodies])
        assert pg.count("events") == sqlite.count("events") >= 8
        assert rolled_up(pg) == recount(pg)
        now = to_ms(T0 + timedelta(days=1, hours=11))
        for group_by in DIMENSIONS:
            expected = sqlite.breakdown(86_400_000, group_by, now=now)
            assert expected and pg.breakdown(86_400_000, group_by, now=now) == expected, group_by
        assert json.dumps(pg.breakdown(86_400_000, "recipient_domain", now=now))  # plain ints, not Decimals


def test_a_window_is_covered_by_whole_units_once():
    units = dict(TIERS)
    rng = random.Random(4)
    for _ in range(500):
        since = rng.randrange(0, 60 * 24) * 3_600_000
        stop = since + rng.randrange(1, 24 * 20) * 3_600_000
        ranges = sorted(cover(since, stop), key=lambda r: r[1])
        assert ranges[0][1] == since and ranges[-1][2] == stop
        assert all(a[2] == b[1] for a, b in zip(ranges, ranges[1:], strict=False))  # adjacent: no gap, no overlap
        assert all(lo % units[p] == 0 and hi % units[p] == 0 and lo < hi for p, lo, hi in ranges)
        assert sum(p == "" for p, _, _ in ranges) <= 2 and sum(p == "6h:" for p, _, _ in ranges) <= 2
    day, hour = 86_400_000, 3_600_000
    assert cover(0, 30 * day + 7 * hour) == [("day:", 0, 30 * day), ("6h:", 30 * day, 30 * day + 6 * hour),
                                             ("", 30 * day + 6 * hour, 30 * day + 7 * hour)]
    assert cover(5 * hour, 31 * hour) == [("6h:", 6 * hour, 30 * hour), ("", 5 * hour, 6 * hour),
                                          ("", 30 * hour, 31 * hour)]
