"""SES's own "remove the person from the list": UpdateContact on an SESv2 contact list, either
UnsubscribeAll or OPT_OUT of one topic. Simulator addresses are skipped, and the outcome says so."""

from __future__ import annotations

from sestui.aws import AwsError, outbound
from sestui.core.rules import is_simulator
from sestui.ops.actions import Context, Delivery, Outcome, aws_outcome


def run(ctx: Context, delivery: Delivery) -> Outcome:
    email = delivery.recipient or ""
    if is_simulator(email):
        return Outcome("done", f"skipped: {email} is a mailbox-simulator address")
    try:
        said = outbound.unsubscribe_contact(ctx.aws, delivery.params["contact_list"], email,
                                            delivery.params.get("topic"))
    except AwsError as exc:
        return aws_outcome(exc)
    return Outcome("done", said)
