"""`sestui rules list|test`, `sestui outbox list|retry|discard` as the ops functions the CLI calls;
the contract example read from a real config file through the settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import RULES_CONTRACT

from sestui.config import settings as settings_module
from sestui.core.events import parse_body
from sestui.ops import routing, rules_cli
from sestui.store import Store
from sestui.store import outbox as sql

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"

CONTRACT = RULES_CONTRACT + """
[policies]
complaint = "dry-run"
"""


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONTRACT)
    return settings_module.load({}, env={}, path=path)


def test_the_contract_file_loads_with_policies_as_rules(settings):
    config = rules_cli.load_for_cli(settings)
    names = [r.name for r in config.rules.rules]
    assert names == ["feedback-to-app", "policy:complaint", "policy:hard_bounce", "policy:soft_bounce"]


def test_a_bad_rule_in_the_file_is_one_line_naming_file_rule_and_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONTRACT.replace('action = "webhook"', 'action = "webhok"'))
    with pytest.raises(ValueError) as err:
        rules_cli.load_for_cli(settings_module.load({}, env={}, path=path))
    assert str(err.value).startswith(f"{path}: rule 'feedback-to-app': do[0].action must be one of")


def wired_with_a_bounce(settings, tmp_path):
    """The contract's rules wired to a fresh store that has received one bounce."""
    config = rules_cli.load_for_cli(settings)
    store = Store(tmp_path / "events.db")
    routing.wire(store, None, config)
    body = (RECORDS / "event-bounce.json").read_text()
    store.add([(body, parse_body(body))])
    return config, store


def test_rules_list_shows_modes_actions_and_hits(settings, tmp_path):
    config, store = wired_with_a_bounce(settings, tmp_path)
    text = "\n".join(rules_cli.list_rules(config, store))
    assert "feedback-to-app  on  [[rules]]  hits/24h=1" in text
    assert "do POST to http://127.0.0.1:8765/ses" in text
    assert "policy:complaint  dry-run  [policies]  hits/24h=0" in text
    store.close()


def test_rules_test_says_what_it_would_do_and_does_nothing(settings, tmp_path):
    config = rules_cli.load_for_cli(settings)
    lines = rules_cli.test_rule(config, "feedback-to-app", (RECORDS / "event-bounce.json").read_text())
    assert lines == ["bounce for gone@example.net: would POST to http://127.0.0.1:8765/ses"]
    lines = rules_cli.test_rule(config, "feedback-to-app", (RECORDS / "event-delivery.json").read_text())
    assert lines[0].endswith("does not match (event_type in bounce,complaint)")
    lines = rules_cli.test_rule(config, "policy:complaint", (RECORDS / "event-complaint.json").read_text())
    assert "would record (dry-run) add to the account suppression list (COMPLAINT)" in lines[0]
    with pytest.raises(ValueError, match="no rule named 'nope'"):
        rules_cli.test_rule(config, "nope", "{}")
    with pytest.raises(ValueError, match="not an SES event"):
        rules_cli.test_rule(config, "feedback-to-app", "not json")


def test_outbox_list_retry_discard(tmp_path):
    store = Store(tmp_path / "events.db")
    sql.attach(store, None)
    a = sql.item("r", 0, "webhook", {"url": "http://x"}, {"n": 1}, ("m1",), recipient="a@x.org")
    b = sql.item("r", 0, "webhook", {"url": "http://x"}, {"n": 2}, ("m2",), recipient="b@x.org")
    sql.enqueue(store.conn, [a, b])
    [first, second] = sorted(r["id"] for r in sql.list_items(store.conn))
    store.conn.execute("UPDATE outbox SET state = 'dead', attempts = 10, last_error = 'HTTP 410' WHERE id = ?",
                       (first,))
    assert any("dead" in line and "HTTP 410" in line for line in rules_cli.outbox_lines(store))
    assert rules_cli.outbox_retry(store, [first]).startswith("retry=1")
    row = sql.get(store.conn, first)
    assert row["state"] == "pending" and row["attempts"] == 0
    assert rules_cli.outbox_discard(store, [second]) == "discarded=1"
    assert sql.get(store.conn, second)["state"] == "discarded"
    assert rules_cli.outbox_lines(store, ["dead"]) == ["the outbox is empty"]
    with pytest.raises(ValueError, match="no outbox item 999"):
        rules_cli.outbox_retry(store, [999])
    store.close()


def test_outbox_retry_and_discard_say_which_items_they_left_alone(tmp_path):
    """`sestui outbox retry 1` on a delivered item said only "retry=0" (found in the ops trial)."""
    store = Store(tmp_path / "events.db")
    sql.attach(store, None)
    sql.enqueue(store.conn, [sql.item("r", 0, "webhook", {"url": "http://x"}, {"n": i}, (f"m{i}",)) for i in (1, 2)])
    [done, dead] = sorted(r["id"] for r in sql.list_items(store.conn))
    store.conn.execute("UPDATE outbox SET state = 'done' WHERE id = ?", (done,))
    store.conn.execute("UPDATE outbox SET state = 'dead' WHERE id = ?", (dead,))
    assert rules_cli.outbox_retry(store, [done, dead]) == \
        f"retry=1 (due now; the collector's deliverer runs them); left as they are: {done} is done"
    assert rules_cli.outbox_discard(store, [done]) == f"discarded=0; left as they are: {done} is done"
    assert sql.get(store.conn, done)["state"] == "done"
    store.close()


def test_overview_for_the_actions_pane(settings, tmp_path):
    config, store = wired_with_a_bounce(settings, tmp_path)
    view = rules_cli.overview(config, store)
    assert view["rules"][0] == {"name": "feedback-to-app", "mode": "on", "origin": "[[rules]]", "hits_24h": 1,
                                "actions": ["POST to http://127.0.0.1:8765/ses"]}
    assert view["counts"] == {"pending": 1}
    assert [(i["state"], i["recipient"]) for i in view["items"]] == [("pending", "gone@example.net")]
    store.close()


def test_overview_shows_the_latest_delivered_items_after_those_that_need_a_look(settings, tmp_path):
    config, store = wired_with_a_bounce(settings, tmp_path)
    body = (RECORDS / "event-complaint.json").read_text()
    store.add([(body, parse_body(body))])
    with store._lock:
        first, second = sorted(i["id"] for i in sql.list_items(store.conn, ("pending",)))
        sql.claim(store.conn, now=sql.now_ms(), lease_ms=60_000)
        sql.finish(store.conn, first, "done")
        sql.finish(store.conn, second, "dead", error="HTTP 410")
    view = rules_cli.overview(config, store)
    assert [(i["id"], i["state"]) for i in view["items"]] == [(second, "dead"), (first, "done")]
    assert [i["id"] for i in rules_cli.overview(config, store, recent_done=0)["items"]] == [second]
    store.close()


def test_rules_list_names_the_set_a_guard_pauses():
    """The demo's guard pauses `marketing`: the list said "pause sending for configuration set of
    the event", and a guard has no event."""
    config = routing.load({"guards": [{"name": "marketing-complaints", "metric": "complaint_rate", "source": "local",
                                       "configuration_set": "marketing", "pause": {"level": 0.03, "do": [
                                           {"action": "pause_sending"}]}}],
                           "rules": [{"name": "stop", "when": {"event_types": ["complaint"]},
                                      "do": [{"action": "pause_sending"}]}]})
    text = "\n".join(rules_cli.list_rules(config, None))
    assert "pause at 3.00%: pause sending for configuration set marketing" in text
    assert "do pause sending for the event's configuration set" in text
    assert "of the event" not in text
