"""The outbox backend (`store.outbox`) behaves the same on SQLite and on a real PostgreSQL: enqueue in
the events' transaction with dedup, claims with leases and per-recipient order, finish, release,
retry, discard, prune, counts, hits; recover leaves a live deliverer's leases alone and takes back
those of a gone one; a guard's state steps once under two writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from console_data import envelope, record

from sestui.core.events import parse_body
from sestui.ops import routing
from sestui.store import open_store
from sestui.store import outbox as sql

T0 = datetime(2024, 5, 1, tzinfo=UTC)
RULES = {"rules": [{"name": "feedback", "mode": "on", "when": {"event_types": ["bounce"]},
                    "do": [{"action": "webhook", "url": "http://127.0.0.1:9/ses"}]}]}


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(target):
    with open_store(target) as s:
        sql.attach(s, routing.load(RULES).rules)
        yield s


def bounces(*specs: tuple[int, str]) -> list[str]:
    return [envelope(record("Bounce", n, who, T0, T0 + timedelta(seconds=n), "s")) for n, who in specs]


def add(store, bodies: list[str]) -> None:
    store.add([(b, parse_body(b)) for b in bodies])


def test_the_write_path_enqueues_once_per_event_and_rule(store):
    add(store, bounces((1, "a@x.org"), (2, "b@x.org")))
    add(store, bounces((1, "a@x.org")))  # redelivered: nothing new
    add(store, [envelope(record("Delivery", 3, "c@x.org", T0, T0, "s"))])  # matches no rule
    items = store.outbox.list_items()
    assert len(items) == 2 and {i["recipient"] for i in items} == {"a@x.org", "b@x.org"}
    assert store.outbox.counts() == {"pending": 2}
    assert store.outbox.rule_hits(0) == {"feedback": 2}
    assert all(len(i["dedup"]) == 32 and i["rule"] == "feedback" and i["action_kind"] == "webhook" for i in items)


def test_claim_finish_and_the_operator_actions(store):
    add(store, bounces((1, "a@x.org"), (2, "a@x.org"), (3, "b@x.org")))
    worker = store.outbox.worker()
    try:
        now = sql.now_ms()
        claimed = worker.claim(now=now, lease_ms=60_000, limit=10)
        # a@x.org's second item waits for its first (order per recipient)
        assert sorted(i["recipient"] for i in claimed) == ["a@x.org", "b@x.org"]
        assert all(i["attempts"] == 1 and i["payload"] for i in claimed)
        assert '"event_type":"bounce"' in claimed[0]["payload"]
        assert worker.claim(now=now, lease_ms=60_000) == []  # leased, and the rest waits its turn
        assert store.outbox.due_count(now) == 3  # two running, one due
        first, second = claimed
        worker.finish(first["id"], "done")
        worker.finish(second["id"], "dead", error="HTTP 410")
        assert store.outbox.get(second["id"])["last_error"] == "HTTP 410"
        nxt = worker.claim(now=now, lease_ms=60_000)
        assert [i["recipient"] for i in nxt] == ["a@x.org"]  # the recipient's next one, now
        worker.release([nxt[0]["id"]])
        released = store.outbox.get(nxt[0]["id"])
        assert released["state"] == "pending" and released["attempts"] == 0
        assert store.outbox.retry([second["id"]]) == 1 and store.outbox.get(second["id"])["state"] == "pending"
        assert store.outbox.discard([second["id"]]) == 1
        assert store.outbox.counts() == {"done": 1, "discarded": 1, "pending": 1}
        assert store.outbox.next_due_ms() is not None
        assert store.outbox.prune(sql.now_ms() + 1) == 2  # done and discarded; the pending one stays
        assert [i["state"] for i in store.outbox.list_items()] == ["pending"]
    finally:
        worker.close()


def test_recover_leaves_a_live_owner_alone_and_takes_back_a_gone_ones(store):
    add(store, bounces((1, "a@x.org"), (2, "b@x.org")))
    live, leaving = store.outbox.worker(), store.outbox.worker()
    try:
        now = sql.now_ms()
        [mine] = live.claim(now=now, lease_ms=600_000, limit=1)
        [theirs] = leaving.claim(now=now, lease_ms=600_000, limit=1)
        assert store.outbox.recover() == 0  # both leases are held by running deliverers
        leaving.close()  # its owner is gone: what it held is due again at once
        assert store.outbox.recover() == 1
        assert store.outbox.get(mine["id"])["state"] == "running"
        back = store.outbox.get(theirs["id"])
        assert back["state"] == "retrying" and back["last_error"] == "interrupted"
        # an expired lease is taken back even from a live owner
        assert store.outbox.recover(now + 600_001) == 1
        assert store.outbox.get(mine["id"])["state"] == "retrying"
        live.finish(mine["id"], "done")  # too late: the lease was recovered, the outcome is not recorded
        assert store.outbox.get(mine["id"])["state"] == "retrying"
    finally:
        live.close()


def test_two_workers_never_claim_the_same_item(store):
    add(store, bounces(*[(n, f"r{n}@x.org") for n in range(1, 21)]))
    a, b = store.outbox.worker(), store.outbox.worker()
    try:
        now = sql.now_ms()
        got_a = a.claim(now=now, lease_ms=60_000, limit=7)
        got_b = b.claim(now=now, lease_ms=60_000, limit=100)
        ids_a, ids_b = {i["id"] for i in got_a}, {i["id"] for i in got_b}
        assert len(ids_a) == 7 and len(ids_b) == 13 and not ids_a & ids_b
    finally:
        a.close()
        b.close()


def test_a_guard_steps_once_under_two_writers(store):
    item = sql.item("guard:g:warn", 0, "webhook", {"url": "http://x"}, {"n": 1}, ("g", "warn", 1))
    assert store.outbox.enqueue_with([item], ("g", "armed", "warned", 1, 0.04, 100)) == 1
    # a second collector that read "armed" before the first committed: nothing enqueued, state kept
    other = sql.item("guard:g:warn", 0, "webhook", {"url": "http://x"}, {"n": 1}, ("g", "warn", 2))
    assert store.outbox.enqueue_with([other], ("g", "armed", "warned", 2, 0.04, 100)) == -1
    assert store.outbox.guard_states()["g"]["state"] == "warned" and store.outbox.guard_states()["g"]["since"] == 1
    assert len(store.outbox.list_items()) == 1


def test_local_counts_for_a_recipient_domain(store):
    add(store, bounces((1, "a@x.org"), (2, "b@Y.org")))
    assert store.outbox.local_counts(0) == {"bounce": 2, "bounce_hard": 2}  # Permanent ones: what AWS counts
    assert store.outbox.local_counts(0, recipient_domain="y.org") == {"bounce": 1, "bounce_hard": 1}


def test_a_pg_deliverer_whose_lock_connection_broke_takes_its_owner_back(pg_url):
    """The server dropped the deliverer's lock session (a restart, a pooler): before its next claim
    it holds its owner's lock again, so others do not take its later leases for a dead process's."""
    with open_store(pg_url) as store:
        sql.attach(store, routing.load(RULES).rules)
        add(store, bounces((1, "a@x.org"), (2, "b@x.org")))
        worker = store.outbox.worker()
        try:
            with store._conn() as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (worker._lock_conn.info.backend_pid,))
            worker._owner_checked = 0.0  # due for its check now
            [item] = worker.claim(now=sql.now_ms(), lease_ms=600_000, limit=1)
            assert store.outbox.recover() == 0  # its owner is held again: the lease is left alone
            assert store.outbox.get(item["id"])["state"] == "running"
        finally:
            worker.close()


def _auto_reply() -> str:
    """SES's out-of-office: a Transient/General bounce with no DSN fields and no text to go by."""
    from fixtures import record as ses_record
    from fixtures import sns_envelope

    bounce = ses_record("event-bounce")
    bounce["bounce"].update(bounceType="Transient", bounceSubType="General",
                            bouncedRecipients=[{"emailAddress": "away@example.net"}])
    del bounce["bounce"]["reportingMTA"]
    return sns_envelope(bounce)


@pytest.mark.parametrize("asked", [False, True])
def test_an_auto_reply_known_by_its_shape_triggers_no_bounce_rule_unless_asked(target, asked):
    rules = {"rules": [
        {"name": "by-type", "mode": "on", "when": {"event_types": ["bounce"], "auto_replies": asked},
         "do": [{"action": "webhook", "url": "http://127.0.0.1:9/a"}]},
        {"name": "by-domain", "mode": "on", "when": {"event_types": ["bounce"], "recipient_domains": ["example.net"],
                                                      "auto_replies": asked},
         "do": [{"action": "webhook", "url": "http://127.0.0.1:9/b"}]}]}
    with open_store(target) as store:
        sql.attach(store, routing.load(rules).rules)
        add(store, [_auto_reply()])
        assert [e["bounce_class"] for e in store.iter_events()] == ["auto_reply"]  # the classifier knew
        assert store.outbox.rule_hits(0) == ({"by-type": 1, "by-domain": 1} if asked else {})


def test_an_id_is_never_given_again_after_prune(store):
    """An operator notes an item's id (`sestui outbox retry ID`): after prune removed the newest items,
    SQLite without AUTOINCREMENT gave the next item that same id."""
    add(store, bounces((1, "a@x.org")))
    first = store.outbox.list_items()[0]["id"]
    assert store.outbox.discard([first]) == 1
    assert store.outbox.prune(sql.now_ms() + 1) == 1 and store.outbox.list_items() == []
    add(store, bounces((2, "b@x.org")))
    assert store.outbox.list_items()[0]["id"] > first


def test_a_file_of_an_older_sestui_keeps_its_ids_and_never_reuses_them(tmp_path):
    import sqlite3

    path = tmp_path / "events.db"
    with open_store(str(path)) as s:
        sql.attach(s, routing.load(RULES).rules)
        add(s, bounces((1, "a@x.org"), (2, "b@x.org")))
        before = {i["id"]: i["recipient"] for i in s.outbox.list_items()}
    conn = sqlite3.connect(path, isolation_level=None)  # the table as an older sestui made it: no AUTOINCREMENT
    table = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    conn.execute("ALTER TABLE outbox RENAME TO newer")
    conn.execute(table.replace(" AUTOINCREMENT", ""))
    conn.execute("INSERT INTO outbox SELECT * FROM newer")
    conn.execute("DROP TABLE newer")
    conn.close()
    with open_store(str(path)) as s:
        sql.attach(s, routing.load(RULES).rules)
        assert {i["id"]: i["recipient"] for i in s.outbox.list_items()} == before
        newest = max(before)
        assert s.outbox.discard([newest]) == 1 and s.outbox.prune(sql.now_ms() + 1) == 1
        add(s, bounces((3, "c@x.org")))
        assert max(i["id"] for i in s.outbox.list_items()) > newest
