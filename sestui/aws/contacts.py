"""SESv2 contact lists: `aws.contacts` — SES's own list management (who unsubscribed from what).
botocore has no paginator for these operations: NextToken is followed by hand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sestui.aws.ses import utc

if TYPE_CHECKING:
    from sestui.aws.client import Aws

OPT_IN, OPT_OUT = "OPT_IN", "OPT_OUT"


@dataclass(frozen=True)
class Contact:
    email: str
    unsubscribe_all: bool
    topics: dict[str, str] = field(default_factory=dict)  # topic name -> OPT_IN | OPT_OUT (the contact's own)
    last_update: datetime | None = None


def _contact(item: dict[str, Any]) -> Contact:
    return Contact(item["EmailAddress"], bool(item.get("UnsubscribeAll", False)),
                   {p["TopicName"]: p["SubscriptionStatus"] for p in item.get("TopicPreferences") or []},
                   utc(item.get("LastUpdatedTimestamp")))


class ContactLists:
    def __init__(self, aws: Aws):
        self._aws = aws

    def _pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        while True:
            resp = self._aws.call("sesv2", operation, **params)
            yield resp
            if not resp.get("NextToken"):
                return
            params["NextToken"] = resp["NextToken"]

    def names(self) -> list[str]:
        """The account's contact lists (SES allows one per account today)."""
        return [c["ContactListName"] for page in self._pages("ListContactLists")
                for c in page.get("ContactLists", [])]

    def contacts(self, contact_list: str, *, status: str | None = None, topic: str | None = None) -> Iterator[Contact]:
        """Every contact of a list; with `status` (OPT_IN / OPT_OUT), only those (for `topic`, if given)."""
        params: dict[str, Any] = {"ContactListName": contact_list}
        if status:
            params["Filter"] = {"FilteredStatus": status, **({"TopicFilter": {"TopicName": topic}} if topic else {})}
        for page in self._pages("ListContacts", **params):
            yield from map(_contact, page.get("Contacts", []))

    def get(self, contact_list: str, email: str) -> Contact | None:
        resp = self._aws.call_or_none("sesv2", "GetContact", ContactListName=contact_list, EmailAddress=email)
        return None if resp is None else _contact(resp)

    def unsubscribe_all(self, contact_list: str, email: str) -> None:
        """The contact gets nothing sent through this list any more (UpdateContact UnsubscribeAll)."""
        self._update(contact_list, email, unsubscribe_all=True)

    def opt_out(self, contact_list: str, email: str, topic: str) -> None:
        """The contact leaves one topic; its other preferences are kept."""
        self._update(contact_list, email, topic=(topic, OPT_OUT))

    def _update(self, contact_list: str, email: str, *, unsubscribe_all: bool | None = None,
                topic: tuple[str, str] | None = None) -> None:
        # UpdateContact replaces what it is given: read first so that one change keeps the rest.
        found = self.get(contact_list, email)
        current = found or Contact(email, False)
        topics = dict(current.topics)
        if topic:
            topics[topic[0]] = topic[1]
        operation = "UpdateContact" if found else "CreateContact"
        self._aws.call("sesv2", operation, ContactListName=contact_list, EmailAddress=email,
                       UnsubscribeAll=current.unsubscribe_all if unsubscribe_all is None else unsubscribe_all,
                       TopicPreferences=[{"TopicName": t, "SubscriptionStatus": s} for t, s in topics.items()])
