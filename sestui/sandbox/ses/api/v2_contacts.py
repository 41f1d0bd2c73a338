"""Contact lists (moto keeps them), their contacts as ListContacts filters and pages them, and the
Subscription event.

CreateContactList and CreateContact refuse a name that exists (AlreadyExistsException; moto
replaced the list or the contact, preferences and all); CreateContact refuses what is no email
address and a topic the list does not have (BadRequestException). ListContacts pages by address (PageSize
1-1000, NextToken) and filters as ListContactsFilter says: with a TopicFilter, the contacts whose
preference for that topic is FilteredStatus (with UseDefaultIfPreferenceUnavailable, the topic's
default stands in for a contact that stated none); a FilteredStatus alone matches a contact with
any topic preference of that status. A contact's TopicDefaultPreferences are the list's defaults
for the topics it stated no preference for.

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
from ..suppression_list import is_email_address
from .registry import handles, v2_page

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
        _unknown_topics(contact_list, p)
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


def _contact_list(account: SesAccount, list_name: str):
    contact_list = account.moto.contacts_lists.get(list_name)
    if contact_list is None:
        raise ApiError("NotFoundException", f"List with name: {list_name} doesn't exist.")
    return contact_list


def _unknown_topics(contact_list, p: dict) -> None:
    topics = {t["TopicName"] for t in contact_list.topics or []}
    unknown = [t["TopicName"] for t in p.get("TopicPreferences") or [] if t.get("TopicName") not in topics]
    if unknown:
        raise ApiError("BadRequestException",
                       f"Topic {unknown[0]} does not exist in list {contact_list.contact_list_name}.")


@handles("sesv2", "CreateContactList")
def create_contact_list(account: SesAccount, call: Call, p: dict) -> None:
    name = p.get("ContactListName", "")
    if name in account.moto.contacts_lists:
        raise ApiError("AlreadyExistsException", f"List with name: {name} already exists.")
    return None  # moto creates it


@handles("sesv2", "CreateContact")
def create_contact(account: SesAccount, call: Call, p: dict) -> None:
    list_name, address = p.get("ContactListName", ""), p.get("EmailAddress", "")
    contact_list = _contact_list(account, list_name)
    if not is_email_address(address):
        raise ApiError("BadRequestException", f"Invalid email address: {address}.")
    if address in contact_list.contacts:
        raise ApiError("AlreadyExistsException", f"Contact {address} already exists in list {list_name}.")
    _unknown_topics(contact_list, p)
    return None  # moto creates it


def _defaults(contact_list, contact) -> list[dict]:
    stated = {t["TopicName"] for t in contact.topic_preferences or []}
    return [{"TopicName": t["TopicName"], "SubscriptionStatus": t["DefaultSubscriptionStatus"]}
            for t in contact_list.topics or [] if t["TopicName"] not in stated]


def _matches(contact_list, contact, wanted: dict) -> bool:
    status, topic = wanted.get("FilteredStatus"), wanted.get("TopicFilter") or {}
    stated = {t["TopicName"]: t["SubscriptionStatus"] for t in contact.topic_preferences or []}
    if not topic.get("TopicName"):
        return status is None or status in stated.values()
    name = topic["TopicName"]
    value = stated.get(name)
    if value is None and topic.get("UseDefaultIfPreferenceUnavailable"):
        value = next((t["DefaultSubscriptionStatus"] for t in contact_list.topics or [] if t["TopicName"] == name),
                     None)
    return value is not None and (status is None or value == status)


def _timestamp(value):
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) if isinstance(value, str) else value


@handles("sesv2", "ListContacts")
def list_contacts(account: SesAccount, call: Call, p: dict) -> dict:
    wanted = p.get("Filter") or {}
    with account.lock:
        contact_list = _contact_list(account, p.get("ContactListName", ""))
        contacts = {address: contact for address, contact in contact_list.contacts.items()
                    if _matches(contact_list, contact, wanted)}
        names, token = v2_page(list(contacts), p)
        listed = [{"EmailAddress": contacts[a].email_address,
                   "TopicPreferences": list(contacts[a].topic_preferences or []),
                   "TopicDefaultPreferences": _defaults(contact_list, contacts[a]),
                   "UnsubscribeAll": bool(contacts[a].unsubscribe_all),
                   "LastUpdatedTimestamp": _timestamp(contacts[a].last_updated_timestamp)} for a in names]
    return {"Contacts": listed, **({"NextToken": token} if token else {})}


@handles("sesv2", "GetContact")
def get_contact(account: SesAccount, call: Call, p: dict) -> dict:
    with account.lock:
        contact_list, contact = _contact(account, p.get("ContactListName", ""), p.get("EmailAddress", ""))
        result = {"ContactListName": contact_list.contact_list_name, "EmailAddress": contact.email_address,
                  "TopicPreferences": list(contact.topic_preferences or []),
                  "TopicDefaultPreferences": _defaults(contact_list, contact),
                  "UnsubscribeAll": bool(contact.unsubscribe_all),
                  "CreatedTimestamp": _timestamp(contact.created_timestamp),
                  "LastUpdatedTimestamp": _timestamp(contact.last_updated_timestamp)}
        if contact.attributes_data is not None:
            result["AttributesData"] = contact.attributes_data
    return result
