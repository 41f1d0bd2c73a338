"""Routing rules and guards from the config file: the model, validation and matching. Pure.

A rule says `when` an event matches and what to `do` (a list of actions); it is `off`, `dry-run`
(recorded, never executed) or `on`. A guard watches a bounce or complaint rate and fires its `warn`
and `pause` actions once per crossing, and once more when the rate recovers.

Events are matched as plain mappings with the export keys of DESIGN.md (`event_type`, `recipient`,
`bounce_type`, ...) plus `tags` ({name: [values]}) and `configuration_set`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sestui.core.classify import SIMULATOR_DOMAIN
from sestui.core.events import EVENT_TYPES, is_auto_response

MODES = ("off", "dry-run", "on")

# action -> (required keys, optional keys)
ACTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "webhook": (frozenset({"url"}), frozenset({"secret", "secret_env", "timeout", "include_raw", "headers", "batch",
                                               "batch_wait_s"})),
    "command": (frozenset({"argv"}), frozenset({"timeout"})),
    "sns": (frozenset({"topic_arn"}), frozenset()),
    "sqs": (frozenset({"queue_url"}), frozenset()),
    "ses_suppress": (frozenset(), frozenset({"reason", "after_soft_bounces", "within_days"})),
    "contact_list": (frozenset({"contact_list"}), frozenset({"topic"})),
    "pause_sending": (frozenset(), frozenset({"scope", "configuration_set"})),
}
# Keys every action accepts: how the deliverer paces it.
COMMON_ACTION_KEYS = frozenset({"action", "concurrency", "rate", "max_attempts"})
GUARD_ACTIONS = frozenset({"webhook", "command", "sns", "pause_sending"})

MAX_TIMEOUT_S = 240
MAX_BATCH = 500  # events in one webhook request
MAX_BATCH_WAIT_S = 60  # waiting to fill a batch holds its items' leases: well under the deliverer's
BOUNCE_CLASSES = ("hard", "soft", "auto_reply", "suppressed")

# when key -> the event field it tests (None: handled specially)
WHEN_KEYS = {
    "event_types": "event_type",
    "bounce_types": "bounce_type",
    "bounce_subtypes": "bounce_subtype",
    "bounce_classes": None,
    "complaint_feedback_types": "complaint_feedback_type",
    "configuration_sets": "configuration_set",
    "recipient_domains": None,
    "tags": None,
    "auto_replies": None,
}


class RuleError(ValueError):
    """A rule or guard that cannot be used, as one line naming it and the key."""


def bounce_class(bounce_type: str | None, bounce_subtype: str | None, diagnostic_code: str | None,
                 stored_class: str | None = None) -> str:
    """hard / soft / auto_reply / suppressed (SES did not send: the address was already listed).
    `stored_class`: the event's core.classify class, which also knows SES's auto-reply by its shape
    (a Transient/General bounce with no diagnostic text at all)."""
    if bounce_type == "Permanent":
        return "suppressed" if bounce_subtype == "OnAccountSuppressionList" else "hard"
    if stored_class == "auto_reply" or is_auto_response(bounce_type, diagnostic_code):
        return "auto_reply"
    return "soft"


def is_auto_reply(ev: Mapping[str, Any]) -> bool:
    return ev.get("event_type") == "bounce" and bounce_class(
        ev.get("bounce_type"), None, ev.get("diagnostic_code"), ev.get("bounce_class")) == "auto_reply"


def is_simulator(recipient: str | None) -> bool:
    return bool(recipient) and str(recipient).lower().rpartition("@")[2] == SIMULATOR_DOMAIN


@dataclass(frozen=True)
class Action:
    kind: str
    index: int
    params: dict = field(hash=False, compare=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class When:
    sets: dict = field(default_factory=dict, hash=False)  # key -> frozenset of accepted values
    tags: dict = field(default_factory=dict, hash=False)  # tag -> frozenset of accepted values
    auto_replies: bool = False

    @property
    def by_type_only(self) -> bool:
        """Nothing to test beyond the event type (which RuleSet.candidates already chose)."""
        return not self.tags and set(self.sets) <= {"event_types"}

    def quick_match(self, event_type: str, bounce_type: str | None, diagnostic_code: str | None,
                    feedback_type: str | None, stored_class: str | None = None) -> bool:
        """`matches` for a by-type-only rule, from the five fields that can still say no."""
        if event_type == "complaint":
            return (feedback_type or "").lower() != "not-spam"
        if event_type == "bounce" and not self.auto_replies:
            return bounce_class(bounce_type, None, diagnostic_code, stored_class) != "auto_reply"
        return True

    def matches(self, ev: Mapping[str, Any]) -> bool:
        kind = ev.get("event_type")
        if kind == "complaint" and (ev.get("complaint_feedback_type") or "").lower() == "not-spam":
            return False  # a not-spam report is no complaint
        if not self.auto_replies and is_auto_reply(ev):
            return False
        for key, accepted in self.sets.items():
            if key == "bounce_classes":
                if kind != "bounce" or bounce_class(ev.get("bounce_type"), ev.get("bounce_subtype"),
                                                    ev.get("diagnostic_code"), ev.get("bounce_class")) not in accepted:
                    return False
            elif key == "recipient_domains":
                if (ev.get("recipient") or "").lower().rpartition("@")[2] not in accepted:
                    return False
            elif ev.get(WHEN_KEYS[key] or key) not in accepted:
                return False
        if self.tags:
            tags = ev.get("tags") or {}
            for name, accepted in self.tags.items():
                values = tags.get(name) or []
                if isinstance(values, str):
                    values = [values]
                if not accepted.intersection(values):
                    return False
        return True


@dataclass(frozen=True)
class Rule:
    name: str
    mode: str
    when: When
    do: tuple[Action, ...]
    origin: str = "[[rules]]"
    # (object, attribute) to read the mode from on every event: [policies] the console toggles live
    live_mode: tuple[Any, str] | None = field(default=None, hash=False, compare=False)

    @property
    def current_mode(self) -> str:
        return getattr(*self.live_mode) if self.live_mode else self.mode

    def matches(self, ev: Mapping[str, Any]) -> bool:
        return self.current_mode != "off" and self.when.matches(ev)


class RuleSet:
    """The rules in force; `matching(ev)` yields (rule, action) for each action an event triggers."""

    def __init__(self, rules: Iterable[Rule] = ()):
        self.rules = [r for r in rules]
        live = [r for r in self.rules if r.live_mode or r.mode != "off"]
        # Most rules name their event types: index them so an event is only tested against its own.
        self._by_type: dict[str, list[Rule]] = {t: [] for t in EVENT_TYPES}
        for rule in live:
            types = rule.when.sets.get("event_types")
            for t in (types if types is not None else EVENT_TYPES):
                self._by_type.setdefault(t, []).append(rule)
        self.needs_tags = any(r.when.tags for r in live)
        self.needs_raw = any(a.get("include_raw") for r in live for a in r.do)

    def __bool__(self) -> bool:
        return any(r.current_mode != "off" for r in self.rules)

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def candidates(self, event_type: str) -> list[Rule]:
        return self._by_type.get(event_type, [])

    def matching(self, ev: Mapping[str, Any]) -> list[tuple[Rule, Action]]:
        return [(rule, action) for rule in self._by_type.get(str(ev.get("event_type")), ())
                if rule.matches(ev) for action in rule.do]


# --- parsing and validation ---------------------------------------------------------------------

def _strings(where: str, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise RuleError(f"{where}: {key} must be a string or a non-empty list of strings")


def parse_when(where: str, table: Any) -> When:
    if table is None:
        return When()
    if not isinstance(table, dict):
        raise RuleError(f"{where}: when must be a table")
    sets: dict[str, frozenset] = {}
    tags: dict[str, frozenset] = {}
    auto = False
    for key, value in table.items():
        if key not in WHEN_KEYS:
            raise RuleError(f"{where}: when has no key {key!r} (known: {', '.join(sorted(WHEN_KEYS))})")
        if key == "auto_replies":
            if not isinstance(value, bool):
                raise RuleError(f"{where}: when.auto_replies must be true or false")
            auto = value
        elif key == "tags":
            if not isinstance(value, dict) or not value:
                raise RuleError(f"{where}: when.tags must be a table of tag = value(s)")
            tags = {str(k): frozenset(_strings(where, f"when.tags.{k}", v)) for k, v in value.items()}
        else:
            values = _strings(where, f"when.{key}", value)
            if key == "event_types":
                bad = [v for v in values if v not in EVENT_TYPES]
                if bad:
                    raise RuleError(f"{where}: when.event_types has {bad[0]!r} (known: {', '.join(EVENT_TYPES)})")
            elif key == "bounce_classes":
                bad = [v for v in values if v not in BOUNCE_CLASSES]
                if bad:
                    raise RuleError(f"{where}: when.bounce_classes has {bad[0]!r} "
                                    f"(known: {', '.join(BOUNCE_CLASSES)})")
            elif key in ("recipient_domains", "complaint_feedback_types"):
                values = [v.lower().lstrip("@") for v in values]
            sets[key] = frozenset(values)
    if "bounce_classes" in sets and "auto_reply" in sets["bounce_classes"]:
        auto = True  # asking for the auto_reply class is asking for auto-replies
    return When(sets, tags, auto)


def _check_action(where: str, table: Any, index: int, allowed_kinds: Iterable[str], key: str = "do") -> Action:
    if not isinstance(table, dict):
        raise RuleError(f"{where}: {key}[{index}] must be a table")
    kind = table.get("action")
    allowed = set(allowed_kinds)
    if kind not in allowed:
        raise RuleError(f"{where}: {key}[{index}].action must be one of {', '.join(sorted(allowed))}, not {kind!r}")
    required, optional = ACTIONS[kind]
    missing = sorted(required - set(table))
    if missing:
        raise RuleError(f"{where}: {key}[{index}] ({kind}) needs {missing[0]!r}")
    unknown = sorted(set(table) - required - optional - COMMON_ACTION_KEYS)
    if unknown:
        raise RuleError(f"{where}: {key}[{index}] ({kind}) has no key {unknown[0]!r}")
    p = dict(table)
    if kind == "webhook":
        if not str(p["url"]).startswith(("http://", "https://")):
            raise RuleError(f"{where}: {key}[{index}].url must be an http:// or https:// URL")
        if "secret" in p and "secret_env" in p:
            raise RuleError(f"{where}: {key}[{index}] takes secret or secret_env, not both")
        batch = p.get("batch", 1)
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
            raise RuleError(f"{where}: {key}[{index}].batch must be a whole number from 1 to {MAX_BATCH}")
        wait = p.get("batch_wait_s", 0)
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= MAX_BATCH_WAIT_S:
            raise RuleError(f"{where}: {key}[{index}].batch_wait_s must be a number of seconds from 0 to "
                            f"{MAX_BATCH_WAIT_S}")
        if "batch_wait_s" in p and batch == 1:
            raise RuleError(f"{where}: {key}[{index}].batch_wait_s needs batch (more than 1 event per request)")
    if kind == "command":
        argv = p["argv"]
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise RuleError(f"{where}: {key}[{index}].argv must be a non-empty list of strings (no shell)")
    if kind == "ses_suppress" and p.get("reason", "BOUNCE") not in ("BOUNCE", "COMPLAINT"):
        raise RuleError(f"{where}: {key}[{index}].reason must be BOUNCE or COMPLAINT")
    if kind == "pause_sending" and p.get("scope", "configuration_set") not in ("configuration_set", "account"):
        raise RuleError(f"{where}: {key}[{index}].scope must be configuration_set or account")
    for name in ("timeout", "rate"):
        if name in p and (isinstance(p[name], bool) or not isinstance(p[name], (int, float)) or p[name] <= 0):
            raise RuleError(f"{where}: {key}[{index}].{name} must be a positive number")
    if p.get("timeout", 0) > MAX_TIMEOUT_S:  # the deliverer's lease must outlast every attempt
        raise RuleError(f"{where}: {key}[{index}].timeout must be at most {MAX_TIMEOUT_S} seconds")
    for name in ("concurrency", "max_attempts", "after_soft_bounces", "within_days"):
        if name in p and (isinstance(p[name], bool) or not isinstance(p[name], int) or p[name] < 1):
            raise RuleError(f"{where}: {key}[{index}].{name} must be a whole number of at least 1")
    return Action(kind, index, p)


def _actions(where: str, value: Any, kinds: Iterable[str], key: str = "do") -> tuple[Action, ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise RuleError(f"{where}: {key} must list at least one action ([[...{key}]] tables)")
    return tuple(_check_action(where, t, i, kinds, key) for i, t in enumerate(value))


def parse_rules(tables: Any) -> list[Rule]:
    """[[rules]] from the config file; RuleError names the first bad rule and key."""
    if tables is None:
        return []
    if not isinstance(tables, list):
        raise RuleError("rules must be an array of tables: write [[rules]]")
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, table in enumerate(tables):
        if not isinstance(table, dict):
            raise RuleError(f"rule #{n + 1} must be a table")
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RuleError(f"rule #{n + 1}: name is required")
        where = f"rule {name!r}"
        if name in seen:
            raise RuleError(f"{where}: the name is used twice")
        seen.add(name)
        unknown = sorted(set(table) - {"name", "mode", "when", "do"})
        if unknown:
            raise RuleError(f"{where}: has no key {unknown[0]!r} (known: name, mode, when, do)")
        mode = table.get("mode", "on")
        if mode not in MODES:
            raise RuleError(f"{where}: mode must be one of {', '.join(MODES)}, not {mode!r}")
        rules.append(Rule(name, mode, parse_when(where, table.get("when")), _actions(where, table.get("do"), ACTIONS)))
    return rules


def rules_from_policies(policies: Any) -> list[Rule]:
    """Today's [policies] (an object with complaint/hard_bounce/soft_bounce modes and the soft-bounce
    counts) as the equivalent rules with the ses_suppress action."""
    def rule(name: str, mode: str, when: When, **params: Any) -> Rule:
        return Rule(f"policy:{name}", mode, when, (Action("ses_suppress", 0, {"action": "ses_suppress", **params}),),
                    origin="[policies]", live_mode=(policies, name))
    return [
        rule("complaint", policies.complaint, When({"event_types": frozenset({"complaint"})}), reason="COMPLAINT"),
        rule("hard_bounce", policies.hard_bounce,
             When({"event_types": frozenset({"bounce"}), "bounce_classes": frozenset({"hard"})}), reason="BOUNCE"),
        rule("soft_bounce", policies.soft_bounce,
             When({"event_types": frozenset({"bounce"}), "bounce_classes": frozenset({"soft"})}), reason="BOUNCE",
             after_soft_bounces=policies.soft_bounce_count, within_days=policies.soft_bounce_days),
    ]
