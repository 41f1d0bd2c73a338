"""The PostgreSQL write path's shortcut (COPY with no conflict handling for the rows of messages it
does not hold yet) against a database where that assumption is broken: still each event once."""

from __future__ import annotations

import pytest

from sestui.core.events import parse_body
from sestui.store import AddResult
from sestui.store.postgres import PostgresStore
from test_store import event_keys, synthetic_delivery


@pytest.mark.parametrize("mode", ["copy", "pipeline"])
def test_events_whose_message_row_was_deleted_by_hand_are_not_stored_twice(pg_url, mode):
    bodies = [synthetic_delivery(i) for i in range(5)]
    with PostgresStore(pg_url, write_mode=mode) as s:
        assert s.add([(b, parse_body(b)) for b in bodies]) == AddResult(5, 0, 0)
        s._write("DELETE FROM messages")  # the events stay: a store the fast path cannot trust
        assert s.add([(b, parse_body(b)) for b in bodies + [synthetic_delivery(9)]]) == AddResult(1, 5, 0)
        keys = event_keys(s)
        assert len(keys) == len(set(keys)) == 6
        assert s.count("records") == 6 and s.count("messages") == 6


def test_a_batch_repeating_an_event_and_a_stored_messages_new_event_stores_each_once(pg_url):
    first = synthetic_delivery(1)
    with PostgresStore(pg_url) as s:
        assert s.add([(first, parse_body(first))]) == AddResult(1, 0, 0)
        batch = [synthetic_delivery(2), synthetic_delivery(2), first, synthetic_delivery(3)]
        assert s.add([(b, parse_body(b)) for b in batch]) == AddResult(2, 2, 0)
        assert len(event_keys(s)) == 3 and s.count("records") == 3


def test_a_server_on_this_machine_counts_as_a_core_the_writing_takes(pg_url):
    with PostgresStore(pg_url) as s:  # the test server listens on a unix socket
        assert s.writing_cores == 2
        s.url = "postgresql://u@db.example.com/sestui"
        del s.__dict__["writing_cores"]
        assert s.writing_cores == 1
