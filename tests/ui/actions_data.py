"""Deterministic data of the Actions pane tests: the console's store plus rules, guards, a guard
state and outbox items in every state, all written through store/outbox.py and store/guard_state.py."""

from __future__ import annotations

from console_data import NOW_MS, fill

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
