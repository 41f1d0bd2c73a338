"""Two `sestui collect` processes on one PostgreSQL database (a real server) reading one sandbox
queue, with a rule that POSTs every bounce and complaint to a real receiver; one collector is
killed with kill -9 mid-run. Every event is stored once; every action is delivered at least once;
a delivery id arrives twice only when the killed collector had sent it (exactly once otherwise).

The two collectors sign with different secrets, so the receiver knows which one sent each request."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from collections import Counter

from pg_server import pg_server, pg_url  # noqa: F401  (fixtures)
from polling import wait_for
from test_collector import (  # noqa: F401  (fixtures: make_queue, topic_arn)
    assert_exactly_once,
    make_queue,
    published,
    queue_empty,
    send_burst,
    stored,
    topic_arn,
    wait_running,
)
from fixtures import RULES_CONTRACT
from webhook_receiver import Receiver

from sestui.store import open_store

SECRETS = {"killed": "secret-of-the-killed-one", "survivor": "secret-of-the-survivor"}
RULE = RULES_CONTRACT.replace("http://127.0.0.1:8765/ses", "{url}") + "timeout = 10\n"  # the contract's, here


class WhoSent(Receiver):
    """Answers 200 after a short wait (deliveries stay in flight a while) and records which
    collector signed each request, and when it arrived."""

    def __init__(self):
        super().__init__(secret=SECRETS["survivor"], plan=lambda _id, _n: ("sleep", 0.15))

    def handle(self, h, body):
        signature = h.headers.get("X-Sestui-Signature", "")
        sender = next((who for who, secret in SECRETS.items()
                       if hmac.compare_digest(signature, "sha256=" + hmac.new(secret.encode(), body,
                                                                              hashlib.sha256).hexdigest())), None)
        with self.lock:
            self.senders = getattr(self, "senders", [])
            self.senders.append((h.headers.get("X-Sestui-Delivery", ""), sender, time.monotonic()))
        if sender == "killed":  # the base class checks the survivor's secret: answer as it would
            h.headers.replace_header("X-Sestui-Signature", "sha256=" + hmac.new(
                SECRETS["survivor"].encode(), body, hashlib.sha256).hexdigest())
        super().handle(h, body)


def spawn(sandbox, tmp_path, queue_url: str, db: str, who: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESTUI_")}
    env.update(SESTUI_CONFIG=str(tmp_path / "config.toml"), SESTUI_WEBHOOK_SECRET=SECRETS[who])
    log = open(tmp_path / f"collect-{who}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sestui.cli", "collect", "--queue-url", queue_url, "--db", db,
         "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region, "--wait-seconds", "1",
         "--account-interval", "3600", "--stats-interval", "3600", "--visibility-timeout", "2"],
        stdout=subprocess.DEVNULL, stderr=log, env=env)
    log.close()
    proc.log = tmp_path / f"collect-{who}.log"
    return proc


def test_two_collectors_one_killed_store_once_and_deliver_every_action(sandbox, aws, make_queue, pg_url,  # noqa: F811
                                                                       tmp_path):
    queue, reference = make_queue(), make_queue()
    with WhoSent() as rx:
        (tmp_path / "config.toml").write_text(RULE.format(url=rx.url))
        store = open_store(pg_url)
        procs = {who: spawn(sandbox, tmp_path, queue.url, pg_url, who) for who in SECRETS}
        try:
            for proc in procs.values():
                wait_running(store, proc)
            sent = send_burst(aws.sesv2, 100)
            wait_for(lambda: any(s == "killed" for _, s, _ in getattr(rx, "senders", [])), 60,
                     "the collector to be killed to deliver something")
            procs["killed"].kill()
            assert procs["killed"].wait(10) == -9
            killed_at = time.monotonic()
            expected = published(sandbox, reference, sent)
            wait_for(lambda: set(stored(store, sent)) >= expected and queue_empty(aws, queue.url), 60,
                     "every event stored and the queue empty")
            assert_exactly_once(stored(store, sent), expected)
            # the simulator's ooto address answers with an auto-reply, which a rule skips unless asked
            matching = {(m, r) for m, t, r, _ in expected if t in ("bounce", "complaint") and sent[m] != "ooto"}
            wait_for(lambda: store.outbox.counts() == {"done": len(matching)}, 60,
                     f"all {len(matching)} actions done")
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        items = store.outbox.list_items(limit=10_000)
        assert {(i["message_id"], i["recipient"]) for i in items} == matching  # an action per matching event
        senders = list(rx.senders)
        by_id: dict[str, Counter] = {}
        for delivery, sender, _ in senders:
            by_id.setdefault(delivery, Counter())[sender] += 1
        assert all(sender in SECRETS for _, sender, _ in senders)  # every request signed by one of them
        assert {i["dedup"] for i in items} <= set(by_id), "an action was never delivered"
        assert all(max(c.values()) == 1 for c in by_id.values()), "a collector sent one id twice"
        twice = {d for d, c in by_id.items() if sum(c.values()) > 1}
        # a repeat only for what the killed collector had sent before it died
        assert all(by_id[d]["killed"] == 1 for d in twice)
        assert all(at <= killed_at for _, sender, at in senders if sender == "killed")
        assert sum(1 for c in by_id.values() if c["survivor"]) > 0  # the survivor delivered too
        print(f"requests={len(senders)} ids={len(by_id)} twice={len(twice)}"
              f" by_killed={sum(1 for c in by_id.values() if c['killed'])}")
        store.close()
