"""Rules, guards and the outbox put together from the settings: what the collector (and any other
writer of events) wires in with `wire(store, aws, config)`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sestui.config.schema import parse_breakdown
from sestui.core.guards import Guard, parse_guards
from sestui.core.rules import RuleError, RuleSet, parse_rules, rules_from_policies
from sestui.ops.outbox import Deliverer, DeliveryOptions
from sestui.store import outbox as sql

log = logging.getLogger("sestui.routing")


@dataclass
class ActionsConfig:
    rules: RuleSet
    guards: list[Guard] = field(default_factory=list)
    delivery: DeliveryOptions = field(default_factory=DeliveryOptions)

    @property
    def active(self) -> bool:
        return bool(self.rules) or any(g.mode != "off" for g in self.guards)


def load(tables: dict, *, policies: Any = None, source: str = "config") -> ActionsConfig:
    """From the config file's tables ([[rules]], [[guards]]; [breakdown] min_volume is a local guard's
    default) and today's [policies] (a PolicyConfig, which becomes rules with the ses_suppress
    action). ValueError: one line naming the rule and key."""
    try:
        min_volume = parse_breakdown(tables.get("breakdown") or {}).min_volume
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    try:
        rules = parse_rules(tables.get("rules"))
        guards = parse_guards(tables.get("guards"), local_min_volume=min_volume)
    except RuleError as exc:
        raise ValueError(f"{source}: {exc}") from None
    if policies is not None:
        clash = {r.name for r in rules} & {f"policy:{n}" for n in ("complaint", "hard_bounce", "soft_bounce")}
        if clash:
            raise ValueError(f"{source}: rule name {min(clash)!r} is reserved for [policies]")
        rules += rules_from_policies(policies)
    return ActionsConfig(RuleSet(rules), guards)


def wire(store: Any, aws: Any, config: ActionsConfig) -> Deliverer | None:
    """Make the store enqueue what the rules trigger, in the transaction that stores each event,
    and return the deliverer to start beside the collector (None when nothing is configured)."""
    sql.attach(store, config.rules)
    if not config.active:
        return None
    return Deliverer(store, aws, config, options=config.delivery)
