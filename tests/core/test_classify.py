"""The pure rules: per-recipient status, auto-replies by text and by shape, bounce classes, which
complaints are the recipient's."""

from __future__ import annotations

import pytest
from fixtures import record, sns_envelope

from sestui.core import classify
from sestui.core.classify import (
    bounce_class,
    complaint_counts,
    is_auto_reply_shape,
    is_auto_response,
    status_of,
)
from sestui.core.events import parse_body


def ooto_bounce() -> dict:
    """SES's real answer from an auto-responder: Transient/General, the entry is only an address,
    no reportingMTA (what the sandbox publishes for ooto@simulator)."""
    rec = record("event-bounce")
    bounce = rec["bounce"]
    bounce.update(bounceType="Transient", bounceSubType="General",
                  bouncedRecipients=[{"emailAddress": "gone@example.net"}])
    del bounce["reportingMTA"]
    return rec


# --- auto-replies -------------------------------------------------------------------------------


def test_the_auto_reply_shape_is_an_auto_reply_not_a_soft_bounce():
    (ev,) = parse_body(sns_envelope(ooto_bounce())).events
    assert ev.diagnostic_code is None
    assert ev.bounce_class == "auto_reply"
    assert status_of("bounce", ev.bounce_type, ev.diagnostic_code, ev.bounce_class) == "auto_reply"


@pytest.mark.parametrize("change", [
    {"bounceType": "Permanent"},
    {"bounceSubType": "MailboxFull"},
    {"reportingMTA": "dsn; mx.example.net"},
    {"bouncedRecipients": [{"emailAddress": "gone@example.net", "status": "4.0.0"}]},
    {"bouncedRecipients": [{"emailAddress": "gone@example.net", "action": "delayed"}]},
    {"bouncedRecipients": [{"emailAddress": "gone@example.net", "diagnosticCode": "smtp; 421 try later"}]},
], ids=["permanent", "mailbox-full", "reporting-mta", "status", "action", "diagnostic"])
def test_a_bounce_with_dsn_fields_is_not_the_auto_reply_shape(change):
    rec = ooto_bounce()
    rec["bounce"].update(change)
    (ev,) = parse_body(sns_envelope(rec)).events
    assert ev.bounce_class != "auto_reply"


def test_a_delivery_seen_for_the_recipient_outweighs_a_reporting_mta():
    bounce = {"bounceType": "Transient", "bounceSubType": "General", "reportingMTA": "dsn; mx.example.net"}
    entry = {"emailAddress": "a@example.com"}
    assert not is_auto_reply_shape(bounce, entry)
    assert is_auto_reply_shape(bounce, entry, delivered=True)
    assert not is_auto_reply_shape(bounce, {**entry, "status": "4.4.7"}, delivered=True)


@pytest.mark.parametrize("text", ["smtp; 250 Auto-Reply: I am away", "Out of the office until Monday",
                                  "autoresponder: vacation", "I am away from office"])
def test_the_diagnostic_text_rule_still_finds_auto_replies_that_carry_text(text):
    assert is_auto_response("Transient", text)
    assert bounce_class("Transient", "General", text) == "auto_reply"
    assert not is_auto_response("Permanent", text)


# --- bounce classes -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind, subtype, diagnostic, status, expected", [
    ("Permanent", "General", "smtp; 550 5.1.1 user unknown", "5.1.1", "no_such_user"),
    ("Permanent", "General", "smtp; 550 Recipient address rejected: no such user", None, "no_such_user"),
    ("Permanent", "NoEmail", None, None, "no_such_user"),
    ("Transient", "MailboxFull", None, None, "mailbox_full"),
    ("Permanent", "General", "smtp; 552 5.2.2 Mailbox full", None, "mailbox_full"),
    ("Transient", "General", "smtp; 452 4.2.2 The email account is over quota", None, "mailbox_full"),
    ("Permanent", "General", "smtp; 550 5.1.2 Host unknown: domain not found", None, "domain_not_found"),
    ("Permanent", "General", "Unrouteable address", None, "domain_not_found"),
    ("Permanent", "General", "smtp; 550 5.7.1 Message rejected as spam", None, "blocked"),
    ("Permanent", "General", "smtp; 554 Your IP is listed on a blocklist", None, "blocked"),
    ("Transient", "ContentRejected", None, None, "blocked"),
    ("Permanent", "General", "smtp; 550 5.7.26 Unauthenticated email from example.com is not accepted due"
                             " to domain's DMARC policy", None, "authentication"),
    ("Permanent", "General", "smtp; 550 5.7.1 SPF check failed", None, "authentication"),
    ("Permanent", "General", "smtp; 550 5.7.1 DKIM signature invalid", None, "authentication"),
    ("Permanent", "Suppressed", "Amazon SES has suppressed sending to this address", None, "suppressed"),
    ("Permanent", "OnAccountSuppressionList", None, None, "suppressed"),
    ("Transient", "MessageTooLarge", None, None, "message_too_large"),
    ("Undetermined", "Undetermined", None, None, "undetermined"),
    ("Transient", "General", "smtp; 421 try again later", None, "other"),
])
def test_bounce_classes(kind, subtype, diagnostic, status, expected):
    assert bounce_class(kind, subtype, diagnostic, status) == expected
    assert expected in classify.BOUNCE_CLASSES


def test_the_entry_status_classifies_a_bounce_without_text():
    rec = record("event-bounce")
    rec["bounce"]["bouncedRecipients"] = [{"emailAddress": "gone@example.net", "action": "failed",
                                           "status": "5.2.2"}]
    (ev,) = parse_body(sns_envelope(rec)).events
    assert ev.bounce_class == "mailbox_full"


def test_only_bounces_have_a_class():
    assert {ev.bounce_class for name in ("event-send", "event-delivery", "event-complaint")
            for ev in parse_body(sns_envelope(record(name))).events} == {None}


# --- complaints ---------------------------------------------------------------------------------


def test_complaint_sub_type_is_parsed():
    rec = record("event-complaint")
    rec["complaint"]["complaintSubType"] = "OnAccountSuppressionList"
    (ev,) = parse_body(sns_envelope(rec)).events
    assert ev.complaint_sub_type == "OnAccountSuppressionList"
    (plain,) = parse_body(sns_envelope(record("event-complaint"))).events
    assert plain.complaint_sub_type is None


@pytest.mark.parametrize("sub_type, feedback, counts", [
    (None, "abuse", True),
    (None, None, True),
    ("OnAccountSuppressionList", "abuse", False),
    (None, "not-spam", False),
    (None, "NOT-SPAM", False),
])
def test_which_complaints_are_the_recipients(sub_type, feedback, counts):
    assert complaint_counts(sub_type, feedback) is counts
    assert status_of("complaint", None, complaint_sub_type=sub_type,
                     complaint_feedback_type=feedback) == ("complained" if counts else None)


def test_status_rank_orders_outcomes():
    rank = classify.STATUS_RANK
    assert rank["complained"] > rank["hard_bounce"] > rank["soft_bounce"] > rank["delivered"] > rank["sent"]
    assert rank["auto_reply"] == rank["delivered"]
