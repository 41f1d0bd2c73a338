"""The mailbox simulator end to end: send through boto3, receive the records SES would publish
from an SQS queue subscribed to the sandbox topic, and check them by the send's MessageId. Every
record is also run through sestui's own parser, which must accept all of them."""

from __future__ import annotations

import itertools
import re
from email.message import EmailMessage

import pytest

from sestui.core.events import parse_body

SIM = "simulator.amazonses.com"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SENDER = "Example Shop <orders@sestui.test>"

# What SES publishes for each simulator address, with the wired identity notifications and the
# default configuration set: "event:" records come from the configuration set, "notification:"
# records from the identity.
EXPECTED = {
    "success": ["event:Send", "event:Delivery", "notification:Delivery"],
    "bounce": ["event:Send", "event:Bounce", "notification:Bounce"],
    "ooto": ["event:Send", "event:Delivery", "notification:Delivery", "event:Bounce", "notification:Bounce"],
    "complaint": ["event:Send", "event:Delivery", "notification:Delivery", "event:Complaint",
                  "notification:Complaint"],
    "suppressionlist": ["event:Send", "event:Bounce", "notification:Bounce"],
}
_serial = itertools.count(1)


def send(aws, style: str, to: list[str], subject: str, html: str | None = None, **extra) -> str:
    """Send through one of the four APIs an application might use; returns the MessageId."""
    text = "Hello from the sandbox tests."
    if style == "v2":
        body = {"Text": {"Data": text}}
        if html:
            body["Html"] = {"Data": html}
        return aws.sesv2.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": to},
                                    Content={"Simple": {"Subject": {"Data": subject}, "Body": body}},
                                    **extra)["MessageId"]
    if style == "v1":
        body = {"Text": {"Data": text}}
        if html:
            body["Html"] = {"Data": html}
        return aws.ses.send_email(Source=SENDER, Destination={"ToAddresses": to},
                                  Message={"Subject": {"Data": subject}, "Body": body}, **extra)["MessageId"]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, ", ".join(to), subject
    message["Message-ID"] = f"<app-{next(_serial)}@sestui.test>"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    if style == "v1-raw":
        return aws.ses.send_raw_email(RawMessage={"Data": message.as_bytes()}, **extra)["MessageId"]
    return aws.sesv2.send_email(Content={"Raw": {"Data": message.as_bytes()}}, **extra)["MessageId"]


def labels(records: list[dict], queue) -> list[str]:
    return sorted(queue.label(r) for r in records)


def check_parsed(bodies: list[str], message_id: str) -> list:
    """Every body parses into events of this message (no quarantine); returns the events."""
    events = []
    for body in bodies:
        parsed = parse_body(body)
        assert parsed.ok, parsed.reason
        events += [e for e in parsed.events if e.message_id == message_id]
    return events


@pytest.mark.parametrize("style", ["v2", "v1", "v2-raw", "v1-raw"])
@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_simulator_address_publishes_what_ses_would(aws, sandbox, event_queue, scenario, style):
    # raw sends use a +label address, which the simulator must treat the same
    address = f"{scenario}+t{next(_serial)}@{SIM}" if style.endswith("raw") else f"{scenario}@{SIM}"
    subject = f"{scenario} via {style}"
    message_id = send(aws, style, [address], subject)

    bodies = event_queue.receive(lambda b: sorted(
        event_queue.label(r) for r in map(event_queue.decode, b)
        if r["mail"]["messageId"] == message_id) == sorted(EXPECTED[scenario]))
    records = [event_queue.decode(b) for b in bodies]
    assert labels(records, event_queue) == sorted(EXPECTED[scenario])

    for record in records:
        mail = record["mail"]
        assert mail["messageId"] == message_id
        assert mail["destination"] == [address]
        assert mail["source"] == SENDER
        assert mail["sendingAccountId"] == sandbox.account_id
        assert mail["sourceArn"].endswith(":identity/sestui.test")
        assert ISO_MS.match(mail["timestamp"])
        assert mail["commonHeaders"]["subject"] == subject
        assert mail["commonHeaders"]["from"] == [SENDER]
        assert mail["commonHeaders"]["to"] == [address]
        assert {h["name"].lower() for h in mail["headers"]} >= {"from", "to", "subject", "message-id"}
        if "eventType" in record:
            assert mail["tags"]["ses:configuration-set"] == ["sestui-default"]
            assert mail["tags"]["ses:from-domain"] == ["sestui.test"]
            assert mail["tags"]["ses:caller-identity"] == ["sestui-sandbox"]
            assert mail["tags"]["ses:source-ip"] == ["127.0.0.1"]
        else:
            assert "tags" not in mail and mail["callerIdentity"] == "sestui-sandbox"
        detail = record.get("bounce") or record.get("delivery") or record.get("complaint")
        if detail:
            assert ISO_MS.match(detail["timestamp"])

    by_kind = {event_queue.kind(r): r for r in records}
    if scenario in ("success", "ooto", "complaint"):
        delivery = by_kind["Delivery"]["delivery"]
        assert delivery["recipients"] == [address]
        assert delivery["smtpResponse"].startswith("250 ")
        assert delivery["processingTimeMillis"] >= 1 and delivery["reportingMTA"]
    if scenario == "bounce":
        bounce = by_kind["Bounce"]["bounce"]
        assert (bounce["bounceType"], bounce["bounceSubType"]) == ("Permanent", "General")
        assert bounce["bouncedRecipients"] == [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                                "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]
        assert bounce["reportingMTA"].startswith("dsn; ") and bounce["feedbackId"]
    if scenario == "ooto":
        bounce = by_kind["Bounce"]["bounce"]
        assert (bounce["bounceType"], bounce["bounceSubType"]) == ("Transient", "General")
        assert bounce["bouncedRecipients"] == [{"emailAddress": address}]
    if scenario == "complaint":
        complaint = by_kind["Complaint"]["complaint"]
        assert complaint["complainedRecipients"] == [{"emailAddress": address}]
        assert complaint["complaintFeedbackType"] == "abuse" and complaint["feedbackId"]
    if scenario == "suppressionlist":
        bounce = by_kind["Bounce"]["bounce"]
        assert (bounce["bounceType"], bounce["bounceSubType"]) == ("Permanent", "Suppressed")

    events = check_parsed(bodies, message_id)
    assert {e.recipient for e in events} == {address}
    assert {e.event_type for e in events} == {r.split(":")[1].lower() for r in EXPECTED[scenario]}
    assert all(e.subject == subject for e in events)


def test_identity_notification_and_event_share_the_bounce(aws, event_queue):
    message_id = send(aws, "v2", [f"bounce@{SIM}"], "same bounce twice")
    records = event_queue.records_for(message_id, {"event:Bounce", "notification:Bounce"})
    bounces = [r["bounce"] for r in records if event_queue.kind(r) == "Bounce"]
    assert len(bounces) == 2 and bounces[0] == bounces[1]


def test_account_suppression_list_turns_sends_into_bounces(aws, event_queue):
    address = f"former.customer{next(_serial)}@example.com"
    aws.sesv2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    try:
        message_id = send(aws, "v1", [address], "to a suppressed address")
        records = event_queue.records_for(message_id, {"event:Send", "event:Bounce", "notification:Bounce"})
    finally:
        aws.sesv2.delete_suppressed_destination(EmailAddress=address)
    bounce = next(r["bounce"] for r in records if event_queue.kind(r) == "Bounce")
    assert (bounce["bounceType"], bounce["bounceSubType"]) == ("Permanent", "OnAccountSuppressionList")
    assert bounce["bouncedRecipients"][0]["emailAddress"] == address
    assert "suppression list for your account" in bounce["bouncedRecipients"][0]["diagnosticCode"]
    assert "Delivery" not in {event_queue.kind(r) for r in records}


def test_each_recipient_gets_its_own_outcome(aws, event_queue):
    to, cc = f"success@{SIM}", f"bounce@{SIM}"
    message_id = aws.sesv2.send_email(
        FromEmailAddress=SENDER, Destination={"ToAddresses": [to], "CcAddresses": [cc]},
        Content={"Simple": {"Subject": {"Data": "two recipients"}, "Body": {"Text": {"Data": "x"}}}},
    )["MessageId"]
    records = event_queue.records_for(message_id, {"event:Send", "event:Delivery", "event:Bounce"})
    send_record = next(r for r in records if event_queue.kind(r) == "Send")
    assert send_record["mail"]["destination"] == [to, cc]
    assert next(r for r in records if event_queue.kind(r) == "Delivery")["delivery"]["recipients"] == [to]
    bounce = next(r for r in records if event_queue.kind(r) == "Bounce")["bounce"]
    assert [b["emailAddress"] for b in bounce["bouncedRecipients"]] == [cc]


def test_opens_and_clicks_for_html_mail(aws, event_queue, engagement):
    from sestui.sandbox import Engagement

    engagement.engagement = Engagement(open_share=1.0, click_share=1.0, delay_share=0.0)
    link = "https://www.example.com/orders/42?utm_source=ses"
    message_id = send(aws, "v2", [f"success@{SIM}"], "Your order #42 has shipped",
                      html=f'<p>Shipped! <a href="{link}">Track it</a></p>')
    bodies = event_queue.receive(lambda b: {"Open", "Click"} <= {
        event_queue.kind(event_queue.decode(x)) for x in b}, timeout=10)
    records = {event_queue.kind(event_queue.decode(b)): event_queue.decode(b) for b in bodies}
    assert records["Open"]["open"]["userAgent"] and records["Open"]["open"]["ipAddress"]
    assert records["Click"]["click"]["link"] == link
    assert ISO_MS.match(records["Click"]["click"]["timestamp"])
    events = check_parsed(bodies, message_id)
    clicks = [e for e in events if e.event_type == "click"]
    assert clicks and clicks[0].link == link and clicks[0].recipient == f"success@{SIM}"


def test_text_only_mail_is_never_opened(aws, engagement, sandbox, event_queue):
    from sestui.sandbox import Engagement

    engagement.engagement = Engagement(open_share=1.0, click_share=1.0, delay_share=0.0)
    message_id = send(aws, "v1", [f"success@{SIM}"], "plain text")
    assert sandbox.wait_idle(10)
    records = event_queue.records_for(message_id, {"event:Delivery"})
    assert {"Open", "Click"}.isdisjoint(event_queue.kind(r) for r in records)


def test_delivery_delay_then_delivery_for_ordinary_recipients(aws, event_queue, engagement):
    from sestui.sandbox import Engagement

    engagement.engagement = Engagement(open_share=0.0, click_share=0.0, delay_share=1.0)
    address = "ana.silva@example.net"
    message_id = send(aws, "v2", [address], "slow mailbox")
    bodies = event_queue.receive(lambda b: {"DeliveryDelay", "Delivery"} <= {
        event_queue.kind(event_queue.decode(x)) for x in b}, timeout=10)
    records = [event_queue.decode(b) for b in bodies]
    delay = next(r["deliveryDelay"] for r in records if event_queue.kind(r) == "DeliveryDelay")
    assert delay["delayType"] and delay["delayedRecipients"][0]["emailAddress"] == address
    assert delay["delayedRecipients"][0]["status"].startswith("4.")
    assert ISO_MS.match(delay["expirationTime"])
    events = check_parsed(bodies, message_id)
    assert {e.event_type for e in events} >= {"delivery_delay", "delivery"}
    assert next(e for e in events if e.event_type == "delivery_delay").delay_type == delay["delayType"]


def test_raw_delivery_subscription_gets_the_bare_record(aws, queue_factory):
    queue = queue_factory(raw=True)
    message_id = send(aws, "v2", [f"success@{SIM}"], "raw delivery")
    bodies = queue.receive(lambda b: len(b) >= 3)
    records = [queue.decode(b) for b in bodies]
    assert all("Type" not in r and r["mail"]["messageId"] == message_id for r in records)
    assert all(parse_body(b).ok for b in bodies)


def test_envelope_is_a_real_sns_notification(aws, event_queue, sandbox):
    import json

    message_id = send(aws, "v1", [f"success@{SIM}"], "envelope")
    bodies = event_queue.receive(lambda b: len(b) >= 3)
    for body in bodies:
        envelope = json.loads(body)
        assert envelope["Type"] == "Notification"
        assert envelope["TopicArn"] == sandbox.info.topic_arn
        assert isinstance(envelope["Message"], str)
        assert envelope["MessageId"] != message_id and envelope["Signature"] and envelope["SigningCertURL"]
        if "eventType" in envelope["Message"]:
            assert envelope["Subject"] == "Amazon SES Email Event Notification"


def test_raw_message_keeps_its_own_headers_and_ses_headers_apply(aws, sandbox, event_queue):
    message = EmailMessage()
    message["From"], message["To"] = SENDER, f"success@{SIM}"
    message["Bcc"] = "hidden@example.com"
    message["Subject"] = "[bold]markup[/] and ünïcode"
    message["Message-ID"] = "<order-77@shop.sestui.test>"
    message["X-SES-MESSAGE-TAGS"] = "campaign=spring"
    message.set_content("hi")
    message_id = aws.sesv2.send_email(Content={"Raw": {"Data": message.as_bytes()}})["MessageId"]
    record = next(r for r in event_queue.records_for(message_id, {"event:Send"}) if "eventType" in r)
    mail = record["mail"]
    assert mail["destination"] == [f"success@{SIM}", "hidden@example.com"]
    assert mail["commonHeaders"]["messageId"] == "order-77@shop.sestui.test"
    assert mail["commonHeaders"]["subject"] == "[bold]markup[/] and ünïcode"
    assert "bcc" not in {h["name"].lower() for h in mail["headers"]}
    assert mail["tags"]["campaign"] == ["spring"]


def test_user_tags_reach_configuration_set_records(aws, event_queue):
    message_id = send(aws, "v2", [f"success@{SIM}"], "tagged",
                      EmailTags=[{"Name": "campaign", "Value": "welcome"}])
    record = next(r for r in event_queue.records_for(message_id, {"event:Send"}) if "eventType" in r)
    assert record["mail"]["tags"]["campaign"] == ["welcome"]
