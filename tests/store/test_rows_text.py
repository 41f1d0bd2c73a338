"""Rows: the JSON text of a message's destinations and tags is json.dumps's (ensure_ascii off),
however it is made (written directly, or kept per distinct tags within a batch)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from fixtures import record, sns_envelope
from sestui.core.events import Event, Mail, Parsed, parse_body
from sestui.store import Rows

ODD = ['a"b', "back\\slash", "a/b", "\x00\x01\x1f\x7f", "tab\tnl\nret\r\b\f", "\u2028\u2029\u0085", "\U0001f381 é",
       "</script>", "", " "]


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_destinations_and_tags_are_written_as_json_dumps_writes_them():
    rows = Rows(1)
    for i, text in enumerate(ODD + ODD):  # twice: the second time the tags' text is known
        rec = record("event-send")
        rec["mail"]["messageId"] = f"m-{i}"
        rec["mail"]["destination"] = [text or "r@x.test"] if i % 3 else [text or "r@x.test", "s@x.test"]
        rec["mail"]["tags"] = {"ses:configuration-set": ["cs"], text: [text], "campaign": ["may", text]}
        body = sns_envelope(rec)
        parsed = parse_body(body)
        assert parsed.ok, parsed.reason
        rows.add(body, parsed)
        message = rows.messages[-1]
        assert message[6] == _dumps(parsed.mail.destinations) and message[8] == _dumps(parsed.mail.tags)


def test_tags_that_orjson_writes_alike_each_get_their_own_text():
    """orjson writes NaN and infinities as null, and 1 and 1.0 apart: none may borrow another's text."""
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    rows = Rows(1)
    tags_seq = [{"a": [None]}, {"a": [float("nan")]}, {"a": [float("inf")]}, {"a": [None]}, {"a": [1]}, {"a": [1.0]},
                {"a": [True]}, {"a": ["x"]}, {"a": "x"}, {"a": [["x"]]}]
    for i, tags in enumerate(tags_seq):
        mail = Mail(f"m-{i}", when, None, None, ["r@x.test"], None, tags)
        rows.add("{}", Parsed([Event(f"m-{i}", "send", "r@x.test", when)], mail, "send", "{}"))
    assert [m[8] for m in rows.messages] == [_dumps(t) for t in tags_seq]
