"""The demo traffic (`sestui sandbox --rate R`) exercises every SES event type within its first
minutes, a multi-recipient bounce included, without a refused send."""

from __future__ import annotations

import json
import time

ALL_TYPES = {"Send", "Delivery", "Bounce", "Complaint", "DeliveryDelay", "Open", "Click", "Reject",
             "Rendering Failure", "Subscription"}


def test_the_traffic_shows_every_event_type_early(clients_for):
    from sestui.sandbox import AccountSettings, Sandbox

    box = Sandbox(rate=15, delay_scale=0.02, seed=11, account=AccountSettings(max_send_rate=1000))
    box.start()
    try:
        sqs = clients_for(box.info.endpoint_url, box.info.region, "sqs")
        seen: set[str] = set()
        widest_bounce = 0
        deadline = time.monotonic() + 60
        while not (ALL_TYPES <= seen and widest_bounce >= 2) and time.monotonic() < deadline:
            reply = sqs.receive_message(QueueUrl=box.info.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = reply.get("Messages", [])
            for message in messages:
                record = json.loads(json.loads(message["Body"])["Message"])
                seen.add(record.get("eventType") or record.get("notificationType"))
                if "bounce" in record and record["bounce"]["bounceType"] == "Permanent":
                    widest_bounce = max(widest_bounce, len(record["bounce"]["bouncedRecipients"]))
            if messages:
                sqs.delete_message_batch(QueueUrl=box.info.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        assert ALL_TYPES - seen == set()
        assert widest_bounce >= 2
        assert box.traffic.sent > 20 and not box.traffic.errors
    finally:
        box.stop()


def test_traffic_in_the_ses_sandbox_is_refused_nothing(clients_for):
    from sestui.sandbox import AccountSettings, Sandbox

    box = Sandbox(rate=20, delay_scale=0.02, seed=5,
                  account=AccountSettings.in_ses_sandbox(max_send_rate=1000, max_24_hour_send=-1))
    box.start()
    try:
        deadline = time.monotonic() + 20
        while box.traffic.sent < 30 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert box.traffic.sent >= 30 and not box.traffic.errors
    finally:
        box.stop()
