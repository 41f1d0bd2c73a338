"""The event types beyond the mailbox simulator's: Reject (a virus: the EICAR test file),
Rendering Failure (a template whose data lacks a variable) and Subscription (a contact's
preferences changing), each end to end through a configuration set's event destination."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from botocore.exceptions import ClientError

SIM = "simulator.amazonses.com"
SENDER = "events@sestui.test"
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def kinds(records: list[dict], queue) -> list[str]:
    return sorted(queue.label(r) for r in records)


def rejects(aws) -> int:
    return sum(p["Rejects"] for p in aws.ses.get_send_statistics()["SendDataPoints"])


def test_a_virus_is_accepted_then_rejected(aws, sandbox, event_queue):
    before = rejects(aws)
    mid = aws.sesv2.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": ["dee@example.org"]},
                               Content={"Simple": {"Subject": {"Data": "invoice"},
                                                   "Body": {"Text": {"Data": f"see below\n{EICAR}\n"}}}})["MessageId"]
    records = event_queue.records_for(mid, {"event:Send", "event:Reject"})
    assert sandbox.wait_idle(10)
    records += [r for r in map(event_queue.decode, event_queue.drain()) if r["mail"]["messageId"] == mid]
    assert kinds(records, event_queue) == ["event:Reject", "event:Send"]
    [reject] = [r for r in records if r["eventType"] == "Reject"]
    assert reject["reject"] == {"reason": "Bad content"}
    assert rejects(aws) == before + 1


def test_a_virus_in_a_raw_attachment_is_rejected(aws, sandbox, event_queue):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, f"success@{SIM}", "attachment"
    message.set_content("Please find the file attached.")
    message.add_attachment(EICAR.encode(), maintype="application", subtype="octet-stream", filename="eicar.com")
    mid = aws.sesv2.send_email(Content={"Raw": {"Data": message.as_bytes()}})["MessageId"]
    records = event_queue.records_for(mid, {"event:Reject"})
    assert "event:Reject" in kinds(records, event_queue)


@pytest.fixture
def template(aws):
    name = "events-welcome"
    aws.sesv2.create_email_template(TemplateName=name, TemplateContent={
        "Subject": "Welcome, {{name}}", "Text": "Your plan: {{account.plan}}", "Html": "<p>{{name}}</p>"})
    yield name
    aws.sesv2.delete_email_template(TemplateName=name)


def send_template(aws, name: str, data: dict, to: str = f"success@{SIM}") -> str:
    return aws.sesv2.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": [to]}, Content={
        "Template": {"TemplateName": name, "TemplateData": json.dumps(data)}})["MessageId"]


def test_a_template_whose_data_lacks_a_variable_fails_to_render(aws, sandbox, event_queue, template):
    mid = send_template(aws, template, {"name": "Ana"})
    [failure] = event_queue.records_for(mid, {"event:Rendering Failure"})
    assert failure["eventType"] == "Rendering Failure"
    assert failure["failure"] == {"errorMessage": "Attribute 'account.plan' is not present in the rendering data.",
                                  "templateName": template}
    assert sandbox.wait_idle(10)
    assert [r for r in map(event_queue.decode, event_queue.drain()) if r["mail"]["messageId"] == mid] == []


def test_a_complete_template_renders_and_is_delivered(aws, sandbox, event_queue, template):
    mid = send_template(aws, template, {"name": "Ana", "account": {"plan": "pro"}})
    records = event_queue.records_for(mid, {"event:Send", "event:Delivery"})
    assert {r["mail"]["commonHeaders"]["subject"] for r in records if "eventType" in r} == {"Welcome, Ana"}
    got = aws.sesv2.get_email_template(TemplateName=template)["TemplateContent"]
    assert got["Subject"] == "Welcome, {{name}}"
    assert template in [t["TemplateName"] for t in aws.sesv2.list_email_templates()["TemplatesMetadata"]]


def test_v1_templates_render_and_fail_the_same_way(aws, sandbox, event_queue):
    aws.ses.create_template(Template={"TemplateName": "events-v1", "SubjectPart": "Hi {{who}}", "TextPart": "x"})
    mid = aws.ses.send_templated_email(Source=SENDER, Destination={"ToAddresses": [f"success@{SIM}"]},
                                       Template="events-v1", TemplateData="{}")["MessageId"]
    [failure] = event_queue.records_for(mid, {"event:Rendering Failure"})
    assert failure["failure"]["templateName"] == "events-v1"
    assert aws.sesv2.get_email_template(TemplateName="events-v1")["TemplateContent"]["Subject"] == "Hi {{who}}"
    with pytest.raises(ClientError) as caught:
        send_template(aws, "events-no-such-template", {})
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_contacts_and_a_subscription_event_when_preferences_change(aws, sandbox, event_queue):
    sesv2, name, address = aws.sesv2, "events-newsletter", "gus@example.com"
    sesv2.create_contact_list(ContactListName=name, Topics=[
        {"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"},
        {"TopicName": "offers", "DisplayName": "Offers", "DefaultSubscriptionStatus": "OPT_OUT"}])
    sesv2.create_contact(ContactListName=name, EmailAddress=address,
                         TopicPreferences=[{"TopicName": "offers", "SubscriptionStatus": "OPT_IN"}])
    assert sesv2.get_contact(ContactListName=name, EmailAddress=address)["UnsubscribeAll"] is False
    assert [c["EmailAddress"] for c in sesv2.list_contacts(ContactListName=name)["Contacts"]] == [address]
    mid = sesv2.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": [address]},
                           ListManagementOptions={"ContactListName": name, "TopicName": "weekly"},
                           Content={"Simple": {"Subject": {"Data": "digest"}, "Body": {"Text": {"Data": "x"}}}})[
        "MessageId"]
    sesv2.update_contact(ContactListName=name, EmailAddress=address,
                         TopicPreferences=[{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}])
    got = sesv2.get_contact(ContactListName=name, EmailAddress=address)
    assert sorted((t["TopicName"], t["SubscriptionStatus"]) for t in got["TopicPreferences"]) == [
        ("offers", "OPT_IN"), ("weekly", "OPT_OUT")]  # merged, not replaced
    sesv2.update_contact(ContactListName=name, EmailAddress=address, UnsubscribeAll=True)
    records = [r for r in event_queue.records_for(mid, 5) if r.get("eventType") == "Subscription"]
    records += [r for r in map(event_queue.decode, event_queue.receive(lambda b: False, timeout=1))
                if r.get("eventType") == "Subscription" and r["mail"]["messageId"] == mid]
    assert len(records) == 2
    first, second = sorted(records, key=lambda r: r["subscription"]["timestamp"])
    assert first["subscription"]["contactList"] == name
    assert first["subscription"]["oldTopicPreferences"] == {"unsubscribeAll": False, "topicSubscriptionStatus": [
        {"topicName": "weekly", "subscriptionStatus": "OptIn"}, {"topicName": "offers", "subscriptionStatus": "OptIn"}]}
    assert first["subscription"]["newTopicPreferences"]["topicSubscriptionStatus"][0] == {
        "topicName": "weekly", "subscriptionStatus": "OptOut"}
    assert second["subscription"]["newTopicPreferences"]["unsubscribeAll"] is True
    sesv2.delete_contact(ContactListName=name, EmailAddress=address)
    with pytest.raises(ClientError) as caught:
        sesv2.get_contact(ContactListName=name, EmailAddress=address)
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    sesv2.delete_contact_list(ContactListName=name)
