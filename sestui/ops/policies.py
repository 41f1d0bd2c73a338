"""Suppression policies: act on bounces and complaints as the SES documentation asks senders to.

Each rule is `off`, `dry-run` (only record what it would have done) or `on`:
  complaint    - a complaint suppresses the address at once (reason COMPLAINT)
  hard_bounce  - a Permanent bounce suppresses at once (reason BOUNCE)
  soft_bounce  - `soft_bounce_count` Transient bounces within `soft_bounce_days` suppress (reason BOUNCE)
Out-of-office auto-responses that SES reports as Transient bounces never count. Every decision,
made or only considered, goes to the audit table with the message id that caused it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Iterable

from sestui.ops import suppressions as service
from sestui.aws import Aws, AwsError
from sestui.config.schema import POLICY_MODES, POLICY_RULES, Policies, parse_policies
from sestui.core.classify import AUTO_REPLY, complaint_counts, is_auto_response
from sestui.core.events import Event, Parsed
from sestui.store import Store, now_ms

log = logging.getLogger("sestui.policies")

MODES, RULES = POLICY_MODES, POLICY_RULES
_TEST_DOMAIN = "@simulator.amazonses.com"


class PolicyConfig(Policies):
    """The policies as the engine applies them; the console may cycle a rule's mode while it runs."""

    @classmethod
    def from_table(cls, table: dict | None) -> "PolicyConfig":
        """From the config file's [policies] table; ValueError names a bad entry."""
        return cls(**asdict(parse_policies(table or {})))

    def mode(self, rule: str) -> str:
        return getattr(self, rule)

    def cycle(self, rule: str) -> str:
        """off -> dry-run -> on -> off (the console's toggle)."""
        mode = MODES[(MODES.index(self.mode(rule)) + 1) % len(MODES)]
        setattr(self, rule, mode)
        return mode

    def describe(self, rule: str) -> str:
        if rule == "soft_bounce":
            return f"{self.soft_bounce_count} soft bounces within {self.soft_bounce_days} days suppress"
        return {"complaint": "a complaint suppresses at once",
                "hard_bounce": "a permanent bounce suppresses at once"}[rule]


@dataclass(frozen=True)
class Decision:
    rule: str
    email: str
    reason: str
    message_id: str
    detail: str
    dry_run: bool


class PolicyEngine:
    """Applied by the collector after each commit; `config` may be changed while it runs."""

    def __init__(self, config: PolicyConfig, aws: Aws, store: Store):
        self.config, self.aws, self.store = config, aws, store

    @property
    def active(self) -> bool:
        return any(self.config.mode(rule) != "off" for rule in RULES)

    def decide(self, events: Iterable[Event], now: int | None = None) -> list[Decision]:
        now = now if now is not None else now_ms()
        decisions: dict[str, Decision] = {}
        for ev in events:
            email = ev.recipient
            if email.lower() in decisions or email.lower().endswith(_TEST_DOMAIN):
                continue
            decision = self._rule_for(ev, now)
            if decision is not None:
                decisions[email.lower()] = decision
        if not decisions:
            return []
        listed = {row["email"].lower() for row in self.store.suppressions_for([d.email for d in decisions.values()])}
        return [d for key, d in decisions.items() if key not in listed and not self._decided_before(d)]

    def _decided_before(self, decision: Decision) -> bool:
        """Whether this rule already acted (or, in a dry run, said it would) on this address for this
        message: SQS redelivers a message, and another collector may have stored it first. Without
        this a dry run wrote its row again for every delivery, and an address the operator took off
        the list was put back by the old bounce."""
        origin = f"policy {decision.rule}"
        return any(row["origin"] == origin and row["message_id"] == decision.message_id
                   and row["outcome"] in ("ok", "dry-run") for row in self.store.audit(limit=100, email=decision.email))

    def _rule_for(self, ev: Event, now: int) -> Decision | None:
        cfg = self.config
        if ev.event_type == "complaint" and cfg.complaint != "off" \
                and complaint_counts(ev.complaint_sub_type, ev.complaint_feedback_type):
            return Decision("complaint", ev.recipient, "COMPLAINT", ev.message_id,
                            f"complaint{' (' + ev.complaint_feedback_type + ')' if ev.complaint_feedback_type else ''}",
                            cfg.complaint == "dry-run")
        if ev.event_type != "bounce":
            return None
        if ev.bounce_type == "Permanent":
            if cfg.hard_bounce == "off" or ev.bounce_subtype == "OnAccountSuppressionList":
                return None
            return Decision("hard_bounce", ev.recipient, "BOUNCE", ev.message_id,
                            f"permanent bounce {ev.bounce_subtype or ''}".strip(), cfg.hard_bounce == "dry-run")
        if cfg.soft_bounce == "off" or ev.bounce_class == AUTO_REPLY or is_auto_response(ev.bounce_type,
                                                                                          ev.diagnostic_code):
            return None
        since = now - cfg.soft_bounce_days * 86_400_000
        recent = [b for b in self.store.bounces_for(ev.recipient, since)
                  if b["bounce_type"] != "Permanent" and b["bounce_class"] != AUTO_REPLY
                  and not is_auto_response(b["bounce_type"], b["diagnostic_code"])]
        if len(recent) < cfg.soft_bounce_count:
            return None
        return Decision("soft_bounce", ev.recipient, "BOUNCE", ev.message_id,
                        f"{len(recent)} soft bounces in {cfg.soft_bounce_days} days", cfg.soft_bounce == "dry-run")

    def apply(self, parsed: list[Parsed]) -> list[Decision]:
        """Decide on freshly committed events and act (or record the dry run)."""
        if not self.active:
            return []
        decisions = self.decide(ev for p in parsed for ev in p.events)
        for d in decisions:
            origin = f"policy {d.rule}"
            if d.dry_run:
                self.store.add_audit(action="add", origin=origin, outcome="dry-run", email=d.email, reason=d.reason,
                                     actor="sestui policy", detail=d.detail, message_id=d.message_id)
                continue
            try:
                service.add(self.aws, self.store, d.email, d.reason, origin=origin, message_id=d.message_id,
                            detail=d.detail, who="sestui policy")
            except (AwsError, ValueError) as exc:
                log.warning("policy %s could not suppress %s: %s", d.rule, d.email, exc)
        return decisions
