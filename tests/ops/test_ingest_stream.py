"""Ingest of big or broken files: JSON arrays are read item by item; a bad item is quarantined and
the rest follows; a break in the array stops with its byte offset after storing what came before;
a body larger than SQS allows is quarantined as too large without being read whole. And an event
dated far in the future is quarantined, not counted in the rates forever."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from fixtures import sns_envelope

from sestui import cli
from sestui.core.events import parse_body
from sestui.ops.bodies import (
    CHUNK,
    HEAD,
    MAX_BODY,
    BodyFileError,
    Oversized,
    iter_bodies,
)
from sestui.store import Store


def record(message_id: str) -> dict:
    return {"eventType": "Delivery",
            "mail": {"timestamp": "2026-03-01T12:00:00.000Z", "messageId": message_id, "source": "a@stream.test",
                     "destination": ["r@stream.test"]},
            "delivery": {"timestamp": "2026-03-01T12:00:01.000Z", "recipients": ["r@stream.test"]}}


def bodies(n: int, start: int = 0) -> list[str]:
    return [sns_envelope(record(f"0100stream-{i:06d}")) for i in range(start, start + n)]


@pytest.fixture
def ingest(tmp_path, isolated_environment, capsys):
    """`ingest(data) -> (status, stdout, stderr, store)` through `sestui ingest FILE`."""
    def run(data: bytes):
        path = tmp_path / "in.json"
        path.write_bytes(data)
        status = cli.main(["ingest", "--db", str(tmp_path / "events.db"), str(path)])
        out = capsys.readouterr()
        return status, out.out, out.err, Store(tmp_path / "events.db")
    return run


def test_a_bad_item_near_the_start_is_quarantined_and_the_rest_is_stored(ingest):
    good = bodies(50)
    bad = '{"Type": "Notification", "Message": [1, 2,, 3]}'
    data = ("[" + ",\n".join([good[0], bad] + good[1:]) + "]").encode()
    status, out, err, store = ingest(data)
    with store:
        assert status == 0, err
        assert store.count("messages") == 50
        assert [q["body"] for q in store.quarantined()] == [bad]
        assert "quarantined=1" in out


def test_the_array_is_read_item_by_item_not_to_the_end():
    items = bodies(3) + ['{"broken": }'] + bodies(4000, 3)
    data = ("[" + ",".join(items) + "]").encode()
    assert len(data) > 3 * CHUNK
    f = io.BytesIO(data)
    it = iter_bodies(f)
    first = [next(it) for _ in range(5)]
    assert first[3] == '{"broken": }' and parse_body(first[3]).reason
    assert f.tell() <= 2 * CHUNK, "read far beyond the items it yielded"


def test_a_syntax_error_stops_with_its_byte_offset_after_storing_what_came_before(ingest):
    good = bodies(3)
    head = "[" + ",".join(good) + ', "é" '  # a two-byte character: the offset counts bytes
    data = (head + '{"next": 1}]').encode()
    status, _, err, store = ingest(data)
    with store:
        assert status == 1
        assert f"at byte {len(head.encode())}" in err and "expected ',' or ']'" in err
        assert "everything before it was stored" in err and "Traceback" not in err
        assert store.count("messages") == 3
        assert store.quarantined()[0]["body"] == "é"  # the string item before the break


PEAK_OF_READING = """
import io, json, sys, tracemalloc
from sestui.ops.bodies import iter_bodies
huge = json.dumps({"Type": "Notification", "Message": "x" * (int(sys.argv[1]) - 40)})
data = ("[" + ",".join(['{"a": 1}', huge, '{"b": 2}']) + "]").encode()
del huge
tracemalloc.start()
for _ in iter_bodies(io.BytesIO(data)):
    pass
print(tracemalloc.get_traced_memory()[1])
"""


def test_an_item_larger_than_sqs_allows_is_quarantined_without_being_read_whole(ingest):
    huge = json.dumps({"Type": "Notification", "Message": "x" * (40 * MAX_BODY)})
    good = bodies(2)
    data = ("[" + ",".join([good[0], huge, good[1]]) + "]").encode()

    items = list(iter_bodies(io.BytesIO(data)))
    assert items[0] == good[0] and items[2] == good[1]
    assert items[1] == Oversized(huge[:HEAD], len(huge))
    # measured in a process of its own: tracemalloc counts every thread's allocations, and this
    # worker's sandbox and collectors from earlier tests may still be at work
    peak = int(subprocess.run([sys.executable, "-c", PEAK_OF_READING, str(len(huge))], check=True,
                              capture_output=True, text=True, timeout=120).stdout)
    assert peak < len(huge) / 4, "the big item was loaded whole"

    status, _, err, store = ingest(data)
    with store:
        assert status == 0, err
        assert store.count("messages") == 2
        (q,) = store.quarantined()
        assert q["body"] == huge[:HEAD] and q["reason"].startswith(f"body too large: {len(huge):,} characters")


def test_a_line_larger_than_sqs_allows_is_quarantined_and_the_next_lines_follow():
    good = [json.dumps(json.loads(b)) for b in bodies(2)]  # one body a line
    huge = json.dumps({"Message": "y" * (3 * MAX_BODY)})
    data = "\n".join([good[0], huge, good[1]]).encode() + b"\n"
    items = list(iter_bodies(io.BytesIO(data)))
    assert items == [good[0], Oversized(huge[:HEAD], len(huge)), good[1]]


def test_an_unclosed_item_at_the_end_names_where_it_starts():
    data = b'[{"a": 1}, {"b": [1, 2'
    it = iter_bodies(io.BytesIO(data))
    assert next(it) == '{"a": 1}'
    with pytest.raises(BodyFileError, match="item at byte 11 is not closed"):
        next(it)


def test_an_event_dated_in_the_far_future_is_quarantined_with_the_reason():
    rec = record("0100future")
    rec["mail"]["timestamp"] = "9999-12-31T23:59:59.000Z"
    rec["delivery"]["timestamp"] = "9999-12-31T23:59:59.000Z"
    parsed = parse_body(sns_envelope(rec))
    assert not parsed.ok
    assert parsed.reason == "timestamp '9999-12-31T23:59:59.000Z' is in the future (more than 1 day ahead of this " \
                            "machine's clock)"
    assert parse_body(sns_envelope(record("0100present"))).ok
