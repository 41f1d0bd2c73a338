"""Add the recipient to the account suppression list (today's policies), audited by
ops/suppressions.py. Simulator addresses are skipped, and the outcome says so."""

from __future__ import annotations

from sestui.aws import AwsError
from sestui.core.events import is_auto_response
from sestui.core.rules import is_simulator
from sestui.ops import suppressions as service
from sestui.ops.actions import Context, Delivery, Outcome, aws_outcome
from sestui.store import now_ms


def run(ctx: Context, delivery: Delivery) -> Outcome:
    email = delivery.recipient or ""
    if is_simulator(email):
        return Outcome("done", f"skipped: {email} is a mailbox-simulator address")
    params, store = delivery.params, ctx.store
    payload = delivery.payload
    detail = f"rule {delivery.rule}: {payload.get('event_type')}"
    count = params.get("after_soft_bounces")
    if count:
        since = now_ms() - int(params.get("within_days", 7)) * 86_400_000
        recent = [b for b in store.bounces_for(email, since)
                  if b["bounce_type"] != "Permanent" and not is_auto_response(b["bounce_type"], b["diagnostic_code"])]
        if len(recent) < count:
            return Outcome("done", f"not suppressed: {len(recent)} of {count} soft bounces so far")
        detail += f" ({len(recent)} soft bounces in {params.get('within_days', 7)} days)"
    if store.suppressions_for([email]):
        return Outcome("done", f"{email} is already on the suppression list")
    try:
        service.add(ctx.aws, store, email, params.get("reason", "BOUNCE"), origin=f"rule {delivery.rule}",
                    message_id=delivery.message_id, detail=detail, who="sestui rule")
    except ValueError as exc:
        return Outcome("dead", str(exc))
    except AwsError as exc:
        return aws_outcome(exc)
    return Outcome("done", f"suppressed {email}")
