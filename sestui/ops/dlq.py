"""The dead-letter queue of sestui's queue: how deep it is, and moving what reached it back.

A redrive sends each message back to the source queue and only then deletes it from the DLQ, so a
kill in between leaves a copy in both: the collector stores the event once either way (the event
identity absorbs the second). Done with plain receive/send/delete, which every SQS (and emulator)
has, rather than StartMessageMoveTask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sestui.aws import Aws


class DlqError(Exception):
    """The queue has no usable dead-letter queue: one line for the operator."""


@dataclass
class Redriven:
    moved: int = 0
    refused: int = 0  # sent back refused by SQS: left in the DLQ
    failures: list[str] = field(default_factory=list)


def dead_letter_queue(aws: Aws, queue_url: str) -> str:
    """The URL of the queue's dead-letter queue (its RedrivePolicy target)."""
    attributes = aws.sqs.attributes(queue_url)
    try:
        arn = json.loads(attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn")
    except (ValueError, AttributeError):
        arn = None
    if not arn:
        raise DlqError(f"{queue_url} has no dead-letter queue (`sestui setup` adds one)")
    url = aws.sqs.find(arn.rsplit(":", 1)[-1])
    if url is None:
        raise DlqError(f"the dead-letter queue {arn} does not exist")
    return url


def depth(aws: Aws, queue_url: str) -> int:
    """How many messages wait in the queue's dead-letter queue."""
    d = aws.sqs.depth(dead_letter_queue(aws, queue_url))
    return d["visible"] + d["in_flight"] + d["delayed"]


def redrive(aws: Aws, queue_url: str, *, limit: int | None = None) -> Redriven:
    """Move what reached the dead-letter queue back to `queue_url` (at most `limit` messages)."""
    done = aws.sqs.redrive(dead_letter_queue(aws, queue_url), queue_url, limit=limit)
    return Redriven(moved=done.moved, refused=len(done.failures), failures=done.failures)
