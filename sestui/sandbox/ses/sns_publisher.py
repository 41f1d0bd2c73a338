"""Publishing SES records to SNS topics, through moto's SNS.

Going through moto's topic publish means its subscriptions decide where a record lands: which
queues are subscribed, their RawMessageDelivery attribute and filter policies. The record is
passed as a JSON string, so the SNS envelope's `Message` is a string, as in AWS.
"""

from __future__ import annotations

import json
import logging

from moto.sns.exceptions import SNSNotFoundError
from moto.sns.models import sns_backends

log = logging.getLogger(__name__)


def publish(topic_arn: str, record: dict, subject: str | None = None) -> bool:
    """Publish one record; False when the topic does not exist (SES drops such notifications)."""
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        log.debug("not an SNS topic ARN: %s", topic_arn)
        return False
    region, account = parts[3], parts[4]
    backend = sns_backends[account][region]
    try:
        topic = backend.get_topic(topic_arn)
        topic.publish(json.dumps(record, ensure_ascii=False), subject=subject)
    except SNSNotFoundError:
        return False
    # moto keeps every published message on the topic; nothing reads them back here, and a long
    # demo would otherwise grow without bound.
    topic.sent_notifications.clear()
    return True
