"""What the store keeps of the classification: bounce class and complaint subtype per event, auto-replies
filed as such, and complaints that are not the recipient's left out of rates and statuses."""

from __future__ import annotations

import copy

import pytest
from fixtures import record, same_mail, sns_envelope

from sestui.core.events import parse_body
from sestui.store import Store

M_COMPLAINT = "0100018f7a6e0f44-77c1d2e3-5a6b-4c7d-8e9f-a0b1c2d3e4f5-000000"
M_NEWSLETTER = "0100018f7a3d1177-b6a2c4e8-1f3d-4a5b-8c7e-9d0f1a2b3c4d-000000"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "events.db") as s:
        yield s


def add(store: Store, *bodies):
    return store.add([(body, parse_body(body)) for body in bodies])


def complaint(sub_type: str | None = None, feedback: str | None = "abuse", message_id: str = M_COMPLAINT) -> str:
    rec = record("event-complaint")
    rec["mail"]["messageId"] = message_id
    rec["complaint"]["complaintSubType"] = sub_type
    rec["complaint"]["complaintFeedbackType"] = feedback
    return sns_envelope(rec)


def ooto(delivered_first: bool = True) -> list[str]:
    bounce = record("event-bounce")
    bounce["bounce"].update(bounceType="Transient", bounceSubType="General",
                            bouncedRecipients=[{"emailAddress": "gone@example.net"}])
    del bounce["bounce"]["reportingMTA"]
    delivery = same_mail(bounce, "Delivery", {"timestamp": "2024-05-14T11:15:41.000Z",
                                              "recipients": ["gone@example.net"]})
    return [sns_envelope(delivery), sns_envelope(bounce)] if delivered_first else [sns_envelope(bounce)]


def test_complaint_sub_type_and_bounce_class_are_stored(store):
    add(store, complaint("OnAccountSuppressionList", message_id="m-suppressed"), sns_envelope(record("event-bounce")))
    rows = {r["event_type"]: r for r in store.iter_events()}
    assert rows["complaint"]["complaint_sub_type"] == "OnAccountSuppressionList"
    assert rows["bounce"]["bounce_class"] == "no_such_user" and rows["complaint"]["bounce_class"] is None


def test_on_account_suppression_list_and_not_spam_complaints_are_not_counted(store):
    add(store, complaint(), complaint("OnAccountSuppressionList", message_id="m-suppressed"),
        complaint(feedback="not-spam", message_id="m-not-spam"))
    assert store.count("events") == 3  # all stored
    assert store.counts_by_type(0) == {"complaint": 1}
    assert sum(store.hourly_counts(0)["complaint"].values()) == 1


@pytest.mark.parametrize("message_id, kind", [("m-suppressed", "sub_type"), ("m-not-spam", "feedback")])
def test_a_complaint_that_is_not_the_recipients_does_not_make_them_complained(store, message_id, kind):
    body = complaint("OnAccountSuppressionList", message_id=message_id) if kind == "sub_type" \
        else complaint(feedback="not-spam", message_id=message_id)
    send = same_mail(copy.deepcopy(record("event-complaint")), "Send", {})
    send["mail"]["messageId"] = message_id
    add(store, sns_envelope(send), body)
    assert [r["status"] for r in store.message(message_id)["recipients"]] == ["sent"]


def test_a_real_complaint_still_wins(store):
    add(store, complaint())
    assert [r["status"] for r in store.message(M_COMPLAINT)["recipients"]] == ["complained"]


@pytest.mark.parametrize("delivered_first", [True, False])
def test_the_auto_reply_shape_is_filed_as_an_auto_reply(store, delivered_first):
    add(store, *ooto(delivered_first))
    statuses = {r["recipient"]: r["status"] for r in store.message(M_NEWSLETTER)["recipients"]}
    assert statuses["gone@example.net"] == "auto_reply"  # not soft_bounce, whatever the order
    (bounce,) = store.bounces_for("gone@example.net", 0)
    assert bounce["bounce_class"] == "auto_reply"
