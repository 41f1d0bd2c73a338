"""Deterministic data of the Actions pane tests: the console's store plus rules, guards, a guard
state and outbox items in every state, all written through store/outbox.py and store/guard_state.py;
and the steps and checks the SQLite and PostgreSQL pane tests share."""

from __future__ import annotations

import pytest
from console_data import NOW_MS, fill, make_app, on_screen, press

from sestui.ops import routing
from sestui.store import Store, guard_state
from sestui.store import outbox as sql

HOSTILE_ERROR = "[red]HTTP 500[/] \x1b[2J from upstream"
TABLES = {
    "rules": [
        {"name": "feedback-to-app", "mode": "on", "when": {"event_types": ["bounce", "complaint"]},
         "do": [{"action": "webhook", "url": "http://127.0.0.1:8765/ses", "secret_env": "SESTUI_WEBHOOK_SECRET"}]},
        {"name": "[bold]unsub[/]", "mode": "dry-run", "when": {"event_types": ["complaint"]},
         "do": [{"action": "contact_list", "contact_list": "newsletter"}]},
        {"name": "quiet", "mode": "off", "when": {"event_types": ["delivery"]},
         "do": [{"action": "command", "argv": ["/bin/true"]}]},
    ],
    "guards": [
        {"name": "bounce-kill", "metric": "bounce_rate", "source": "local", "configuration_set": "default",
         "min_volume": 10, "warn": {"level": "3%"}, "pause": {"level": "5%", "do": [{"action": "pause_sending"}]}},
        {"name": "complaints", "metric": "complaint_rate", "warn": {"level": 0.001}},
    ],
}


def config():
    return routing.load(TABLES)


def build(tmp_path, *, paused: bool = True) -> tuple[Store, dict[str, int]]:
    """The console's store, routed by TABLES, with outbox items pending, retrying and dead (ids by
    state) and, when `paused`, the bounce guard paused 10 minutes before the console's clock."""
    store = Store(tmp_path / "actions.db")
    sql.attach(store, config().rules)
    fill(store)  # bounces and a complaint: feedback-to-app enqueues, [bold]unsub[/] records (dry-run)
    webhook = {"url": "http://127.0.0.1:8765/ses", "secret_env": "SESTUI_WEBHOOK_SECRET"}
    extra = [sql.item("feedback-to-app", 0, "webhook", webhook, {"n": n}, (f"m{n}",), recipient=f"r{n}@example.org",
                      message_id=f"m{n}", now=NOW_MS - 60_000) for n in (1, 2)]
    with store._lock:
        sql.enqueue(store.conn, extra)
        claimed = sql.claim(store.conn, now=NOW_MS - 30_000, lease_ms=60_000, limit=2)
        dead, retrying = claimed[0]["id"], claimed[1]["id"]
        sql.finish(store.conn, dead, "dead", error=HOSTILE_ERROR, now=NOW_MS - 20_000)
        sql.finish(store.conn, retrying, "retrying", error="timed out after 10s",
                   next_attempt_ms=NOW_MS + 90_000, now=NOW_MS - 20_000)
        if paused:
            guard_state.save_guard_state(store.conn, "bounce-kill", "paused", NOW_MS - 600_000, 0.0625, 32)
    return store, {"dead": dead, "retrying": retrying}


# -- driving pane 8 (shared by the SQLite and PostgreSQL pane tests) --------------------------------

@pytest.fixture
def app(data):
    """The console, routed by TABLES, on the test module's `data` fixture: (store, ids)."""
    return make_app(data[0], actions=config())


def keys(table) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def select(pilot, item_id: int) -> None:
    """Open the Actions pane (8) and put the outbox cursor on `item_id`."""
    await press(pilot, "8")
    table = pilot.app.pane("actions").table("outbox")
    table.focus()
    table.move_cursor(row=table.get_row_index(str(item_id)))
    await pilot.pause()


async def press_on(pilot, item_id: int, key: str) -> None:
    """Put the outbox cursor on `item_id` and press `key`."""
    await select(pilot, item_id)
    await pilot.press(key)
    await pilot.pause()


async def confirm(pilot, item_id: int, key: str) -> None:
    """Press `key` on `item_id`, see the confirmation asked, answer y."""
    from sestui.ui.screens.confirm import ConfirmScreen

    await press_on(pilot, item_id, key)
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await press(pilot, "y")


def assert_pane_shows_the_data(app, items: list) -> None:
    """Pane 8 as either store shows this module's data; `items`: the store's open outbox items."""
    pane = app.pane("actions")
    assert app.current == "actions"
    assert keys(pane.table("rules")) == ["feedback-to-app", "[bold]unsub[/]", "quiet"]
    assert keys(pane.table("outbox")) == [str(i["id"]) for i in items]  # newest first, as the store lists
    hits = {r.key.value: pane.table("rules").get_row(r.key)[2].plain for r in pane.table("rules").ordered_rows}
    assert hits == {"feedback-to-app": "5", "[bold]unsub[/]": "1", "quiet": "0"}
    guards = on_screen(app, pane.table("guards"))
    assert "PAUSED since 11:50:00" in guards and "6.25% of 32" in guards
    outbox = on_screen(app, pane.table("outbox"))
    assert "retrying" in outbox and "next 12:01:30" in outbox and "dead" in outbox
    assert "3 pending, 1 retrying, 1 dead" in on_screen(app, pane.query_one("#act-status"))


DELIVERED_RECIPIENTS = ("marta.rossi@mail.example.com", "complaint@simulator.amazonses.com",
                        "j.doe+news@example.org", "suppressionlist+m1116@simulator.amazonses.com")


def build_delivered(tmp_path) -> Store:
    """The demo's usual outbox: every item delivered (no note to show), the recipients long."""
    store = Store(tmp_path / "delivered.db")
    store.outbox.ensure()
    hook = {"url": "http://127.0.0.1:8765/ses", "secret_env": "SESTUI_WEBHOOK_SECRET"}
    items = [sql.item("unsubscribe-complainers", 0, "webhook", hook, {"n": n}, (f"d{n}",), recipient=r,
                      message_id=f"d{n}", now=NOW_MS - 60_000) for n, r in enumerate(DELIVERED_RECIPIENTS)]
    with store._lock:
        sql.enqueue(store.conn, items)
        for claimed in sql.claim(store.conn, now=NOW_MS - 30_000, lease_ms=60_000, limit=10):
            sql.finish(store.conn, claimed["id"], "done", now=NOW_MS - 20_000)
    return store
