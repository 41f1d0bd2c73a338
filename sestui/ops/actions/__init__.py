"""One module per action. Each has `run(ctx, delivery) -> Outcome`: done, retry (a transient failure:
the deliverer backs off and tries again) or dead (retrying cannot help). Nothing here raises for a
failed delivery; the deliverer treats an unexpected exception as a retry."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sestui.aws import AwsError


@dataclass
class Delivery:
    item_id: int
    delivery_id: str  # stable across retries: the outbox dedup key
    rule: str
    kind: str
    params: dict
    body: str  # the payload's JSON text, sent as is
    recipient: str | None
    message_id: str | None
    attempt: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Outcome:
    state: str  # done, retry, dead
    detail: str = ""
    retry_after: float | None = None  # seconds, when the other side said (Retry-After)


@dataclass
class Context:
    aws: Any  # sestui.aws.Aws (None where no action needs AWS)
    store_factory: Callable[[], Any] | None = None  # a Store, for ses_suppress (opened on first use)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _store: Any = None

    @property
    def store(self) -> Any:
        if self._store is None and self.store_factory is not None:
            self._store = self.store_factory()
        return self._store


_RETRY_KINDS = {"throttled", "unreachable", "credentials", "error"}


def aws_outcome(exc: AwsError) -> Outcome:
    """Throttling, network, expired credentials and 5xx are worth retrying; refusals are not."""
    if exc.retryable or exc.kind in _RETRY_KINDS:
        return Outcome("retry", str(exc))
    return Outcome("dead", str(exc))


def runners() -> dict[str, Callable[[Context, Delivery], Outcome]]:
    from sestui.ops.actions import (
        command,
        contact_list,
        forward,
        pause_sending,
        ses_suppress,
        webhook,
    )
    return {"webhook": webhook.run, "command": command.run, "sns": forward.run_sns, "sqs": forward.run_sqs,
            "ses_suppress": ses_suppress.run, "contact_list": contact_list.run, "pause_sending": pause_sending.run}


def describe(kind: str, params: Mapping[str, Any]) -> str:
    """What an action does, in one line (for `rules list` and `rules test`)."""
    if kind == "webhook":
        batch = f" (up to {params['batch']} events a request)" if (params.get("batch") or 1) > 1 else ""
        return f"POST to {params['url']}{batch}"
    if kind == "command":
        return "run " + " ".join(params["argv"])
    if kind == "sns":
        return f"publish to {params['topic_arn']}"
    if kind == "sqs":
        return f"send to {params['queue_url']}"
    if kind == "ses_suppress":
        extra = (f" after {params['after_soft_bounces']} soft bounces in {params['within_days']} days"
                 if params.get("after_soft_bounces") else "")
        return f"add to the account suppression list ({params.get('reason', 'BOUNCE')}){extra}"
    if kind == "contact_list":
        topic = f" topic {params['topic']}" if params.get("topic") else " (all topics)"
        return f"unsubscribe from contact list {params['contact_list']}{topic}"
    if kind == "pause_sending":
        if params.get("scope") == "account":
            return "pause sending for the whole account"
        name = params.get("configuration_set")
        return f"pause sending for configuration set {name}" if name else "pause sending for the event's configuration set"
    return kind
