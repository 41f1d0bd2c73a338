"""Parsing a batch with one Memo (what sestui ingest does) gives what parsing each body alone gives,
and the shortcuts the parser takes for the usual body keep every digit of a big integer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from fixtures import ENVELOPES, RECORD_NAMES, record, sns_envelope
from sestui.core.events import Memo, parse_body
from sestui.core.values import _Reject


def _with(name: str, **mail) -> dict:
    rec = record(name)
    rec["mail"].update(mail)
    return rec


def test_one_memo_for_a_batch_gives_what_each_body_alone_gives():
    plain = {"ses:configuration-set": ["sestui-events"], "campaign": ["may"]}
    recs = [record(name) for name in RECORD_NAMES]
    recs += [
        _with("event-send", tags=plain),
        _with("event-delivery", tags=dict(plain)),  # equal tags, another object
        _with("event-send", tags={**plain, "campaign": "may"}),  # equal but for a str where a list belongs
        _with("event-send", tags={**plain, "campaign": ["may", 5, "june"]}),
        _with("event-send", tags=plain),
        _with("event-send", tags={"campaign": [1.0]}),
        _with("event-send", timestamp="2024-05-14T09:30:00.120Z"),
        _with("event-send", timestamp=" 2024-05-14T09:30:00.120Z"),
        _with("event-send", timestamp="not a time"),
        _with("event-send", timestamp="not a time"),  # refused each time, never kept
        _with("event-send", timestamp=12345),
        _with("event-send", timestamp=(datetime.now(timezone.utc) + timedelta(days=3)).isoformat()),
        _with("event-send", destination=["a@x.test", "a@x.test", "", "b@x.test"]),
        _with("event-send", destination="c@x.test"),
    ]
    bodies = [wrap(rec) for rec in recs for wrap in ENVELOPES.values()]
    memo = Memo()
    for body in bodies + bodies:  # the second time every timestamp and the tags are known
        assert parse_body(body, None, memo) == parse_body(body), body[:200]


def test_a_memo_refuses_a_time_beyond_a_day_ahead_and_keeps_no_refusal():
    memo = Memo()
    soon = (datetime.now(timezone.utc) + timedelta(hours=23)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(hours=25)).isoformat()
    assert memo.timestamp(soon) is memo.timestamp(soon)
    for _ in range(2):
        with pytest.raises(_Reject, match="in the future"):
            memo.timestamp(later)


def test_a_big_integer_in_the_envelope_keeps_every_digit():
    """The envelope's values are looked at, not its text: a number among them must still be exact."""
    body = sns_envelope(record("event-send")).replace('"Type" : "Notification"', f'"Type" : {2**64}')
    assert parse_body(body).reason == f"unknown SNS message type '{2**64}'"
    seen = []
    body = sns_envelope(record("event-send")).replace('"Subject" :', f'"Big" : {10**30},\n  "Subject" :')
    assert parse_body(body, lambda envelope: seen.append(envelope)).ok
    assert seen[0]["Big"] == 10**30 and type(seen[0]["Big"]) is int


@pytest.mark.parametrize("indent", [None, 1])
def test_a_big_integer_in_a_message_written_compactly_or_not_keeps_every_digit(indent):
    """A compact Message is known exact when orjson writes its value back as the same text; any other
    is looked at for 19 digits in a row."""
    rec = record("event-bounce")
    rec["bounce"]["bounceSubType"] = 2**64
    rec["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = 1e300  # a float is a float
    envelope = json.loads(sns_envelope(rec))
    if indent:
        envelope["Message"] = json.dumps(rec, indent=indent)
    (event,) = parse_body(json.dumps(envelope)).events
    assert event.bounce_subtype == str(2**64)
    assert event.diagnostic_code == "1e+300"
