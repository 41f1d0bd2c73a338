"""Records and their SNS envelopes as SES and SNS write them: one Bounce (and one Delivery) record
per send listing every recipient it concerns, the ses:outgoing-ip tag, DeliveryDelay's
reportingMTA, and envelopes a verifier can check end to end: a real signature in the topic's
SignatureVersion, a certificate served on 127.0.0.1, an UnsubscribeURL naming the subscription."""

from __future__ import annotations

import base64
import ipaddress
import json
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

SIM = "simulator.amazonses.com"
SENDER = "records@sestui.test"
# The keys SNS signs, in its order; Subject only when the envelope has one (SNS documentation,
# "Verifying the signatures of Amazon SNS messages").
SIGNED_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")


def send(aws, to: list[str], **extra) -> str:
    return aws.sesv2.send_email(
        FromEmailAddress=SENDER, Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "records"}, "Body": {"Text": {"Data": "x"}}}}, **extra,
    )["MessageId"]


def by_label(records: list[dict], queue) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for record in records:
        out.setdefault(queue.label(record), []).append(record)
    return out


def test_one_send_to_several_bouncing_recipients_gives_one_bounce_record(aws, sandbox, event_queue):
    to = [f"bounce+multi1@{SIM}", f"bounce+multi2@{SIM}", "nobody@nowhere.invalid",
          f"success+multi3@{SIM}", f"success+multi4@{SIM}"]
    mid = send(aws, to)
    assert sandbox.wait_idle(10)
    records = by_label(event_queue.records_for(mid, {"event:Bounce", "event:Delivery", "notification:Bounce"}),
                       event_queue)
    assert sandbox.wait_idle(10)
    records = by_label([r for r in map(event_queue.decode, event_queue.drain())
                        if r["mail"]["messageId"] == mid] + [r for rs in records.values() for r in rs], event_queue)
    for label in ("event:Bounce", "notification:Bounce"):
        [bounce] = records[label]
        assert bounce["bounce"]["bounceType"] == "Permanent"
        assert sorted(r["emailAddress"] for r in bounce["bounce"]["bouncedRecipients"]) == sorted(to[:3])
    for label in ("event:Delivery", "notification:Delivery"):
        [delivery] = records[label]
        assert sorted(delivery["delivery"]["recipients"]) == sorted(to[3:])


def test_delivery_records_carry_the_outgoing_ip_tag(aws, sandbox, event_queue):
    mid = send(aws, ["ana+ip@example.com"])
    [delivery] = [r for r in event_queue.records_for(mid, {"event:Delivery"}) if event_queue.label(r) == "event:Delivery"]
    [ip] = delivery["mail"]["tags"]["ses:outgoing-ip"]
    assert ipaddress.ip_address(ip).version == 4


def test_delivery_delay_reporting_mta_is_an_ip_address(aws, sandbox, engagement, event_queue):
    from sestui.sandbox import Engagement

    engagement.engagement = Engagement(open_share=0.0, click_share=0.0, delay_share=1.0)
    mid = send(aws, ["slow+delay@example.com"])
    [delay] = [r for r in event_queue.records_for(mid, {"event:DeliveryDelay"})
               if event_queue.label(r) == "event:DeliveryDelay"]
    ipaddress.ip_address(delay["deliveryDelay"]["reportingMTA"])  # raises if it is not one
    assert delay["deliveryDelay"]["delayedRecipients"][0]["emailAddress"] == "slow+delay@example.com"


def envelopes_for(queue, message_id: str, count: int) -> list[dict]:
    def mine(bodies):
        return [json.loads(b) for b in bodies if queue.decode(b).get("mail", {}).get("messageId") == message_id]

    return mine(queue.receive(lambda bodies: len(mine(bodies)) >= count))


def verify(envelope: dict) -> None:
    """What a verifier does: fetch the certificate, check the signature over SNS's string."""
    assert urlsplit(envelope["SigningCertURL"]).hostname == "127.0.0.1"
    with urllib.request.urlopen(envelope["SigningCertURL"], timeout=10) as resp:
        cert = x509.load_pem_x509_certificate(resp.read())
    text = "".join(f"{k}\n{envelope[k]}\n" for k in SIGNED_KEYS if k in envelope).encode()
    digest = hashes.SHA256() if envelope["SignatureVersion"] == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(envelope["Signature"]), text, padding.PKCS1v15(), digest)


def test_envelopes_are_signed_version_1_by_default_and_verify(aws, sandbox, event_queue):
    mid = send(aws, [f"success+sig1@{SIM}"])
    envelopes = envelopes_for(event_queue, mid, 3)  # event Send, event Delivery, notification Delivery
    assert {e.get("Subject") for e in envelopes} >= {"Amazon SES Email Event Notification"}
    for envelope in envelopes:
        assert envelope["SignatureVersion"] == "1"
        verify(envelope)
        forged = {**envelope, "Message": envelope["Message"].replace("sig1", "sig2")}
        with pytest.raises(InvalidSignature):
            verify(forged)


def test_signature_version_follows_the_topic_attribute(aws, sandbox, queue_factory):
    topic_arn = aws.sns.create_topic(Name="records-sigv2")["TopicArn"]
    aws.sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="SignatureVersion", AttributeValue="2")
    queue = queue_factory(topic_arn=topic_arn)
    aws.sesv2.create_configuration_set(ConfigurationSetName="records-sigv2")
    aws.sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="records-sigv2", EventDestinationName="sns",
        EventDestination={"Enabled": True, "MatchingEventTypes": ["SEND"], "SnsDestination": {"TopicArn": topic_arn}})
    mid = send(aws, [f"success+sig2@{SIM}"], ConfigurationSetName="records-sigv2")
    [envelope] = envelopes_for(queue, mid, 1)
    assert envelope["SignatureVersion"] == "2"
    verify(envelope)


def test_unsubscribe_url_names_the_subscription_and_unsubscribes(aws, sandbox, queue_factory):
    queue = queue_factory()
    mid = send(aws, [f"success+unsub@{SIM}"])
    envelope = envelopes_for(queue, mid, 1)[0]
    url = urlsplit(envelope["UnsubscribeURL"])
    assert parse_qs(url.query)["SubscriptionArn"] == [queue.subscription_arn]
    assert url.hostname == "127.0.0.1"
    with urllib.request.urlopen(envelope["UnsubscribeURL"], timeout=10) as resp:
        assert resp.status == 200 and b"UnsubscribeResponse" in resp.read()
    arns = [s["SubscriptionArn"] for s in aws.sns.list_subscriptions_by_topic(TopicArn=sandbox.info.topic_arn)[
        "Subscriptions"]]
    assert queue.subscription_arn not in arns
