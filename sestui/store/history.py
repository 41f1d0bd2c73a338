"""Reading a store's history back in the shape its write path takes, for copying it to another store
(ops/migrate.py). Portable SQL, shared by both backends: `_p` is the backend's placeholder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MESSAGE_COLUMNS = ("message_id", "first_seen", "mail_ts", "last_event_ts", "source", "subject", "destinations",
                   "configuration_set", "tags")
RECIPIENT_COLUMNS = ("message_id", "recipient", "status", "rank", "ts")
RECORD_COLUMNS = ("message_id", "event_type", "ts", "body")

# The append-only tables without an identity, and the time column each is ordered by.
LOG_TABLES = {"quarantine": "received", "audit": "at"}


class HistoryQueries:
    _p = "?"

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: raise NotImplementedError

    def mail_rows(self, message_ids: list[str]) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """(records, messages, per-recipient statuses) of these messages, as tuples in Rows' column order."""
        out: tuple[list[tuple], list[tuple], list[tuple]] = ([], [], [])
        for part in range(0, len(message_ids), 500):
            chunk = message_ids[part:part + 500]
            ids = f"({', '.join([self._p] * len(chunk))})"
            for rows, table, cols, order in ((out[0], "records", RECORD_COLUMNS, " ORDER BY id"),
                                             (out[1], "messages", MESSAGE_COLUMNS, ""),
                                             (out[2], "message_recipients", RECIPIENT_COLUMNS, "")):
                rows += [tuple(r[c] for c in cols) for r in self._query(
                    f"SELECT {', '.join(cols)} FROM {table} WHERE message_id IN {ids}{order}", chunk)]
        return out

    def log_page(self, table: str, *, after: int | None, limit: int) -> list[dict]:
        """Rows of a LOG_TABLES table with a time after `after` (all when None), oldest first."""
        col = LOG_TABLES[table]
        where, params = ("", []) if after is None else (f" WHERE {col} > {self._p}", [after])
        return self._query(f"SELECT * FROM {table}{where} ORDER BY {col}, id LIMIT {self._p}", params + [limit])

    def log_between(self, table: str, lo: int, hi: int) -> list[dict]:
        """Rows of a LOG_TABLES table with a time in [lo, hi], oldest first."""
        col = LOG_TABLES[table]
        return self._query(f"SELECT * FROM {table} WHERE {col} >= {self._p} AND {col} <= {self._p}"
                           f" ORDER BY {col}, id", [lo, hi])
