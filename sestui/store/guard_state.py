"""Guard state and the local rates guards read (tables made by store.outbox.ensure_schema)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sestui.core.classify import RATE_COUNTED_RECIPIENT
from sestui.store.outbox import _rows


def guard_states(conn: sqlite3.Connection) -> dict[str, dict]:
    try:
        return {r["name"]: r for r in _rows(conn.execute("SELECT * FROM guard_state"))}
    except sqlite3.OperationalError:
        return {}


def save_guard_state(conn: sqlite3.Connection, name: str, state: str, since: int, rate: float | None,
                     volume: int | None) -> None:
    conn.execute("INSERT INTO guard_state (name, state, since, rate, volume) VALUES (?, ?, ?, ?, ?)"
                 " ON CONFLICT (name) DO UPDATE SET state = excluded.state, since = excluded.since,"
                 " rate = excluded.rate, volume = excluded.volume", (name, state, since, rate, volume))


def local_counts(conn: sqlite3.Connection, since_ms: int, *, configuration_set: str | None = None,
                 recipient_domain: str | None = None) -> dict[str, int]:
    """Events by type since `since_ms` for one group (a configuration set, a recipient domain), and
    `bounce_hard`: the Permanent bounces among them. An identity notification names no set (SES's
    notifications carry no tags): the write path gives its event the message's (rollups.after_write)."""
    sql = ("SELECT event_type, count(*), sum(event_type = 'bounce' AND coalesce(bounce_type, '') = 'Permanent')"
           f" FROM events e WHERE ts >= ? AND {RATE_COUNTED_RECIPIENT}")
    params: list[Any] = [since_ms]
    if configuration_set:
        sql += " AND configuration_set = ?"
        params.append(configuration_set)
    if recipient_domain:
        sql += " AND recipient LIKE ? ESCAPE '\\'"
        params.append("%@" + recipient_domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    counts: dict[str, int] = {}
    for event_type, n, hard in conn.execute(sql + " GROUP BY event_type", params).fetchall():
        counts[event_type] = n
        if event_type == "bounce":
            counts["bounce_hard"] = hard
    return counts
