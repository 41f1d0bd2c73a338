"""LISTEN/NOTIFY for the PostgreSQL store: consoles learn of new events without polling (issue 15)."""

from __future__ import annotations

import threading

import psycopg

from sestui.store.base import StoreError
from sestui.store.postgres import schema as pgschema
from sestui.core.fmt import first_line
from sestui.store.postgres.messages import connect_error

CONNECT_TIMEOUT_S = 10


class PgNotify:
    """The store's listening connection (one, opened on the first wait, closed by the store's close)."""

    url: str
    path: str
    _listener: psycopg.Connection | None
    _listen_lock: threading.Lock

    def listen(self) -> None:
        """Start listening (idempotent). Call it before reading the first page: what is stored
        after this call wakes `wait_for_events`, nothing can slip between the read and the wait."""
        with self._listen_lock:
            if self._listener is None:
                try:
                    conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
                except psycopg.Error as exc:
                    raise connect_error(exc, self.path) from exc
                try:
                    conn.execute(f"LISTEN {pgschema.NOTIFY_CHANNEL}")
                except psycopg.Error as exc:  # e.g. a pooler in transaction mode refuses it
                    conn.close()
                    raise StoreError(f"{self.path}: LISTEN refused ({first_line(exc)})") from exc
                self._listener = conn

    def wait_for_events(self, timeout: float) -> bool:
        """Block until another transaction stored new events (True) or `timeout` s pass (False)."""
        self.listen()
        with self._listen_lock:
            listener = self._listener
            if listener is None:  # closed meanwhile
                return False
            got = False
            try:
                for _ in listener.notifies(timeout=timeout, stop_after=1):
                    got = True
                # Drain what queued up behind it (one wake-up per wait): until a short wait finds
                # nothing, as one call may stop after what a single read of the socket returned.
                while got and any(True for _ in listener.notifies(timeout=0.01)):
                    pass
            except psycopg.OperationalError:
                # The connection broke (server restart): notifications may have been lost, so say
                # "look again"; the next wait listens on a new connection.
                listener.close()
                self._listener = None
                return True
            return got
