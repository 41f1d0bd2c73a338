"""The SESv2 account suppression list: `aws.suppressions`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sestui.aws.ses import utc

if TYPE_CHECKING:
    from sestui.aws.client import Aws


@dataclass(frozen=True)
class Suppression:
    email: str
    reason: str
    last_update: datetime | None
    message_id: str | None = None
    feedback_id: str | None = None


class SuppressionList:
    def __init__(self, aws: Aws):
        self._aws = aws

    def entries(self, *, reasons: list[str] | None = None, start: datetime | None = None,
                end: datetime | None = None, page_size: int = 1000) -> Iterator[Suppression]:
        """Every entry, following NextToken (botocore has no paginator for this operation)."""
        params: dict[str, Any] = {"PageSize": page_size}
        if reasons:
            params["Reasons"] = reasons
        if start:
            params["StartDate"] = start
        if end:
            params["EndDate"] = end
        while True:
            resp = self._aws.call("sesv2", "ListSuppressedDestinations", **params)
            for item in resp.get("SuppressedDestinationSummaries", []):
                yield Suppression(item["EmailAddress"], item.get("Reason", ""), utc(item.get("LastUpdateTime")))
            token = resp.get("NextToken")
            if not token:
                return
            params["NextToken"] = token

    def get(self, email: str) -> Suppression | None:
        resp = self._aws.call_or_none("sesv2", "GetSuppressedDestination", EmailAddress=email)
        if resp is None:
            return None
        item = resp["SuppressedDestination"]
        attrs = item.get("Attributes") or {}
        return Suppression(item["EmailAddress"], item.get("Reason", ""), utc(item.get("LastUpdateTime")),
                           attrs.get("MessageId"), attrs.get("FeedbackId"))

    def put(self, email: str, reason: str) -> None:
        self._aws.call("sesv2", "PutSuppressedDestination", EmailAddress=email, Reason=reason)

    def delete(self, email: str) -> bool:
        """Remove an entry; False if it was not on the list."""
        return self._aws.call_or_none("sesv2", "DeleteSuppressedDestination", EmailAddress=email) is not None
