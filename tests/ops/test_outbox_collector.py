"""The whole path: SES (the sandbox) -> SNS -> SQS -> the collector (with the outbox hooks) ->
the deliverer -> a signed webhook on 127.0.0.1. Simulator recipients match rules like any other."""

from __future__ import annotations

import time

from webhook_receiver import SECRET, Receiver

from sestui.aws import Aws
from sestui.ops import routing
from sestui.ops.collector import Collector, CollectorOptions
from sestui.ops.outbox import DeliveryOptions
from sestui.store import Store


def test_the_collector_routes_bounces_and_complaints_to_the_webhook(sandbox, aws, queue_factory, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("SESTUI_WEBHOOK_SECRET", SECRET)
    queue = queue_factory()
    store = Store(tmp_path / "events.db")
    sestui_aws = Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url, sqs_wait_seconds=1)
    with Receiver() as rx:
        config = routing.load({"rules": [{"name": "feedback-to-app", "mode": "on",
                                          "when": {"event_types": ["bounce", "complaint"]},
                                          "do": [{"action": "webhook", "url": rx.url,
                                                  "secret_env": "SESTUI_WEBHOOK_SECRET"}]}]})
        config.delivery = DeliveryOptions(retry_base_s=0.05, idle_poll_s=0.05)
        collector = Collector(sestui_aws, store, CollectorOptions(queue.url, receivers=2, wait_seconds=1,
                                                                  account_interval=3600, stats_interval=3600))
        collector.deliverer = routing.wire(store, sestui_aws, config)
        sent = {}
        for who in ("bounce", "complaint", "success"):
            mid = aws.sesv2.send_email(
                FromEmailAddress=f"shop@{sandbox.info.identity}",
                Destination={"ToAddresses": [f"{who}@simulator.amazonses.com"]},
                Content={"Simple": {"Subject": {"Data": "route me"}, "Body": {"Text": {"Data": "x"}}}},
                ConfigurationSetName=sandbox.info.configuration_set)["MessageId"]
            sent[mid] = who
        collector.start()
        try:
            def mine(seen):
                return {(r["body"]["message_id"], r["body"]["event_type"]) for r in seen
                        if r["body"]["message_id"] in sent}
            rx.wait_for(lambda seen: len(mine(seen)) >= 2, timeout=30)
            time.sleep(0.5)  # anything else (the delivery) would have arrived by now
        finally:
            collector.stop()
        got = mine(rx.acknowledged())
        by_who = {sent[m]: t for m, t in got}
        assert by_who == {"bounce": "bounce", "complaint": "complaint"}
        assert all(r["signature_ok"] for r in rx.requests)
    store.close()
