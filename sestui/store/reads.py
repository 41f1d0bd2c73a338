"""Reads whose logic is the same on both backends (store/sqlite.py's Store and store/postgres/'s
PostgresStore): portable SQL with the backend's placeholder `_p`; each backend supplies its event
filter builder, its keyset condition and how it orders text by bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from sestui.store.base import EventRow, MessageRow, QuarantineRow
from sestui.store import queries
from sestui.store.queries import where_sql
from sestui.store.rows import EVENT_COLUMNS

EVENT_COLS = ", ".join(("id",) + EVENT_COLUMNS)
COUNTED_TABLES = ("events", "messages", "quarantine", "records")


class SharedReads:
    _p = "?"
    # "(ts, id) after the last row's": the condition and the row's columns its parameters are.
    _AFTER_KEY: tuple[str, tuple[str, ...]] = ("(ts > ? OR (ts = ? AND id > ?))", ("ts", "ts", "id"))
    _BYTE_ORDER = ""  # SQLite compares text by bytes already; PostgreSQL says COLLATE "C"
    _event_where: Callable[..., tuple[list[str], list[Any]]]

    @staticmethod
    def _portable(sql: str) -> str:
        """A statement of store/queries.py (`?` placeholders) as this backend takes it."""
        return sql

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: raise NotImplementedError

    def iter_events(self, *, event_type: str | None = None, message_id: str | None = None,
                    recipient: str | None = None, since_ms: int | None = None, until_ms: int | None = None,
                    batch: int = 5000) -> Iterator[EventRow]:
        """Events in timestamp order (ties by arrival), streamed in keyset pages."""
        where, params = self._event_where(event_type=event_type, message_id=message_id, recipient=recipient,
                                          since_ms=since_ms, until_ms=until_ms)
        after, keys = self._AFTER_KEY
        last: EventRow | None = None
        while True:
            clauses, page_params = list(where), list(params)
            if last is not None:
                clauses.append(after)
                page_params += [last[k] for k in keys]  # type: ignore[literal-required]
            rows = self._query(f"SELECT {EVENT_COLS} FROM events{where_sql(clauses)} ORDER BY ts, id"
                               f" LIMIT {int(batch)}", page_params)
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1]

    def counts_by_type(self, since_ms: int, until_ms: int | None = None) -> dict[str, int]:
        """Events per type in a window; complaints only where they are the recipient's (core.classify)."""
        sql, params = queries.counts_by_type(since_ms, until_ms)
        return {row["event_type"]: row["n"] for row in self._query(self._portable(sql), params) if row["n"]}

    def hourly_counts(self, since_ms: int) -> dict[str, dict[int, int]]:
        """event_type -> {hour (ms) -> count} since a time; bounces split into bounce_hard/bounce_soft."""
        out: dict[str, dict[int, int]] = {}
        for row in self._query(self._portable(queries.HOURLY_COUNTS), (since_ms,)):
            out.setdefault(row["kind"], {})[row["hour"]] = row["n"]
        return out

    def message(self, message_id: str, recipients: int | None = None) -> MessageRow | None:
        """A message, its recipients counted by status and listed (all of them, or the first
        `recipients`: a message to 10,000 is not read as 10,000 rows to show a line of them)."""
        p = self._p
        rows = self._query(f"SELECT * FROM messages WHERE message_id = {p}", (message_id,))
        if not rows:
            return None
        msg = rows[0]
        msg["destinations"] = json.loads(msg["destinations"]) if msg["destinations"] else []
        msg["tags"] = json.loads(msg["tags"]) if msg["tags"] else {}
        limit = "" if recipients is None else f" LIMIT {int(recipients)}"
        msg["recipients"] = self._query(f"SELECT recipient, status, ts FROM message_recipients WHERE message_id = {p}"
                                        f" ORDER BY recipient{self._BYTE_ORDER}{limit}", (message_id,))
        msg["statuses"] = {row["status"]: row["n"] for row in self._query(
            f"SELECT status, count(*) AS n FROM message_recipients WHERE message_id = {p} GROUP BY status",
            (message_id,))}
        msg["recipient_count"] = sum(msg["statuses"].values())
        return msg

    def recipients_suppressed(self, message_id: str) -> dict[str, str]:
        """The message's recipients on the local suppression cache: address (lower case) -> reason."""
        return {row["email"].lower(): row["reason"]
                for row in self._query(self._portable(queries.RECIPIENTS_SUPPRESSED), (message_id,))}

    def record(self, message_id: str, event_type: str, ts: int) -> str | None:
        p = self._p
        rows = self._query(f"SELECT body FROM records WHERE message_id = {p} AND event_type = {p} AND ts = {p}",
                           (message_id, event_type, ts))
        return rows[0]["body"] if rows else None

    def quarantined(self, limit: int = 100) -> list[QuarantineRow]:
        return self._query(f"SELECT * FROM quarantine ORDER BY id DESC LIMIT {self._p}", (limit,))

    def count(self, table: str) -> int:
        if table not in COUNTED_TABLES:
            raise ValueError(table)
        return self._query(f"SELECT count(*) AS n FROM {table}")[0]["n"]

    def oldest_event_ms(self) -> int | None:
        """When the oldest stored event happened (None: no events): where a window's history begins."""
        return self._query("SELECT min(ts) AS ts FROM events")[0]["ts"]


def by_configuration_set(rows: Iterable[dict]) -> dict[str | None, tuple[dict[str, int], int]]:
    """Rows of (cs, event_type, n, hard) -> configuration set -> (counts by event type, hard bounces)."""
    out: dict[str | None, tuple[dict[str, int], int]] = {}
    for row in rows:
        counts, hard = out.get(row["cs"], ({}, 0))
        counts[row["event_type"]] = row["n"]
        out[row["cs"]] = (counts, hard + (row["hard"] or 0))
    return out
