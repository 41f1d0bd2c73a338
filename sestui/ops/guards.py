"""Runs the guards (core/guards.py): measures each rate, steps its state machine, and writes the
crossing's actions to the outbox in the same transaction as the guard's new state, so a crossing is
acted on exactly once even across restarts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sestui.aws import AwsError, outbound
from sestui.core.guards import RESUMED, Crossing, Guard, pause_target, resumed_by_hand, step
from sestui.store import outbox as sql

log = logging.getLogger("sestui.guards")


def local_rate(outbox: Any, guard: Guard, now_ms: int) -> tuple[float | None, int]:
    """sestui's own arithmetic over the guard's window: hard bounces (AWS's bounce rate counts only
    those, as the breakdown's does) or complaints per message sent (sends, or deliveries + bounces
    where sends are not published). `outbox`: a store's Outbox."""
    counts = outbox.local_counts(now_ms - guard.window_s * 1000, configuration_set=guard.configuration_set,
                                 recipient_domain=guard.recipient_domain)
    volume = counts.get("send") or (counts.get("delivery", 0) + counts.get("bounce", 0))
    if not volume:
        return None, 0
    hits = counts.get("bounce_hard" if guard.metric == "bounce_rate" else "complaint", 0)
    return hits / volume, volume


class GuardWatcher:
    def __init__(self, outbox: Any, aws: Any, guards: list[Guard]):
        """`outbox`: the store's Outbox (store/base.py), any backend."""
        self.outbox, self.aws, self.guards = outbox, aws, guards

    def measure(self, guard: Guard, now_ms: int) -> tuple[float | None, int | None]:
        if guard.source == "local":
            return local_rate(self.outbox, guard, now_ms)
        try:
            return outbound.reputation_rate(self.aws, guard.metric, guard.configuration_set), None
        except AwsError as exc:
            log.warning("guard %s: cannot read AWS's %s: %s", guard.name, guard.metric, exc)
            return None, None

    def check(self, now_ms: int | None = None) -> list[Crossing]:
        now_ms = now_ms if now_ms is not None else sql.now_ms()
        if self.aws is not None:
            resumed_outside(self.outbox, self.guards, aws_sending(self.aws), now_ms)
        fired: list[Crossing] = []
        for guard in self.guards:
            rate, volume = self.measure(guard, now_ms)
            stored = self.outbox.guard_states().get(guard.name, {})
            state = stored.get("state", "armed")
            new, crossings = step(guard, state, rate, volume)
            if new == state:
                if rate is not None and (rate, volume) != (stored.get("rate"), stored.get("volume")):
                    # No crossing, but the rate shown beside the state stays the one measured now.
                    self.outbox.enqueue_with([], (guard.name, state, state, stored.get("since", now_ms), rate, volume))
                continue
            # The new state and its actions in one transaction, only if the state is still `state`:
            # with two collectors on one database, one of them acts on a crossing.
            items = [i for c in crossings for i in crossing_items(guard, c, now_ms)]
            if self.outbox.enqueue_with(items, (guard.name, state, new, now_ms, rate, volume)) < 0:
                continue
            # One line per transition: armed -> paused passes warn too, but is one change of state.
            log.warning("guard %s: %s -> %s (%s %.4f%s; %s)", guard.name, state, new, guard.metric, rate,
                        f" over {volume}" if volume is not None else "", ", ".join(c.level for c in crossings))
            fired += crossings
        return fired


def resume_guards(outbox: Any, guards: list[Guard], target: str, now_ms: int | None = None, *,
                  where: str = "through sestui") -> list[str]:
    """A person resumed `target` (a configuration set, or "account"): each paused guard that pauses
    it becomes `resumed` and warns again, state and warning in one transaction. The guards' names."""
    now_ms = now_ms if now_ms is not None else sql.now_ms()
    states = outbox.guard_states()
    overridden = []
    for guard in guards:
        stored = states.get(guard.name, {})
        if stored.get("state") != "paused" or pause_target(guard) != target:
            continue
        c = resumed_by_hand(guard, stored.get("rate"), stored.get("volume"))
        if outbox.enqueue_with(crossing_items(guard, c, now_ms),
                               (guard.name, "paused", RESUMED, now_ms, stored.get("rate"), stored.get("volume"))) >= 0:
            log.warning("guard %s: paused -> resumed by hand %s (it warns again; it pauses again after it recovers)",
                        guard.name, where)
            overridden.append(guard.name)
    return overridden


# The pause of a guard in one of these states has not reached AWS (or never will): AWS's "sending
# enabled" then means "not paused yet", not "resumed".
_PAUSE_NOT_APPLIED = ("pending", "running", "retrying", "dead")


def resumed_outside(outbox: Any, guards: list[Guard], sending_enabled: Callable[[str], bool | None],
                    now_ms: int | None = None) -> list[str]:
    """Paused guards whose set (or account) sends again though nobody resumed it through sestui (the
    SES console, `aws sesv2 put-configuration-set-sending-options --sending-enabled`): each is
    recorded as `sestui resume` records it (resumed by hand, warns again). `sending_enabled(target)`
    is AWS's word for a set's name or "account", None when unknown. A guard in dry-run, or whose
    pause is not delivered yet (or failed), stays paused. The guards' names."""
    states = outbox.guard_states()
    paused = [g for g in guards if g.mode == "on" and pause_target(g) and states.get(g.name, {}).get("state") == "paused"]
    if not paused:
        return []
    not_applied = {(i["rule"], i["created"]) for i in outbox.list_items(_PAUSE_NOT_APPLIED, limit=1000)
                   if i["action_kind"] == "pause_sending"}
    resumed: list[str] = []
    for guard in paused:
        since = states[guard.name].get("since") or 0
        if any(rule == f"guard:{guard.name}:pause" and created >= since for rule, created in not_applied):
            continue
        target = str(pause_target(guard))
        if sending_enabled(target) is True:
            resumed += resume_guards(outbox, [guard], target, now_ms, where="outside sestui")
    return resumed


def aws_sending(aws: Any) -> Callable[[str], bool | None]:
    """AWS's word on whether a configuration set (or "account") sends: None when it cannot say."""
    def sending(target: str) -> bool | None:
        try:
            if target == "account":
                enabled = aws.ses.account_status().sending_enabled
                return enabled if isinstance(enabled, bool) else None
            found = aws.configuration_sets.get(target)
        except AwsError as exc:
            log.warning("guards: cannot read the sending state of %s: %s", target, exc)
            return None
        return None if found is None else found.sending_enabled
    return sending


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
