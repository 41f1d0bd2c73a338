"""The ready-made wiring of a new sandbox, built through the AWS APIs as an operator would:

a verified domain identity; an SNS topic; an SQS queue subscribed to it (SNS envelope, raw
delivery off) with the queue policy SNS needs and a dead-letter queue; the identity's Bounce, Complaint and Delivery
notifications on the topic (original headers included); a configuration set, the identity's
default, whose SNS event destination publishes every event type to the same topic; and a second
set, "marketing", for the campaigns, with the same destination and its reputation metrics on
(so SES publishes its Reputation.* figures per set; the default set's are off).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..ses.records import EVENT_KINDS, NOTIFICATION_TYPES
from .sdk_clients import Clients

IDENTITY = "sestui.test"
TOPIC_NAME = "sestui-ses-events"
QUEUE_NAME = "sestui-ses-events"
CONFIGURATION_SET = "sestui-default"
MARKETING_SET = "marketing"
EVENT_DESTINATION = "sestui-sns"


@dataclass(frozen=True)
class Wiring:
    queue_url: str
    topic_arn: str
    identity: str
    configuration_set: str


def build_wiring(clients: Clients) -> Wiring:
    ses, sesv2, sns, sqs = clients.ses, clients.sesv2, clients.sns, clients.sqs
    ses.verify_domain_identity(Domain=IDENTITY)
    topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    dlq_url = sqs.create_queue(QueueName=f"{QUEUE_NAME}-dlq", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=QUEUE_NAME, Attributes={
        "MessageRetentionPeriod": "1209600",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": queue_policy(queue_arn, topic_arn)})
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "false"})
    for kind in NOTIFICATION_TYPES:
        ses.set_identity_notification_topic(Identity=IDENTITY, NotificationType=kind, SnsTopic=topic_arn)
        ses.set_identity_headers_in_notifications_enabled(Identity=IDENTITY, NotificationType=kind, Enabled=True)
    for name in (CONFIGURATION_SET, MARKETING_SET):
        sesv2.create_configuration_set(ConfigurationSetName=name)
        sesv2.create_configuration_set_event_destination(
            ConfigurationSetName=name,
            EventDestinationName=EVENT_DESTINATION,
            EventDestination={
                "Enabled": True,
                "MatchingEventTypes": [enum for _, enum in EVENT_KINDS.values()],
                "SnsDestination": {"TopicArn": topic_arn},
            },
        )
    sesv2.put_configuration_set_reputation_options(ConfigurationSetName=MARKETING_SET, ReputationMetricsEnabled=True)
    sesv2.put_email_identity_configuration_set_attributes(EmailIdentity=IDENTITY,
                                                           ConfigurationSetName=CONFIGURATION_SET)
    return Wiring(queue_url, topic_arn, IDENTITY, CONFIGURATION_SET)


def queue_policy(queue_arn: str, topic_arn: str) -> str:
    """The policy that lets the topic deliver to the queue (AWS requires it; moto ignores it)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowSesEventsTopic",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
        }],
    })
