"""`sestui setup`'s last phase: apply the plan (ops/setup.py) to the account, step by step."""

from __future__ import annotations

import json
from dataclasses import replace

from sestui.aws import Aws
from sestui.core.queue_policy import policy_with_topic
from sestui.ops.setup import (
    ALL_EVENT_TYPES,
    CHANGE,
    CREATE,
    MAX_RECEIVE_COUNT,
    NOTIFICATION_TYPES,
    RETENTION_SECONDS,
    Current,
    Request,
    Step,
    best_destination,
    destination_name,
    verify_hint,
)


class Setup:
    """Apply a plan, in order; each step reports what it did (a failure stops at that step)."""

    def __init__(self, aws: Aws, request: Request, current: Current):
        self.aws, self.request, self.cur = aws, request, current

    def apply(self, steps: list[Step], on_step=None) -> list[Step]:
        done = []
        for step in steps:
            detail = step.detail
            if step.action in (CREATE, CHANGE):
                detail = getattr(self, f"_{step.key}")(step) or detail
            result = replace(step, detail=detail)
            done.append(result)
            if on_step is not None:
                on_step(result)
        return done

    def _identity(self, step: Step) -> str:
        token = self.aws.ses.verify_identity(self.request.identity)
        status = (self.aws.ses.identity_verification(self.request.identity) or {}).get("VerificationStatus")
        self.cur.identity_status = status
        if status == "Success":
            return f"{self.request.identity} (verified)"
        if token:
            return f"{self.request.identity}: verification started: publish TXT _amazonses.{self.request.identity} = {token}"
        return f"{self.request.identity}: verification started: {verify_hint(self.request.identity)}"

    def _topic(self, step: Step) -> None:
        self.cur.topic_arn = self.aws.sns.create_topic(self.request.topic)
        self.cur.topic_exists = True

    def _dlq(self, step: Step) -> None:
        self.cur.dlq_url = self.aws.sqs.create(self.cur.dlq_name,
                                               {"MessageRetentionPeriod": str(RETENTION_SECONDS)})
        self.cur.dlq_arn = self.aws.sqs.attributes(self.cur.dlq_url).get("QueueArn", self.cur.dlq_arn)

    def _queue(self, step: Step) -> None:
        redrive = json.dumps({"deadLetterTargetArn": self.cur.dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
        if self.cur.queue_url is None:
            self.cur.queue_url = self.aws.sqs.create(self.request.queue, {
                "MessageRetentionPeriod": str(RETENTION_SECONDS), "RedrivePolicy": redrive})
        else:
            self.aws.sqs.set_attributes(self.cur.queue_url, {"RedrivePolicy": redrive})
        self.cur.queue_attributes = self.aws.sqs.attributes(self.cur.queue_url)
        self.cur.queue_arn = self.cur.queue_attributes.get("QueueArn", self.cur.queue_arn)

    def _policy(self, step: Step) -> None:
        policy = policy_with_topic(self.cur.queue_attributes.get("Policy"), self.cur.queue_arn, self.cur.topic_arn)
        self.aws.sqs.set_attributes(self.cur.queue_url, {"Policy": policy})
        self.cur.queue_attributes["Policy"] = policy

    def _subscription(self, step: Step) -> str | None:
        sub = self.cur.subscription
        if sub is None:
            arn = self.aws.sns.subscribe_queue(self.cur.topic_arn, self.cur.queue_arn)
            self.cur.subscription = {"SubscriptionArn": arn, "RawMessageDelivery": "false",
                                     "PendingConfirmation": "false" if arn.startswith("arn:") else "true"}
            if not arn.startswith("arn:"):
                return "created, pending confirmation (the topic's owner must confirm it)"
            return None
        self.aws.sns.set_subscription_attribute(sub["SubscriptionArn"], "RawMessageDelivery", "false")
        sub["RawMessageDelivery"] = "false"
        return None

    def _configuration_set(self, step: Step) -> None:
        self.aws.configuration_sets.create(self.request.configuration_set)
        self.cur.configuration_set_exists = True

    def _reputation_metrics(self, step: Step) -> None:
        self.aws.configuration_sets.set_reputation_metrics(self.request.configuration_set, True)
        self.cur.reputation_metrics = True

    def _destination(self, step: Step) -> None:
        best = best_destination(self.cur.destinations, self.cur.topic_arn)
        name = best["Name"] if best else destination_name(self.request.topic)
        taken = {d.get("Name") for d in self.cur.destinations}
        extra = [t for t in (best or {}).get("MatchingEventTypes") or [] if t not in ALL_EVENT_TYPES]
        types = list(ALL_EVENT_TYPES) + extra
        self.aws.configuration_sets.put_event_destination(self.request.configuration_set, name,
                                                          self.cur.topic_arn, types, update=name in taken)
        self.cur.destinations = self.aws.configuration_sets.event_destinations(self.request.configuration_set)

    def _default_set(self, step: Step) -> None:
        self.aws.ses.set_default_configuration_set(self.request.identity, self.request.configuration_set)
        self.cur.identity_default_set = self.request.configuration_set

    def _notifications(self, step: Step) -> None:
        for kind in NOTIFICATION_TYPES:
            if self.cur.notifications.get(f"{kind}Topic") != self.cur.topic_arn:
                self.aws.ses.set_notification_topic(self.request.identity, kind, self.cur.topic_arn)
            if not self.cur.notifications.get(f"HeadersIn{kind}NotificationsEnabled"):
                self.aws.ses.set_headers_in_notifications(self.request.identity, kind, True)
        self.cur.notifications = self.aws.ses.notifications(self.request.identity)
