"""The policies act only on what classification says is the recipient's: no suppression for a complaint
SES made up for an already-suppressed address, for "not spam" feedback, or for an auto-reply's shape."""

from __future__ import annotations

import pytest
from fixtures import record, sns_envelope

from sestui.core.events import parse_body
from sestui.ops.policies import PolicyConfig, PolicyEngine
from sestui.store import Store


def events(store: Store, rec: dict):
    body = sns_envelope(rec)
    parsed = parse_body(body)
    store.add([(body, parsed)])
    return parsed.events


@pytest.mark.parametrize("sub_type, feedback, decided", [
    (None, "abuse", ["complaint"]),
    ("OnAccountSuppressionList", "abuse", []),
    (None, "not-spam", []),
])
def test_only_the_recipients_complaints_trigger_the_complaint_policy(store, sub_type, feedback, decided):
    rec = record("event-complaint")
    rec["complaint"].update(complaintSubType=sub_type, complaintFeedbackType=feedback)
    engine = PolicyEngine(PolicyConfig(complaint="on"), None, store)  # deciding needs no AWS
    assert [d.rule for d in engine.decide(events(store, rec))] == decided


def test_auto_replies_told_by_their_shape_do_not_count_as_soft_bounces(store):
    engine = PolicyEngine(PolicyConfig(soft_bounce="on", soft_bounce_count=2), None, store)
    decided = []
    for i in range(3):
        rec = record("event-bounce")
        rec["mail"]["messageId"] = f"ooto-{i}"
        rec["bounce"].update(bounceType="Transient", bounceSubType="General",
                             timestamp=f"2026-11-01T00:00:0{i}.000Z",  # in the past: far-future events are quarantined
                             bouncedRecipients=[{"emailAddress": "gone@example.net"}])
        del rec["bounce"]["reportingMTA"]
        decided += engine.decide(events(store, rec), now=1_793_491_260_000)
    assert decided == []
    assert len(store.bounces_for("gone@example.net", 0)) == 3  # stored, just not counted
