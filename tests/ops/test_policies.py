"""Suppression policies and retention, against the sandbox's suppression list (through aws.py)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from console_data import envelope, record
from sestui.core.events import parse_body
from sestui.ops.policies import PolicyConfig, PolicyEngine
from sestui.store import Store, now_ms

_serial = itertools.count(1)


def address(tag: str) -> str:
    return f"{tag}-{next(_serial)}-{id(object())}@policy.example.com"


def arrive(store, kind: str, recipient: str, when: datetime | None = None, **extra):
    """Store one event as the collector would and return what was committed."""
    when = when or datetime.now(timezone.utc)
    n = next(_serial) + 10_000
    body = envelope(record(kind, n, recipient, when - timedelta(seconds=5), when, "policy test", **extra))
    parsed = parse_body(body)
    store.add([(body, parsed)])
    return [parsed]


def engine(store, sestui_aws, **modes) -> PolicyEngine:
    return PolicyEngine(PolicyConfig(**modes), sestui_aws, store)


def suppressed(sestui_aws, email) -> str | None:
    entry = sestui_aws.suppressions.get(email)
    return entry.reason if entry else None


def test_complaint_suppresses_at_once_with_an_audit_row(store, sestui_aws):
    email = address("complainer")
    decisions = engine(store, sestui_aws, complaint="on").apply(arrive(store, "Complaint", email))
    assert [d.rule for d in decisions] == ["complaint"]
    assert suppressed(sestui_aws, email) == "COMPLAINT"
    audit = store.audit(email=email)
    assert audit[0]["origin"] == "policy complaint" and audit[0]["outcome"] == "ok"
    assert audit[0]["message_id"] == decisions[0].message_id and audit[0]["actor"] == "sestui policy"


def test_permanent_bounce_suppresses_at_once(store, sestui_aws):
    email = address("gone")
    engine(store, sestui_aws, hard_bounce="on").apply(arrive(store, "Bounce", email))
    assert suppressed(sestui_aws, email) == "BOUNCE"


def test_soft_bounces_suppress_only_at_the_configured_count_within_the_window(store, sestui_aws):
    email = address("full")
    rules = engine(store, sestui_aws, soft_bounce="on", soft_bounce_count=3, soft_bounce_days=7)
    soft = {"bounce_type": "Transient", "bounce_subtype": "MailboxFull", "diag": "smtp; 452 4.2.2 mailbox full"}
    old = datetime.now(timezone.utc) - timedelta(days=10)
    arrive(store, "Bounce", email, when=old, **soft)  # outside the window: does not count
    for _ in range(2):
        assert rules.apply(arrive(store, "Bounce", email, **soft)) == []
    assert suppressed(sestui_aws, email) is None
    decisions = rules.apply(arrive(store, "Bounce", email, **soft))
    assert [d.rule for d in decisions] == ["soft_bounce"] and "3 soft bounces" in decisions[0].detail
    assert suppressed(sestui_aws, email) == "BOUNCE"


def test_auto_responses_never_count_as_soft_bounces(store, sestui_aws):
    email = address("holiday")
    rules = engine(store, sestui_aws, soft_bounce="on", soft_bounce_count=2)
    ooto = {"bounce_type": "Transient", "bounce_subtype": "General",
            "diag": "Auto-Reply: I am out of the office until Monday"}
    for _ in range(4):
        assert rules.apply(arrive(store, "Bounce", email, **ooto)) == []
    assert suppressed(sestui_aws, email) is None
    assert store.message(store.bounces_for(email, 0)[0]["message_id"])["recipients"][0]["status"] == "auto_reply"


def test_dry_run_only_records_what_it_would_do(store, sestui_aws):
    email = address("maybe")
    engine(store, sestui_aws, complaint="dry-run").apply(arrive(store, "Complaint", email))
    assert suppressed(sestui_aws, email) is None
    audit = store.audit(email=email)
    assert [(a["outcome"], a["reason"]) for a in audit] == [("dry-run", "COMPLAINT")]


def test_rules_that_are_off_do_nothing(store, sestui_aws):
    email = address("ignored")
    rules = engine(store, sestui_aws)
    assert not rules.active
    assert rules.apply(arrive(store, "Complaint", email) + arrive(store, "Bounce", email)) == []
    assert store.audit(email=email) == [] and suppressed(sestui_aws, email) is None


def test_simulator_and_already_listed_addresses_are_left_alone(store, sestui_aws):
    listed = address("listed")
    store.cache_suppression(listed, "BOUNCE", now_ms(), now_ms())
    rules = engine(store, sestui_aws, hard_bounce="on", complaint="on")
    assert rules.apply(arrive(store, "Bounce", "bounce@simulator.amazonses.com")) == []
    assert rules.apply(arrive(store, "Complaint", listed)) == []


def test_policy_config_refuses_unknown_settings_and_modes():
    assert PolicyConfig.from_table({"complaint": "on", "soft_bounce_count": 5}).soft_bounce_count == 5
    with pytest.raises(ValueError, match="no setting 'complaints'"):
        PolicyConfig.from_table({"complaints": "on"})
    with pytest.raises(ValueError, match="complaint must be one of off, dry-run, on"):
        PolicyConfig.from_table({"complaint": "yes"})
    with pytest.raises(ValueError, match="soft_bounce_days"):
        PolicyConfig.from_table({"soft_bounce_days": 0})
    config = PolicyConfig()
    assert [config.cycle("hard_bounce") for _ in range(3)] == ["dry-run", "on", "off"]


def test_prune_removes_old_rows_and_keeps_newer_ones(store):
    old = datetime.now(timezone.utc) - timedelta(days=40)
    arrive(store, "Delivery", "old@example.com", when=old)
    arrive(store, "Delivery", "new@example.com")
    store.add([("junk", parse_body("junk"))], received_ms=now_ms() - 41 * 86_400_000)
    store.add_audit(action="add", origin="cli", outcome="ok", email="old@example.com", at_ms=now_ms() - 50 * 86_400_000)
    removed = store.prune(now_ms() - 30 * 86_400_000)
    assert removed["events"] == 1 and removed["quarantine"] == 1 and removed["messages"] == 1
    assert [e["recipient"] for e in store.iter_events()] == ["new@example.com"]
    assert store.count("records") == 1 and store.count("messages") == 1
    assert len(store.audit()) == 1, "audit rows are the record of who changed what: kept"


def test_prune_command_needs_an_age_and_reports_counts(tmp_path):
    db = tmp_path / "cli.db"
    with Store(db) as s:
        arrive(s, "Delivery", "old@example.com", when=datetime.now(timezone.utc) - timedelta(days=3))
    cmd = [sys.executable, "-m", "sestui.cli", "prune", "--db", str(db)]
    env = {"SESTUI_CONFIG": str(tmp_path / "none.toml"), "PATH": "/usr/bin:/bin"}
    missing = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "--older-than" in missing.stderr and "Traceback" not in missing.stderr
    done = subprocess.run(cmd + ["--older-than", "2d", "--vacuum"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.startswith("events=1 ")


def test_a_redelivered_event_is_decided_on_once(store, sestui_aws):
    email = address("twice")
    rules = engine(store, sestui_aws, complaint="dry-run")
    body = envelope(record("Complaint", next(_serial) + 10_000, email, datetime.now(timezone.utc) - timedelta(seconds=5),
                           datetime.now(timezone.utc), "policy test"))
    for _ in range(3):  # delivered three times (SQS redelivery, or one collector each)
        parsed = parse_body(body)
        store.add([(body, parsed)])
        rules.apply([parsed])
    assert [(a["outcome"], a["origin"]) for a in store.audit(email=email)] == [("dry-run", "policy complaint")]


def test_an_address_the_operator_took_off_the_list_is_not_put_back_by_a_redelivered_bounce(store, sestui_aws):
    from sestui.ops import suppressions as service

    email = address("forgiven")
    rules = engine(store, sestui_aws, hard_bounce="on")
    body = envelope(record("Bounce", next(_serial) + 10_000, email, datetime.now(timezone.utc) - timedelta(seconds=5),
                           datetime.now(timezone.utc), "policy test"))
    parsed = parse_body(body)
    store.add([(body, parsed)])
    assert [d.rule for d in rules.apply([parsed])] == ["hard_bounce"] and suppressed(sestui_aws, email) == "BOUNCE"
    assert service.remove(sestui_aws, store, email, origin="console")
    store.add([(body, parse_body(body))])  # the same bounce, redelivered
    assert rules.apply([parse_body(body)]) == [] and suppressed(sestui_aws, email) is None
    # a new bounce of another message is a new decision
    assert [d.rule for d in rules.apply(arrive(store, "Bounce", email))] == ["hard_bounce"]
