"""Forward the event JSON to the sender's own SNS topic or SQS queue (their application's worker)."""

from __future__ import annotations

from sestui.aws import AwsError, outbound
from sestui.ops.actions import Context, Delivery, Outcome, aws_outcome


def run_sns(ctx: Context, delivery: Delivery) -> Outcome:
    try:
        mid = outbound.publish(ctx.aws, delivery.params["topic_arn"], delivery.body, dedup_id=delivery.delivery_id)
    except AwsError as exc:
        return aws_outcome(exc)
    return Outcome("done", f"published {mid}")


def run_sqs(ctx: Context, delivery: Delivery) -> Outcome:
    try:
        mid = outbound.send_message(ctx.aws, delivery.params["queue_url"], delivery.body,
                                    dedup_id=delivery.delivery_id, group=delivery.recipient)
    except AwsError as exc:
        return aws_outcome(exc)
    return Outcome("done", f"sent {mid}")
