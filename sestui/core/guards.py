"""Guards: a bounce or complaint rate watched against a warn and a pause level. Pure.

A guard reads AWS's reputation rates (`source = "aws"`, the account or one configuration set) or
sestui's own arithmetic over a window of local events (`source = "local"`, a group: a configuration
set or a recipient domain, with a minimum volume below which it decides nothing). Its state is
armed, warned or paused; each crossing fires that level's actions once, and a recovery says so
once more (resuming a paused set stays a person's decision: `sestui resume`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sestui.core.rules import GUARD_ACTIONS, MODES, Action, RuleError, _actions

STATES = ("armed", "warned", "paused")
METRICS = ("bounce_rate", "complaint_rate")
SOURCES = ("aws", "local")
_LEVEL_OF = {"warned": "warn", "paused": "pause"}


@dataclass(frozen=True)
class Level:
    threshold: float  # a fraction: 0.05 = 5 %
    do: tuple[Action, ...]


@dataclass(frozen=True)
class Guard:
    name: str
    metric: str
    source: str = "aws"
    configuration_set: str | None = None  # None = the whole account
    recipient_domain: str | None = None  # local groups only
    window_s: int = 3600
    min_volume: int = 100
    warn: Level | None = None
    pause: Level | None = None
    mode: str = "on"

    def target(self, rate: float) -> str:
        if self.pause is not None and rate >= self.pause.threshold:
            return "paused"
        if self.warn is not None and rate >= self.warn.threshold:
            return "warned"
        return "armed"


@dataclass(frozen=True)
class Crossing:
    """One thing a guard says: `level` is warn, pause or recovered; `actions` are what to run."""

    guard: str
    old: str
    new: str
    level: str
    rate: float
    volume: int | None
    actions: tuple[Action, ...]


def step(guard: Guard, state: str, rate: float | None, volume: int | None = None) -> tuple[str, list[Crossing]]:
    """The next state after observing `rate` (over `volume` events), and the crossings to act on.
    No rate, or less volume than the guard's minimum, changes nothing."""
    if guard.mode == "off" or rate is None or (volume is not None and volume < guard.min_volume):
        return state, []
    new = guard.target(rate)
    if new == state:
        return state, []
    old_rank, new_rank = STATES.index(state), STATES.index(new)
    crossings: list[Crossing] = []
    if new_rank > old_rank:
        for passed in STATES[old_rank + 1:new_rank + 1]:  # armed -> paused passes warn too
            level = getattr(guard, _LEVEL_OF[passed])
            crossings.append(Crossing(guard.name, state, new, _LEVEL_OF[passed], rate, volume,
                                      level.do if level else ()))
    else:
        # Recovery is a notice: to everyone the higher level told, never a pause.
        told = getattr(guard, _LEVEL_OF[state])
        notify = tuple(a for a in (told.do if told else ()) if a.kind != "pause_sending")
        crossings.append(Crossing(guard.name, state, new, "recovered", rate, volume, notify))
    return new, crossings


def _fraction(where: str, key: str, value: Any) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100
        except ValueError:
            raise RuleError(f"{where}: {key} must be a fraction (0.05) or a percentage (\"5%\")") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise RuleError(f"{where}: {key} must be a fraction between 0 and 1 (0.05) or a percentage (\"5%\")")
    return float(value)


def _level(where: str, name: str, table: Any) -> Level | None:
    if table is None:
        return None
    if not isinstance(table, dict) or "level" not in table:
        raise RuleError(f"{where}: {name} must be a table with a level")
    unknown = sorted(set(table) - {"level", "do"})
    if unknown:
        raise RuleError(f"{where}: {name} has no key {unknown[0]!r} (known: level, do)")
    do = _actions(where, table["do"], GUARD_ACTIONS, f"{name}.do") if "do" in table else ()
    return Level(_fraction(where, f"{name}.level", table["level"]), do)


def parse_guards(tables: Any, *, local_min_volume: int = 100) -> list[Guard]:
    """[[guards]] from the config file; RuleError names the first bad guard and key. A guard over a
    local group without its own min_volume takes `local_min_volume` ([breakdown] min_volume)."""
    if tables is None:
        return []
    if not isinstance(tables, list):
        raise RuleError("guards must be an array of tables: write [[guards]]")
    guards: list[Guard] = []
    known = {"name", "metric", "source", "configuration_set", "recipient_domain", "window", "min_volume",
             "warn", "pause", "mode"}
    for n, table in enumerate(tables):
        name = table.get("name") if isinstance(table, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise RuleError(f"guard #{n + 1}: name is required")
        where = f"guard {name!r}"
        unknown = sorted(set(table) - known)
        if unknown:
            raise RuleError(f"{where}: has no key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        metric, source, mode = table.get("metric"), table.get("source", "aws"), table.get("mode", "on")
        if metric not in METRICS:
            raise RuleError(f"{where}: metric must be one of {', '.join(METRICS)}, not {metric!r}")
        if source not in SOURCES:
            raise RuleError(f"{where}: source must be one of {', '.join(SOURCES)}, not {source!r}")
        if mode not in MODES:
            raise RuleError(f"{where}: mode must be one of {', '.join(MODES)}, not {mode!r}")
        if source == "aws" and "recipient_domain" in table:
            raise RuleError(f"{where}: recipient_domain needs source = \"local\" (AWS has no such rate)")
        for key in ("window", "min_volume"):
            if key in table and (isinstance(table[key], bool) or not isinstance(table[key], int) or table[key] < 1):
                raise RuleError(f"{where}: {key} must be a whole number of at least 1")
        warn, pause = _level(where, "warn", table.get("warn")), _level(where, "pause", table.get("pause"))
        if warn is None and pause is None:
            raise RuleError(f"{where}: give a warn or a pause level (or both)")
        if warn and pause and warn.threshold >= pause.threshold:
            raise RuleError(f"{where}: warn.level must be below pause.level")
        guards.append(Guard(name, metric, source, table.get("configuration_set"), table.get("recipient_domain"),
                            table.get("window", 3600), table.get("min_volume", local_min_volume if source == "local" else 0),
                            warn, pause, mode))
    return guards
