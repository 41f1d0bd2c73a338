"""The outbox and the webhook action against a real HTTP receiver on 127.0.0.1 that checks the
signature and records delivery ids: success, 500s then success, timeouts, connection refused,
4xx dead, dedup of redeliveries and of the same bounce in both notification styles, dry-run,
and `command` with a script reading stdin."""

from __future__ import annotations

import json
import socket
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from webhook_receiver import SECRET, Receiver

from sestui.core.events import parse_body
from sestui.ops import routing
from sestui.ops.outbox import Deliverer, DeliveryOptions
from sestui.store import Store
from sestui.store import outbox as sql

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def body_of(name: str) -> str:
    return (RECORDS / name).read_text()


def rules_toml(url: str, **webhook) -> dict:
    """The issue's contract example, as tomllib reads it, pointed at the test's receiver."""
    do = {"action": "webhook", "url": url, "secret_env": "SESTUI_WEBHOOK_SECRET", **webhook}
    return {"rules": [{"name": "feedback-to-app", "mode": "on", "when": {"event_types": ["bounce", "complaint"]},
                       "do": [do]}]}


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("SESTUI_WEBHOOK_SECRET", SECRET)


def fast(**kw) -> DeliveryOptions:
    return DeliveryOptions(retry_base_s=0.05, retry_cap_s=0.2, idle_poll_s=0.05, **kw)


def open_routed(tmp_path, tables: dict, options: DeliveryOptions | None = None) -> tuple[Store, Deliverer | None]:
    store = Store(tmp_path / "events.db")
    config = routing.load(tables)
    config.delivery = options or fast()
    return store, routing.wire(store, None, config)


def ingest(store: Store, *names: str) -> None:
    store.add([(body_of(n), parse_body(body_of(n))) for n in names])


def items(store: Store) -> list[dict]:
    return sql.list_items(store.conn)


def wait_states(store: Store, want: set[str], timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = items(store)
        if rows and all(r["state"] in want for r in rows):
            return rows
        time.sleep(0.02)
    raise AssertionError(f"outbox states {[r['state'] for r in items(store)]} never all in {want}")


def run_until(store: Store, deliverer: Deliverer, want: set[str], timeout: float = 20.0) -> list[dict]:
    """Run the deliverer until every outbox item is in one of the `want` states; those items."""
    deliverer.start()
    try:
        return wait_states(store, want, timeout)
    finally:
        deliverer.stop()


def test_the_contract_example_posts_a_signed_event_once(tmp_path, env):
    with Receiver() as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url))
        ingest(store, "event-bounce.json", "event-delivery.json")  # the delivery matches no rule
        rows = run_until(store, deliverer, {"done"})
        seen = rx.acknowledged()
        assert len(rows) == 1 and len(seen) == 1 and seen[0]["signature_ok"]
        event = seen[0]["body"]
        assert event["event_type"] == "bounce" and event["recipient"] == "gone@example.net"
        assert event["bounce_type"] == "Permanent" and event["timestamp"].endswith("Z")
        assert {"message_id", "event_type", "recipient", "timestamp"} <= set(event)
        assert seen[0]["delivery"] == rows[0]["dedup"] and seen[0]["path"] == "/ses"
        store.close()


def test_500s_then_success_keeps_the_delivery_id(tmp_path, env):
    with Receiver(plan=lambda _id, n: 500 if n <= 2 else 200) as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url))
        ingest(store, "event-bounce.json")
        rows = run_until(store, deliverer, {"done"})
        ids = [r["delivery"] for r in rx.requests]
        assert len(ids) == 3 and len(set(ids)) == 1
        assert rows[0]["attempts"] == 3 and rows[0]["state"] == "done"
        store.close()


def test_a_timeout_is_retried(tmp_path, env):
    with Receiver(plan=lambda _id, n: ("sleep", 1.5) if n == 1 else 200) as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url, timeout=0.3))
        ingest(store, "event-complaint.json")
        rows = run_until(store, deliverer, {"done"})
        assert rows[0]["attempts"] >= 2
        assert len({r["delivery"] for r in rx.requests}) == 1
        store.close()


def test_connection_refused_retries_then_dead_and_stays_visible(tmp_path, env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store, deliverer = open_routed(tmp_path, rules_toml(f"http://127.0.0.1:{port}/ses", max_attempts=3))
    ingest(store, "event-bounce.json")
    rows = run_until(store, deliverer, {"dead"})
    assert rows[0]["attempts"] == 3
    assert "gave up after 3 attempts" in rows[0]["last_error"] and "refused" in rows[0]["last_error"].lower()
    store.close()


def test_a_4xx_is_dead_at_once(tmp_path, env):
    with Receiver(plan=lambda _id, n: 422) as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url))
        ingest(store, "event-bounce.json")
        rows = run_until(store, deliverer, {"dead"})
        assert rows[0]["attempts"] == 1 and rows[0]["last_error"].startswith("HTTP 422")
        assert len(rx.requests) == 1
        store.close()


def test_a_429_is_retried(tmp_path, env):
    with Receiver(plan=lambda _id, n: 429 if n == 1 else 200) as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url))
        ingest(store, "event-bounce.json")
        rows = run_until(store, deliverer, {"done"})
        assert rows[0]["attempts"] == 2
        store.close()


def test_a_wrong_secret_is_refused_by_the_receiver(tmp_path, monkeypatch):
    monkeypatch.setenv("SESTUI_WEBHOOK_SECRET", "not-the-secret")
    with Receiver() as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url))
        ingest(store, "event-bounce.json")
        rows = run_until(store, deliverer, {"dead"})
        assert rx.requests and not rx.acknowledged()
        assert rows[0]["last_error"].startswith("HTTP 401")
        store.close()


def test_redelivery_and_both_notification_styles_enqueue_once(tmp_path):
    store, _ = open_routed(tmp_path, rules_toml("http://127.0.0.1:9/ses"))
    ingest(store, "event-bounce.json")
    ingest(store, "event-bounce.json")  # SQS delivered the same body again
    ingest(store, "notification-bounce-same-as-event.json")  # the same bounce as an identity notification
    rows = items(store)
    assert len(rows) == 1 and rows[0]["state"] == "pending"
    assert store.count("events") == 1
    store.close()


def test_the_enqueue_is_in_the_events_transaction(tmp_path):
    """A write that fails after the events were inserted leaves neither the events nor their actions."""
    store, _ = open_routed(tmp_path, rules_toml("http://127.0.0.1:9/ses"))
    rules = store.outbox_rules

    class Failing:
        needs_tags = needs_raw = False

        def __bool__(self):
            return True

        def candidates(self, event_type):
            raise RuntimeError("disk full")

    store.outbox_rules = Failing()
    with pytest.raises(RuntimeError):
        ingest(store, "event-bounce.json")
    assert store.count("events") == 0 and items(store) == []
    store.outbox_rules = rules
    ingest(store, "event-bounce.json")
    assert store.count("events") == 1 and len(items(store)) == 1
    store.close()


def test_dry_run_is_recorded_not_executed(tmp_path, env):
    with Receiver() as rx:
        tables = rules_toml(rx.url)
        tables["rules"][0]["mode"] = "dry-run"
        store, deliverer = open_routed(tmp_path, tables)
        ingest(store, "event-bounce.json")
        deliverer.start()
        time.sleep(0.5)
        deliverer.stop()
        assert [r["state"] for r in items(store)] == ["dry-run"]
        assert rx.requests == []
        store.close()


def test_command_gets_the_event_on_stdin(tmp_path):
    out = tmp_path / "got.jsonl"
    script = tmp_path / "hook.py"
    script.write_text("import json, os, sys\n"
                      "event = json.load(sys.stdin)\n"
                      f"with open({str(out)!r}, 'a') as f:\n"
                      "    f.write(json.dumps({'id': os.environ['SESTUI_DELIVERY_ID'], 'event': event}) + '\\n')\n")
    tables = {"rules": [{"name": "to-script", "when": {"event_types": ["complaint"]},
                         "do": [{"action": "command", "argv": [sys.executable, str(script)], "timeout": 20}]}]}
    store, deliverer = open_routed(tmp_path, tables)
    ingest(store, "event-complaint.json", "event-bounce.json")
    rows = run_until(store, deliverer, {"done"}, timeout=30)
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1 and len(got) == 1
    assert got[0]["event"]["event_type"] == "complaint" and got[0]["id"] == rows[0]["dedup"]
    store.close()


def test_a_failing_command_is_retried_then_dead(tmp_path):
    tables = {"rules": [{"name": "to-false", "when": {"event_types": ["bounce"]},
                         "do": [{"action": "command", "argv": [sys.executable, "-c", "import sys; sys.exit(3)"],
                                 "max_attempts": 2}]}]}
    store, deliverer = open_routed(tmp_path, tables)
    ingest(store, "event-bounce.json")
    rows = run_until(store, deliverer, {"dead"}, timeout=30)
    assert rows[0]["attempts"] == 2 and "exit 3" in rows[0]["last_error"]
    store.close()


def test_one_recipient_in_order(tmp_path, env):
    """Two events for one recipient: the second waits until the first is done, even through retries."""
    from datetime import datetime, timedelta

    from console_data import envelope, record

    first_id: list[str] = []

    def plan(delivery, n):
        if not first_id:
            first_id.append(delivery)
        return 500 if delivery == first_id[0] and n <= 2 else 200

    with Receiver(plan=plan) as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url))
        t = datetime(2024, 5, 1, tzinfo=UTC)
        bodies = [envelope(record("Bounce", n, "same@example.org", t, t + timedelta(minutes=n), "s",
                                  bounce_type="Transient", bounce_subtype="MailboxFull", diag="452 mailbox full"))
                  for n in (1, 2)]
        store.add([(b, parse_body(b)) for b in bodies])
        run_until(store, deliverer, {"done"})
        order = [r["delivery"] for r in rx.requests]
        assert order[:3] == [first_id[0]] * 3 and len(set(order)) == 2
        store.close()


def test_include_raw_sends_the_record_too(tmp_path, env):
    with Receiver() as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url, include_raw=True))
        ingest(store, "event-bounce.json")
        run_until(store, deliverer, {"done"})
        [seen] = rx.acknowledged()
        assert json.loads(seen["body"]["raw"])["bounce"]["bounceType"] == "Permanent"
        store.close()


def test_a_channel_never_runs_more_than_its_concurrency(tmp_path, env):
    import threading

    lock, now, most = threading.Lock(), [0], [0]

    def plan(_delivery, _n):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.15)
        with lock:
            now[0] -= 1
        return 200

    from datetime import datetime, timedelta

    from console_data import envelope, record

    with Receiver(plan=plan) as rx:
        store, deliverer = open_routed(tmp_path, rules_toml(rx.url, concurrency=2))
        t = datetime(2024, 5, 1, tzinfo=UTC)
        bodies = [envelope(record("Bounce", n, f"c{n}@example.org", t, t + timedelta(seconds=n), "s"))
                  for n in range(1, 9)]
        store.add([(b, parse_body(b)) for b in bodies])
        rows = run_until(store, deliverer, {"done"})
        assert len(rows) == 8 and len(rx.acknowledged()) == 8
        assert most[0] == 2  # eight due at once, two at a time
        store.close()
