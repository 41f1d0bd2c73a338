"""`migrate(src, dst)`: copy history between stores (SQLite <-> PostgreSQL, or any pair).

What is copied: events with their raw records, message rows and per-recipient statuses (batch by
batch, in the source's arrival order, so the flow reads the same), quarantined bodies, and the
audit log. Caches that AWS refills (suppressions, account snapshots, statistics, collector state)
and the roll-ups (rebuilt by the destination's write path) are not.

Idempotent and resumable without bookkeeping in either store: everything goes through the
destination's normal write path, where events and records are deduplicated on their identity and
message rows merge; quarantine and audit rows, which have no identity, are compared with what the
destination already holds in the same time range (as multisets) and only the missing ones are
added. A run that was interrupted is resumed by running it again; a finished one, re-run, copies
nothing. `sestui migrate --from A --to B` is the command line (cli/migrate.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sestui.store.rows import EVENT_COLUMNS, Rows

BATCH = 2000

QUARANTINE_KEY = ("received", "reason", "body")
AUDIT_COLUMNS = ("at", "actor", "origin", "action", "email", "reason", "outcome", "detail", "message_id")


@dataclass
class MigrateResult:
    events_read: int = 0
    events_copied: int = 0
    quarantine_copied: int = 0
    audit_copied: int = 0

    def summary(self) -> str:
        return (f"events_read={self.events_read} events_copied={self.events_copied} "
                f"quarantine_copied={self.quarantine_copied} audit_copied={self.audit_copied}")


def _copy_events(src, dst, result: MigrateResult, progress, batch: int) -> None:
    after = 0
    while True:
        page = src.flow_page(after_id=after, limit=batch)  # by arrival (id), oldest first
        if not page:
            return
        after = page[-1]["id"]
        rows = Rows(0)
        rows.events = [tuple(e[c] for c in EVENT_COLUMNS) for e in page]
        rows.records, rows.messages, rows.recipients = src.mail_rows(sorted({e["message_id"] for e in page}))
        done = dst.write(rows)
        result.events_read += len(page)
        result.events_copied += done.stored
        progress(result)


def _missing(src_rows: list[dict], dst_rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    """Source rows the destination does not hold yet (multiset difference, source order kept)."""
    def ident(row: dict) -> tuple:  # PostgreSQL stores NUL as U+FFFD (store/postgres/write.py): compare so
        return tuple(v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in (row[c] for c in key))

    have = Counter(ident(r) for r in dst_rows)
    out = []
    for row in src_rows:
        k = ident(row)
        if have[k]:
            have[k] -= 1
        else:
            out.append(row)
    return out


def _copy_log(src, dst, table: str, time_col: str, key: tuple[str, ...], write, batch: int) -> int:
    """Copy an append-only table in time order; whole runs of equal times stay in one batch."""
    copied, after = 0, None
    while True:
        page = src.log_page(table, after=after, limit=batch)
        if not page:
            return copied
        last = page[-1][time_col]
        if len(page) == batch:  # finish the run of rows sharing the last time
            page = [r for r in page if r[time_col] != last] + src.log_between(table, last, last)
        todo = _missing(page, dst.log_between(table, page[0][time_col], last), key)
        if todo:
            write(todo)
        copied += len(todo)
        after = last


def migrate(src, dst, *, progress: Callable[[MigrateResult], None] | None = None,
            batch: int = BATCH) -> MigrateResult:
    """Copy src's history into dst; see the module docstring. `progress(result)` after each batch."""
    result = MigrateResult()
    report = progress or (lambda r: None)
    _copy_events(src, dst, result, report, batch)

    def write_quarantine(todo: list[dict]) -> None:
        rows = Rows(0)
        rows.quarantine = [(r["received"], r["reason"], r["body"]) for r in todo]
        dst.write(rows)

    result.quarantine_copied = _copy_log(src, dst, "quarantine", "received", QUARANTINE_KEY, write_quarantine, batch)
    report(result)

    def write_audit(todo: list[dict]) -> None:
        for r in todo:
            dst.add_audit(at_ms=r["at"], **{c: r[c] for c in AUDIT_COLUMNS if c != "at"})

    result.audit_copied = _copy_log(src, dst, "audit", "at", AUDIT_COLUMNS, write_audit, batch)
    report(result)
    return result
