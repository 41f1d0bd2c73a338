"""The database file: only sestui's is used, an older one is migrated, a corrupt or full one is
reported in one line, and a file deleted or replaced under a running store is noticed."""

from __future__ import annotations

import json
import os
import random
import sqlite3

import pytest
import sqlite_utils
from fixtures import raw_delivery, record, sns_envelope

from sestui.core.events import parse_body
from sestui.store import MIGRATIONS, Store, StoreError, StoreFull
from sestui.store.schema import APPLICATION_ID


def add(store: Store, *bodies):
    return store.add([(body, parse_body(body)) for body in bodies])


def deliveries(start: int, n: int, subject_size: int = 0) -> list[str]:
    bodies = []
    for i in range(start, start + n):
        rec = record("minimal-delivery")
        rec["mail"].update(messageId=f"full-{i:06d}", destination=[f"u{i}@example.com"],
                           commonHeaders={"subject": f"s{i} " + "x" * subject_size})
        rec["delivery"]["recipients"] = [f"u{i}@example.com"]
        bodies.append(raw_delivery(rec))
    return bodies


def pragma(path, name: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


# --- whose file it is -------------------------------------------------------------------------


def test_a_new_database_is_marked_as_sestuis(tmp_path):
    Store(tmp_path / "events.db").close()
    assert pragma(tmp_path / "events.db", "application_id") == APPLICATION_ID


@pytest.mark.parametrize("readonly", [False, True])
def test_another_applications_database_is_refused_and_left_untouched(tmp_path, readonly):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a sestui database") as err:
        Store(path, readonly=readonly)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == before  # no tables added, not switched to WAL
    assert pragma(path, "journal_mode") == "delete"


def test_a_database_marked_by_another_application_is_refused(tmp_path):
    path = tmp_path / "marked.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1598903374")  # any other application's mark
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(StoreError, match="another application"):
        Store(path)


def _version_2_database(path) -> None:
    """A database as sestui wrote it before application_id and the full-text index (schema 2)."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN")
    for step in MIGRATIONS[:2]:
        step(db)
    conn.execute("INSERT INTO events (message_id, event_type, recipient, ts, bounce_type, bounce_subtype,"
                 " diagnostic_code, subject) VALUES ('old-1', 'bounce', 'ana@example.org', 1, 'Permanent',"
                 " 'General', 'smtp; 550 5.1.1 user unknown', 'Old newsletter')")
    conn.execute("PRAGMA user_version = 2")
    conn.execute("COMMIT")
    conn.close()


def test_an_older_sestui_database_is_adopted_marked_and_migrated(tmp_path):
    path = tmp_path / "old.db"
    _version_2_database(path)
    assert pragma(path, "application_id") == 0
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) == 9
        (row,) = store.iter_events()
        assert row["bounce_class"] == "no_such_user" and row["complaint_sub_type"] is None
        assert [r["message_id"] for r in store.flow_page(text="newsletter")] == ["old-1"]  # indexed too
    assert pragma(path, "application_id") == APPLICATION_ID


def test_an_older_sestui_database_opens_read_only_without_being_changed(tmp_path):
    path = tmp_path / "old.db"
    _version_2_database(path)
    with Store(path, readonly=True) as store:
        assert store.count("events") == 1
    assert (pragma(path, "application_id"), pragma(path, "user_version")) == (0, 2)


# --- corrupt and full -------------------------------------------------------------------------


def test_random_bytes_are_a_one_line_error(tmp_path):
    path = tmp_path / "events.db"
    path.write_bytes(random.Random(1).randbytes(64 * 1024))
    with pytest.raises(StoreError, match="not a usable sestui database") as err:
        Store(path)
    assert "\n" not in str(err.value)


def test_a_database_corrupted_after_its_header_is_a_one_line_error(tmp_path):
    path = tmp_path / "events.db"
    with Store(path) as store:
        add(store, *deliveries(0, 300, subject_size=200))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    rng = random.Random(2)
    data[4096:] = rng.randbytes(len(data) - 4096)  # every page after the first: garbage
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err, Store(path) as store:
        store.count("events")
        list(store.iter_events())
    assert "\n" not in str(err.value) and "sestui database" in str(err.value)


def test_a_full_database_raises_store_full_and_keeps_what_was_committed(tmp_path):
    with Store(tmp_path / "events.db") as store:
        add(store, *deliveries(0, 10))
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 8}")  # SQLite reports SQLITE_FULL past it
        with pytest.raises(StoreFull, match=r"^database or disk is full: ") as err:
            for batch in range(100):
                add(store, *deliveries(100 + batch * 50, 50, subject_size=2000))
        assert "rollback" not in str(err.value) and "\n" not in str(err.value)
        stored = store.count("events")
        assert stored >= 10 and stored % 50 == 10  # whole batches or nothing
        assert store.count("messages") == stored
        # Still usable once there is room again.
        store.conn.execute("PRAGMA max_page_count = 1073741823")
        assert add(store, *deliveries(900_000, 5)).stored == 5


def test_a_full_database_is_a_one_line_cli_error(tmp_path):
    """The same error, as the CLI prints it: no traceback, no "cannot rollback"."""
    with Store(tmp_path / "events.db") as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(StoreError) as err:
            add(store, *deliveries(0, 200, subject_size=2000))
    assert str(err.value).startswith("database or disk is full")


# --- the file under a running store -----------------------------------------------------------


def test_file_replaced_notices_a_deleted_database(tmp_path):
    path = tmp_path / "events.db"
    with Store(path) as store:
        assert store.file_replaced() is False
        os.unlink(path)
        assert store.file_replaced() is True


def test_file_replaced_notices_a_database_put_in_its_place(tmp_path):
    path = tmp_path / "events.db"
    with Store(path) as store:
        add(store, sns_envelope(record("event-send")))
        other = tmp_path / "other.db"
        Store(other).close()
        os.replace(other, path)
        assert store.file_replaced() is True


def test_file_replaced_is_false_for_two_stores_on_one_file(tmp_path):
    path = tmp_path / "events.db"
    with Store(path) as first, Store(path) as second:
        add(first, sns_envelope(record("event-send")))
        assert (first.file_replaced(), second.file_replaced()) == (False, False)
        assert json.loads(second.record(*[second.latest(1)[0][k] for k in ("message_id", "event_type", "ts")]))
