"""A console on a PostgreSQL store learns of events another process stores through LISTEN/NOTIFY,
between its ticks (here an hour apart: a row that shows up came through a notification); with
LISTEN refused (a pooler in transaction mode) it says so once and keeps polling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from console_data import NOW, envelope, fill, make_app, plain_rows, press, record, run, settle

import pg_server as pg_helpers
from sestui.core.events import parse_body
from sestui.store import StoreError
from sestui.store.postgres import PostgresStore

pg_server, pg_url = pg_helpers.pg_server, pg_helpers.pg_url
LATE = "late-arrival@example.com"


def late_body(n: int = 900) -> str:
    sent = NOW - timedelta(minutes=1)
    return envelope(record("Delivery", n, LATE, sent, sent + timedelta(seconds=30), "Later"))


@pytest.fixture
def store(pg_url):
    with PostgresStore(pg_url) as s:
        fill(s)
        yield s


def shown(app) -> bool:
    return any(LATE in " ".join(row) for row in plain_rows(app, "flow"))


async def until(pilot, condition, what: str, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def test_an_event_another_process_stores_reaches_the_console_through_a_notification(store, pg_url, tmp_path):
    app = make_app(store)  # ticks an hour apart: no poll will show the new row
    bodies = tmp_path / "late.jsonl"
    bodies.write_text(json.dumps(json.loads(late_body())) + "\n")

    async def scenario(pilot):
        await until(pilot, app.live.watch.listening.is_set, "the console to LISTEN")
        await settle(pilot)
        assert not shown(app) and app.live.refreshes == 0
        done = subprocess.run([sys.executable, "-m", "sestui.cli", "ingest", "--db", pg_url, str(bodies)],
                              capture_output=True, text=True, timeout=60, env=dict(os.environ))
        assert done.returncode == 0, done.stderr
        await until(pilot, lambda: shown(app), "the other process's event in the flow")
        assert app.live.refreshes >= 1  # it came through a notification, not a tick
        assert app.live.watch.fallback is None

    run(app, scenario)


def test_with_listen_refused_the_console_says_so_once_and_polls(store, monkeypatch):
    def refuse():
        raise StoreError(f"{store.path}: LISTEN refused (LISTEN is not allowed in transaction pooling mode)")

    monkeypatch.setattr(store, "listen", refuse)
    app = make_app(store)
    said: list[str] = []
    real_notify = app.notify
    monkeypatch.setattr(app, "notify", lambda text, **kw: (said.append(text), real_notify(text, **kw))[1])

    async def scenario(pilot):
        await until(pilot, lambda: app.live.watch.fallback is not None, "the fallback")
        await settle(pilot)
        store.add([(late_body(), parse_body(late_body()))])
        await press(pilot, "ctrl+r")  # the tick's poll (an hour away here), at once
        assert shown(app), plain_rows(app, "flow")[:3]
        for _ in range(3):
            app.tick()
            await settle(pilot)
        fallbacks = [t for t in said if "polling every" in t]
        assert len(fallbacks) == 1 and "LISTEN refused" in fallbacks[0], said
        assert app.live.refreshes == 0

    run(app, scenario)
