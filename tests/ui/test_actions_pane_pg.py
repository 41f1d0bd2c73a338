"""Pane 8, Actions, on a PostgreSQL store (a real server, tests/pg_server.py): rules with their hits,
a paused guard, outbox items pending, retrying and dead, and retry / discard through the
confirmation changing the database. The same data as actions_data.py, written through store.outbox."""

from __future__ import annotations

import pytest
from actions_data import HOSTILE_ERROR, TABLES, config
from console_data import NOW_MS, fill, make_app, on_screen, press, run
from pg_server import pg_server, pg_url  # noqa: F401  (fixtures)

from sestui.store import open_store
from sestui.store import outbox as sql
from sestui.ui.screens.confirm import ConfirmScreen


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


def keys(table) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def press_on(pilot, item_id: int, key: str) -> None:
    table = pilot.app.pane("actions").table("outbox")
    table.focus()
    table.move_cursor(row=table.get_row_index(str(item_id)))
    await pilot.pause()
    await pilot.press(key)
    await pilot.pause()


def test_the_pane_shows_the_postgresql_outbox(data):
    store, ids = data
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press(pilot, "8")
        pane = app.pane("actions")
        assert app.current == "actions"
        assert keys(pane.table("rules")) == ["feedback-to-app", "[bold]unsub[/]", "quiet"]
        items = store.outbox.list_items(("pending", "running", "retrying", "dead"))
        assert keys(pane.table("outbox")) == [str(i["id"]) for i in items] and len(items) == 5
        hits = {r.key.value: pane.table("rules").get_row(r.key)[2].plain for r in pane.table("rules").ordered_rows}
        assert hits == {"feedback-to-app": "5", "[bold]unsub[/]": "1", "quiet": "0"}
        guards = on_screen(app, pane.table("guards"))
        assert "PAUSED since 11:50:00" in guards and "6.25% of 32" in guards
        outbox = on_screen(app, pane.table("outbox"))
        assert "retrying" in outbox and "next 12:01:30" in outbox and "dead" in outbox
        assert "3 pending, 1 retrying, 1 dead" in on_screen(app, pane.query_one("#act-status"))

    run(app, scenario, size=(120, 40))


def test_retry_and_discard_through_the_confirmation_change_the_database(data):
    store, ids = data
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press(pilot, "8")
        await press_on(pilot, ids["dead"], "r")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        row = store.outbox.get(ids["dead"])
        assert row["state"] == "pending" and row["attempts"] == 0
        assert app.pane("actions").table("outbox").get_cell(str(ids["dead"]), "state").plain == "pending"
        await press_on(pilot, ids["retrying"], "d")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert store.outbox.get(ids["retrying"])["state"] == "discarded"

    run(app, scenario)
