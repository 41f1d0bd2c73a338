"""More of the store contract, on both backends: the methods test_store.py does not cover and where
PostgreSQL needs care to behave as SQLite does (case-insensitive addresses, LIKE escaping, NULL
ordering, upsert merges, the flow's filters)."""

from __future__ import annotations

import pytest

from fixtures import raw_delivery, record, same_mail, sns_envelope
from sestui.store.base import BounceRow
from test_store import M_RECEIPT, add, ms, synthetic_delivery
from test_store_contract import BACKENDS, open_backend

store_fixture = pytest.fixture(params=BACKENDS, name="store")(open_backend)


def test_flow_filters_text_case_insensitively_with_like_metacharacters_literal(store):
    add(store,
        synthetic_delivery(1, recipient="Ana_Lopez@Example.org"),
        synthetic_delivery(2, recipient="anaXlopez@example.org"),
        synthetic_delivery(3, recipient="100%@example.org"),
        sns_envelope(record("event-send")))
    def flow(**kw):
        return [r["recipient"] for r in store.flow_page(**kw)]
    assert flow(text="ana_lopez") == ["Ana_Lopez@Example.org"]  # `_` is literal, case ignored
    assert flow(text="100%") == ["100%@example.org"]
    assert flow(text="RECEIPT") == ["ana@example.org"]  # the subject matches too
    assert flow(text="m-000002") == ["anaXlopez@example.org"]  # and the message id
    assert flow(types=["send"]) == ["ana@example.org"]
    assert flow(types=[]) == []
    newest = store.flow_page(limit=1)[0]["id"]
    oldest = store.flow_page(after_id=0, limit=1)[0]["id"]
    assert flow(after_id=oldest, limit=2) == ["anaXlopez@example.org", "100%@example.org"]  # oldest first
    assert flow(before_id=newest, limit=2) == ["100%@example.org", "anaXlopez@example.org"]  # newest first
    assert store.flow_count(after_id=oldest) == 3
    assert store.flow_count(after_id=oldest, text="example.org", types=["delivery"]) == 2


def test_hourly_counts_split_bounces_and_bounces_for_is_case_insensitive(store):
    add(store, *(sns_envelope(record(n)) for n in ("event-send", "event-delivery", "event-bounce",
                                                    "notification-bounce")))
    add(store, synthetic_delivery(9, ts="2024-05-14T09:59:59Z"))
    counts = store.hourly_counts(0)
    assert counts["send"] == {ms(2024, 5, 14, 9, 0, 0): 1}
    assert counts["delivery"] == {ms(2024, 5, 14, 9, 0, 0): 2}
    assert sum(counts["bounce_hard"].values()) == 3 and "bounce" not in counts
    assert store.hourly_counts(ms(2030, 1, 1, 0, 0, 0)) == {}
    (bounce,) = store.bounces_for("GONE@example.net", 0)
    assert set(bounce) == set(BounceRow.__annotations__)  # store/base.py's row, bounce_class included
    assert bounce["bounce_type"] == "Permanent"
    assert store.bounces_for("gone@example.net", bounce["ts"] + 1) == []


def test_suppression_cache_is_case_insensitive_merges_and_orders_as_sqlite(store):
    assert store.replace_suppressions([("Bob@Example.net", "BOUNCE", 100), ("carol@example.net", "COMPLAINT", None),
                                       ("dave@example.net", "BOUNCE", 300), ("BOB@example.net", "COMPLAINT", 200)],
                                      fetched_ms=1) == 4
    rows = store.suppressions()
    assert [(r["email"], r["reason"], r["last_update"]) for r in rows] == [
        ("dave@example.net", "BOUNCE", 300), ("BOB@example.net", "COMPLAINT", 200),
        ("carol@example.net", "COMPLAINT", None)]  # a later entry for the same address replaces it
    assert list(rows[0]) == ["email", "reason", "last_update", "message_id", "feedback_id", "fetched"]
    store.cache_suppression("bob@EXAMPLE.net", "BOUNCE", 400, 2, message_id="m-1", feedback_id="f-1")
    store.cache_suppression("Bob@example.net", "COMPLAINT", 500, 3)  # keeps message and feedback ids
    (bob,) = store.suppressions_for(["BOB@EXAMPLE.NET", "nobody@example.net"])
    assert (bob["reason"], bob["last_update"], bob["message_id"], bob["feedback_id"], bob["fetched"]) == (
        "COMPLAINT", 500, "m-1", "f-1", 3)
    assert [r["email"] for r in store.suppressions("EXAMPLE.NET", limit=2)] == ["BOB@example.net", "dave@example.net"]
    assert store.suppressions("a_b") == [] and store.suppressions_for([]) == []
    store.uncache_suppression("CAROL@example.net")
    assert [r["email"] for r in store.suppressions()] == ["BOB@example.net", "dave@example.net"]
    assert store.replace_suppressions([], fetched_ms=9) == 0 and store.suppressions() == []


def test_audit_is_newest_first_and_found_by_address_in_any_case(store):
    store.add_audit(action="add", origin="cli", outcome="ok", email="Eve@example.com", reason="BOUNCE", at_ms=10)
    store.add_audit(action="remove", origin="console", outcome="failed", email="eve@example.com", actor="ops",
                    detail="AccessDenied", message_id="m-9", at_ms=20)
    store.add_audit(action="add", origin="policy", outcome="ok", email="zed@example.com")
    rows = store.audit(email="EVE@EXAMPLE.COM")
    assert [(r["action"], r["at"]) for r in rows] == [("remove", 20), ("add", 10)]
    assert set(rows[0]) == {"id", "at", "actor", "origin", "action", "email", "reason", "outcome", "detail",
                            "message_id"}
    assert len(store.audit()) == 3 and len(store.audit(limit=1)) == 1 and store.audit()[0]["email"] == "zed@example.com"


def test_collector_state_account_snapshots_and_send_stats(store):
    state = dict(queue_url="q", state="running", started=1, heartbeat=5, events_per_s=2.5, received=3, stored=0,
                 duplicates=0, quarantined=0)
    store.save_collector_state("c1", state)
    store.save_collector_state("c2", {**state, "heartbeat": 9, "backlog": 4})
    store.save_collector_state("c1", {**state, "heartbeat": 7, "last_error": "boom", "last_error_at": 6})
    rows = store.collector_states()
    assert [(r["collector_id"], r["heartbeat"], r["last_error"]) for r in rows] == [("c2", 9, None), ("c1", 7, "boom")]
    assert rows[0]["events_per_s"] == 2.5 and rows[0]["backlog"] == 4 and rows[1]["stored"] == 0
    assert [r["collector_id"] for r in store.collector_states(fresher_than_ms=8)] == ["c2"]

    assert store.account_snapshot() is None
    for i in range(5):
        store.save_account_snapshot(taken_ms=i, profile="p", region="r", status={"n": i} if i != 3 else None,
                                    error="down" if i == 3 else None, keep=2)
    latest, ok = store.account_snapshot(), store.account_snapshot(ok_only=True)
    assert (latest["taken"], latest["status"], latest["error"]) == (4, {"n": 4}, None)
    store.save_account_snapshot(taken_ms=5, profile="p", region="r", status=None, error="down", keep=2)
    assert store.account_snapshot()["error"] == "down" and store.account_snapshot(ok_only=True)["taken"] == 4
    assert ok["taken"] == 4

    store.save_send_stats([(100, 10, 1, 0, 0), (200, 20, 2, 1, 0)])
    store.save_send_stats([(200, 25, 3, 1, 1)])  # newer figures replace older
    store.save_send_stats([])
    assert store.send_stats(150) == [{"ts": 200, "delivery_attempts": 25, "bounces": 3, "complaints": 1, "rejects": 1}]
    assert [r["ts"] for r in store.send_stats(0)] == [100, 200]


def test_count_refuses_other_tables(store):
    with pytest.raises(ValueError):
        store.count("audit")


def test_timeline_index_and_events_by_id_read_what_timeline_reads(store):
    """The console's windowed timeline: every event's place, then whole rows for some of them,
    each as timeline() gives them (ties in time by arrival; more ids than one query takes)."""
    rcpts = [f"user{i:04d}@example.com" for i in range(520)]
    rec = record("minimal-delivery")
    rec["mail"].update(messageId="m-big", destination=rcpts)
    rec["delivery"].update(recipients=rcpts, timestamp="2024-05-17T06:00:02Z")
    add(store, raw_delivery(rec), sns_envelope(record("event-send")), sns_envelope(record("event-open")),
        synthetic_delivery(1, ts="2024-05-17T06:00:01Z", prefix="m-big-not"))
    full = store.timeline("m-big")
    assert len(full) == 520
    index = store.timeline_index("m-big")
    assert [tuple(entry) for entry in index] == [(e["ts"], e["id"]) for e in full]
    ids = [e["id"] for e in reversed(full)]
    assert store.events_by_id(ids) == full  # all 520, in time order whatever the order asked
    assert store.events_by_id(ids[10:13] + [10**9]) == full[-13:-10]  # an id not stored: left out
    assert store.events_by_id([]) == []
    receipt = store.timeline_index(M_RECEIPT)
    assert [e["event_type"] for e in store.events_by_id([entry[1] for entry in receipt])] == ["send", "open"]
    assert store.events_by_id([entry[1] for entry in receipt]) == store.timeline(M_RECEIPT)
    assert store.timeline_index("no-such-id") == []


def test_a_message_lists_some_recipients_counts_all_and_finds_the_suppressed_among_them(store):
    """The timeline's header of a message to many: its first recipients, all of them counted by
    status, and those on the suppression cache (any case) without a look-up per address."""
    rcpts = [f"User{i:04d}@example.com" for i in range(520)]
    rec = record("minimal-delivery")
    rec["mail"].update(messageId="m-big", destination=rcpts)
    rec["delivery"].update(recipients=rcpts[:500], timestamp="2024-05-17T06:00:02Z")
    add(store, raw_delivery(same_mail(rec, "Send", {})), raw_delivery(rec))
    whole = store.message("m-big")
    assert [r["recipient"] for r in whole["recipients"]] == sorted(rcpts)
    assert whole["recipient_count"] == 520 and whole["statuses"] == {"delivered": 500, "sent": 20}
    some = store.message("m-big", recipients=3)
    assert some["recipients"] == whole["recipients"][:3]
    assert (some["recipient_count"], some["statuses"]) == (520, whole["statuses"])
    assert store.recipients_suppressed("m-big") == {}
    store.replace_suppressions([("user0007@EXAMPLE.com", "BOUNCE", 1), ("user0511@example.com", "COMPLAINT", 2),
                                ("someone@example.com", "BOUNCE", 3)], fetched_ms=1)
    assert store.recipients_suppressed("m-big") == {"user0007@example.com": "BOUNCE",
                                                    "user0511@example.com": "COMPLAINT"}
    assert store.recipients_suppressed("no-such-id") == {}
