"""PostgreSQL's hourly roll-ups (store/postgres/rollups.py) against SQLite's on the same corpus: after
ingest with identity notifications arriving first, prune, duplicates, and a database from before them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sestui.store import Store, to_ms
from sestui.store.postgres import PostgresStore
from sestui.store.postgres import schema as pgschema
from test_pg_breakdown import DIMENSIONS
from test_rollups import T0, _ingest, _message

# (days after T0 + 17 min, window in hours); the last two read 6-hour rows between hours and days
WINDOWS = ((1, 1), (3, 24), (6, 24 * 7), (2.6, 30), (5.3, 24 * 4))


def _same_breakdowns(sqlite: Store, pg: PostgresStore) -> int:
    compared = 0
    for group_by in DIMENSIONS:
        for days, window_h in WINDOWS:
            now = to_ms(T0 + timedelta(days=days, minutes=17))
            expected = sqlite.breakdown(window_h * 3_600_000, group_by, now=now)
            assert pg.breakdown(window_h * 3_600_000, group_by, now=now) == expected, (group_by, days)
            compared += bool(expected)
    return compared


def test_rollups_after_prune_and_duplicates_equal_sqlites(tmp_path, pg_url):
    rng = random.Random(5)
    bodies = [b for i in range(300) for b in _message(rng, i)]
    with Store(tmp_path / "events.db") as sqlite, PostgresStore(pg_url) as pg:
        for store in (sqlite, pg):
            _ingest(store, list(bodies), random.Random(1))
        assert _same_breakdowns(sqlite, pg) > 12
        cut = to_ms(T0 + timedelta(days=2, minutes=17, seconds=5))  # inside an hour, not on its edge
        for store in (sqlite, pg):
            store.prune(cut)
            _ingest(store, random.Random(2).sample(bodies, 400), random.Random(3))  # duplicates, and the pruned
        assert pg.count("events") == sqlite.count("events")
        assert _same_breakdowns(sqlite, pg) > 12


def at_version(pg_url: str, bodies: list[str], version: int, *undo: str) -> None:
    """The test database holding `bodies`, as schema `version` left it: the `undo` statements take
    away what later versions made (statements without parameters: a literal % as is)."""
    with PostgresStore(pg_url) as old:
        _ingest(old, list(bodies), random.Random(1))
        for statement in undo:
            old._write(statement.replace("%", "%%"))
        old._write("UPDATE sestui_schema SET version = %s", (version,))


@contextmanager
def upgraded(tmp_path, pg_url: str, bodies: list[str]) -> Iterator[PostgresStore]:
    """The database at_version left, opened (so migrated to the last version); on leaving, its
    breakdowns are SQLite's over the same bodies."""
    with Store(tmp_path / "events.db") as sqlite, PostgresStore(pg_url) as pg:
        assert pg.schema_version == len(pgschema.MIGRATIONS) == 8
        yield pg
        _ingest(sqlite, list(bodies), random.Random(1))
        assert _same_breakdowns(sqlite, pg) > 12


def test_a_database_from_before_rollups_gets_them_from_its_events(tmp_path, pg_url):
    rng = random.Random(8)
    bodies = [b for i in range(150) for b in _message(rng, i)]
    at_version(pg_url, bodies, 4, "DROP TABLE IF EXISTS rollup_groups, rollup_tags")  # the events, no roll-up tables
    with upgraded(tmp_path, pg_url, bodies):
        pass


def test_a_database_from_before_version_8_gives_events_without_a_set_their_messages(tmp_path, pg_url):
    rng = random.Random(9)
    bodies = [b for i in range(150) for b in _message(rng, i)]
    at_version(pg_url, bodies, 7, "UPDATE events SET configuration_set = NULL")  # as identity notifications left them
    with upgraded(tmp_path, pg_url, bodies) as pg:
        sets = {ev["message_id"]: ev["configuration_set"] for ev in pg.iter_events()}
        messages = {mid: (pg.message(mid) or {}).get("configuration_set") for mid in sets}
        assert sets == messages and sum(1 for s in sets.values() if s) > 50
