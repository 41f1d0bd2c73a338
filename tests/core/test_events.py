"""The pure parser: SQS body -> normalized SES events, or a quarantine reason (never an exception)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from fixtures import ENVELOPES, JUNK, RECORD_NAMES, fixture_text, raw_delivery, record, same_mail, sns_envelope
from sestui.core.events import DETAIL_FIELDS, EVENT_TYPES, parse_body


def utc(y, mo, d, h, mi, s, ms=0) -> datetime:
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=timezone.utc)


def expect(message_id, event_type, recipient, timestamp, **details) -> dict:
    """A full normalized event: every detail field not named is expected to be None."""
    unknown = set(details) - set(DETAIL_FIELDS)
    assert not unknown, unknown
    return {"message_id": message_id, "event_type": event_type, "recipient": recipient,
            "timestamp": timestamp, **{name: details.get(name) for name in DETAIL_FIELDS}}


def as_dicts(parsed) -> list[dict]:
    assert parsed.reason is None, parsed.reason
    return [dataclasses.asdict(ev) for ev in parsed.events]


M_RECEIPT = "0100018f7a3c5e21-4d2b9c6e-8f1a-4b7d-9e3c-2a5f6b8c1d4e-000000"
M_NEWSLETTER = "0100018f7a3d1177-b6a2c4e8-1f3d-4a5b-8c7e-9d0f1a2b3c4d-000000"
RECEIPT = dict(subject="Your receipt #1042", source="Billing <billing@shop.example.com>",
               configuration_set="sestui-events")
NEWSLETTER = dict(source="News <news@shop.example.com>", subject="May newsletter", configuration_set="sestui-events")
IDENTITY_MAIL = dict(source="john@shop.example.com")  # identity notifications: no tags, so no configuration set

EXPECTED: dict[str, list[dict]] = {
    "event-send": [expect(M_RECEIPT, "send", "ana@example.org", utc(2024, 5, 14, 9, 30, 0, 120), **RECEIPT)],
    "event-delivery": [expect(M_RECEIPT, "delivery", "ana@example.org", utc(2024, 5, 14, 9, 30, 1, 845), **RECEIPT)],
    "event-open": [expect(
        M_RECEIPT, "open", "ana@example.org", utc(2024, 5, 14, 10, 2, 17, 3), ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        **RECEIPT)],
    "event-click": [expect(
        M_RECEIPT, "click", "ana@example.org", utc(2024, 5, 14, 10, 2, 31, 250), ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        link="https://shop.example.com/orders/1042?utm_source=receipt", **RECEIPT)],
    # Partial bounce: two destinations, one bounced; only the bounced one gets an event.
    "event-bounce": [expect(
        M_NEWSLETTER, "bounce", "gone@example.net", utc(2024, 5, 14, 11, 15, 42, 669), bounce_type="Permanent",
        bounce_subtype="General", diagnostic_code="smtp; 550 5.1.1 user unknown", bounce_class="no_such_user",
        **NEWSLETTER)],
    "notification-bounce-same-as-event": [expect(
        M_NEWSLETTER, "bounce", "gone@example.net", utc(2024, 5, 14, 11, 15, 42, 669), bounce_type="Permanent",
        bounce_subtype="General", diagnostic_code="smtp; 550 5.1.1 user unknown", bounce_class="no_such_user",
        source="News <news@shop.example.com>")],
    "event-complaint": [expect(
        "0100018f7a6e0f44-77c1d2e3-5a6b-4c7d-8e9f-a0b1c2d3e4f5-000000", "complaint", "cy@example.com",
        utc(2024, 5, 15, 7, 45, 12, 100), complaint_feedback_type="abuse", user_agent="Yahoo!-Mail-Feedback/2.0",
        subject="Flash sale", source="News <news@shop.example.com>", configuration_set="sestui-events")],
    "event-reject": [expect(
        "0100018f7ab12c55-9e8d7c6b-5a4f-4e3d-b2c1-0f9e8d7c6b5a-000000", "reject", "dee@example.org",
        utc(2024, 5, 14, 13, 20, 9, 211), reject_reason="Bad content", subject="Invoice attached",
        source="billing@shop.example.com", configuration_set="sestui-events")],
    "event-rendering-failure": [expect(
        "0100018f7ad81e66-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-000000", "rendering_failure", "eve@example.org",
        utc(2024, 5, 14, 14, 0, 6, 197), error_message="Attribute 'firstName' is not present in the rendering data.",
        source="hello@shop.example.com", configuration_set="sestui-events")],
    "event-delivery-delay": [expect(
        "0100018f7b1a2f77-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-000000", "delivery_delay", "fay@example.net",
        utc(2024, 5, 14, 15, 25, 40, 95), delay_type="TransientCommunicationFailure",
        diagnostic_code="smtp; 421 4.4.1 Unable to connect to remote host", source="hello@shop.example.com",
        configuration_set="sestui-events")],
    "event-subscription": [expect(
        "0100018f7b8c3088-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-000000", "subscription", "gus@example.com",
        utc(2024, 5, 14, 16, 3, 17, 910), subject="Weekly digest", source="news@shop.example.com",
        configuration_set="sestui-events")],
    # Three destinations, two bounced, each with its own diagnostic.
    "notification-bounce": [
        expect("0100018f8051a0aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000", "bounce", "jane@example.com",
               utc(2024, 5, 16, 8, 59, 38, 237), bounce_type="Permanent", bounce_subtype="General",
               diagnostic_code="smtp; 550 5.1.1 <jane@example.com>... User unknown", subject="Hello",
               bounce_class="no_such_user", **IDENTITY_MAIL),
        expect("0100018f8051a0aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000", "bounce", "richard@example.com",
               utc(2024, 5, 16, 8, 59, 38, 237), bounce_type="Permanent", bounce_subtype="General",
               diagnostic_code="smtp; 552 5.2.2 Mailbox full", subject="Hello", bounce_class="mailbox_full",
               **IDENTITY_MAIL),
    ],
    "notification-complaint": [expect(
        "0100018f805c1d22-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000", "complaint", "richard@example.com",
        utc(2024, 5, 16, 9, 30, 1, 237), complaint_feedback_type="abuse", user_agent="AnyCompany Feedback Loop (V0.01)",
        subject="Spring offers", **IDENTITY_MAIL)],
    "notification-delivery": [
        expect("0100018f80899f33-9a483358-9170-4cb4-a269-f5dcdf415321-000000", "delivery", addr,
               utc(2024, 5, 16, 10, 0, 39, 101), subject="Your order shipped", **IDENTITY_MAIL)
        for addr in ("jane@example.com", "mary@example.com")
    ],
    # Optional fields missing: no headers, no tags, no diagnosticCode, timestamps without milliseconds.
    "minimal-bounce": [expect(
        "0100018f84b1b0b0-aaaabbbb-cccc-dddd-eeee-ffff00001111-000000", "bounce", "hal@example.com",
        utc(2024, 5, 17, 6, 0, 5), bounce_type="Transient", bounce_subtype="MailboxFull", bounce_class="mailbox_full",
        **IDENTITY_MAIL)],
    "minimal-delivery": [expect(
        "0100018f84bb0f0f-12121212-3434-5656-7878-909090909090-000000", "delivery", "ida@example.com",
        utc(2024, 5, 17, 6, 10, 2))],
}

HOSTILE_RECIPIENT = "[b]x[/b]\u202egro.elpmaxe@naj"
EXPECTED["hostile-bounce"] = [expect(
    "0100018f89c0aaaa-deadbeef-0000-1111-2222-333344445555-000000", "bounce", HOSTILE_RECIPIENT,
    utc(2024, 5, 18, 0, 0, 0, 1), bounce_type="Permanent", bounce_subtype="[red]Suppressed[/red]",
    diagnostic_code=("smtp; 550 [link=http://e]x[/link] \x1b[2J\x1b[31mcleared\x1b[0m "
                     "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"),
    subject=("[bold]x[/] \x1b[31mred\x1b[0m \u202eevil\u202c zero\u200bwidth\u200d\ufeff caf\u00e9 "
             "\u65e5\u672c\u8a9e \U0001f4e7\U0001f44d\U0001f3fd \\[escaped]"),
    source='"[bold]Evil[/]" <evil@shop.example.com>', configuration_set="[on red]set[/]", bounce_class="blocked")]


def test_every_record_fixture_has_an_expectation():
    assert sorted(EXPECTED) == RECORD_NAMES


def test_fixtures_cover_every_event_type_in_both_record_styles():
    records = [record(n) for n in RECORD_NAMES]
    assert {r["eventType"] for r in records if "eventType" in r} == {
        "Send", "Reject", "Bounce", "Complaint", "Delivery", "Open", "Click", "Rendering Failure", "DeliveryDelay",
        "Subscription"}
    assert {r["notificationType"] for r in records if "notificationType" in r} == {"Bounce", "Complaint", "Delivery"}
    assert {ev["event_type"] for evs in EXPECTED.values() for ev in evs} == set(EVENT_TYPES)


@pytest.mark.parametrize("envelope", ENVELOPES)
@pytest.mark.parametrize("name", RECORD_NAMES)
def test_record_parses_to_the_expected_events_in_every_envelope(name, envelope):
    parsed = parse_body(ENVELOPES[envelope](record(name)))
    assert as_dicts(parsed) == EXPECTED[name]


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_timestamps_are_timezone_aware_utc(name):
    for ev in parse_body(raw_delivery(record(name))).events:
        assert ev.timestamp.tzinfo is not None
        assert ev.timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize("envelope", ENVELOPES)
def test_parsed_record_is_the_ses_record_json(envelope):
    rec = record("event-bounce")
    parsed = parse_body(ENVELOPES[envelope](rec))
    assert json.loads(parsed.record) == rec
    assert parsed.event_type == "bounce"


def test_sns_string_message_is_kept_byte_for_byte_as_the_record():
    body = sns_envelope(record("hostile-bounce"))
    assert parse_body(body).record == json.loads(body)["Message"]


def test_documented_sns_envelope_files_parse():
    delivery = parse_body(fixture_text("sns-envelope-delivery.json"))
    assert as_dicts(delivery) == EXPECTED["minimal-delivery"]
    emulated = parse_body(fixture_text("sns-envelope-message-object.json"))
    assert [(e.event_type, e.recipient, e.diagnostic_code) for e in emulated.events] == [
        ("bounce", "bounce@simulator.amazonses.com", "smtp; 550 5.1.1 user unknown")]


def test_body_encoded_as_a_json_string_once_more_is_unwrapped():
    inner = raw_delivery(record("event-send"))
    parsed = parse_body(json.dumps(inner))
    assert as_dicts(parsed) == EXPECTED["event-send"]
    assert parsed.record == inner


def test_white_space_around_a_body_is_accepted():
    assert as_dicts(parse_body("\n  " + raw_delivery(record("event-send")) + " \r\n")) == EXPECTED["event-send"]


def test_bytes_body_is_decoded_as_utf8():
    assert as_dicts(parse_body(sns_envelope(record("hostile-bounce")).encode("utf-8"))) == EXPECTED["hostile-bounce"]


def test_mail_object_carries_destinations_tags_and_configuration_set():
    mail = parse_body(sns_envelope(record("event-bounce"))).mail
    assert mail.message_id == M_NEWSLETTER
    assert mail.destinations == ["gone@example.net", "bo@example.org"]
    assert mail.timestamp == utc(2024, 5, 14, 11, 15, 40, 12)
    assert mail.configuration_set == "sestui-events"
    assert mail.tags["ses:from-domain"] == ["shop.example.com"]


def test_odd_tag_values_are_normalized_to_lists_of_strings():
    rec = record("event-send")
    rec["mail"]["tags"].update({"campaign": "spring", "n": [1, "x"], "ses:configuration-set": ["set-a", "set-b"]})
    mail = parse_body(raw_delivery(rec)).mail
    assert (mail.tags["campaign"], mail.tags["n"], mail.configuration_set) == (["spring"], ["x"], "set-a")
    assert mail.tags["ses:from-domain"] == ["shop.example.com"]


def test_identity_notification_has_no_configuration_set():
    mail = parse_body(raw_delivery(record("notification-bounce"))).mail
    assert mail.configuration_set is None and mail.tags == {}


# --- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2024-05-14T09:30:00.120Z", utc(2024, 5, 14, 9, 30, 0, 120)),
    ("2024-05-14T09:30:00Z", utc(2024, 5, 14, 9, 30, 0)),
    ("2024-05-14T11:30:00.120+02:00", utc(2024, 5, 14, 9, 30, 0, 120)),
    ("2024-05-14T09:30:00.123999Z", utc(2024, 5, 14, 9, 30, 0, 123)),  # truncated to SES's milliseconds
    ("2024-05-14T09:30:00.5Z", utc(2024, 5, 14, 9, 30, 0, 500)),
    ("2024-05-14T09:30:00", utc(2024, 5, 14, 9, 30, 0)),  # no zone: SES times are UTC
])
def test_event_timestamp_forms(text, expected):
    rec = record("minimal-delivery")
    rec["delivery"]["timestamp"] = text
    (event,) = parse_body(raw_delivery(rec)).events
    assert event.timestamp == expected
    assert event.timestamp.utcoffset() == timedelta(0)


def test_event_without_its_own_timestamp_falls_back_to_mail_timestamp():
    rec = record("event-open")
    del rec["open"]["timestamp"]
    (event,) = parse_body(raw_delivery(rec)).events
    assert event.timestamp == utc(2024, 5, 14, 9, 30, 0, 120)


# --- recipients ---------------------------------------------------------------------------------


def test_multi_recipient_send_gives_one_event_per_destination_without_repeats():
    rec = same_mail(record("event-send"), "Send", {})
    rec["mail"]["destination"] = ["a@example.com", "b@example.com", "a@example.com", "", 7]
    events = parse_body(raw_delivery(rec)).events
    assert [(e.event_type, e.recipient) for e in events] == [("send", "a@example.com"), ("send", "b@example.com")]


def test_bounce_entries_without_an_address_are_skipped():
    rec = record("notification-bounce")
    rec["bounce"]["bouncedRecipients"].insert(0, {"status": "5.0.0"})
    rec["bounce"]["bouncedRecipients"].append("not-an-object")
    assert [e.recipient for e in parse_body(raw_delivery(rec)).events] == ["jane@example.com", "richard@example.com"]


def test_rendering_failure_name_without_space_is_accepted():
    rec = record("event-rendering-failure")
    rec["eventType"] = "RenderingFailure"
    assert as_dicts(parse_body(raw_delivery(rec))) == EXPECTED["event-rendering-failure"]


# --- junk: a reason, never an exception ---------------------------------------------------------


@pytest.mark.parametrize("body, meaning", [pytest.param(b, m, id=i) for i, b, m in JUNK])
def test_junk_is_refused_with_a_reason_that_says_why(body, meaning):
    parsed = parse_body(body)
    assert not parsed.ok and parsed.events == []
    assert meaning.lower() in parsed.reason.lower()
    assert len(parsed.reason) < 200  # one line for the quarantine view, not a dump of the input


@pytest.mark.parametrize("envelope", ENVELOPES)
def test_ses_test_notification_is_refused_in_every_envelope(envelope):
    test_record = json.loads(json.loads(fixture_text("junk/ses-identity-test-notification.json"))["Message"])
    assert "AmazonSnsSubscriptionSucceeded" in parse_body(ENVELOPES[envelope](test_record)).reason


def test_non_text_body_is_refused():
    assert "not text" in parse_body(12345).reason


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_no_mutation_of_a_record_makes_the_parser_raise(name):
    """Replace every value at every path of each record with values of the wrong type."""
    base = record(name)

    def paths(node, prefix=()):
        yield prefix
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            yield from paths(child, prefix + (key,))

    for path in list(paths(base))[1:]:
        for replacement in (None, 0, -1.5, True, "", "x", [], {}, [None], {"a": None}):
            mutated = json.loads(json.dumps(base))
            node = mutated
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = replacement
            parsed = parse_body(json.dumps(mutated))  # must not raise
            assert parsed.ok or parsed.reason


# --- hostile and unusual strings ----------------------------------------------------------------


@pytest.mark.parametrize("envelope", ENVELOPES)
def test_hostile_strings_are_preserved_exactly(envelope):
    (event,) = parse_body(ENVELOPES[envelope](record("hostile-bounce"))).events
    assert event.subject == EXPECTED["hostile-bounce"][0]["subject"]
    assert "\x1b[31m" in event.subject and "[bold]x[/]" in event.subject  # not stripped, not interpreted
    assert event.diagnostic_code.encode("utf-8") == EXPECTED["hostile-bounce"][0]["diagnostic_code"].encode("utf-8")
    assert event.recipient == HOSTILE_RECIPIENT


def test_very_long_strings_are_preserved():
    rec = record("event-bounce")
    rec["mail"]["commonHeaders"]["subject"] = "S\u00e9" * 50_000
    rec["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = "550 " + "x" * 200_000
    (event,) = parse_body(sns_envelope(rec)).events
    assert event.subject == "S\u00e9" * 50_000
    assert event.diagnostic_code == "550 " + "x" * 200_000


def test_lone_surrogate_escape_becomes_a_replacement_character():
    """A header cut inside an emoji escapes half a UTF-16 pair, which no UTF-8 text can hold."""
    rec = record("event-send")
    rec["mail"]["commonHeaders"]["subject"] = "cut here: @"
    body = json.dumps(rec).replace("cut here: @", "cut here: \\ud83d, whole: \\ud83d\\udce7")
    for candidate in (body, sns_envelope(json.loads(body))):
        (event,) = parse_body(candidate).events
        assert event.subject == "cut here: \ufffd, whole: \U0001f4e7"
        event.subject.encode("utf-8")  # encodable: SQLite and terminals accept it


def test_non_string_scalar_fields_become_text():
    rec = record("event-bounce")
    rec["bounce"]["bounceSubType"] = 42
    rec["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = {"code": 550}
    (event,) = parse_body(raw_delivery(rec)).events
    assert event.bounce_subtype == "42"
    assert json.loads(event.diagnostic_code) == {"code": 550}



@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30])
def test_an_integer_beyond_64_bits_keeps_every_digit(number):
    """orjson reads such a number as a float: 18446744073709551616 would become 1.8446744073709552e+19."""
    rec = record("event-bounce")
    rec["bounce"]["bounceSubType"] = number
    rec["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = {"code": number}
    for body in (raw_delivery(rec), sns_envelope(rec)):
        (event,) = parse_body(body).events
        assert event.bounce_subtype == str(number)
        assert json.loads(event.diagnostic_code) == {"code": number}


def test_an_integer_beyond_64_bits_written_with_escaped_digits_keeps_every_digit():
    """The parser looks for 19 digits in a row in the body before walking its values; in an SNS
    Message, a JSON string, a digit may be written as \\u0031: the envelope then holds no digit run."""
    number = 2**64
    rec = record("event-bounce")
    rec["bounce"]["bounceSubType"] = number
    body = sns_envelope(rec)
    escaped = "".join(f"\\u{ord(c):04x}" for c in str(number))
    assert body.count(str(number)) == 1
    twice = json.dumps(body).replace(str(number), escaped)  # the body JSON-encoded once more, escaped there
    body = body.replace(str(number), escaped)
    for text in (body, json.dumps(body), twice):
        (event,) = parse_body(text).events
        assert event.bounce_subtype == str(number)

# --- the optional signature hook ----------------------------------------------------------------


def test_verifier_refusal_quarantines_an_sns_envelope():
    seen = []

    def refuse(envelope):
        seen.append(envelope["Type"])
        return "SNS signature does not verify"

    parsed = parse_body(sns_envelope(record("event-send")), verify=refuse)
    assert parsed.reason == "SNS signature does not verify" and seen == ["Notification"]


def test_with_verification_on_a_raw_record_is_refused_without_asking_the_verifier():
    def refuse(envelope):
        raise AssertionError("raw records carry no signature to check")

    parsed = parse_body(raw_delivery(record("event-send")), verify=refuse)
    assert not parsed.ok and "signature cannot be verified" in parsed.reason
    assert parse_body(raw_delivery(record("event-send"))).ok, "without verification raw delivery is fine"


def test_verifier_accepting_keeps_the_events():
    assert as_dicts(parse_body(sns_envelope(record("event-send")), verify=lambda env: None)) == EXPECTED["event-send"]
