"""Learning of new events: a notification where the store has one, polling where it has not.

A PostgreSQL store (`PostgresStore`) has `listen()` and `wait_for_events(timeout)`: the writer sends
NOTIFY in the transaction that stores new events, so a console wakes the moment they are
committed and does no work while nothing arrives. The SQLite store has no such channel between
processes; there `wait_for_new_events` falls back to asking `flow_count(after_id=...)` every `poll_s`.

A console uses `EventWatch` (a thread calling back on each announcement, falling back to the
console's own polling when LISTEN is refused). A loop of one's own:

    store.listen() if hasattr(store, "listen") else None   # before the first read
    last = newest id shown
    while running:
        if wait_for_new_events(store, after_id=last, timeout=1.0):
            rows = store.flow_page(after_id=last); last = rows[-1]["id"] ...
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sestui.core.fmt import first_line

log = logging.getLogger("sestui.watch")


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


class EventWatch:
    """A thread that calls `on_new()` whenever the store announces newly stored events.

    `start()` is False for a store without notifications (SQLite): the caller keeps polling.
    If the first LISTEN fails (a pooler in transaction mode forbids it), `on_fallback(reason)` is
    called once and the thread ends: the caller keeps polling. Later failures (the server gone)
    are retried quietly: the caller's own reads fail and say so meanwhile."""

    def __init__(self, store: Any, on_new: Callable[[], None], on_fallback: Callable[[str], None], *,
                 on_listening: Callable[[], None] | None = None, wait_s: float = 1.0):
        self.store = store
        self.on_listening = on_listening
        self.on_new = on_new
        self.on_fallback = on_fallback
        self.wait_s = wait_s
        self.fallback: str | None = None  # why it polls instead, once the LISTEN failed
        self.listening = threading.Event()  # set once LISTEN took effect
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if getattr(self.store, "listen", None) is None or getattr(self.store, "wait_for_events", None) is None:
            return False
        self._thread = threading.Thread(target=self._run, name="sestui-event-watch", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.wait_s + 2)

    def _run(self) -> None:
        try:
            self.store.listen()
        except Exception as exc:  # psycopg's or the store's: either way, one line and polling
            self.fallback = first_line(exc)
            log.warning("no notifications of new events (%s): polling instead", self.fallback)
            self.on_fallback(self.fallback)
            return
        self.listening.set()
        if self.on_listening is not None:  # what was stored before LISTEN took effect is read now
            self.on_listening()
        while not self._stop.is_set():
            try:
                got = self.store.wait_for_events(self.wait_s)
            except Exception as exc:
                log.debug("waiting for notifications failed (retrying): %s", exc)
                self._stop.wait(self.wait_s)
                continue
            if got and not self._stop.is_set():
                self.on_new()
