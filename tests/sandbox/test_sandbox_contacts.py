"""SESv2 contact lists as the AWS CLI sees them: names that exist are refused, ListContacts
filters by topic preference and pages (ListContactsFilter, PageSize, NextToken in the SESv2 API
reference; it documents no PageSize range, the sandbox takes 1-1000), and a contact carries the list's defaults for the topics it stated nothing for."""

from __future__ import annotations

import json
import time


def make_list(cli) -> str:
    name = f"fidelity-{time.monotonic_ns()}"
    topics = [{"TopicName": "news", "DisplayName": "News", "DefaultSubscriptionStatus": "OPT_IN"},
              {"TopicName": "promo", "DisplayName": "Promotions", "DefaultSubscriptionStatus": "OPT_OUT"}]
    code, _, err = cli("sesv2", "create-contact-list", "--contact-list-name", name, "--topics", json.dumps(topics))
    assert code == 0, err
    return name


def add(cli, name: str, address: str, *preferences: tuple[str, str]) -> None:
    args = ["sesv2", "create-contact", "--contact-list-name", name, "--email-address", address]
    if preferences:
        args += ["--topic-preferences", json.dumps([{"TopicName": t, "SubscriptionStatus": s} for t, s in preferences])]
    code, _, err = cli(*args)
    assert code == 0, err


def listed(cli, name: str, *args: str) -> list[str]:
    code, out, err = cli("sesv2", "list-contacts", "--contact-list-name", name, *args)
    assert code == 0, err
    return [c["EmailAddress"] for c in out["Contacts"]]


def test_a_list_or_a_contact_that_exists_is_refused_and_kept(cli, cli_refusal):
    name = make_list(cli)
    add(cli, name, "kept@example.com", ("promo", "OPT_IN"))
    code, _ = cli_refusal("sesv2", "create-contact", "--contact-list-name", name, "--email-address", "kept@example.com")
    assert code == "AlreadyExistsException"
    code, out, err = cli("sesv2", "get-contact", "--contact-list-name", name, "--email-address", "kept@example.com")
    assert code == 0 and out["TopicPreferences"] == [{"TopicName": "promo", "SubscriptionStatus": "OPT_IN"}], err
    assert cli_refusal("sesv2", "create-contact-list", "--contact-list-name", name)[0] == "AlreadyExistsException"
    code, out, err = cli("sesv2", "get-contact-list", "--contact-list-name", name)
    assert code == 0 and [t["TopicName"] for t in out["Topics"]] == ["news", "promo"], err
    unknown_topic = json.dumps([{"TopicName": "nosuch", "SubscriptionStatus": "OPT_IN"}])
    code, _ = cli_refusal("sesv2", "create-contact", "--contact-list-name", name, "--email-address", "x@example.com",
                          "--topic-preferences", unknown_topic)
    assert code == "BadRequestException"
    code, _ = cli_refusal("sesv2", "create-contact", "--contact-list-name", name, "--email-address", "not-an-address")
    assert code == "BadRequestException"
    assert listed(cli, name) == ["kept@example.com"]


def test_list_contacts_filters_by_a_topic_preference(cli):
    name = make_list(cli)
    add(cli, name, "ann@example.com", ("promo", "OPT_IN"))
    add(cli, name, "bob@example.com", ("promo", "OPT_OUT"), ("news", "OPT_OUT"))
    add(cli, name, "cid@example.com")

    def where(status: str, topic: str, use_default: bool = False) -> list[str]:
        wanted = {"FilteredStatus": status, "TopicFilter": {"TopicName": topic,
                                                             "UseDefaultIfPreferenceUnavailable": use_default}}
        return listed(cli, name, "--filter", json.dumps(wanted))

    assert where("OPT_IN", "promo") == ["ann@example.com"]
    assert where("OPT_OUT", "promo") == ["bob@example.com"]
    assert where("OPT_OUT", "promo", use_default=True) == ["bob@example.com", "cid@example.com"]
    assert where("OPT_IN", "news") == []
    assert where("OPT_IN", "news", use_default=True) == ["ann@example.com", "cid@example.com"]
    assert listed(cli, name, "--filter", json.dumps({"FilteredStatus": "OPT_OUT"})) == ["bob@example.com"]
    assert listed(cli, name) == ["ann@example.com", "bob@example.com", "cid@example.com"]


def test_list_contacts_pages_and_refuses_a_bad_token(cli, cli_refusal):
    name = make_list(cli)
    for n in range(5):
        add(cli, name, f"page{n}@example.com")
    code, first, err = cli("sesv2", "list-contacts", "--contact-list-name", name, "--page-size", "2")
    assert code == 0 and len(first["Contacts"]) == 2 and first["NextToken"], err
    seen = [c["EmailAddress"] for c in first["Contacts"]]
    token = first["NextToken"]
    while token:
        code, page, err = cli("sesv2", "list-contacts", "--contact-list-name", name, "--page-size", "2",
                              "--next-token", token)
        assert code == 0, err
        seen += [c["EmailAddress"] for c in page["Contacts"]]
        token = page.get("NextToken")
    assert seen == [f"page{n}@example.com" for n in range(5)]
    assert cli_refusal("sesv2", "list-contacts", "--contact-list-name", name, "--next-token", "not-a-token")[0] == (
        "BadRequestException")


def test_a_contact_carries_the_defaults_of_the_topics_it_did_not_choose(cli):
    name = make_list(cli)
    add(cli, name, "dee@example.com", ("promo", "OPT_IN"))
    code, out, err = cli("sesv2", "get-contact", "--contact-list-name", name, "--email-address", "dee@example.com")
    assert code == 0, err
    assert out["TopicDefaultPreferences"] == [{"TopicName": "news", "SubscriptionStatus": "OPT_IN"}]
    code, out, err = cli("sesv2", "list-contacts", "--contact-list-name", name)
    assert code == 0, err
    assert out["Contacts"][0]["TopicDefaultPreferences"] == [{"TopicName": "news", "SubscriptionStatus": "OPT_IN"}]


def test_a_send_through_a_contact_list_that_does_not_exist_is_refused(cli, cli_refusal):
    content = json.dumps({"Simple": {"Subject": {"Data": "list"}, "Body": {"Text": {"Data": "x"}}}})
    send = ("sesv2", "send-email", "--from-email-address", "lists@sestui.test", "--destination",
            json.dumps({"ToAddresses": ["success@simulator.amazonses.com"]}), "--content", content)
    code, _ = cli_refusal(*send, "--list-management-options", "ContactListName=no-such-list")
    assert code == "NotFoundException"
    name = make_list(cli)
    code, out, err = cli(*send, "--list-management-options", f"ContactListName={name},TopicName=news")
    assert code == 0 and out["MessageId"], err
