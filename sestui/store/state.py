"""The SQLite store's operational state: collector heartbeats, account snapshots, send statistics,
the suppression list cache and the audit log. A part of store.sqlite.Store, kept apart to stay small."""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from sestui.store.base import (COLLECTOR_FIELDS, AccountSnapshotRow, AuditRow, CollectorStateRow, SendStatsRow,
                               SuppressionRow, now_ms)
from sestui.store.queries import like_escape


class StateQueries:
    """The backend-neutral methods are shared with the PostgreSQL store (store/postgres/state.py):
    `_p` is the backend's placeholder."""

    _p = "?"

    # Provided by the Store this is mixed into.
    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: raise NotImplementedError
    def _write(self, sql: str, params: Iterable[Any] = ()) -> None: raise NotImplementedError
    def _transaction(self) -> AbstractContextManager[None]: raise NotImplementedError
    conn: Any

    # -- collector, account and statistics state ------------------------------------------------

    def save_collector_state(self, collector_id: str, state: dict[str, Any]) -> None:
        cols = ("collector_id",) + COLLECTOR_FIELDS
        values = [collector_id] + [state.get(c) for c in COLLECTOR_FIELDS]
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLLECTOR_FIELDS)
        self._write(
            f"INSERT INTO collector_state ({', '.join(cols)}) VALUES ({', '.join([self._p] * len(cols))}) "
            f"ON CONFLICT (collector_id) DO UPDATE SET {updates}",
            values,
        )

    def collector_states(self, fresher_than_ms: int | None = None) -> list[CollectorStateRow]:
        """Collectors that reported, the most recent heartbeat first."""
        if fresher_than_ms is None:
            return self._query("SELECT * FROM collector_state ORDER BY heartbeat DESC")
        return self._query(f"SELECT * FROM collector_state WHERE heartbeat >= {self._p} ORDER BY heartbeat DESC",
                           (fresher_than_ms,))

    def save_account_snapshot(self, *, taken_ms: int, profile: str | None, region: str | None,
                              status: dict | None, error: str | None = None, keep: int = 1000) -> None:
        with self._transaction():
            self.conn.execute(
                "INSERT INTO account_snapshots (taken, profile, region, status, error) VALUES (?, ?, ?, ?, ?)",
                (taken_ms, profile, region, json.dumps(status) if status is not None else None, error),
            )
            self.conn.execute(
                "DELETE FROM account_snapshots WHERE id <= (SELECT max(id) FROM account_snapshots) - ?", (keep,)
            )

    def account_snapshot(self, *, ok_only: bool = False) -> AccountSnapshotRow | None:
        """The newest snapshot (with `status` decoded), or the newest successful one."""
        where = "WHERE error IS NULL " if ok_only else ""
        rows = self._query(f"SELECT * FROM account_snapshots {where}ORDER BY id DESC LIMIT 1")
        if not rows:
            return None
        row = rows[0]
        row["status"] = json.loads(row["status"]) if row["status"] else None
        return row

    def save_send_stats(self, points: Iterable[tuple[int, int, int, int, int]]) -> None:
        """(ts_ms, delivery_attempts, bounces, complaints, rejects) points; newer figures replace older."""
        with self._transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO send_stats (ts, delivery_attempts, bounces, complaints, rejects) "
                "VALUES (?, ?, ?, ?, ?)",
                list(points),
            )

    def send_stats(self, since_ms: int) -> list[SendStatsRow]:
        return self._query(f"SELECT * FROM send_stats WHERE ts >= {self._p} ORDER BY ts", (since_ms,))

    # -- suppression list cache and audit ------------------------------------------------------

    def replace_suppressions(self, entries: Iterable[tuple], fetched_ms: int) -> int:
        """Replace the cache with a full listing: (email, reason, last_update_ms) tuples."""
        rows = [(e, r, u, fetched_ms) for e, r, u in entries]
        with self._transaction():
            self.conn.execute("DELETE FROM suppressions")
            self.conn.executemany(
                "INSERT OR REPLACE INTO suppressions (email, reason, last_update, fetched) VALUES (?, ?, ?, ?)", rows
            )
        return len(rows)

    def cache_suppression(self, email: str, reason: str, last_update_ms: int | None, fetched_ms: int,
                          message_id: str | None = None, feedback_id: str | None = None) -> None:
        self._write(
            "INSERT INTO suppressions (email, reason, last_update, message_id, feedback_id, fetched) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET reason = excluded.reason, "
            "last_update = excluded.last_update, fetched = excluded.fetched, "
            "message_id = coalesce(excluded.message_id, suppressions.message_id), "
            "feedback_id = coalesce(excluded.feedback_id, suppressions.feedback_id)",
            (email, reason, last_update_ms, message_id, feedback_id, fetched_ms),
        )

    def suppressions_for(self, emails: Iterable[str]) -> list[SuppressionRow]:
        """Cached entries for these addresses (case-insensitive)."""
        emails = list(emails)
        if not emails:
            return []
        return self._query(f"SELECT * FROM suppressions WHERE email IN ({', '.join('?' * len(emails))})", emails)

    def uncache_suppression(self, email: str) -> None:
        self._write("DELETE FROM suppressions WHERE email = ?", (email,))

    def suppressions(self, text: str | None = None, limit: int = 10000) -> list[SuppressionRow]:
        if text:
            return self._query(
                "SELECT * FROM suppressions WHERE email LIKE ? ESCAPE '\\' ORDER BY last_update DESC, email LIMIT ?",
                (f"%{like_escape(text)}%", limit),
            )
        return self._query("SELECT * FROM suppressions ORDER BY last_update DESC, email LIMIT ?", (limit,))

    def add_audit(self, *, action: str, origin: str, outcome: str, email: str | None = None,
                  reason: str | None = None, actor: str | None = None, detail: str | None = None,
                  message_id: str | None = None, at_ms: int | None = None) -> None:
        self._write(
            "INSERT INTO audit (at, actor, origin, action, email, reason, outcome, detail, message_id) "
            f"VALUES ({', '.join([self._p] * 9)})",
            (at_ms if at_ms is not None else now_ms(), actor, origin, action, email, reason, outcome, detail,
             message_id),
        )

    def audit(self, limit: int = 500, email: str | None = None) -> list[AuditRow]:
        if email:
            return self._query("SELECT * FROM audit WHERE email = ? COLLATE NOCASE ORDER BY id DESC LIMIT ?",
                               (email, limit))
        return self._query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
