"""Stop sending: PutConfigurationSetSendingOptions SendingEnabled=false for the offending set, or,
only with `scope = "account"`, PutAccountSendingAttributes for the whole account."""

from __future__ import annotations

from sestui.aws import AwsError, outbound
from sestui.ops.actions import Context, Delivery, Outcome, aws_outcome


def run(ctx: Context, delivery: Delivery) -> Outcome:
    params = delivery.params
    try:
        if params.get("scope") == "account":
            outbound.set_account_sending(ctx.aws, False)
            return Outcome("done", "paused sending for the account")
        name = params.get("configuration_set") or delivery.payload.get("configuration_set")
        if not name:
            return Outcome("dead", "no configuration set to pause: the event names none and the action gives none")
        outbound.set_configuration_set_sending(ctx.aws, name, False)
    except AwsError as exc:
        return aws_outcome(exc)
    return Outcome("done", f"paused sending for configuration set {name}")
