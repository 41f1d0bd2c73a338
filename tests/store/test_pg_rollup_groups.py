"""PostgreSQL's roll-ups per dimension (rollup_groups, kept from each batch in Python): equal to a
recount of the events in SQL after ingest, prune and duplicates, on both write paths; the
breakdowns read only the roll-ups; a database of schema 5 gets them from what it holds; odd
addresses and tags roll up as SQLite's do."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta

import pytest
from fixtures import sns_envelope

from sestui.core.events import parse_body
from sestui.store import Store, rollups, to_ms
from sestui.store.postgres import PostgresStore
from sestui.store.postgres import rollup_schema
from sestui.store.postgres import schema as pgschema
from sestui.store.postgres.reports import COMPLAINT_COUNTED, GROUP_EXPR, HARD
from test_pg_breakdown import DIMENSIONS
from test_pg_rollups import _same_breakdowns
from test_rollups import T0, _ingest, _message

_HOUR = f"e.ts / {rollups.HOUR_MS} * {rollups.HOUR_MS}"
_TAGS = ("SELECT DISTINCT m.message_id, t.key, v.value #>> '{}' AS value FROM messages m,"
         " jsonb_each(CASE WHEN jsonb_typeof(m.tags::jsonb) = 'object' THEN m.tags::jsonb ELSE '{}' END) t,"
         " jsonb_array_elements(CASE WHEN jsonb_typeof(t.value) = 'array' THEN t.value ELSE '[]' END) v"
         " WHERE jsonb_typeof(v.value) = 'string'")


def recount(pg: PostgresStore) -> tuple[Counter, Counter]:
    """(rollup_groups, rollup_tags) as they should be, counted in SQL from every stored event: per
    hour, 6 hours (dimension "6h:X") and day ("day:X"); tags per hour, and in rollup_groups per 6
    hours and day (dimension "6h:tag:KEY", "day:tag:KEY")."""
    groups: Counter = Counter()
    for dim in ("", *rollups.GROUP_DIMENSIONS):
        value = GROUP_EXPR[dim] if dim else "''"
        for r in pg._query(f"SELECT {_HOUR} AS hour, e.event_type, {HARD}::int AS hard, {value} AS value,"
                           f" count(*)::int AS n FROM events e LEFT JOIN messages m ON m.message_id = e.message_id"
                           f" WHERE {COMPLAINT_COUNTED} GROUP BY 1, 2, 3, 4"):
            for prefix, unit in (("", 3_600_000), ("6h:", 6 * 3_600_000), ("day:", 86_400_000)):
                groups[(prefix + dim, r["hour"] // unit * unit, r["event_type"], r["hard"], r["value"])] += r["n"]
    tags = Counter({(r["key"], r["hour"], r["event_type"], r["hard"], r["value"]): r["n"] for r in pg._query(
        f"SELECT mt.key, {_HOUR} AS hour, e.event_type, {HARD}::int AS hard, mt.value, count(*)::int AS n"
        f" FROM events e JOIN ({_TAGS}) mt ON mt.message_id = e.message_id WHERE {COMPLAINT_COUNTED}"
        f" GROUP BY 1, 2, 3, 4, 5")})
    for (key, hour, event_type, hard, value), n in tags.items():
        for prefix, unit in (("6h:", 6 * 3_600_000), ("day:", 86_400_000)):
            groups[(f"{prefix}tag:{key}", hour // unit * unit, event_type, hard, value)] += n
    return groups, tags


def rolled_up(pg: PostgresStore) -> tuple[Counter, Counter]:
    groups = pg._query("SELECT dimension, hour, event_type, hard, value, n FROM rollup_groups")
    tags = pg._query("SELECT tag_key, hour, event_type, hard, tag_value, n FROM rollup_tags")
    return (Counter({tuple(r.values())[:-1]: r["n"] for r in groups}),
            Counter({tuple(r.values())[:-1]: r["n"] for r in tags}))


@pytest.mark.parametrize("mode", ["copy", "pipeline"])
def test_groups_equal_a_recount_after_ingest_prune_and_duplicates(pg_url, mode):
    rng = random.Random(20261201)
    bodies = [b for i in range(300) for b in _message(rng, i)]
    with PostgresStore(pg_url, write_mode=mode) as pg:
        _ingest(pg, list(bodies), rng)
        assert rolled_up(pg) == recount(pg) and sum(recount(pg)[0].values()) > 1000
        assert any(k[0].startswith(rollups.DAILY) for k in rolled_up(pg)[0])
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
    assert seen and all("rollup_groups" in sql or "rollup_tags" in sql for sql in seen)
    assert not any(" events" in sql or "rollup_hourly" in sql for sql in seen)


def test_a_version_5_database_gets_its_groups_from_what_it_holds(tmp_path, pg_url):
    rng = random.Random(8)
    bodies = [b for i in range(150) for b in _message(rng, i)]
    with PostgresStore(pg_url) as old:
        _ingest(old, list(bodies), random.Random(1))
        # as version 5 left it: rollup_hourly and rollup_tags, filled from the events; no rollup_groups
        old._write("DROP TABLE rollup_groups, rollup_tags")
        for statement in pgschema.statements(rollup_schema.migration_5()):
            old._write(statement.replace("%", "%%"))
        old._write("UPDATE sestui_schema SET version = 5")
    with Store(tmp_path / "events.db") as sqlite, PostgresStore(pg_url) as pg:
        assert pg.schema_version == len(pgschema.MIGRATIONS) == 6
        assert pg._query("SELECT to_regclass('rollup_hourly') AS t")[0]["t"] is None
        assert rolled_up(pg) == recount(pg)
        _ingest(sqlite, list(bodies), random.Random(1))
        assert _same_breakdowns(sqlite, pg) > 12


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
    from sestui.store.postgres.rollups import TIERS, cover

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
