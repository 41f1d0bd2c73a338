"""Learning of new events: a notification where the store has one, polling where it has not.

A PostgreSQL store (`PostgresStore`) has `listen()` and `wait_for_events(timeout)`: the writer sends
NOTIFY in the transaction that stores new events, so a console wakes the moment they are
committed and does no work while nothing arrives. The SQLite store has no such channel between
processes; there `wait_for_new_events` falls back to asking `flow_count(after_id=...)` every `poll_s`.

A console loop:

    store.listen() if hasattr(store, "listen") else None   # before the first read
    last = newest id shown
    while running:
        if wait_for_new_events(store, after_id=last, timeout=1.0):
            rows = store.flow_page(after_id=last); last = rows[-1]["id"] ...
"""

from __future__ import annotations

import time


def wait_for_new_events(store, *, after_id: int, timeout: float, poll_s: float = 1.0) -> bool:
    """True once events newer than `after_id` are stored, False if `timeout` s pass first."""
    if store.flow_count(after_id=after_id) > 0:  # already there (stored before we listened)
        return True
    wait = getattr(store, "wait_for_events", None)
    if wait is not None:
        return wait(timeout)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(poll_s, remaining))
        if store.flow_count(after_id=after_id) > 0:
            return True
