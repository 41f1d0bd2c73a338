"""Rules: validation (one line naming the rule and key), matching, and [policies] as rules."""

from __future__ import annotations

import tomllib

import pytest
from fixtures import RULES_CONTRACT

from sestui.core.rules import (
    RuleError,
    RuleSet,
    bounce_class,
    parse_rules,
    rules_from_policies,
)


def ev(event_type="bounce", recipient="a@example.org", **kw):
    base = {"event_type": event_type, "recipient": recipient, "message_id": "m1"}
    if event_type == "bounce":
        base.update(bounce_type="Permanent", bounce_subtype="General", diagnostic_code="smtp; 550 5.1.1 unknown")
    return {**base, **kw}


def one(when: dict, mode: str = "on") -> RuleSet:
    return RuleSet(parse_rules([{"name": "r", "mode": mode, "when": when,
                                 "do": [{"action": "command", "argv": ["true"]}]}]))


def test_the_contract_example_parses_and_matches():
    rules = RuleSet(parse_rules(tomllib.loads(RULES_CONTRACT)["rules"]))
    [(rule, action)] = rules.matching(ev())
    assert rule.name == "feedback-to-app" and action.kind == "webhook"
    assert action.get("secret_env") == "SESTUI_WEBHOOK_SECRET"
    assert rules.matching(ev("complaint", complaint_feedback_type="abuse"))
    assert not rules.matching(ev("delivery"))


def test_not_spam_never_counts_as_a_complaint():
    rules = one({"event_types": ["complaint"]})
    assert rules.matching(ev("complaint"))
    assert not rules.matching(ev("complaint", complaint_feedback_type="not-spam"))


def test_auto_replies_are_excluded_unless_asked():
    ooto = ev(bounce_type="Transient", bounce_subtype="General",
              diagnostic_code="smtp; 250 Auto-Reply: I am out of the office")
    assert bounce_class("Transient", "General", ooto["diagnostic_code"]) == "auto_reply"
    assert not one({"event_types": ["bounce"]}).matching(ooto)
    assert one({"event_types": ["bounce"], "auto_replies": True}).matching(ooto)
    assert one({"bounce_classes": ["auto_reply"]}).matching(ooto)


def test_bounce_fields_classes_domains_sets_and_tags():
    soft = ev(bounce_type="Transient", bounce_subtype="MailboxFull", diagnostic_code="452 4.2.2 mailbox full")
    assert one({"bounce_classes": ["soft"]}).matching(soft) and not one({"bounce_classes": ["hard"]}).matching(soft)
    assert one({"bounce_types": "Transient", "bounce_subtypes": ["MailboxFull"]}).matching(soft)
    assert not one({"bounce_classes": ["hard"]}).matching(ev(bounce_subtype="OnAccountSuppressionList"))
    assert one({"recipient_domains": ["@Example.org"]}).matching(ev(recipient="X@EXAMPLE.ORG"))
    assert not one({"recipient_domains": ["example.org"]}).matching(ev(recipient="x@sub.example.com"))
    assert one({"configuration_sets": ["shop"]}).matching(ev(configuration_set="shop"))
    assert not one({"configuration_sets": ["shop"]}).matching(ev(configuration_set="news"))
    tagged = ev(tags={"campaign": ["winter", "promo"]})
    assert one({"tags": {"campaign": "winter"}}).matching(tagged)
    assert not one({"tags": {"campaign": ["summer"]}}).matching(tagged)
    assert not one({"tags": {"campaign": "winter"}}).matching(ev())


def test_simulator_recipients_match_like_any_other():
    assert one({"event_types": ["bounce"]}).matching(ev(recipient="bounce@simulator.amazonses.com"))


def test_off_matches_nothing_and_dry_run_still_matches():
    assert not one({"event_types": ["bounce"]}, mode="off").matching(ev())
    assert one({"event_types": ["bounce"]}, mode="dry-run").matching(ev())


@pytest.mark.parametrize("table, message", [
    ({"mode": "on"}, "rule #1: name is required"),
    ({"name": "x", "mode": "always", "do": []}, "rule 'x': mode must be one of off, dry-run, on, not 'always'"),
    ({"name": "x", "when": {"event_type": ["bounce"]}, "do": [{"action": "command", "argv": ["a"]}]},
     "rule 'x': when has no key 'event_type'"),
    ({"name": "x", "when": {"event_types": ["bounced"]}, "do": [{"action": "command", "argv": ["a"]}]},
     "rule 'x': when.event_types has 'bounced'"),
    ({"name": "x", "do": []}, "rule 'x': do must list at least one action"),
    ({"name": "x", "do": [{"action": "email"}]}, "rule 'x': do[0].action must be one of"),
    ({"name": "x", "do": [{"action": "webhook"}]}, "rule 'x': do[0] (webhook) needs 'url'"),
    ({"name": "x", "do": [{"action": "webhook", "url": "ftp://h"}]}, "rule 'x': do[0].url must be an http"),
    ({"name": "x", "do": [{"action": "webhook", "url": "http://h", "secert": "s"}]},
     "rule 'x': do[0] (webhook) has no key 'secert'"),
    ({"name": "x", "do": [{"action": "command", "argv": "rm -rf /"}]}, "rule 'x': do[0].argv must be a non-empty list"),
    ({"name": "x", "do": [{"action": "pause_sending", "scope": "world"}]}, "rule 'x': do[0].scope must be"),
    ({"name": "x", "do": [{"action": "webhook", "url": "http://h", "timeout": 0}]}, "rule 'x': do[0].timeout must be"),
])
def test_bad_rules_are_one_line_naming_the_rule_and_key(table, message):
    with pytest.raises(RuleError) as err:
        parse_rules([table])
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_names_are_unique():
    rule = {"name": "x", "do": [{"action": "command", "argv": ["a"]}]}
    with pytest.raises(RuleError, match="used twice"):
        parse_rules([rule, dict(rule)])


class Policies:
    complaint, hard_bounce, soft_bounce = "on", "dry-run", "off"
    soft_bounce_count, soft_bounce_days = 3, 7


def test_policies_become_ses_suppress_rules_that_follow_the_live_mode():
    policies = Policies()
    rules = RuleSet(rules_from_policies(policies))
    [(rule, action)] = rules.matching(ev("complaint"))
    assert rule.name == "policy:complaint" and action.kind == "ses_suppress" and action.get("reason") == "COMPLAINT"
    [(hard, _)] = rules.matching(ev())
    assert hard.current_mode == "dry-run"
    soft = ev(bounce_type="Transient", bounce_subtype="MailboxFull", diagnostic_code="452 full")
    assert rules.matching(soft) == []
    policies.soft_bounce = "on"  # the console toggles a policy: the rule follows
    [(rule, action)] = rules.matching(soft)
    assert rule.name == "policy:soft_bounce" and action.get("after_soft_bounces") == 3
