"""migrate(): SQLite -> PostgreSQL -> SQLite gives back the same history; re-running copies nothing;
an interrupted run, run again, completes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fixtures import JUNK, record, sns_envelope
from sestui.core.events import parse_body
from sestui.ops.migrate import MigrateResult, migrate
from sestui.store.postgres import PostgresStore
from sestui.store import Store
from test_store import _lifecycle_of_gone, add, synthetic_delivery

RECORDS = ("event-send", "event-delivery", "event-open", "event-click", "event-bounce", "event-reject",
           "event-complaint", "notification-bounce", "minimal-bounce", "event-rendering-failure")


def fill(store) -> None:
    add(store, *(sns_envelope(record(n)) for n in RECORDS))
    add(store, *(_lifecycle_of_gone().values()))
    add(store, *(synthetic_delivery(i, recipient=f"u{i % 9}@example.com") for i in range(230)))
    add(store, *(body for _, body, _ in JUNK), "junk", "junk")  # two identical quarantined bodies
    store.add([("junk", parse_body("junk"))], received_ms=5)
    for i in range(7):
        store.add_audit(action="add", origin="cli", outcome="ok", email=f"a{i}@example.com", at_ms=1000 + i // 2)
    store.add_audit(action="remove", origin="console", outcome="failed", detail="denied", at_ms=1000)


def _select(store, sql: str, params: list) -> list[dict]:
    """Raw SQL on either backend, to compare whole tables (`?` placeholders)."""
    if isinstance(store, PostgresStore):
        sql = sql.replace("?", "%s")
    return store._query(sql, params)


def history(store) -> dict:
    def q(sql):
        return _select(store, sql, [])

    drop_id = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
    return {
        "events": drop_id(store.flow_page(after_id=0, limit=10**6)),
        "records": drop_id(q("SELECT * FROM records ORDER BY message_id, event_type, ts")),
        "messages": q("SELECT * FROM messages ORDER BY message_id"),
        "recipients": q("SELECT * FROM message_recipients ORDER BY message_id, recipient"),
        "quarantine": drop_id(q("SELECT * FROM quarantine ORDER BY received, id")),
        "audit": drop_id(q("SELECT * FROM audit ORDER BY at, id")),
    }


def test_sqlite_to_postgresql_to_sqlite_round_trip_is_equal_and_reruns_copy_nothing(tmp_path, pg_url):
    seen = []
    with Store(tmp_path / "a.db") as a, PostgresStore(pg_url) as pg, Store(tmp_path / "b.db") as b:
        fill(a)
        original = history(a)
        assert len(original["events"]) > 240 and len(original["quarantine"]) == len(JUNK) + 3
        there = migrate(a, pg, progress=seen.append, batch=100)
        assert there == MigrateResult(len(original["events"]), len(original["events"]), len(JUNK) + 3, 8)
        assert len(seen) >= 3
        assert history(pg) == original
        back = migrate(pg, b, batch=64)
        assert back.events_copied == len(original["events"])
        assert history(b) == original
        for src, dst in ((a, pg), (pg, b)):  # again: nothing twice
            again = migrate(src, dst, batch=50)
            assert (again.events_copied, again.quarantine_copied, again.audit_copied) == (0, 0, 0)
            assert again.events_read == len(original["events"])
        assert history(pg) == original and history(b) == original


def test_an_interrupted_migration_completes_when_run_again(tmp_path, pg_url):
    class Stop(Exception):
        pass

    def stop_after_two(result):
        if result.events_read >= 100:
            raise Stop

    with Store(tmp_path / "a.db") as a, PostgresStore(pg_url) as pg:
        fill(a)
        with pytest.raises(Stop):
            migrate(a, pg, progress=stop_after_two, batch=50)
        assert 0 < pg.count("events") < a.count("events")
        rest = migrate(a, pg, batch=50)
        assert rest.events_copied == a.count("events") - 100
        assert history(pg) == history(a)


def test_migrate_command_line(tmp_path, pg_url):
    with Store(tmp_path / "a.db") as a:
        fill(a)
        n = a.count("events")
    done = subprocess.run([sys.executable, "-m", "sestui", "migrate", "--from", str(tmp_path / "a.db"), "--to", pg_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"events_read={n} events_copied={n} quarantine_copied={len(JUNK) + 3} audit_copied=8"
