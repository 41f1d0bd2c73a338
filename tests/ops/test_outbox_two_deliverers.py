"""Two deliverers on one database (two collectors on two hosts), a slow real receiver: each delivery
id arrives once, on SQLite (one file, two stores) and on PostgreSQL (one database, two stores).
The second deliverer starts while the first has deliveries in flight: its recovery must leave
them alone. Also: `sestui prune` and the collector's retention prune finished outbox items."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from console_data import envelope, record
from pg_server import pg_server, pg_url  # noqa: F401  (fixtures)
from webhook_receiver import SECRET, Receiver

from sestui.core.events import parse_body
from sestui.ops import routing
from sestui.ops.outbox import DeliveryOptions
from sestui.store import open_store
from sestui.store import outbox as sql

N = 16


def tables(url: str) -> dict:
    return {"rules": [{"name": "feedback-to-app", "mode": "on", "when": {"event_types": ["bounce", "complaint"]},
                       "do": [{"action": "webhook", "url": url, "secret_env": "SESTUI_WEBHOOK_SECRET",
                               "timeout": 10}]}]}


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path, monkeypatch):
    monkeypatch.setenv("SESTUI_WEBHOOK_SECRET", SECRET)
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return request.getfixturevalue("pg_url")


def bodies(n: int, *, days_ago: int = 0) -> list[str]:
    t = datetime.now(UTC) - timedelta(days=days_ago)
    return [envelope(record("Bounce", i, f"two-{i}@example.org", t, t + timedelta(seconds=i), "two"))
            for i in range(1, n + 1)]


def routed(target: str, url: str):
    store = open_store(target)
    config = routing.load(tables(url))
    opts = DeliveryOptions(workers=2, retry_base_s=0.05, retry_cap_s=0.2, idle_poll_s=0.05)
    opts.recover_interval_s = 0.1  # recover often: a recovery that steals live leases shows at once
    config.delivery = opts
    return store, routing.wire(store, None, config)


def test_two_deliverers_deliver_each_item_once(target):
    with Receiver(plan=lambda _id, _n: ("sleep", 0.6)) as rx:
        first_store, first = routed(target, rx.url)
        second_store, second = routed(target, rx.url)
        first_store.add([(b, parse_body(b)) for b in bodies(N)])
        first.start()
        try:
            rx.wait_for(lambda seen: len(seen) >= 2)  # the first has deliveries in flight
            second.start()
            rx.wait_for(lambda seen: len({r["delivery"] for r in seen}) == N, timeout=60)
            for _ in range(100):  # both record their outcomes
                if first_store.outbox.counts() == {"done": N}:
                    break
                rx.wait_for(lambda _seen: True, timeout=0.05)
        finally:
            first.stop()
            second.stop()
        times = Counter(r["delivery"] for r in rx.requests)
        assert [d for d, n in times.items() if n > 1] == [], "a delivery id arrived twice"
        assert len(times) == N and all(r["signature_ok"] for r in rx.requests)
        assert set(times) == {i["dedup"] for i in first_store.outbox.list_items()}
        assert first_store.outbox.counts() == {"done": N}
        assert first.delivered > 0 and second.delivered > 0 and first.delivered + second.delivered == N
        first_store.close()
        second_store.close()


def test_prune_command_removes_finished_outbox_items(target, monkeypatch, capsys):
    from sestui.cli import main

    monkeypatch.setenv("SESTUI_CONFIG", "/nonexistent/config.toml")
    store = open_store(target)
    sql.attach(store, routing.load(tables("http://127.0.0.1:9/ses")).rules)
    store.add([(b, parse_body(b)) for b in bodies(3, days_ago=40)])
    store.add([(b, parse_body(b)) for b in bodies(2)])
    old = sorted(i["id"] for i in store.outbox.list_items())[:3]
    # created stamps as the events' age would have made them: 40 days ago
    store.outbox.discard(old)
    _age_items(store, old, days=40)
    assert main(["prune", "--db", target, "--older-than", "30d"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("events=3 ") and line.endswith(" outbox=3")
    assert sorted(i["state"] for i in store.outbox.list_items()) == ["pending", "pending"]
    store.close()


def test_the_collectors_retention_prunes_the_outbox_too(target):
    from sestui.ops.poller import Poller

    store = open_store(target)
    sql.attach(store, routing.load(tables("http://127.0.0.1:9/ses")).rules)
    store.add([(b, parse_body(b)) for b in bodies(2, days_ago=40)])
    ids = [i["id"] for i in store.outbox.list_items()]
    store.outbox.discard(ids)
    _age_items(store, ids, days=40)
    poller = Poller.__new__(Poller)  # only its retention step, without AWS
    poller.store, poller.options = store, SimpleNamespace(retention_days=30)
    poller._prune()
    assert store.outbox.list_items() == [] and store.count("events") == 0
    store.close()


def _age_items(store, ids: list[int], *, days: int) -> None:
    """Set the items' creation time back (what a store running for `days` would hold)."""
    created = sql.now_ms() - days * 86_400_000
    if hasattr(store, "conn"):
        with store._lock:
            store.conn.executemany("UPDATE outbox SET created = ? WHERE id = ?", [(created, i) for i in ids])
    else:
        with store._conn() as conn:
            conn.execute("UPDATE outbox SET created = %s WHERE id = ANY(%s)", (created, ids))
