"""`sestui status --json` and `sestui collect --metrics` give the same figures, both run for real
against a sandbox with the demo's past (AWS's Reputation.* history for the account and the
"marketing" set) and mail of its own: marketing's figures come from CloudWatch, the
"sestui-default" set's (reputation metrics off) from the stored events."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

import pytest
from polling import wait_for
from prometheus_client.parser import text_string_to_metric_families

from sestui.store import Store


@pytest.fixture
def demo_box(clients_for):
    from sestui.sandbox import AccountSettings, Engagement, Sandbox

    box = Sandbox(delay_scale=0.01, seed=5, engagement=Engagement(open_share=0.0, click_share=0.0, delay_share=0.0),
                  account=AccountSettings(max_send_rate=100000, max_24_hour_send=-1))
    box.start()
    box.backfill(14)
    box.sesv2 = clients_for(box.info.endpoint_url, box.info.region, "sesv2")
    yield box
    box.stop()


def send(box, to: str, configuration_set: str) -> None:
    box.sesv2.send_email(FromEmailAddress=f"news@{box.info.identity}", Destination={"ToAddresses": [to]},
                         Content={"Simple": {"Subject": {"Data": "Spring sale"}, "Body": {"Text": {"Data": "Hi"}}}},
                         ConfigurationSetName=configuration_set)


def wait(what: str, check, timeout: float = 60.0):
    return wait_for(check, timeout, what)


def all_stored(db, expected: dict[str, tuple[int, int]]):
    """Every set's (sends, hard bounces) stored: the figures compared are over all of them (a CI
    run scraped after the last bounce but before the last Send, 8/49 against status's 8/50)."""
    def check() -> bool:
        with Store(db, readonly=True) as store:
            counts = store.counts_by_configuration_set(0)
            got = {name: counts.get(name, ({}, 0)) for name in expected}
            return {name: (c.get("send", 0), hard) for name, (c, hard) in got.items()} == expected
    return check


def reputation_saved(db):
    def check() -> bool:
        with Store(db, readonly=True) as store:
            snapshot = store.account_snapshot(ok_only=True)
            return bool(snapshot and (snapshot["status"] or {}).get("reputation"))
    return check


def test_status_and_the_metrics_endpoint_agree_on_every_figure(demo_box, tmp_path, isolated_environment):
    box, db = demo_box, tmp_path / "agree.db"
    for n in range(30):
        send(box, f"reader{n}@" + ("shop.invalid" if n % 6 == 0 else "example.com"), "marketing")
        send(box, f"buyer{n}@" + ("old.invalid" if n % 10 == 0 else "example.net"), "sestui-default")
    assert box.wait_idle(30)
    box.ses_account(box.region).reputation.publish()
    assert box.wait_idle(30)
    where = ["--endpoint-url", box.info.endpoint_url, "--region", box.info.region, "--db", str(db)]
    collector = subprocess.Popen([sys.executable, "-m", "sestui", "collect", "--queue-url", box.info.queue_url,
                                  "--wait-seconds", "1", "--metrics", "0", *where], stderr=subprocess.PIPE, text=True)
    try:
        port = wait("collect says where its metrics are", lambda: re.search(
            r"metrics at http://127\.0\.0\.1:(\d+)/metrics", collector.stderr.readline()))
        wait("the collector read AWS's figures", reputation_saved(db))
        # More mail after that reading, to the set whose figure is sestui's own: the stored events
        # change, and so does AWS's figure for the account (published again before the collector's
        # next reading, as when an hourly point lands between two).
        for n in range(30, 50):
            send(box, f"buyer{n}@" + ("old.invalid" if n % 4 == 0 else "example.net"), "sestui-default")
        wait("every send and bounce stored", all_stored(db, {"marketing": (30, 5), "sestui-default": (50, 8)}))
        assert box.wait_idle(30)
        box.ses_account(box.region).reputation.publish()
        with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics", timeout=10) as resp:
            families = {f.name: f for f in text_string_to_metric_families(resp.read().decode())}
        status = subprocess.run([sys.executable, "-m", "sestui", "status", "--json", *where],
                                capture_output=True, text=True, timeout=120)
    finally:
        collector.terminate()
        collector.wait(10)
    data = json.loads(status.stdout)
    served = {(s.labels["configuration_set"], s.labels["kind"]): (s.value, s.labels["source"])
              for s in families["sestui_reputation_rate"].samples}
    said = {("", kind): (data["rates"][kind]["value"], data["rates"][kind]["source"]) for kind in ("bounce", "complaint")}
    said |= {(s["name"], kind): (s[kind]["value"], s[kind]["source"]) for s in data["configuration_sets"]
             for kind in ("bounce", "complaint") if s[kind]["value"] is not None}
    assert served.keys() == said.keys()
    for key, (value, source) in said.items():
        assert served[key] == (pytest.approx(value), source), key
    assert said[("marketing", "bounce")][1] == "cloudwatch" and said[("", "bounce")][1] == "cloudwatch"
    assert said[("sestui-default", "bounce")] == (pytest.approx(8 / 50), "local")
