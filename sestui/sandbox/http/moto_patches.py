"""Corrections to moto (5.2) that keep the sandbox usable as a long-running endpoint.

moto's SQS recomputes every queue attribute, three O(n) message counts among them, on each
SendMessage, and several times per message returned by ReceiveMessage (to read the retention
period). Each count asks every message whether it is visible or delayed, through a datetime-based
clock. With a few thousand records waiting (a demo whose console started late), draining fell to a
handful of records per second and each SNS delivery into the queue cost milliseconds. The
retention check now reads the one attribute it needs, and messages tell the time with time.time().

moto's Queue.delete_message rebuilds the message list and assigns it back without a lock, while the
server answers requests on several threads: two concurrent DeleteMessageBatch calls could bring a
deleted message back (received again after its visibility timeout), and a message that SNS added
meanwhile could vanish. Deleting and receiving now hold the queue's own lock (the one SendMessage
takes), as SQS itself behaves atomically.

moto's SetQueueAttributes also drops the queue policy whenever the call does not name it.

moto's CloudWatch GetMetricData answers a query without dimensions with every series of that
name, whatever its dimensions; CloudWatch matches the dimensions exactly, so the account's
Reputation.BounceRate (no dimensions) is not averaged with the configuration sets' series.

moto's CreateQueue of a queue that exists with other attributes says only "The specified queue
already exists."; SQS names the attribute that differs.

moto's SNS GetTopicAttributes leaves out SignatureVersion once SetTopicAttributes set it (SNS lists
it; its absence means 1).

SNS envelopes (signature, certificate, unsubscribe URL) are made by `sns_envelopes`.
"""

from __future__ import annotations

import time

from moto.cloudwatch.models import CloudWatchBackend
from moto.sns.responses import SNSResponse
from moto.sqs.exceptions import QueueAlreadyExists
from moto.sqs.models import Message, Queue, SQSBackend

_ORIGINAL = {"delete": Queue.delete_message, "receive": SQSBackend.receive_message,
             "set_attributes": Queue._set_attributes, "metric_data": CloudWatchBackend.get_metric_data,
             "topic_attributes": SNSResponse.get_topic_attributes, "create_queue": SQSBackend.create_queue}


class _Undimensioned:
    """A CloudWatch backend seen through: only its datapoints without dimensions."""

    def __init__(self, backend: CloudWatchBackend):
        self._backend = backend

    def get_all_metrics(self) -> list:
        return [md for md in self._backend.get_all_metrics() if not md.dimensions]

    def __getattr__(self, name: str):
        return getattr(self._backend, name)


def _get_metric_data(self: CloudWatchBackend, queries: list, start_time, end_time, scan_by: str = "TimestampAscending"):
    original = _ORIGINAL["metric_data"]
    bare = [q for q in queries if "MetricStat" in q and not q["MetricStat"]["Metric"].get("Dimensions")]
    if not bare or any("Expression" in q for q in queries):
        return original(self, queries, start_time, end_time, scan_by)
    rest = [q for q in queries if q not in bare]
    results = original(_Undimensioned(self), bare, start_time, end_time, scan_by)
    if rest:
        results += original(self, rest, start_time, end_time, scan_by)
    order = {q["Id"]: i for i, q in enumerate(queries)}
    return sorted(results, key=lambda r: order.get(r["id"], len(order)))


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention = self.get_queue(queue_name).message_retention_period
    return message.sent_timestamp / 1000 + retention > time.time()


def _visible(self: Message) -> bool:
    return time.time() * 1000 > self.visible_at


def _delayed(self: Message) -> bool:
    return time.time() * 1000 < self.delayed_until


def _locked_delete(self: Queue, receipt_handle: str) -> None:
    with self._messages_lock:
        _ORIGINAL["delete"](self, receipt_handle)


def _locked_receive(self: SQSBackend, queue_name: str, *args, **kwargs) -> list[Message]:
    # The wait for new messages inside releases the lock (it is the condition SendMessage notifies).
    with self.get_queue(queue_name)._messages_lock:
        return _ORIGINAL["receive"](self, queue_name, *args, **kwargs)


def _set_attributes_keeping_policy(self: Queue, attributes: dict, *args, **kwargs) -> None:
    # moto sets the Policy to None whenever SetQueueAttributes omits it; SQS leaves it alone.
    policy = getattr(self, "policy", None)  # unset while the queue is being created
    _ORIGINAL["set_attributes"](self, attributes, *args, **kwargs)
    if "Policy" not in attributes:
        self.policy = policy


def _create_queue_naming_the_attribute(self: SQSBackend, name: str, tags=None, **kwargs):
    try:
        return _ORIGINAL["create_queue"](self, name, tags, **kwargs)
    except QueueAlreadyExists:
        given = {k: v for k, v in kwargs.items() if k != "region"}
        wanted = Queue(name, region=self.region_name, account_id=self.account_id, **given).attributes
        existing = self.queues[name].attributes
        differs = next((k for k in given if existing.get(k) != wanted.get(k)), "")
        raise QueueAlreadyExists("A queue already exists with the same name and a different value for attribute "
                                 f"{differs}") from None


def _topic_attributes_with_signature_version(self: SNSResponse):
    answer = _ORIGINAL["topic_attributes"](self)
    version = getattr(self.backend.get_topic(self._get_param("TopicArn")), "signature_version", None)
    if version is not None:
        answer.result["Attributes"]["SignatureVersion"] = str(version)
    return answer


def apply() -> None:
    """Idempotent."""
    from . import sns_envelopes

    sns_envelopes.apply()
    SQSBackend.is_message_valid_based_on_retention_period = _retained
    Message.visible = property(_visible)
    Message.delayed = property(_delayed)
    Queue.delete_message = _locked_delete
    SQSBackend.receive_message = _locked_receive
    Queue._set_attributes = _set_attributes_keeping_policy
    CloudWatchBackend.get_metric_data = _get_metric_data
    SNSResponse.get_topic_attributes = _topic_attributes_with_signature_version
    SQSBackend.create_queue = _create_queue_naming_the_attribute
