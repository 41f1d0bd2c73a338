"""SQS: `aws.sqs` — receive, delete, visibility, queue depth and attributes, and the dead-letter
queue's way back (`redrive`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sestui.aws.errors import AwsError

if TYPE_CHECKING:
    from sestui.aws.client import Aws

BATCH = 10  # SQS's limit for every *Batch operation and for one ReceiveMessage


@dataclass(frozen=True)
class SqsMessage:
    message_id: str
    receipt_handle: str
    body: str


@dataclass(frozen=True)
class HandleFailure:
    """One entry of a batch that SQS refused (the message stays as it was)."""

    receipt_handle: str
    reason: str


@dataclass
class Redrive:
    """What `Sqs.redrive` did: how many messages went back, and why the rest stayed."""

    moved: int = 0
    failures: list[str] = field(default_factory=list)


class Sqs:
    def __init__(self, aws: Aws):
        self._aws = aws

    def receive(self, queue_url: str, *, max_messages: int = BATCH, wait_seconds: int = 20,
                visibility_timeout: int | None = None) -> list[SqsMessage]:
        return [SqsMessage(m["MessageId"], m["ReceiptHandle"], m.get("Body", ""))
                for m in self._receive(queue_url, max_messages, wait_seconds, visibility_timeout)]

    def _receive(self, queue_url: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None,
                 **extra: Any) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"QueueUrl": queue_url, "MaxNumberOfMessages": max_messages,
                                  "WaitTimeSeconds": wait_seconds, **extra}
        if visibility_timeout is not None:
            params["VisibilityTimeout"] = visibility_timeout
        messages: list[dict[str, Any]] = self._aws.call("sqs", "ReceiveMessage", **params).get("Messages", [])
        return messages

    def delete(self, queue_url: str, receipt_handles: list[str]) -> list[HandleFailure]:
        """Delete in batches of 10; returns the entries SQS refused (they will be redelivered)."""
        return self._batches(queue_url, "DeleteMessageBatch", receipt_handles, {})

    def change_visibility(self, queue_url: str, receipt_handles: list[str], timeout: int) -> list[HandleFailure]:
        """Make received messages visible again after `timeout` seconds (0: now), in batches of 10."""
        return self._batches(queue_url, "ChangeMessageVisibilityBatch", receipt_handles,
                             {"VisibilityTimeout": timeout})

    def _batches(self, queue_url: str, operation: str, handles: list[str], each: dict[str, Any]) -> list[HandleFailure]:
        failures: list[HandleFailure] = []
        for start in range(0, len(handles), BATCH):
            chunk = handles[start:start + BATCH]
            entries = [{"Id": str(i), "ReceiptHandle": h, **each} for i, h in enumerate(chunk)]
            resp = self._aws.call("sqs", operation, QueueUrl=queue_url, Entries=entries)
            failures += [HandleFailure(chunk[int(f["Id"])], f.get("Message") or f.get("Code", ""))
                         for f in resp.get("Failed", [])]
        return failures

    def depth(self, queue_url: str) -> dict[str, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        attrs = self._aws.call("sqs", "GetQueueAttributes", QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        return {
            "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        }

    def find(self, name: str) -> str | None:
        """The URL of the queue with this name, or None."""
        resp = self._aws.call_or_none("sqs", "GetQueueUrl", QueueName=name)
        return resp["QueueUrl"] if resp else None

    def attributes(self, queue_url: str) -> dict[str, str]:
        attrs: dict[str, str] = self._aws.call("sqs", "GetQueueAttributes", QueueUrl=queue_url,
                                               AttributeNames=["All"]).get("Attributes", {})
        return attrs

    def create(self, name: str, attributes: dict[str, str]) -> str:
        url: str = self._aws.call("sqs", "CreateQueue", QueueName=name, Attributes=attributes)["QueueUrl"]
        return url

    def set_attributes(self, queue_url: str, attributes: dict[str, str]) -> None:
        self._aws.call("sqs", "SetQueueAttributes", QueueUrl=queue_url, Attributes=attributes)

    def redrive(self, dead_letter_url: str, source_url: str, *, limit: int | None = None,
                visibility_timeout: int = 60) -> Redrive:
        """Move what waits in a dead-letter queue back to its source queue: receive, send, and delete
        only what the source accepted (a crash between the two leaves a copy in both, never none).
        Stops at the first refused send, making the refused messages visible again at once.
        (SQS's StartMessageMoveTask does this server-side; the sandbox's moto has no such task.)"""
        done = Redrive()
        while limit is None or done.moved < limit:
            want = BATCH if limit is None else min(BATCH, limit - done.moved)
            messages = self._receive(dead_letter_url, want, 0, visibility_timeout,
                                     MessageAttributeNames=["All"])
            if not messages:
                break
            entries = [{"Id": str(i), "MessageBody": m.get("Body", ""),
                        **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {})}
                       for i, m in enumerate(messages)]
            try:
                resp = self._aws.call("sqs", "SendMessageBatch", QueueUrl=source_url, Entries=entries)
            except AwsError:  # none went: leave them visible in the dead-letter queue, not hidden for a minute
                self.change_visibility(dead_letter_url, [m["ReceiptHandle"] for m in messages], 0)
                raise
            sent = {int(s["Id"]) for s in resp.get("Successful", [])}
            refused = [(messages[int(f["Id"])], f.get("Message") or f.get("Code", "")) for f in resp.get("Failed", [])]
            done.failures += [f"{m['MessageId']}: {reason}" for m, reason in refused]
            gone = self.delete(dead_letter_url, [messages[i]["ReceiptHandle"] for i in sorted(sent)])
            done.failures += [f"sent back, but still in the dead-letter queue: {f.reason}" for f in gone]
            done.moved += len(sent)
            if refused:
                self.change_visibility(dead_letter_url, [m["ReceiptHandle"] for m, _ in refused], 0)
                break
        return done
