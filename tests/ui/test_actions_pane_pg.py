"""Pane 8, Actions, on a PostgreSQL store (a real server, tests/pg_server.py): rules with their hits,
a paused guard, outbox items pending, retrying and dead, and retry / discard through the
confirmation changing the database. The same data as actions_data.py, written through store.outbox."""

from __future__ import annotations

import pytest
import actions_data
from actions_data import HOSTILE_ERROR, TABLES, assert_pane_shows_the_data, config, confirm
from console_data import NOW_MS, fill, press, run
from pg_server import pg_server, pg_url  # noqa: F401  (fixtures)

from sestui.store import open_store
from sestui.store import outbox as sql


app = actions_data.app  # the fixture: the console on this module's `data`


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(sql, "now_ms", lambda: NOW_MS)


@pytest.fixture
def data(pg_url):  # noqa: F811  (the fixture imported above)
    store = open_store(pg_url)
    sql.attach(store, config().rules)
    fill(store)
    webhook = TABLES["rules"][0]["do"][0]
    params = {k: v for k, v in webhook.items() if k != "action"}
    extra = [sql.item("feedback-to-app", 0, "webhook", params, {"n": n}, (f"m{n}",), recipient=f"r{n}@example.org",
                      message_id=f"m{n}", now=NOW_MS - 60_000) for n in (1, 2)]
    store.outbox.enqueue(extra)
    worker = store.outbox.worker()
    dead, retrying = (i["id"] for i in worker.claim(now=NOW_MS - 30_000, lease_ms=60_000, limit=2))
    worker.finish(dead, "dead", error=HOSTILE_ERROR, now=NOW_MS - 20_000)
    worker.finish(retrying, "retrying", error="timed out after 10s", next_attempt_ms=NOW_MS + 90_000,
                  now=NOW_MS - 20_000)
    worker.close()
    assert store.outbox.enqueue_with([], ("bounce-kill", "armed", "paused", NOW_MS - 600_000, 0.0625, 32)) == 0
    yield store, {"dead": dead, "retrying": retrying}
    store.close()


def test_the_pane_shows_the_postgresql_outbox(data, app):
    store, _ = data

    async def scenario(pilot):
        await press(pilot, "8")
        items = store.outbox.list_items(("pending", "running", "retrying", "dead"))
        assert_pane_shows_the_data(app, items)
        assert len(items) == 5

    run(app, scenario, size=(120, 40))


def test_retry_and_discard_through_the_confirmation_change_the_database(data, app):
    store, ids = data

    async def scenario(pilot):
        await confirm(pilot, ids["dead"], "r")
        row = store.outbox.get(ids["dead"])
        assert row["state"] == "pending" and row["attempts"] == 0
        assert app.pane("actions").table("outbox").get_cell(str(ids["dead"]), "state").plain == "pending"
        await confirm(pilot, ids["retrying"], "d")
        assert store.outbox.get(ids["retrying"])["state"] == "discarded"

    run(app, scenario)
