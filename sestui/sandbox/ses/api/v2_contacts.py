"""Contact lists (moto keeps them) and the Subscription event.

UpdateContact merges topic preferences (SES: "it is not necessary to specify all existing topic
preferences, just the ones that need updating"; moto replaced them all). When it changes a
contact's effective preferences and a mail was sent to that address through the list
(SendEmail's ListManagementOptions), the sandbox publishes a Subscription event for that mail,
as SES does when the recipient changes them from the message (here: source UnsubscribeLink).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ...http.protocol import ApiError, Call
from ..mailbox_simulator import iso
from ..regional_account import SesAccount
from .registry import handles

_STATUS = {"OPT_IN": "OptIn", "OPT_OUT": "OptOut"}


def _contact(account: SesAccount, list_name: str, address: str):
    contact_list = account.moto.contacts_lists.get(list_name)
    if contact_list is None:
        raise ApiError("NotFoundException", f"List with name: {list_name} doesn't exist.")
    contact = contact_list.contacts.get(address)
    if contact is None:
        raise ApiError("NotFoundException", f"{address} doesn't exist in List.")
    return contact_list, contact


def preferences(contact_list, contact) -> dict:
    """The contact's effective preferences, as a Subscription event writes them."""
    explicit = {t["TopicName"]: t["SubscriptionStatus"] for t in contact.topic_preferences or []}
    statuses = [{"topicName": t["TopicName"],
                 "subscriptionStatus": _STATUS.get(explicit.get(t["TopicName"], t.get("DefaultSubscriptionStatus")),
                                                   "OptOut")}
                for t in contact_list.topics or []]
    return {"unsubscribeAll": bool(contact.unsubscribe_all), "topicSubscriptionStatus": statuses}


@handles("sesv2", "UpdateContact")
def update_contact(account: SesAccount, call: Call, p: dict) -> dict:
    list_name, address = p.get("ContactListName", ""), p.get("EmailAddress", "")
    with account.lock:
        contact_list, contact = _contact(account, list_name, address)
        topics = {t["TopicName"] for t in contact_list.topics or []}
        unknown = [t["TopicName"] for t in p.get("TopicPreferences") or [] if t.get("TopicName") not in topics]
        if unknown:
            raise ApiError("BadRequestException", f"Topic {unknown[0]} does not exist in list {list_name}.")
        before = preferences(contact_list, contact)
        merged = {t["TopicName"]: t for t in contact.topic_preferences or []}
        merged.update({t["TopicName"]: dict(t) for t in p.get("TopicPreferences") or []})
        contact.topic_preferences = list(merged.values())
        if "UnsubscribeAll" in p:
            contact.unsubscribe_all = bool(p["UnsubscribeAll"])
        if "AttributesData" in p:
            contact.attributes_data = p["AttributesData"]
        now = datetime.now(UTC)
        contact.last_updated_timestamp = iso(now)
        after = preferences(contact_list, contact)
    sent = account.list_mail(list_name, address)
    if after != before and sent is not None:
        mail, origin = sent
        account.publish_soon("Subscription", {"contactList": list_name, "timestamp": iso(now), "source": "UnsubscribeLink",
                                         "newTopicPreferences": after, "oldTopicPreferences": before}, mail, origin)
    return {}
