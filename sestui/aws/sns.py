"""SNS: `aws.sns` — the topic SES publishes to and the queue subscriptions that read it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sestui.aws.client import Aws


class Sns:
    def __init__(self, aws: Aws):
        self._aws = aws

    def find_topic(self, name: str) -> str | None:
        """The ARN of the topic with this name in the region, or None."""
        for page in self._aws.pages("sns", "ListTopics"):
            for topic in page.get("Topics", []):
                if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                    arn: str = topic["TopicArn"]
                    return arn
        return None

    def topic_attributes(self, topic_arn: str) -> dict[str, str] | None:
        resp = self._aws.call_or_none("sns", "GetTopicAttributes", TopicArn=topic_arn)
        return None if resp is None else resp.get("Attributes", {})

    def create_topic(self, name: str) -> str:
        arn: str = self._aws.call("sns", "CreateTopic", Name=name)["TopicArn"]
        return arn

    def subscriptions(self, topic_arn: str) -> list[dict[str, Any]]:
        """Every subscription of a topic: SubscriptionArn (or "PendingConfirmation"), Protocol, Endpoint."""
        return [s for page in self._aws.pages("sns", "ListSubscriptionsByTopic", TopicArn=topic_arn)
                for s in page.get("Subscriptions", [])]

    def endpoint_subscriptions(self, endpoint: str) -> list[dict[str, Any]]:
        """Every subscription in the account whose endpoint is this one (e.g. a queue ARN)."""
        return [s for page in self._aws.pages("sns", "ListSubscriptions")
                for s in page.get("Subscriptions", []) if s.get("Endpoint") == endpoint]

    def subscription_attributes(self, subscription_arn: str) -> dict[str, str] | None:
        resp = self._aws.call_or_none("sns", "GetSubscriptionAttributes", SubscriptionArn=subscription_arn)
        return None if resp is None else resp.get("Attributes", {})

    def subscribe_queue(self, topic_arn: str, queue_arn: str, *, raw: bool = False) -> str:
        """Subscribe an SQS queue to a topic; returns the subscription ARN ("pending confirmation"
        when the topic's owner must confirm it, as for a topic in another account)."""
        arn: str = self._aws.call("sns", "Subscribe", TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                  Attributes={"RawMessageDelivery": "true" if raw else "false"},
                                  ReturnSubscriptionArn=True)["SubscriptionArn"]
        return arn

    def set_subscription_attribute(self, subscription_arn: str, name: str, value: str) -> None:
        self._aws.call("sns", "SetSubscriptionAttributes", SubscriptionArn=subscription_arn,
                       AttributeName=name, AttributeValue=value)
