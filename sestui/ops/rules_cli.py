"""What `sestui rules`, `sestui outbox` and `sestui resume` do, as functions the CLI (and the
console's Actions pane) call: each returns lines to print, or raises ValueError / AwsError with one
line for the operator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sestui.aws import Aws, AwsError, outbound
from sestui.core.events import parse_body
from sestui.core.guards import Guard
from sestui.core.rules import Rule, is_simulator
from sestui.ops.actions import describe
from sestui.ops.guards import resume_guards
from sestui.ops.routing import ActionsConfig
from sestui.store import Store, to_ms
from sestui.store import outbox as sql

DAY_MS = 86_400_000
RECENT_DONE = 20  # delivered items the Actions pane shows beside those that need a look
_LABELS = {"event_types": "event_type", "bounce_types": "bounce_type", "bounce_subtypes": "bounce_subtype",
           "bounce_classes": "bounce class", "complaint_feedback_types": "feedback type",
           "configuration_sets": "configuration set", "recipient_domains": "recipient domain"}


def _when(rule: Rule) -> str:
    parts = [f"{_LABELS.get(key, key)} in {','.join(sorted(values))}" for key, values in rule.when.sets.items()]
    parts += [f"tag {name} in {','.join(sorted(values))}" for name, values in rule.when.tags.items()]
    if rule.when.auto_replies:
        parts.append("auto-replies included")
    return "; ".join(parts) or "every event"


def list_rules(config: ActionsConfig, store: Store | None) -> list[str]:
    """Each rule (mode, where it came from, when, actions, hits in 24 h) and each guard (state)."""
    hits = store.outbox.rule_hits(sql.now_ms() - DAY_MS) if store is not None else {}
    guards = store.outbox.guard_states() if store is not None else {}
    lines: list[str] = []
    for rule in config.rules.rules:
        lines.append(f"{rule.name}  {rule.current_mode}  {rule.origin}  hits/24h={hits.get(rule.name, 0)}")
        lines.append(f"  when {_when(rule)}")
        lines += [f"  do {describe(a.kind, a.params)}" for a in rule.do]
    for guard in config.guards:
        state = guards.get(guard.name)
        since = f" since {sql.iso_ms(state['since'])}" if state else ""
        scope = guard.configuration_set or ("the account" if guard.source == "aws" else "all mail")
        lines.append(f"guard {guard.name}  {guard.mode}  {guard.source} {guard.metric} of {scope}  "
                     f"{state['state'] if state else 'armed'}{since}")
        for name in ("warn", "pause"):
            level = getattr(guard, name)
            if level is not None:
                lines.append(f"  {name} at {level.threshold:.2%}: "
                             + (", ".join(describe(a.kind, _guard_params(guard, a)) for a in level.do) or "say so"))
    return lines or ["no rules or guards: add [[rules]] or [[guards]] to the config file"]


def _guard_params(guard: Guard, action: Any) -> dict:
    """A guard's pause_sending without a set pauses the guard's own (its crossing names it)."""
    if action.kind == "pause_sending" and not action.params.get("configuration_set") and guard.configuration_set:
        return {**action.params, "configuration_set": guard.configuration_set}
    return action.params


def test_rule(config: ActionsConfig, name: str, body: str) -> list[str]:
    """What rule `name` would do for the events in one SQS body or SES record; nothing is done."""
    rule = config.rules.get(name)
    if rule is None:
        known = ", ".join(r.name for r in config.rules.rules) or "none"
        raise ValueError(f"no rule named {name!r} (rules: {known})")
    parsed = parse_body(body)
    if not parsed.ok:
        raise ValueError(f"not an SES event: {parsed.reason}")
    lines = []
    for ev in parsed.events:
        view = {**{k: getattr(ev, k) for k in sql.EVENT_KEYS if k != "timestamp"},
                "tags": parsed.mail.tags if parsed.mail else {}, "timestamp": to_ms(ev.timestamp),
                "bounce_class": ev.bounce_class}
        who = f"{ev.event_type} for {ev.recipient}"
        if rule.current_mode == "off":
            lines.append(f"{who}: rule {name} is off: nothing")
        elif not rule.when.matches(view):
            lines.append(f"{who}: does not match ({_when(rule)})")
        else:
            prefix = "would record (dry-run)" if rule.current_mode == "dry-run" else "would"
            for action in rule.do:
                note = ""
                if action.kind in ("ses_suppress", "contact_list") and is_simulator(ev.recipient):
                    note = " - skipped: a mailbox-simulator address"
                lines.append(f"{who}: {prefix} {describe(action.kind, action.params)}{note}")
    return lines


def outbox_lines(store: Store, states: Iterable[str] | None = None, limit: int = 200) -> list[str]:
    rows = store.outbox.list_items(states, limit)
    lines = []
    for r in rows:
        extra = ""
        if r["state"] == "retrying":
            extra = f" next {sql.iso_ms(r['next_attempt_ms'])}"
        if r["last_error"]:
            extra += f" last error: {r['last_error']}"
        lines.append(f"{r['id']}  {r['state']}  {r['rule']}  {r['action_kind']}  {r['recipient'] or '-'}"
                     f"  attempts={r['attempts']}{extra}")
    return lines or ["the outbox is empty"]


def _ids(store: Store, ids: Iterable[int], states: tuple[str, ...]) -> tuple[list[int], str]:
    """The items among `ids` in one of `states`, and what is said of the others ("" if none)."""
    store.outbox.ensure()  # a database no rule has written to yet
    chosen, others = [], []
    for i in ids:
        row = store.outbox.get(i)
        if row is None:
            raise ValueError(f"no outbox item {i}")
        if row["state"] in states:
            chosen.append(i)
        else:
            others.append(f"{i} is {row['state']}")
    return chosen, f"; left as they are: {', '.join(others)}" if others else ""


def outbox_retry(store: Store, ids: Iterable[int]) -> str:
    chosen, others = _ids(store, ids, ("dead", "retrying", "discarded"))
    n = store.outbox.retry(chosen)
    return f"retry={n} (due now; the collector's deliverer runs them){others}"


def outbox_discard(store: Store, ids: Iterable[int]) -> str:
    chosen, others = _ids(store, ids, ("dead", "retrying", "pending"))
    n = store.outbox.discard(chosen)
    return f"discarded={n}{others}"


def resume(aws: Aws, store: Store | None, *, configuration_set: str | None = None, account: bool = False,
           who: str = "sestui resume", guards: Iterable[Guard] = ()) -> str:
    """Turn sending back on for a configuration set (or the account), and audit it. Each paused
    guard of `guards` that paused it is overridden: it shows `resumed` and warns again. Sending that
    was already on is said (`... was already sending`), not claimed as resumed."""
    if account:
        was_on = _sending_now(lambda: aws.ses.account_status().sending_enabled)
        outbound.set_account_sending(aws, True)
        said = "the account was already sending" if was_on else "sending resumed for the account"
    elif configuration_set:
        was_on = _sending_now(lambda: outbound.configuration_set_sending(aws, configuration_set))
        outbound.set_configuration_set_sending(aws, configuration_set, True)
        said = (f"configuration set {configuration_set} was already sending" if was_on
                else f"sending resumed for configuration set {configuration_set}")
    else:
        raise ValueError("name the configuration set to resume (--configuration-set NAME)")
    if store is not None:
        overridden = resume_guards(store.outbox, list(guards), "account" if account else str(configuration_set))
        if overridden:
            said += f" (over guard {', '.join(overridden)}: it warns again, and pauses again after it recovers)"
        store.add_audit(action="resume", origin=who, outcome="ok", actor=who,
                        detail=said)
    return said


def _sending_now(read: Callable[[], bool | None]) -> bool:
    """Whether sending is on before a resume; a state that cannot be read counts as off (the resume
    still turns it on, and says so as before)."""
    try:
        return read() is True
    except AwsError:
        return False


def load_for_cli(settings: Any) -> ActionsConfig:
    """The effective rules and guards for `settings` ([[rules]], [[guards]], [policies])."""
    from sestui.ops.policies import PolicyConfig
    from sestui.ops.routing import load

    policies = PolicyConfig.from_table(settings.tables.get("policies"))
    return load(settings.tables, policies=policies, source=str(settings.file))


def overview(config: ActionsConfig, store: Store, limit: int = 200, recent_done: int = RECENT_DONE) -> dict:
    """What the console's Actions pane shows: rules with hits over 24 h, guards with their state
    (armed / warned / paused since ...), the outbox items that need a look (pending, running,
    retrying with the next attempt and the last error, dead) and the last `recent_done` delivered."""
    hits = store.outbox.rule_hits(sql.now_ms() - DAY_MS)
    states = store.outbox.guard_states()
    return {
        "rules": [{"name": r.name, "mode": r.current_mode, "origin": r.origin, "hits_24h": hits.get(r.name, 0),
                   "actions": [describe(a.kind, a.params) for a in r.do]} for r in config.rules.rules],
        "guards": [{"name": g.name, "mode": g.mode, "metric": g.metric, "source": g.source,
                    "configuration_set": g.configuration_set,
                    "state": states.get(g.name, {}).get("state", "armed"), "since": states.get(g.name, {}).get("since"),
                    "rate": states.get(g.name, {}).get("rate")} for g in config.guards],
        "counts": store.outbox.counts(),
        "items": store.outbox.list_items(("pending", "running", "retrying", "dead"), limit)
        + (store.outbox.list_items(("done",), recent_done) if recent_done else []),
    }
