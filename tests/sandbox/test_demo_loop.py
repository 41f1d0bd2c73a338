"""`sestui demo`'s routing loop, end to end on real components: the demo's own config (its rules and
guards written into the demo's config file, cli/demo.py), the demo's traffic on a sandbox of its
own, the collector and deliverer that config builds (ops/build.py, as the demo's collector child
does), and the demo's webhook receiver on 127.0.0.1. The traffic's bought list makes the marketing
set's complaint rate cross the guard's levels; a newsletter contact complains."""

from __future__ import annotations

import argparse
import json

from polling import wait_for

from sestui.aws import Aws
from sestui.cli.common import Context
from sestui.cli.demo import demo_settings
from sestui.ops.build import build_collector
from sestui.ops.collector import CollectorOptions
from sestui.sandbox.demo import routes
from sestui.sandbox.demo.receiver import WebhookReceiver
from sestui.sandbox.demo.scenarios import CONTACT_LIST
from sestui.sandbox.demo.starter_wiring import MARKETING_SET
from sestui.store import Store
from sestui.store import outbox as outbox_sql


def _wait(what: str, check, timeout: float = 90.0):
    return wait_for(check, timeout, what)


def test_the_demo_unsubscribes_a_complainer_posts_the_webhook_and_pauses_the_bad_set(
        isolated_environment, monkeypatch, tmp_path, clients_for):
    from sestui.sandbox import AccountSettings, Sandbox

    secret = "demo-loop-secret"
    monkeypatch.setenv(routes.WEBHOOK_SECRET_ENV, secret)
    (tmp_path / "config.toml").write_text('theme = "textual-dark"\n')  # the user's file, copied
    box = Sandbox(rate=30, delay_scale=0.05, seed=3, account=AccountSettings(max_send_rate=1000))
    box.start()
    store = None
    collector = None
    try:
        sesv2 = clients_for(box.info.endpoint_url, box.info.region, "sesv2")
        with WebhookReceiver(secret) as rx:
            settings = demo_settings(Context(argparse.Namespace()), tmp_path / "events.db", rx.url)
            assert settings.file == tmp_path / "events.db-demo.toml"
            assert settings.values["theme"] == "textual-dark"
            store = Store(tmp_path / "events.db")
            aws = Aws(region=box.info.region, endpoint_url=box.info.endpoint_url, sqs_wait_seconds=1)
            collector = build_collector(settings, aws, store, options=CollectorOptions(
                box.info.queue_url, receivers=2, wait_seconds=1, account_interval=3600, stats_interval=3600))
            assert collector.deliverer is not None
            collector.deliverer.options.guard_interval_s = 0.5  # the demo checks every minute
            collector.start()

            def complaint_posts():
                with rx.lock:
                    return [r["body"] for r in rx.accepted if r["body"].get("event_type") == "complaint"
                            and not r["body"]["recipient"].endswith("@simulator.amazonses.com")]

            def unsubscribed():
                for event in complaint_posts():
                    contact = sesv2.get_contact(ContactListName=CONTACT_LIST, EmailAddress=event["recipient"])
                    if contact.get("UnsubscribeAll"):
                        return event["recipient"]
                return None

            complainer = _wait("a contact who complained is unsubscribed from the newsletter list", unsubscribed)

            def paused():
                options = sesv2.get_configuration_set(ConfigurationSetName=MARKETING_SET)["SendingOptions"]
                return options.get("SendingEnabled") is False

            _wait("the guard paused the marketing set", paused)

            def guard_posts():
                with rx.lock:
                    return {r["body"]["level"] for r in rx.accepted if r["body"].get("guard") == routes.GUARD}

            levels = _wait("the application was told of the warn and pause crossings",
                           lambda: guard_posts() >= {"warn", "pause"} and guard_posts())
            assert levels == {"warn", "pause"}
        assert rx.refused == 0  # every POST carried the right signature

        with store._lock:
            items = outbox_sql.list_items(store.conn, limit=100000)
        by_kind = {(i["rule"], i["action_kind"], i["recipient"]): i for i in items}
        unsubscribe = by_kind[("unsubscribe-complainers", "contact_list", complainer)]
        assert unsubscribe["state"] == "done" and not unsubscribe["last_error"]
        assert by_kind[("feedback-to-app", "webhook", complainer)]["state"] == "done"
        pause = [i for i in items if i["rule"] == f"guard:{routes.GUARD}:pause" and i["action_kind"] == "pause_sending"]
        assert [i["state"] for i in pause] == ["done"]
        assert json.loads(pause[0]["payload"])["configuration_set"] == MARKETING_SET
        # The traffic's marketing mail is refused from then on, as SES refuses it through a paused set.
        assert box.traffic.errors["SendingPausedException"] + box.traffic.errors["ConfigurationSetSendingPausedException"] > 0
    finally:
        if collector is not None:
            collector.stop()
        if store is not None:
            store.close()
        box.stop()
