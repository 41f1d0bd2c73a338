"""The AWS calls the actions make: forwards to the sender's own SNS topic or SQS queue, SESv2
contact-list unsubscribes, pausing and resuming sending. Errors come back as AwsError (aws.call)."""

from __future__ import annotations

import hashlib
from datetime import UTC

from sestui.aws.client import Aws, AwsError


def publish(aws: Aws, topic_arn: str, message: str, *, dedup_id: str | None = None) -> str:
    params = {"TopicArn": topic_arn, "Message": message}
    if topic_arn.endswith(".fifo") and dedup_id:
        params.update(MessageGroupId="sestui", MessageDeduplicationId=dedup_id)
    return aws.call("sns", "Publish", **params).get("MessageId", "")


def send_message(aws: Aws, queue_url: str, body: str, *, dedup_id: str | None = None,
                 group: str | None = None) -> str:
    params = {"QueueUrl": queue_url, "MessageBody": body}
    if queue_url.endswith(".fifo"):
        params["MessageGroupId"] = hashlib.sha256((group or "sestui").encode()).hexdigest()[:64]
        if dedup_id:
            params["MessageDeduplicationId"] = dedup_id
    return aws.call("sqs", "SendMessage", **params).get("MessageId", "")


def unsubscribe_contact(aws: Aws, contact_list: str, email: str, topic: str | None = None) -> str:
    """Unsubscribe `email` from all of `contact_list`'s topics, or OPT_OUT of one topic (keeping its
    other preferences). Returns what was done, in words; a contact not on the list is left alone."""
    try:
        contact = aws.call("sesv2", "GetContact", ContactListName=contact_list, EmailAddress=email)
    except AwsError as exc:
        if exc.kind == "not_found":
            return f"{email} is not on contact list {contact_list}: nothing to do"
        raise
    if topic is None:
        if contact.get("UnsubscribeAll"):
            return f"{email} was already unsubscribed from {contact_list}"
        aws.call("sesv2", "UpdateContact", ContactListName=contact_list, EmailAddress=email, UnsubscribeAll=True)
        return f"unsubscribed {email} from every topic of {contact_list}"
    prefs = [p for p in contact.get("TopicPreferences") or [] if p.get("TopicName") != topic]
    prefs.append({"TopicName": topic, "SubscriptionStatus": "OPT_OUT"})
    aws.call("sesv2", "UpdateContact", ContactListName=contact_list, EmailAddress=email, TopicPreferences=prefs,
             UnsubscribeAll=bool(contact.get("UnsubscribeAll")))
    return f"opted {email} out of topic {topic} of {contact_list}"


def set_configuration_set_sending(aws: Aws, configuration_set: str, enabled: bool) -> None:
    aws.call("sesv2", "PutConfigurationSetSendingOptions", ConfigurationSetName=configuration_set,
             SendingEnabled=enabled)


def configuration_set_sending(aws: Aws, configuration_set: str) -> bool:
    resp = aws.call("sesv2", "GetConfigurationSet", ConfigurationSetName=configuration_set)
    return bool((resp.get("SendingOptions") or {}).get("SendingEnabled", True))


def set_account_sending(aws: Aws, enabled: bool) -> None:
    aws.call("sesv2", "PutAccountSendingAttributes", SendingEnabled=enabled)


def reputation_rate(aws: Aws, metric: str, configuration_set: str | None = None) -> float | None:
    """AWS's latest `Reputation.BounceRate` / `Reputation.ComplaintRate` (a fraction) for the account
    or one configuration set, from CloudWatch over the last day; None when AWS has published none."""
    from datetime import datetime, timedelta

    name = {"bounce_rate": "Reputation.BounceRate", "complaint_rate": "Reputation.ComplaintRate"}[metric]
    dims = [{"Name": "ses:configuration-set", "Value": configuration_set}] if configuration_set else []
    end = datetime.now(UTC) + timedelta(minutes=5)  # the current period included
    resp = aws.call("cloudwatch", "GetMetricStatistics", Namespace="AWS/SES", MetricName=name, Dimensions=dims,
                    StartTime=end - timedelta(days=1), EndTime=end, Period=3600, Statistics=["Maximum"])
    points = sorted(resp.get("Datapoints") or [], key=lambda p: p["Timestamp"])
    return float(points[-1]["Maximum"]) if points else None
