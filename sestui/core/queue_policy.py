"""SQS queue policies as `sestui setup` and `sestui doctor` read and write them: does a policy let
an SNS topic send to the queue, and the policy with one statement added that does. Pure: JSON in,
JSON out."""

from __future__ import annotations

import fnmatch
import json
import re

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def policy_admits(policy: str | None, queue_arn: str, topic_arn: str) -> str:
    """How a queue policy treats deliveries from an SNS topic: "topic" (an Allow of sqs:SendMessage
    for sns.amazonaws.com with aws:SourceArn matching the topic), "any" (such an Allow without a
    SourceArn condition: every topic may send), or "no". Deny statements are not evaluated."""
    try:
        document = json.loads(policy) if policy else {}
    except ValueError:
        return "no"
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    verdict = "no"
    for st in statements:
        if not (isinstance(st, dict) and st.get("Effect") == "Allow" and _allows_send(st.get("Action"))
                and _sns_principal(st.get("Principal")) and _covers(st.get("Resource"), queue_arn)):
            continue
        sources = _source_arn_conditions(st.get("Condition"))
        if not sources:
            verdict = "any"
        elif any(_condition_matches(op, pattern, topic_arn) for op, pattern in sources):
            return "topic"
    return verdict


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _allows_send(action) -> bool:
    return any(isinstance(a, str) and fnmatch.fnmatchcase("sqs:sendmessage", a.lower()) for a in _as_list(action))


def _sns_principal(principal) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return "*" in _as_list(principal.get("AWS")) or "sns.amazonaws.com" in _as_list(principal.get("Service"))


def _covers(resource, queue_arn: str) -> bool:
    resources = _as_list(resource)
    return not resources or any(isinstance(r, str) and fnmatch.fnmatchcase(queue_arn, r) for r in resources)


def _source_arn_conditions(condition) -> list[tuple[str, str]]:
    """(operator, value) pairs that test aws:SourceArn."""
    pairs = []
    for operator, tests in (condition or {}).items():
        if not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            if key.lower() == "aws:sourcearn":
                pairs += [(operator, v) for v in _as_list(values) if isinstance(v, str)]
    return pairs


def _condition_matches(operator: str, pattern: str, value: str) -> bool:
    op = operator.split(":")[-1].removesuffix("IfExists")
    if op in ("ArnEquals", "ArnLike", "StringLike"):  # the ARN operators take wildcards too
        return fnmatch.fnmatchcase(value, pattern)
    if op == "StringEquals":
        return value == pattern
    if op == "StringEqualsIgnoreCase":
        return value.lower() == pattern.lower()
    return False


def statement_id(topic_arn: str) -> str:
    return "sestui-" + _NAME.sub("", topic_arn.rsplit(":", 1)[-1])


def policy_with_topic(policy: str | None, queue_arn: str, topic_arn: str) -> str:
    """The queue policy with an Allow for the topic added; every other statement is kept."""
    try:
        document = json.loads(policy) if policy else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    statements = _as_list(document.get("Statement"))
    sid = statement_id(topic_arn)
    statements = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == sid)]
    statements.append({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    })
    return json.dumps({"Version": document.get("Version", "2012-10-17"), **document, "Statement": statements})
