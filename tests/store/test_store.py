"""The SQLite event store: idempotent writes, schema and file hygiene, concurrency, and its queries."""

from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fixtures import ENVELOPES, JUNK, raw_delivery, record, same_mail, sns_envelope
from sestui.core.events import parse_body
from sestui.store import AddResult, Store, StoreError, to_ms
from sestui.store.sqlite import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]
M_RECEIPT = "0100018f7a3c5e21-4d2b9c6e-8f1a-4b7d-9e3c-2a5f6b8c1d4e-000000"
M_NEWSLETTER = "0100018f7a3d1177-b6a2c4e8-1f3d-4a5b-8c7e-9d0f1a2b3c4d-000000"


def ms(y, mo, d, h, mi, s, milli=0) -> int:
    return to_ms(datetime(y, mo, d, h, mi, s, milli * 1000, tzinfo=timezone.utc))


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "events.db"


@pytest.fixture
def store(db_path):
    with Store(db_path) as s:
        yield s


def add(store: Store, *bodies) -> AddResult:
    """Parse and store bodies in one batch."""
    return store.add([(body, parse_body(body)) for body in bodies])


def synthetic_delivery(i: int, recipient: str | None = None, ts: str | None = None, prefix: str = "m") -> str:
    """A small, distinct Delivery body: message `{prefix}-{i}`."""
    rec = record("minimal-delivery")
    addr = recipient or f"user{i}@example.com"
    rec["mail"].update(messageId=f"{prefix}-{i:06d}", destination=[addr])
    rec["delivery"].update(recipients=[addr], timestamp=ts or f"2024-05-17T06:{i // 60 % 60:02d}:{i % 60:02d}Z")
    return raw_delivery(rec)


def event_keys(store: Store) -> list[tuple]:
    return [(r["message_id"], r["event_type"], r["recipient"], r["ts"]) for r in store.iter_events()]


# --- idempotent writes --------------------------------------------------------------------------


def test_same_body_twice_is_stored_once(store):
    body = sns_envelope(record("notification-bounce"))
    assert add(store, body) == AddResult(stored=2, duplicates=0, quarantined=0)
    assert add(store, body) == AddResult(stored=0, duplicates=2, quarantined=0)
    assert store.count("events") == 2 and store.count("records") == 1


def test_redelivery_inside_one_batch_is_stored_once(store):
    body = sns_envelope(record("event-send"))
    assert add(store, body, body) == AddResult(stored=1, duplicates=1, quarantined=0)


def test_bounce_from_identity_notification_and_configuration_set_is_stored_once(store):
    assert add(store, sns_envelope(record("event-bounce"))) == AddResult(1, 0, 0)
    assert add(store, raw_delivery(record("notification-bounce-same-as-event"))) == AddResult(0, 1, 0)
    (row,) = store.iter_events()
    assert (row["message_id"], row["recipient"], row["event_type"]) == (M_NEWSLETTER, "gone@example.net", "bounce")
    assert row["configuration_set"] == "sestui-events"  # the first arrival's details are kept
    assert store.count("records") == 1


def test_add_result_counts_events_and_quarantined_bodies(store):
    result = add(store,
                 sns_envelope(record("notification-bounce")),  # 2 events
                 sns_envelope(record("event-send")),  # 1 event
                 sns_envelope(record("event-send")),  # redelivered: 1 duplicate
                 JUNK[0][1], JUNK[1][1])
    assert result == AddResult(stored=3, duplicates=1, quarantined=2)
    assert result.summary() == "stored=3 duplicates=1 quarantined=2"
    assert (store.count("events"), store.count("quarantine")) == (3, 2)


def test_add_of_nothing_is_a_no_op(store):
    assert store.add([]) == AddResult(0, 0, 0)


# --- the file -----------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_new_database_file_is_private(tmp_path, umask):
    path = tmp_path / "new" / "dir" / "events.db"
    old = os.umask(umask)
    try:
        Store(path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_database_uses_wal_and_a_busy_timeout(store, db_path):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    other = sqlite3.connect(db_path)  # WAL is a property of the file, seen by every connection
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()


def test_user_version_is_the_number_of_migrations(store):
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 1
    assert store.schema_version == len(MIGRATIONS)


def test_reopening_keeps_data_and_version(db_path):
    with Store(db_path) as s:
        add(s, sns_envelope(record("event-send")))
    with Store(db_path) as s:
        assert s.schema_version == len(MIGRATIONS) and s.count("events") == 1


@pytest.mark.parametrize("readonly", [False, True])
def test_newer_schema_is_refused_with_a_clear_error(db_path, readonly):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match=r"schema version \d+, newer .*upgrade sestui"):
        Store(db_path, readonly=readonly)


@pytest.mark.parametrize("readonly", [False, True])
def test_file_that_is_not_a_database_is_refused(db_path, readonly):
    db_path.write_bytes(b"this is not sqlite, just some text that is long enough to have a header" * 20)
    with pytest.raises(StoreError, match="not a usable sestui database"):
        Store(db_path, readonly=readonly)


def test_readonly_open_refuses_a_missing_file_or_an_empty_database(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        Store(tmp_path / "absent.db", readonly=True)
    sqlite3.connect(tmp_path / "empty.db").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="not a sestui database"):
        Store(tmp_path / "empty.db", readonly=True)


def test_directory_path_is_refused(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        Store(tmp_path)


# --- concurrency --------------------------------------------------------------------------------


def test_two_store_objects_on_one_file_writing_concurrently_lose_nothing(db_path):
    stores = [Store(db_path), Store(db_path)]
    errors = []

    def writer(s: Store, prefix: str):
        try:
            for batch in range(40):
                add(s, *(synthetic_delivery(batch * 10 + i, prefix=prefix) for i in range(10)))
        except Exception as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, p)) for s, p in zip(stores, "ab", strict=False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    with Store(db_path) as s:
        assert s.count("events") == 800 and s.count("messages") == 800


_WRITER = """
import sys
sys.path.insert(0, sys.argv[3])
from fixtures import record, raw_delivery
from sestui.core.events import parse_body
from sestui.store import Store

prefix = sys.argv[2]
with Store(sys.argv[1]) as store:
    for batch in range(50):
        bodies = []
        for i in range(batch * 8, batch * 8 + 8):
            rec = record("minimal-delivery")
            rec["mail"].update(messageId=f"{prefix}-{i}", destination=[f"u{i}@example.com"])
            rec["delivery"]["recipients"] = [f"u{i}@example.com"]
            bodies.append(raw_delivery(rec))
        store.add([(b, parse_body(b)) for b in bodies])
"""


def test_two_processes_writing_concurrently_lose_nothing(db_path):
    Store(db_path).close()  # created and migrated; the writers race only on writes
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(db_path), prefix, str(REPO / "tests")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for prefix in ("p1", "p2")
    ]
    outcomes = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [(rc, err) for _, err, rc in outcomes] == [(0, ""), (0, "")]
    with Store(db_path) as s:
        assert s.count("events") == 800


def test_two_processes_creating_one_new_database_both_succeed(db_path):
    code = "import sys; from sestui.store import Store; Store(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db_path)], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    assert [(p.wait(timeout=60), p.stderr.read()) for p in procs] == [(0, ""), (0, "")]
    with Store(db_path) as s:
        assert s.schema_version == len(MIGRATIONS)


# --- messages and per-recipient status ----------------------------------------------------------


def test_message_row_collects_what_the_mail_object_says(store):
    add(store, *(sns_envelope(record(n)) for n in ("event-send", "event-delivery", "event-open")))
    msg = store.message(M_RECEIPT)
    assert msg["source"] == "Billing <billing@shop.example.com>"
    assert msg["subject"] == "Your receipt #1042"
    assert msg["destinations"] == ["ana@example.org"]
    assert msg["configuration_set"] == "sestui-events"
    assert msg["tags"]["campaign"] == ["receipts"]
    assert msg["mail_ts"] == ms(2024, 5, 14, 9, 30, 0, 120)
    assert msg["last_event_ts"] == ms(2024, 5, 14, 10, 2, 17, 3)
    assert msg["recipients"] == [{"recipient": "ana@example.org", "status": "opened", "ts": ms(2024, 5, 14, 10, 2, 17, 3)}]


def test_unknown_message_is_none(store):
    assert store.message("no-such-id") is None


def _lifecycle_of_gone() -> dict[str, str]:
    """Send, Delivery and a hard Bounce of the same message to gone@example.net."""
    bounce = record("event-bounce")
    send = same_mail(bounce, "Send", {})
    delivery = same_mail(bounce, "Delivery", {"timestamp": "2024-05-14T11:15:41.000Z",
                                              "recipients": ["gone@example.net"]})
    return {"send": sns_envelope(send), "delivery": sns_envelope(delivery), "bounce": sns_envelope(bounce)}


@pytest.mark.parametrize("order", list(itertools.permutations(["send", "delivery", "bounce"])), ids="-".join)
def test_hard_bounce_wins_over_delivery_whatever_the_arrival_order(store, order):
    bodies = _lifecycle_of_gone()
    for name in order:
        add(store, bodies[name])
    statuses = {r["recipient"]: r["status"] for r in store.message(M_NEWSLETTER)["recipients"]}
    assert statuses["gone@example.net"] == "hard_bounce"


def test_partial_bounce_leaves_the_other_recipient_delivered(store):
    bounce = record("event-bounce")
    add(store,
        sns_envelope(same_mail(bounce, "Send", {})),
        sns_envelope(bounce),
        sns_envelope(same_mail(bounce, "Delivery", {"timestamp": "2024-05-14T11:15:41.500Z",
                                                   "recipients": ["bo@example.org"]})))
    msg = store.message(M_NEWSLETTER)
    assert msg["destinations"] == ["gone@example.net", "bo@example.org"]
    assert {r["recipient"]: r["status"] for r in msg["recipients"]} == {
        "bo@example.org": "delivered", "gone@example.net": "hard_bounce"}


def test_transient_bounce_is_a_soft_bounce_not_a_hard_one(store):
    add(store, raw_delivery(record("minimal-bounce")))
    (recipient,) = store.message("0100018f84b1b0b0-aaaabbbb-cccc-dddd-eeee-ffff00001111-000000")["recipients"]
    assert recipient["status"] == "soft_bounce"


def test_message_details_fill_in_from_later_records(store):
    """An identity notification (no tags, no headers) first, then the configuration-set record."""
    add(store, raw_delivery(record("notification-bounce-same-as-event")))
    assert store.message(M_NEWSLETTER)["configuration_set"] is None
    add(store, sns_envelope(same_mail(record("event-bounce"), "Send", {})))
    msg = store.message(M_NEWSLETTER)
    assert (msg["configuration_set"], msg["subject"]) == ("sestui-events", "May newsletter")


# --- raw records --------------------------------------------------------------------------------


@pytest.mark.parametrize("envelope", ENVELOPES)
def test_record_returns_the_raw_ses_record_json(store, envelope):
    rec = record("notification-bounce")
    add(store, ENVELOPES[envelope](rec))
    text = store.record(rec["mail"]["messageId"], "bounce", ms(2024, 5, 16, 8, 59, 38, 237))
    assert json.loads(text) == rec


def test_record_of_an_sns_body_is_the_message_string_exactly(store):
    body = sns_envelope(record("hostile-bounce"))
    add(store, body)
    row = store.latest(1)[0]
    assert store.record(row["message_id"], row["event_type"], row["ts"]) == json.loads(body)["Message"]


def test_record_of_an_unknown_event_is_none(store):
    assert store.record(M_RECEIPT, "send", 0) is None


# --- queries ------------------------------------------------------------------------------------


def _fill_for_paging(store: Store) -> None:
    """25 events with many equal timestamps, so keyset paging must break ties by id."""
    add(store, *(synthetic_delivery(i, ts=f"2024-05-17T06:00:{i // 4:02d}Z") for i in range(25)))


def test_latest_is_newest_first_and_keyset_pages_cover_everything_once(store):
    _fill_for_paging(store)
    expected = sorted(((r["ts"], r["id"]) for r in store.iter_events()), reverse=True)
    pages, before = [], None
    while True:
        page = store.latest(4, before=before)
        if not page:
            break
        assert len(page) <= 4
        pages.append([(r["ts"], r["id"]) for r in page])
        before = pages[-1][-1]
    assert list(itertools.chain.from_iterable(pages)) == expected
    assert len(pages) == 7


def test_latest_limit(store):
    _fill_for_paging(store)
    assert [r["message_id"] for r in store.latest(3)] == ["m-000024", "m-000023", "m-000022"]


def test_timeline_lists_one_message_in_time_order(store):
    add(store, *(sns_envelope(record(n)) for n in ("event-click", "event-send", "event-open", "event-delivery",
                                                    "event-bounce")))
    timeline = store.timeline(M_RECEIPT)
    assert [r["event_type"] for r in timeline] == ["send", "delivery", "open", "click"]
    assert timeline[3]["link"] == "https://shop.example.com/orders/1042?utm_source=receipt"
    assert store.timeline("no-such-id") == []


def test_recipient_history_is_case_insensitive_and_newest_first(store):
    add(store,
        synthetic_delivery(1, recipient="Ana.Lopez@Example.ORG", ts="2024-05-17T06:00:01Z"),
        synthetic_delivery(2, recipient="ana.lopez@example.org", ts="2024-05-17T06:00:02Z"),
        synthetic_delivery(3, recipient="someone.else@example.org", ts="2024-05-17T06:00:03Z"))
    history = store.recipient_history("ANA.LOPEZ@example.org")
    assert [(r["message_id"], r["recipient"]) for r in history] == [
        ("m-000002", "ana.lopez@example.org"), ("m-000001", "Ana.Lopez@Example.ORG")]
    assert len(store.recipient_history("ana.lopez@example.org", limit=1)) == 1


def test_counts_by_type_window_includes_since_and_excludes_until(store):
    add(store, *(sns_envelope(record(n)) for n in (
        "event-send",  # 09:30:00.120
        "event-delivery",  # 09:30:01.845
        "event-open",  # 10:02:17.003
        "event-click",  # 10:02:31.250
        "event-bounce",  # 11:15:42.669
        "event-reject",  # 13:20:09.211
        "event-complaint",  # next day
    )))
    assert store.counts_by_type(0) == {"send": 1, "delivery": 1, "open": 1, "click": 1, "bounce": 1, "reject": 1,
                                       "complaint": 1}
    assert store.counts_by_type(ms(2024, 5, 14, 9, 30, 1, 845), ms(2024, 5, 14, 11, 15, 42, 669)) == {
        "delivery": 1, "open": 1, "click": 1}
    assert store.counts_by_type(ms(2024, 5, 14, 10, 0, 0)) == {"open": 1, "click": 1, "bounce": 1, "reject": 1,
                                                               "complaint": 1}
    assert store.counts_by_type(ms(2030, 1, 1, 0, 0, 0)) == {}


@pytest.mark.parametrize("filters, expected", [
    ({"event_type": "bounce"}, ["gone@example.net"]),
    ({"message_id": M_RECEIPT}, ["ana@example.org"] * 4),
    ({"recipient": "GONE@example.net"}, ["gone@example.net"]),
    ({"since_ms": ms(2024, 5, 14, 10, 2, 17, 3), "until_ms": ms(2024, 5, 14, 11, 15, 42, 669)},
     ["ana@example.org", "ana@example.org"]),
])
def test_iter_events_filters(store, filters, expected):
    add(store, *(sns_envelope(record(n)) for n in ("event-send", "event-delivery", "event-open", "event-click",
                                                    "event-bounce")))
    assert [r["recipient"] for r in store.iter_events(**filters)] == expected


def test_iter_events_streams_in_timestamp_order_across_pages(store):
    _fill_for_paging(store)
    rows = list(store.iter_events(batch=3))
    assert len(rows) == 25 and len({r["id"] for r in rows}) == 25
    assert [(r["ts"], r["id"]) for r in rows] == sorted((r["ts"], r["id"]) for r in rows)


# --- quarantine ---------------------------------------------------------------------------------


def test_quarantine_keeps_the_raw_body_and_the_reason(store):
    junk = {name: body for name, body, _ in JUNK if name in ("sns-subscription-confirmation", "not-json")}
    add(store, *junk.values())
    rows = {r["body"]: r["reason"] for r in store.quarantined()}
    assert set(rows) == set(junk.values())
    assert "SubscriptionConfirmation" in rows[junk["sns-subscription-confirmation"]]
    assert "not JSON" in rows[junk["not-json"]]


def test_quarantine_keeps_non_utf8_bytes_readably(store):
    add(store, b"\xff\xfe not utf-8 \xe9")
    (row,) = store.quarantined()
    assert row["body"] == "\\xff\\xfe not utf-8 \\xe9" and "UTF-8" in row["reason"]


def test_quarantine_takes_text_with_lone_surrogates(store):
    body = "not json \ud83d"
    assert add(store, body) == AddResult(0, 0, 1)
    assert store.quarantined()[0]["body"] == "not json \ufffd"


def test_every_kind_of_junk_is_quarantined_and_nothing_else_is_written(store):
    result = add(store, *(body for _, body, _ in JUNK))
    assert result == AddResult(stored=0, duplicates=0, quarantined=len(JUNK))
    assert (store.count("events"), store.count("messages"), store.count("records")) == (0, 0, 0)


def test_lone_surrogates_do_not_stop_a_batch(store):
    rec = record("event-send")
    body = json.dumps(rec).replace("Your receipt #1042", "cut \\ud83d")
    assert add(store, body, sns_envelope(record("event-bounce"))) == AddResult(2, 0, 0)
    assert store.timeline(M_RECEIPT)[0]["subject"] == "cut \ufffd"


# --- query plans: the hot queries must not grow with history ------------------------------------


def _plans(store: Store, call) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement `call` runs on the store's connection."""
    statements = []
    store.conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        store.conn.set_trace_callback(None)
    assert statements, "the call ran no SQL"
    return [" | ".join(row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql)) for sql in statements]


@pytest.fixture
def populated(store):
    add(store, *(synthetic_delivery(i, recipient=f"user{i % 7}@example.com") for i in range(60)))
    add(store, *(sns_envelope(record(n)) for n in ("event-send", "event-bounce", "notification-bounce")))
    return store


HOT_QUERIES = {
    "timeline": (lambda s: s.timeline(M_RECEIPT), r"SEARCH events USING (COVERING )?INDEX events_identity"),
    # the console's timeline: every event's place from the index alone, then rows by id
    "timeline_index": (lambda s: s.timeline_index(M_RECEIPT), r"SEARCH events USING COVERING INDEX events_identity"),
    "events_by_id": (lambda s: s.events_by_id([1, 2, 3]), r"SEARCH events USING INTEGER PRIMARY KEY"),
    "recipient_history": (lambda s: s.recipient_history("USER3@example.com"),
                          r"SEARCH events USING (COVERING )?INDEX events_recipient"),
    "latest": (lambda s: s.latest(200), r"SCAN events USING (COVERING )?INDEX events_ts"),
    "latest_next_page": (lambda s: s.latest(200, before=(ms(2024, 5, 17, 6, 0, 30), 10**9)),
                         r"SEARCH events USING (COVERING )?INDEX events_ts"),
    "counts_by_type": (lambda s: s.counts_by_type(ms(2024, 5, 17, 0, 0, 0)),
                       r"SEARCH events USING (COVERING )?INDEX events_type_ts"),
    "counts_by_type_window": (lambda s: s.counts_by_type(ms(2024, 5, 17, 0, 0, 0), ms(2024, 5, 18, 0, 0, 0)),
                              r"SEARCH events USING (COVERING )?INDEX events_type_ts"),
    "record": (lambda s: s.record(M_RECEIPT, "send", 0), r"SEARCH records USING INDEX records_identity"),
    "message": (lambda s: s.message(M_RECEIPT), r"SEARCH messages USING INDEX sqlite_autoindex_messages_1"),
    # the timeline's header: the recipients counted and those on the suppression cache, each one a
    # look-up in the cache's primary key (not a scan of a cache holding the account's whole list)
    "message_recipients": (lambda s: s.message(M_RECEIPT, recipients=20),
                           r"SEARCH message_recipients USING PRIMARY KEY"),
    "recipients_suppressed": (lambda s: s.recipients_suppressed(M_RECEIPT),
                              r"SEARCH suppressions USING INDEX sqlite_autoindex_suppressions_1 \(email=\?\)"),
    "export_by_recipient": (lambda s: list(s.iter_events(recipient="user3@example.com")),
                            r"SEARCH events USING (COVERING )?INDEX events_recipient"),
    "export_by_message": (lambda s: list(s.iter_events(message_id=M_RECEIPT)),
                          r"SEARCH events USING (COVERING )?INDEX events_identity"),
}


@pytest.mark.parametrize("name", HOT_QUERIES)
def test_hot_query_plan_uses_an_index(populated, name):
    call, expected = HOT_QUERIES[name]
    plans = _plans(populated, lambda: call(populated))
    assert any(re.search(expected, plan) for plan in plans), plans
    for plan in plans:
        for step in plan.split(" | "):
            # A SCAN without an index reads the whole table; one USING an index is only allowed
            # where it walks the index in ORDER BY order and stops at the LIMIT (latest()).
            assert not (step.startswith("SCAN") and "INDEX" not in step), plans
            if name != "latest":
                assert not step.startswith("SCAN events"), plans
        if name in ("latest", "latest_next_page", "recipient_history"):
            assert "TEMP B-TREE" not in plan, plans  # sorting every match would grow with history
