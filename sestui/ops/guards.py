"""Runs the guards (core/guards.py): measures each rate, steps its state machine, and writes the
crossing's actions to the outbox in the same transaction as the guard's new state, so a crossing is
acted on exactly once even across restarts."""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sestui.aws import AwsError, outbound
from sestui.core.guards import Crossing, Guard, step
from sestui.store import guard_state
from sestui.store import outbox as sql

log = logging.getLogger("sestui.guards")


def local_rate(conn: sqlite3.Connection, guard: Guard, now_ms: int) -> tuple[float | None, int]:
    """sestui's own arithmetic over the guard's window: hard bounces (AWS's bounce rate counts only
    those, as the breakdown's does) or complaints per message sent (sends, or deliveries + bounces
    where sends are not published)."""
    counts = guard_state.local_counts(conn, now_ms - guard.window_s * 1000, configuration_set=guard.configuration_set,
                              recipient_domain=guard.recipient_domain)
    volume = counts.get("send") or (counts.get("delivery", 0) + counts.get("bounce", 0))
    if not volume:
        return None, 0
    hits = counts.get("bounce_hard" if guard.metric == "bounce_rate" else "complaint", 0)
    return hits / volume, volume


class GuardWatcher:
    def __init__(self, conn: sqlite3.Connection, db_lock: threading.Lock, aws: Any, guards: list[Guard]):
        self.conn, self.db_lock, self.aws, self.guards = conn, db_lock, aws, guards

    def measure(self, guard: Guard, now_ms: int) -> tuple[float | None, int | None]:
        if guard.source == "local":
            with self.db_lock:
                return local_rate(self.conn, guard, now_ms)
        try:
            return outbound.reputation_rate(self.aws, guard.metric, guard.configuration_set), None
        except AwsError as exc:
            log.warning("guard %s: cannot read AWS's %s: %s", guard.name, guard.metric, exc)
            return None, None

    def check(self, now_ms: int | None = None) -> list[Crossing]:
        now_ms = now_ms if now_ms is not None else sql.now_ms()
        fired: list[Crossing] = []
        for guard in self.guards:
            rate, volume = self.measure(guard, now_ms)
            with self.db_lock:
                state = guard_state.guard_states(self.conn).get(guard.name, {}).get("state", "armed")
                new, crossings = step(guard, state, rate, volume)
                if new == state:
                    continue
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    guard_state.save_guard_state(self.conn, guard.name, new, now_ms, rate, volume)
                    sql.enqueue(self.conn, [i for c in crossings for i in crossing_items(guard, c, now_ms)])
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
            for c in crossings:
                log.warning("guard %s: %s -> %s (%s %.4f%s)", guard.name, c.old, c.new, guard.metric, c.rate,
                            f" over {c.volume}" if c.volume is not None else "")
            fired += crossings
        return fired


def crossing_payload(guard: Guard, c: Crossing, now_ms: int) -> dict:
    level = getattr(guard, c.level if c.level != "recovered" else "warn", None)
    return {"guard": guard.name, "metric": guard.metric, "source": guard.source, "level": c.level,
            "state": c.new, "previous_state": c.old, "rate": c.rate, "volume": c.volume,
            "threshold": level.threshold if level else None, "configuration_set": guard.configuration_set,
            "timestamp": sql.iso_ms(now_ms)}


def crossing_items(guard: Guard, c: Crossing, now_ms: int) -> list[tuple]:
    payload = crossing_payload(guard, c, now_ms)
    rule = f"guard:{guard.name}:{c.level}"
    return [sql.item(rule, a.index, a.kind, a.params, payload, (guard.name, c.level, now_ms),
                     dry_run=guard.mode == "dry-run", now=now_ms) for a in c.actions]
