"""Guards: a bounce or complaint rate watched against a warn and a pause level. Pure.

A guard reads AWS's reputation rates (`source = "aws"`, the account or one configuration set) or
sestui's own arithmetic over a window of local events (`source = "local"`, a group: a configuration
set or a recipient domain, with a minimum volume below which it decides nothing). Its state is
armed, warned or paused; each crossing fires that level's actions once, and a recovery says so
once more (resuming a paused set stays a person's decision: `sestui resume`).

A person who resumes a paused set overrides its guard: the guard becomes `resumed` and warns again
(the warn level's receivers hear of it, once). While its rate stays over the pause level it does not
pause again (that would undo the person's decision at once); once the rate recovers below the pause
level the guard is warned or armed again, and the next crossing pauses as any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sestui.core.rules import GUARD_ACTIONS, MODES, Action, RuleError, _actions

STATES = ("armed", "warned", "paused")
RESUMED = "resumed"  # paused, then resumed by a person while still over the pause level
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
    if state == RESUMED:
        if new == "paused":  # still over the line: the person's resume stands
            return state, []
        return new, [_recovery(guard, "paused", state, new, rate, volume)]
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
        crossings.append(_recovery(guard, state, state, new, rate, volume))
    return new, crossings


def _notices(level: Level | None) -> tuple[Action, ...]:
    return tuple(a for a in (level.do if level else ()) if a.kind != "pause_sending")


def _recovery(guard: Guard, told: str, old: str, new: str, rate: float, volume: int | None) -> Crossing:
    """Recovery is a notice: to everyone the higher level (`told`) told, never a pause."""
    return Crossing(guard.name, old, new, "recovered", rate, volume, _notices(getattr(guard, _LEVEL_OF[told])))


def resumed_by_hand(guard: Guard, rate: float | None, volume: int | None) -> Crossing:
    """A person resumed the set this paused guard paused: the guard warns again (its warn level's
    receivers, or its pause level's when it has no warn level; never a pause)."""
    notify = _notices(guard.warn) if guard.warn is not None else _notices(guard.pause)
    return Crossing(guard.name, "paused", RESUMED, "warn", rate if rate is not None else 0.0, volume, notify)


def pause_target(guard: Guard) -> str | None:
    """The configuration set this guard's pause level pauses ("account" for scope = "account"), or None."""
    for action in guard.pause.do if guard.pause else ():
        if action.kind == "pause_sending":
            if action.params.get("scope") == "account":
                return "account"
            return action.params.get("configuration_set") or guard.configuration_set
    return None


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
