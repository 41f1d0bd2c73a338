"""Query plans on PostgreSQL: the hot queries find an index for what they filter and order on, and
time-bounded ones read only the partitions of their window (so they do not grow with history).

The tables are small, so the planner would rightly pick sequential scans; with enable_seqscan off
it still must, if no index fits the query: that is what these tests catch."""

from __future__ import annotations

import json
import re

import pytest

from fixtures import record, sns_envelope
from sestui.store.postgres import PostgresStore
from test_store import M_RECEIPT, add, ms, synthetic_delivery


@pytest.fixture
def populated(pg_url):
    with PostgresStore(pg_url) as s:
        for week in range(6):  # six week partitions
            day = 1 + week * 7
            add(s, *(synthetic_delivery(week * 100 + i, recipient=f"user{i % 7}@example.com",
                                        ts=f"2024-05-{day:02d}T06:00:{i:02d}Z" if day <= 31 else
                                        f"2024-06-{day - 31:02d}T06:00:{i:02d}Z") for i in range(20)))
        add(s, *(sns_envelope(record(n)) for n in ("event-send", "event-bounce", "notification-bounce")))
        yield s


def plans(store: PostgresStore, call) -> list[dict]:
    """EXPLAIN (FORMAT JSON) of every query `call` runs through the store's one read path."""
    seen: list[tuple[str, tuple]] = []
    real = store._query

    def recording(sql, params=()):
        seen.append((sql, tuple(params)))
        return real(sql, params)

    store._query = recording
    try:
        call(store)
    finally:
        del store._query
    assert seen, "the call ran no SQL"
    out = []
    with store._conn() as conn, conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        for sql, params in seen:
            out.append(conn.execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0][0]["Plan"])
    return out


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


# Partition indexes are named by PostgreSQL after the parent's: events_wYYYYMMDD_<columns>_idx.
IDENTITY, RECIPIENT, TS, TYPE_TS, ID = (r"message_id_event_type_recipient_ts_idx", r"lower_ts_idx", r"ts_id_idx",
                                        r"event_type_ts_idx", r"id_idx")
HOT = {
    "timeline": (lambda s: s.timeline(M_RECEIPT), IDENTITY, None),
    "recipient_history": (lambda s: s.recipient_history("USER3@example.com"), RECIPIENT, None),
    "latest": (lambda s: s.latest(200), TS, None),
    "latest_next_page": (lambda s: s.latest(200, before=(ms(2024, 5, 20, 0, 0, 0), 10**9)), TS, None),
    "flow_page": (lambda s: s.flow_page(limit=50), ID, None),
    "flow_after": (lambda s: s.flow_page(after_id=100, limit=50), ID, None),
    "counts_by_type_recent": (lambda s: s.counts_by_type(ms(2024, 6, 3, 0, 0, 0)), f"{TS}|{TYPE_TS}", 2),
    "counts_by_type_window": (lambda s: s.counts_by_type(ms(2024, 5, 13, 0, 0, 0), ms(2024, 5, 20, 0, 0, 0)),
                              f"{TS}|{TYPE_TS}", 1),
    "hourly_counts_recent": (lambda s: s.hourly_counts(ms(2024, 6, 3, 0, 0, 0)), TS, 2),
    "bounces_for": (lambda s: s.bounces_for("user3@example.com", ms(2024, 6, 3, 0, 0, 0)), RECIPIENT, 2),
    "export_by_recipient": (lambda s: list(s.iter_events(recipient="user3@example.com")), RECIPIENT, None),
    "export_by_message": (lambda s: list(s.iter_events(message_id=M_RECEIPT)), IDENTITY, None),
    "export_window": (lambda s: list(s.iter_events(since_ms=ms(2024, 6, 3, 0, 0, 0))), TS, 2),
}


@pytest.mark.parametrize("name", HOT)
def test_hot_query_uses_an_index_and_prunes_partitions(populated, name):
    call, index, partitions = HOT[name]
    for plan in plans(populated, call):
        text = json.dumps(plan)
        found = list(nodes(plan))
        assert not any(n["Node Type"] == "Seq Scan" for n in found), text
        used = [n["Index Name"] for n in found if n.get("Index Name", "").startswith("events_w")]
        assert used, text
        assert all(re.fullmatch(rf"events_w\d{{8}}_(?:{index})", name) for name in used), (used, text)
        if partitions is not None:  # only the weeks of the window (2024-06-03 and the fixtures' 2024-06-10)
            assert len({name.split("_")[1] for name in used}) <= partitions, used
