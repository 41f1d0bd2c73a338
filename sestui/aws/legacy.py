"""The `Aws` method names from before the per-service facades, kept only for the callers outside
sestui/aws that have not moved yet (collector, cli, ui, their tests). Each is one line to the facade
method that replaced it; delete this module once `grep -rn` finds no caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sestui.aws.ses import AccountStatus, Ses, StatPoint
    from sestui.aws.sqs import HandleFailure, Sqs, SqsMessage
    from sestui.aws.suppression import Suppression, SuppressionList


class LegacyMethods:
    sqs: Sqs
    ses: Ses
    suppressions: SuppressionList

    def receive(self, queue_url: str, *, max_messages: int = 10, wait_seconds: int = 20,
                visibility_timeout: int | None = None) -> list[SqsMessage]:
        return self.sqs.receive(queue_url, max_messages=max_messages, wait_seconds=wait_seconds,
                                visibility_timeout=visibility_timeout)

    def delete(self, queue_url: str, receipt_handles: list[str]) -> list[HandleFailure]:
        return self.sqs.delete(queue_url, receipt_handles)

    def queue_depth(self, queue_url: str) -> dict[str, int]:
        return self.sqs.depth(queue_url)

    def account_status(self) -> AccountStatus:
        return self.ses.account_status()

    def send_statistics(self) -> list[StatPoint]:
        return self.ses.send_statistics()

    def verified_identities(self) -> list[str]:
        return self.ses.verified_identities()

    def send_email(self, *, sender: str, to: list[str], subject: str, body: str,
                   configuration_set: str | None = None, tags: dict[str, str] | None = None) -> str:
        return self.ses.send_email(sender=sender, to=to, subject=subject, body=body,
                                   configuration_set=configuration_set, tags=tags)

    def list_suppressed(self, *, reasons: list[str] | None = None, start: datetime | None = None,
                        end: datetime | None = None, page_size: int = 1000) -> Iterator[Suppression]:
        return self.suppressions.entries(reasons=reasons, start=start, end=end, page_size=page_size)

    def get_suppressed(self, email: str) -> Suppression | None:
        return self.suppressions.get(email)

    def put_suppressed(self, email: str, reason: str) -> None:
        self.suppressions.put(email, reason)

    def delete_suppressed(self, email: str) -> bool:
        return self.suppressions.delete(email)
