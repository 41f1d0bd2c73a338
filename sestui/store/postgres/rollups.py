"""The roll-ups on PostgreSQL, kept in the transaction that writes the events: rollup_groups, per
dimension x hour x value with a count per event type and of hard bounces, as SQLite's
(store/rollups.py, schema 9), with coarser tiers of the same sums, per 6 hours and per UTC day
(TIERS). Unlike SQLite, the tags are dimensions of rollup_groups too ("tag:KEY", value = the tag's
value), in every tier, and there is no rollup_tags (schema 7): the campaign breakdown reads one
table in one shape, as the others do. A breakdown reads the fewest units that cover its window
(cover): a 14-day window about 13 day rows per group, not 336 hour rows.

A write counts its batch in Python, from the rows it already holds (beforehand, as if none of its
messages were stored: write.prepare; under the lock, the stored messages' events are taken back
and counted again), and adds the counts with one unnest upsert (keys in sorted order, so two
writers never wait on each other's rows in opposite orders). Nothing is read back from the
events, except the earlier events of a message this write gives its first configuration set or
tags (a Bounce through an identity topic before its Send): those move from "(none)" to the set,
or start counting under the tags, as in SQLite.

What counts and under which values are core/rollup_rules.py's rules (the same as SQLite's SQL): an
event counts under its own set, else its message's; a message's tags are those of its stored row
(its first record with tags, on both backends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sestui.core.rollup_rules import NO_TAGS, SIMULATOR_SUFFIX, address_domain, counted, tag_pairs
from sestui.store import rollups
from sestui.store.base import BreakdownRow
from sestui.store.rows import EVENT_COLUMNS, MESSAGE_COLUMNS

HOUR_MS, DAY_MS = rollups.HOUR_MS, rollups.DAY_MS
_E = {name: i for i, name in enumerate(EVENT_COLUMNS)}
_TYPE, _RCPT, _TS, _SET = _E["event_type"], _E["recipient"], _E["ts"], _E["configuration_set"]
_BTYPE, _SUB, _FB, _CLASS, _SOURCE = (_E["bounce_type"], _E["complaint_sub_type"], _E["complaint_feedback_type"],
                                      _E["bounce_class"], _E["source"])
_M_SET, _M_TAGS = MESSAGE_COLUMNS.index("configuration_set"), MESSAGE_COLUMNS.index("tags")
_NONE = (None, None)
_SIM_LEN = len(SIMULATOR_SUFFIX)

# rollup_groups' tiers: (dimension prefix, length of its rows' time unit). The hourly rows are the
# totals (""), each column's and each tag key's ("tag:<key>"); each coarser tier sums them per unit
# (hour = the unit's UTC start), as dimension "<prefix><dimension>".
TIERS = (("", HOUR_MS), ("6h:", 6 * HOUR_MS), (rollups.DAILY, DAY_MS))
HOURLY_DIMENSIONS = (rollups.TOTALS, *rollups.GROUP_DIMENSIONS)
TIER_DIMENSIONS = tuple(tuple(prefix + d for d in HOURLY_DIMENSIONS) for prefix, _unit in TIERS)
TAG = "tag:"
GROUP_KEY = ("dimension", "hour", "value")
COUNTS = rollups.COUNTS  # rollup_groups' count columns: one per event type, then bounce_hard
_COL = {t: i for i, t in enumerate(COUNTS)}
_HARD_COL = _COL["bounce_hard"]
_QUOTED = tuple(f'"{c}"' for c in COUNTS)
_COUNTS = ", ".join(_QUOTED)
_SUMS = ", ".join(f'sum("{c}") AS "{c}"' for c in COUNTS)


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def retier(prefix: str, unit: int, where: str) -> str:
    """The statement making tier `prefix`'s rows (of `unit` ms) from the hourly rows where `where`
    (on `hour`, whole units, which must hold no row of that tier yet)."""
    return (f"INSERT INTO rollup_groups ({', '.join(GROUP_KEY)}, {_COUNTS})"
            f" SELECT '{prefix}' || dimension, hour / {unit} * {unit}, value, {', '.join(f'sum({c})' for c in _QUOTED)}"
            f" FROM rollup_groups WHERE (dimension IN ({_quoted(HOURLY_DIMENSIONS)}) OR dimension LIKE '{TAG}%%')"
            f" AND {where} GROUP BY 1, 2, 3")


Attribution = tuple[str | None, str | None]  # a message's (configuration set, tags JSON)


def _floor(ts: int, unit: int) -> int:
    """SQL's (ts / unit) * unit: integer division truncates toward zero."""
    return ts // unit * unit if ts >= 0 else -(-ts // unit * unit)


# (the tier's dimensions, its prefix for tags, its unit)
_TIERS = tuple((dims, prefix + TAG, unit) for dims, (prefix, unit) in zip(TIER_DIMENSIONS, TIERS, strict=True))
assert TIER_DIMENSIONS[0][1] == "configuration_set"


class Counts:
    """Roll-up deltas: rollup_groups keys -> how much to add to each count column."""

    def __init__(self) -> None:
        self.groups: dict[tuple, list[int]] = {}
        self._columns: list[list] | None = None

    def _add(self, key: tuple, col: int, hard: int, n: int) -> None:
        row = self.groups.get(key)
        if row is None:
            row = self.groups[key] = [0] * len(COUNTS)
        row[col] += n
        if hard:
            row[_HARD_COL] += n

    def add_events(self, events: Iterable[tuple], attribution: Mapping[str, Attribution], *,
                   coarse: bool = True, groups: bool = True, weight: int = 1) -> None:
        """Count `events` (rows in EVENT_COLUMNS order) under their message's set and tags
        (`attribution`, by message id), `weight` times each (-1 takes them back); `coarse`: in the
        6-hour and day tiers too; not `groups`: under their tags only."""
        combos: dict[tuple, int] = {}
        domains: dict[str, str] = {}  # address -> its domain (a source address, with its "> ")
        sources: dict[str, str] = {}
        for ev in events:  # the hot loop of a write
            t, recipient = ev[_TYPE], ev[_RCPT] or ""
            if (t == "complaint" or recipient[-_SIM_LEN:].lower() == SIMULATOR_SUFFIX or not recipient.isascii()) \
                    and not counted(t, ev[_SUB], ev[_FB], recipient):
                continue
            message_set, message_tags = attribution.get(ev[0]) or _NONE
            source = ev[_SOURCE] or ""
            if (source_domain := sources.get(source)) is None:
                source_domain = sources[source] = address_domain(source, "> ")
            if (recipient_domain := domains.get(recipient)) is None:
                recipient_domain = domains[recipient] = address_domain(recipient)
            ts = ev[_TS]
            key = (ts // HOUR_MS * HOUR_MS if ts >= 0 else _floor(ts, HOUR_MS), t,
                   1 if t == "bounce" and ev[_BTYPE] == "Permanent" else 0, ev[_SET] or message_set or "",
                   source_domain, recipient_domain, ev[_CLASS] or "", ev[_FB] or "", message_tags)
            combos[key] = combos.get(key, 0) + weight
        add = self._add
        tiers = _TIERS if coarse else _TIERS[:1]
        for (hour, t, hard, *values, message_tags), n in combos.items():
            if not n:
                continue
            pairs = tag_pairs(message_tags)
            col = _COL[t]
            for dims, tag_prefix, unit in tiers:
                at = _floor(hour, unit)
                for tag_key, value in pairs:
                    add((tag_prefix + tag_key, at, value), col, hard, n)
                if groups:
                    add((dims[0], at, ""), col, hard, n)
                    for i, value in enumerate(values, start=1):
                        add((dims[i], at, value), col, hard, n)

    def move_set(self, events: Iterable[tuple], to: str) -> None:
        """Events counted under "(none)" that now count under their message's new set `to`."""
        for ev in events:
            if ev[_SET] is None and counted(ev[_TYPE], ev[_SUB], ev[_FB], ev[_RCPT]):
                hour = _floor(ev[_TS], HOUR_MS)
                col, hard = _COL[ev[_TYPE]], int(ev[_TYPE] == "bounce" and ev[_BTYPE] == "Permanent")
                for dims, _tag_prefix, unit in _TIERS:
                    at = _floor(hour, unit)
                    self._add((dims[1], at, ""), col, hard, -1)
                    self._add((dims[1], at, to), col, hard, 1)

    def plus(self, other: Counts) -> dict[tuple, list[int]]:
        """Both counts, summed (neither changed)."""
        if not other.groups:
            return self.groups
        groups = dict(self.groups)
        for key, counts in other.groups.items():
            have = groups.get(key)
            groups[key] = counts if have is None else [a + b for a, b in zip(have, counts, strict=True)]
        return groups

    def columns(self, groups: dict[tuple, list[int]] | None = None) -> list[list]:
        """The upsert's column arrays of `groups` (these counts'), keys in sorted order (two writers
        never wait on each other's rows in opposite orders); rows all at 0 are left out."""
        rows = sorted((*key, *counts) for key, counts in (self.groups if groups is None else groups).items()
                      if any(counts))
        return [list(c) for c in zip(*rows, strict=True)]

    def store(self, conn: Any, base: Counts | None = None) -> None:
        """Add the counts (and `base`'s, whose columns() may be made beforehand) to the tables; rows
        a move left at 0 go."""
        if base is None:
            columns = self.columns()
        elif not self.groups:
            columns = base.ready_columns()
        else:
            columns = self.columns(base.plus(self))
        if columns:
            conn.execute(f"INSERT INTO rollup_groups ({', '.join(GROUP_KEY)}, {_COUNTS})"
                         f" SELECT * FROM unnest({_arrays(_GROUP_TYPES)})"
                         f" ON CONFLICT ({', '.join(GROUP_KEY)}) DO UPDATE SET"
                         f" {', '.join(f'{c} = rollup_groups.{c} + excluded.{c}' for c in _QUOTED)}",
                         columns)
        emptied = sorted(k for k, counts in self.groups.items() if min(counts) < 0)
        if emptied:
            conn.execute(f"DELETE FROM rollup_groups WHERE ({', '.join(GROUP_KEY)}) IN"
                         f" (SELECT * FROM unnest({_arrays(_GROUP_TYPES[:3])}))"
                         f" AND {' AND '.join(f'{c} = 0' for c in _QUOTED)}",
                         [list(c) for c in zip(*emptied, strict=True)])

    def ready_columns(self) -> list[list]:
        """columns(), made once (by the ingest's parse thread, see write.prepare)."""
        if self._columns is None:
            self._columns = self.columns()
        return self._columns


_GROUP_TYPES = ("text", "bigint", "text", *["int"] * len(COUNTS))


def _arrays(types: Iterable[str]) -> str:
    # %b: arrays in the binary format, several times cheaper to make than text ones (no quoting)
    return ", ".join(f"%b::{t}[]" for t in types)


STORED = "SELECT message_id, configuration_set, tags FROM messages WHERE message_id = ANY(%b)"
EVENTS_OF = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE message_id = ANY(%b)"


def stored_attribution(conn: Any, message_ids: list[str]) -> dict[str, Attribution]:
    """The stored messages among `message_ids`: their set and tags before this write."""
    return {m: (s, t) for m, s, t in conn.execute(STORED, (message_ids,))}


def batch_attribution(messages: list[tuple]) -> dict[str, Attribution]:
    """Each message's set and tags as its batch row (one per message) gives them: its attribution
    unless it is stored already."""
    return {m[0]: (m[_M_SET], m[_M_TAGS]) for m in messages}


def with_sets(events: list[tuple], attribution: Mapping[str, Attribution]) -> list[tuple]:
    """The events, each without a set of its own given its message's (as SQLite stores them: an
    identity notification names no set, its message's event-publishing records do)."""
    return [ev if ev[_SET] is not None or (to := (attribution.get(ev[0]) or _NONE)[0]) is None
            else ev[:_SET] + (to,) + ev[_SET + 1:] for ev in events]


class Upkeep:
    """One write's roll-up upkeep: made after the write lock is held and before the rows go in
    (`stored`: stored_attribution of the batch's messages; `messages`: the batch's message rows,
    one per message as written; `batch`: their batch_attribution), applied with the events the
    write stored."""

    def __init__(self, conn: Any, stored: dict[str, Attribution], messages: list[tuple],
                 batch: dict[str, Attribution]):
        self.counts = Counts()  # beyond what the batch's counts made beforehand hold (see apply)
        self.batch = batch
        self.stored = stored
        self.final: dict[str, Attribution] = dict(batch)
        got_set: dict[str, str] = {}
        got_tags: list[str] = []
        for m in messages:  # the merge messages' upsert does (store/rows.py message_merge)
            was = stored.get(m[0])
            if was is None:
                continue
            now = (was[0] if was[0] is not None else m[_M_SET], was[1] if was[1] not in (None, "{}") else m[_M_TAGS])
            self.final[m[0]] = now
            if was[0] is None and now[0] is not None:
                got_set[m[0]] = now[0]
            if was[1] in NO_TAGS and now[1] not in NO_TAGS:
                got_tags.append(m[0])
        self.got_set = got_set
        if got_set or got_tags:
            earlier = conn.execute(EVENTS_OF, (sorted(set(got_set) | set(got_tags)),)).fetchall()
            for message_id, to in got_set.items():
                self.counts.move_set((e for e in earlier if e[0] == message_id), to)
            tagged = set(got_tags)  # their earlier events count under the tags from now on
            self.counts.add_events((e for e in earlier if e[0] in tagged), self.final, groups=False)

    def with_sets(self, raw: list[tuple], given: list[tuple]) -> list[tuple]:
        """with_sets of the batch's events `raw` under the final attribution, `given`: theirs under
        the batch's (redone only for the stored messages whose set that changes)."""
        redo = {m for m in self.stored if self.final[m][0] != (self.batch.get(m) or _NONE)[0]}
        if not redo:
            return given
        final = self.final
        return [with_sets([r], final)[0] if r[0] in redo else g for r, g in zip(raw, given, strict=True)]

    def apply(self, conn: Any, new_events: Iterable[tuple] | None, counted: tuple[Counts, list[tuple]] | None) -> None:
        """`counted`: the batch's events (as `given` to with_sets) and their counts under the batch's
        attribution, made beforehand: only the stored messages' are taken back and counted again,
        from `new_events` (the events this write stored: the batch's, less some of those messages').
        Without it (or with `new_events` read back from the table) every new event is counted here."""
        if counted is None:
            self.counts.add_events(new_events or (), self.final)
            self.counts.store(conn)
        else:
            base, given = counted
            if self.stored:
                stored = self.stored
                self.counts.add_events((e for e in given if e[0] in stored), self.batch, weight=-1)
                self.counts.add_events((e for e in new_events or () if e[0] in stored), self.final)
            self.counts.store(conn, base)
        if self.got_set:  # the messages' earlier events take the set they now have (counted above by move_set)
            conn.execute(SET_FROM_MESSAGE, (list(self.got_set), list(self.got_set.values())))


SET_FROM_MESSAGE = ("UPDATE events SET configuration_set = s.to_set FROM unnest(%b::text[], %b::text[]) AS s(mid, to_set)"
                    " WHERE events.message_id = s.mid AND events.configuration_set IS NULL")


_HOUR_EVENTS = (f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS)}, m.configuration_set, m.tags FROM events e"
                " LEFT JOIN messages m ON m.message_id = e.message_id WHERE e.ts >= %s AND e.ts < %s")


def prune(conn: Any, before_ms: int) -> None:
    """After events older than `before_ms` were deleted: drop the hours they filled and the coarser
    units that begin before the end of the hour the cut falls in; count that hour again, and sum the
    units holding it again."""
    boundary = _floor(before_ms, HOUR_MS)
    conn.execute("DELETE FROM rollup_groups WHERE hour < %s", (boundary + HOUR_MS,))
    rows = conn.execute(_HOUR_EVENTS, (boundary, boundary + HOUR_MS)).fetchall()
    width = len(EVENT_COLUMNS)
    messages = {r[0]: (r[width], r[width + 1]) for r in rows}
    counts = Counts()
    counts.add_events((r[:width] for r in rows), messages, coarse=False)
    counts.store(conn)
    for prefix, unit in TIERS[1:]:
        start = _floor(boundary, unit)
        conn.execute(retier(prefix, unit, "hour >= %s AND hour < %s"), (start, start + unit))


def cover(since: int, stop: int) -> list[tuple[str, int, int]]:
    """[since, stop) (whole hours) as (tier prefix, start, end) ranges: the coarsest units that fit
    inside, then finer ones at the ends."""
    out: list[tuple[str, int, int]] = []

    def split(start: int, end: int, tiers: tuple[tuple[str, int], ...]) -> None:
        if start >= end:
            return
        (prefix, unit), finer = tiers[-1], tiers[:-1]
        if not finer:
            out.append((prefix, start, end))
            return
        lo, hi = -(-start // unit) * unit, _floor(end, unit)
        if lo >= hi:
            split(start, end, finer)
            return
        out.append((prefix, lo, hi))
        split(start, lo, finer)
        split(hi, end, finer)

    split(since, stop, TIERS)
    return out


def _ranges(ranges: list[tuple[str, int, int]], name: Callable[[str], str]) -> tuple[str, list]:
    sql = " OR ".join("dimension = %s AND hour >= %s AND hour < %s" for _ in ranges) or "FALSE"
    return f"({sql})", [v for prefix, lo, hi in ranges for v in (name(prefix), lo, hi)]


def breakdown(query: Callable[..., list[dict]], window_ms: int, group_by: str, now: int,
              campaign_tag: str = rollups.CAMPAIGN_TAG) -> list[BreakdownRow]:
    """SQLite's breakdown (store/rollups.py) over PostgreSQL's rollup_groups: the hours that overlap
    the last `window_ms` before `now`, read as the fewest hour, 6-hour and day rows that cover them."""
    if group_by not in rollups.DIMENSIONS:
        raise ValueError(f"cannot break down by {group_by!r}: one of {', '.join(rollups.DIMENSIONS)}")
    ranges = cover(_floor(now - window_ms, HOUR_MS), _floor(now, HOUR_MS) + HOUR_MS)
    campaign = group_by == "campaign"
    where, params = _ranges(ranges, lambda prefix: prefix + (rollups.TOTALS if campaign else group_by))
    sql = f"SELECT false AS tagged, value AS grp, {_SUMS} FROM rollup_groups WHERE {where} GROUP BY value"
    if campaign:  # and the tagged groups, in the same round trip
        tagged, tagged_params = _ranges(ranges, lambda prefix: prefix + TAG + campaign_tag)
        sql += f" UNION ALL SELECT true, value, {_SUMS} FROM rollup_groups WHERE {tagged} GROUP BY value"
        params += tagged_params
    rows = query(sql, params)
    if not campaign:
        return rollups.wide_groups(rows)
    # a tag's group "": what the tagged groups do not hold of the window's totals
    return rollups.breakdown_rows(rollups.long_rows(r for r in rows if r["tagged"]),
                                  untagged=rollups.long_rows(r for r in rows if not r["tagged"]))
