"""The reports the SQLite store answers from its hourly roll-ups: PostgreSQL (which groups its events
directly) gives the same breakdowns and per-configuration-set counts on the same corpus."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from sestui.store import Store, to_ms
from sestui.store.postgres import PostgresStore
from test_rollups import T0, _ingest, _message

DIMENSIONS = ["configuration_set", "from_domain", "recipient_domain", "campaign", "bounce_class", "feedback_type"]


def _fill(store) -> None:
    rng = random.Random(11)
    _ingest(store, [b for i in range(200) for b in _message(rng, i)], rng)


@pytest.fixture
def both(tmp_path, pg_url):
    with Store(tmp_path / "events.db") as sqlite, PostgresStore(pg_url) as pg:
        _fill(sqlite)
        _fill(pg)
        assert pg.count("events") == sqlite.count("events") > 300
        yield sqlite, pg


@pytest.mark.parametrize("group_by", DIMENSIONS)
def test_breakdown_equals_the_sqlite_rollups(both, group_by):
    sqlite, pg = both
    for days, window_h in ((1, 1), (3, 24), (6, 24 * 7), (2.6, 30), (5.3, 24 * 4)):
        now = to_ms(T0 + timedelta(days=days, minutes=17))
        expected = sqlite.breakdown(window_h * 3_600_000, group_by, now=now)
        assert expected and pg.breakdown(window_h * 3_600_000, group_by, now=now) == expected


def test_breakdown_refuses_an_unknown_dimension(both):
    with pytest.raises(ValueError, match="cannot break down by"):
        both[1].breakdown(3_600_000, "subject; DROP TABLE events")


def test_counts_by_configuration_set_equal_sqlites(both):
    sqlite, pg = both
    for since in (0, to_ms(T0 + timedelta(days=2))):
        expected = sqlite.counts_by_configuration_set(since)
        assert len(expected) >= 2 and pg.counts_by_configuration_set(since) == expected


def test_a_server_is_never_a_replaced_file(pg_url):
    with PostgresStore(pg_url) as pg:
        assert pg.file_replaced() is False
