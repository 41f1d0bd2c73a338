"""PostgresStore, continued: retention, collector/account/statistics state,
the suppression cache and the audit log. Same signatures and results as the SQLite store's (store/sqlite.py, store/state.py).

Ordering notes (to match SQLite): text is ordered with COLLATE "C" (SQLite compares bytes), and
`DESC` on a nullable column says NULLS LAST (SQLite puts NULL lowest).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import AbstractContextManager

import psycopg

from sestui.store.base import AuditRow, PruneCounts, SuppressionRow
from sestui.store.postgres import rollups as pgrollups
from sestui.store.postgres import schema as pgschema
from sestui.store.state import StateQueries


class PgStateMixin(StateQueries):
    """The PostgreSQL versions of what differs; the rest (collector state, account snapshots, send
    statistics, adding to the audit log) is store/state.py's, with `%s` placeholders."""

    _p = "%s"
    _partitions: set[str]

    # Provided by PostgresStore.
    def _conn(self) -> AbstractContextManager[psycopg.Connection]: raise NotImplementedError

    @staticmethod
    def _partition_list(conn: psycopg.Connection) -> dict[str, tuple[int, int]]: raise NotImplementedError

    # -- retention ----------------------------------------------------------------------------

    def prune(self, before_ms: int) -> PruneCounts:
        """As the SQLite store's prune; events go by whole partitions where a partition lies entirely before
        `before_ms` (DROP TABLE, no dead rows), by DELETE in the one partition it cuts."""
        with self._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (pgschema.PARTITION_LOCK,))
            # no write between the DELETEs and the roll-ups' recount of the hour the cut falls in
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (pgschema.EVENTS_WRITE_LOCK,))
            events = 0
            for name, (lo, hi) in sorted(self._partition_list(conn).items(), key=lambda kv: kv[1]):
                if hi <= before_ms:
                    row = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
                    events += row[0] if row else 0
                    conn.execute(f"DROP TABLE {name}")
                    self._partitions.discard(name)
                elif lo < before_ms:
                    events += conn.execute(f"DELETE FROM {name} WHERE ts < %s", (before_ms,)).rowcount
            records = conn.execute("DELETE FROM records WHERE ts < %s", (before_ms,)).rowcount
            quarantine = conn.execute("DELETE FROM quarantine WHERE received < %s", (before_ms,)).rowcount
            messages = conn.execute(
                "DELETE FROM messages WHERE coalesce(last_event_ts, first_seen) < %s AND NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.message_id = messages.message_id)", (before_ms,)).rowcount
            conn.execute(
                "DELETE FROM message_recipients WHERE ts < %s AND NOT EXISTS "
                "(SELECT 1 FROM messages m WHERE m.message_id = message_recipients.message_id)", (before_ms,))
            pgrollups.prune(conn, before_ms)
        return PruneCounts(events=events, records=records, quarantine=quarantine, messages=messages)

    def vacuum(self) -> None:
        self._write("VACUUM (ANALYZE)")

    # -- collector, account and statistics state ------------------------------------------------

    def save_account_snapshot(self, *, taken_ms: int, profile: str | None, region: str | None,
                              status: dict | None, error: str | None = None, keep: int = 1000) -> None:
        with self._conn() as conn, conn.transaction():
            conn.execute("INSERT INTO account_snapshots (taken, profile, region, status, error) "
                         "VALUES (%s, %s, %s, %s, %s)",
                         (taken_ms, profile, region, json.dumps(status) if status is not None else None, error))
            conn.execute("DELETE FROM account_snapshots WHERE id <= (SELECT max(id) FROM account_snapshots) - %s",
                         (keep,))

    def save_send_stats(self, points: Iterable[tuple[int, int, int, int, int]]) -> None:
        points = list(points)
        if not points:
            return
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO send_stats (ts, delivery_attempts, bounces, complaints, rejects) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ts) DO UPDATE SET delivery_attempts = "
                "excluded.delivery_attempts, bounces = excluded.bounces, complaints = excluded.complaints, "
                "rejects = excluded.rejects", points)

    # -- suppression list cache and audit ------------------------------------------------------

    _SUPPRESSION_COLS = "email, reason, last_update, message_id, feedback_id, fetched"

    def replace_suppressions(self, entries: Iterable[tuple], fetched_ms: int) -> int:
        rows = [(e, r, u, fetched_ms) for e, r, u in entries]
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("DELETE FROM suppressions")
            if rows:  # INSERT OR REPLACE: a later entry for the same address (any case) replaces it whole
                cur.executemany(
                    "INSERT INTO suppressions (email, reason, last_update, fetched) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT ((lower(email))) DO UPDATE SET email = excluded.email, reason = excluded.reason, "
                    "last_update = excluded.last_update, message_id = NULL, feedback_id = NULL, "
                    "fetched = excluded.fetched", rows)
        return len(rows)

    def cache_suppression(self, email: str, reason: str, last_update_ms: int | None, fetched_ms: int,
                          message_id: str | None = None, feedback_id: str | None = None) -> None:
        self._write(
            f"INSERT INTO suppressions ({self._SUPPRESSION_COLS}) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT ((lower(email))) DO UPDATE SET reason = excluded.reason, "
            "last_update = excluded.last_update, fetched = excluded.fetched, "
            "message_id = coalesce(excluded.message_id, suppressions.message_id), "
            "feedback_id = coalesce(excluded.feedback_id, suppressions.feedback_id)",
            (email, reason, last_update_ms, message_id, feedback_id, fetched_ms))

    def suppressions_for(self, emails: Iterable[str]) -> list[SuppressionRow]:
        emails = [e.lower() for e in emails]
        if not emails:
            return []
        return self._query(f"SELECT {self._SUPPRESSION_COLS} FROM suppressions WHERE lower(email) = ANY(%s)",
                           (emails,))

    def uncache_suppression(self, email: str) -> None:
        self._write("DELETE FROM suppressions WHERE lower(email) = lower(%s)", (email,))

    def suppressions(self, text: str | None = None, limit: int = 10000) -> list[SuppressionRow]:
        order = 'ORDER BY last_update DESC NULLS LAST, lower(email) COLLATE "C" LIMIT %s'
        if text:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            return self._query(f"SELECT {self._SUPPRESSION_COLS} FROM suppressions WHERE email ILIKE %s "
                               f"ESCAPE '\\' {order}", (like, limit))
        return self._query(f"SELECT {self._SUPPRESSION_COLS} FROM suppressions {order}", (limit,))

    def audit(self, limit: int = 500, email: str | None = None) -> list[AuditRow]:
        if email:
            return self._query("SELECT * FROM audit WHERE lower(email) = lower(%s) ORDER BY id DESC LIMIT %s",
                               (email, limit))
        return self._query("SELECT * FROM audit ORDER BY id DESC LIMIT %s", (limit,))
