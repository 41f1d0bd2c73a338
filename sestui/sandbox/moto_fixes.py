"""Corrections to moto (5.2) that keep the sandbox usable as a long-running endpoint.

moto's SQS recomputes every queue attribute, three O(n) message counts among them, on each
SendMessage, and several times per message returned by ReceiveMessage (to read the retention
period). Each count asks every message whether it is visible or delayed, through a datetime-based
clock. With a few thousand records waiting (a demo whose console started late), draining fell to a
handful of records per second and each SNS delivery into the queue cost milliseconds. The
retention check now reads the one attribute it needs, and messages tell the time with time.time().
"""

from __future__ import annotations

import time

from moto.sqs.models import Message, SQSBackend


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention = self.get_queue(queue_name).message_retention_period
    return message.sent_timestamp / 1000 + retention > time.time()


def _visible(self: Message) -> bool:
    return time.time() * 1000 > self.visible_at


def _delayed(self: Message) -> bool:
    return time.time() * 1000 < self.delayed_until


def apply() -> None:
    """Idempotent."""
    SQSBackend.is_message_valid_based_on_retention_period = _retained
    Message.visible = property(_visible)
    Message.delayed = property(_delayed)
