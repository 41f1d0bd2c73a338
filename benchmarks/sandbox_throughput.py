"""How much mail the sandbox carries: sends per second through the SES API, and SES records per
second received from its SQS queue, as the number of concurrent senders grows.

Runs `sestui sandbox` as a child process (as `sestui demo` does), with delays off and quotas out of
the way. Each send is a SESv2 simple send to success@simulator.amazonses.com, which yields three
records (configuration-set Send and Delivery, identity Delivery notification). Receivers long-poll
the queue and delete in batches of 10, as the collector does. A last phase measures receiving from
a deep queue, where moto slows down. Prints progress lines, then one JSON line.

    python benchmarks/sandbox_throughput.py [--seconds 4] [--levels 1,2,4,8] [--receivers 4]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config

RECORDS_PER_SEND = 3


def clients(info: dict, service: str):
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench",
                                    region_name=info["region"])
    config = Config(retries={"total_max_attempts": 3, "mode": "standard"}, max_pool_connections=50)
    return session.client(service, endpoint_url=info["endpoint_url"], config=config)


class Receivers:
    """Threads that drain the queue and count what they received."""

    def __init__(self, info: dict, count: int):
        self.info, self.received, self._lock = info, 0, threading.Lock()
        self._stop = threading.Event()
        self._sqs = [clients(info, "sqs") for _ in range(count)]
        self._threads = [threading.Thread(target=self._run, args=(sqs,), daemon=True) for sqs in self._sqs]

    def start(self):
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, sqs):
        url = self.info["queue_url"]
        while not self._stop.is_set():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            if messages:
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
                with self._lock:
                    self.received += len(messages)


def send_for(info: dict, senders: int, seconds: float) -> int:
    """`senders` threads sending as fast as they can for `seconds`; returns how many were sent."""
    sent, lock = [0], threading.Lock()
    deadline = time.monotonic() + seconds
    source = f"bench@{info['identity']}"

    def run():
        sesv2, n = clients(info, "sesv2"), 0
        while time.monotonic() < deadline:
            sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
                             Content={"Simple": {"Subject": {"Data": "bench"}, "Body": {"Text": {"Data": "x"}}}})
            n += 1
        with lock:
            sent[0] += n

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent[0]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each sending phase")
    parser.add_argument("--levels", default="1,2,4,8", help="concurrent senders to try")
    parser.add_argument("--receivers", type=int, default=4, help="concurrent receivers")
    parser.add_argument("--deep", type=int, default=1000, help="sends queued before the deep-queue phase")
    args = parser.parse_args()

    child = subprocess.Popen(
        [sys.executable, "-m", "sestui.cli", "sandbox", "--delay-scale", "0", "--max-send-rate", "1000000",
         "--max-24h-send", "-1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(child.stdout.readline())
        levels = []
        receivers = Receivers(info, args.receivers)
        receivers.start()
        for senders in (int(n) for n in args.levels.split(",")):
            start_received, started = receivers.received, time.monotonic()
            sent = send_for(info, senders, args.seconds)
            send_elapsed = time.monotonic() - started
            expected = start_received + sent * RECORDS_PER_SEND
            drained = wait_for(lambda expected=expected: receivers.received >= expected, 120)
            total_elapsed = time.monotonic() - started
            level = {
                "senders": senders,
                "sends_per_s": round(sent / send_elapsed, 1),
                "records_per_s": round((receivers.received - start_received) / total_elapsed, 1),
                "drain_lag_s": round(total_elapsed - send_elapsed, 2),
                "drained": drained,
            }
            levels.append(level)
            print(json.dumps(level), flush=True)
        receivers.stop()

        # A backlog: the queue fills while nobody receives, then is drained.
        sesv2, source = clients(info, "sesv2"), f"bench@{info['identity']}"
        for _ in range(args.deep):
            sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
                             Content={"Simple": {"Subject": {"Data": "deep"}, "Body": {"Text": {"Data": "x"}}}})
        sqs = clients(info, "sqs")
        depth_target = args.deep * RECORDS_PER_SEND
        wait_for(lambda: int(sqs.get_queue_attributes(QueueUrl=info["queue_url"], AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"]) >= depth_target, 120)
        drain = Receivers(info, args.receivers)
        started = time.monotonic()
        drain.start()
        wait_for(lambda: drain.received >= depth_target, 300)
        deep_elapsed = time.monotonic() - started
        drain.stop()
        deep = {"queue_depth": depth_target, "records_per_s": round(drain.received / deep_elapsed, 1)}
        print(json.dumps({"deep_queue": deep}), flush=True)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=10)

    best = max(levels, key=lambda level: level["sends_per_s"])
    knee = levels[0]["senders"]
    for previous, level in zip(levels, levels[1:], strict=False):
        if level["sends_per_s"] < previous["sends_per_s"] * 1.1:
            break
        knee = level["senders"]
    print(json.dumps({
        "benchmark": "sandbox_throughput",
        "sends_per_s": best["sends_per_s"],
        "records_received_per_s": max(level["records_per_s"] for level in levels),
        "messages_received_per_s": round(max(level["records_per_s"] for level in levels) / RECORDS_PER_SEND, 1),
        "stops_scaling_at_senders": knee,
        "deep_queue_records_per_s": deep["records_per_s"],
        "levels": levels,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
