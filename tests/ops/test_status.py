"""`sestui status` and the metrics endpoint against the sandbox's CloudWatch: the figures shown are
the figures AWS publishes, estimates say they are estimates, and the exit codes follow Nagios.

Each test works in a region of its own: the sandbox keeps an SES account and a CloudWatch per
region, so the figures one test publishes are not another's."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sestui.aws import Aws
from sestui.core.events import parse_body
from sestui.ops import metrics, status
from sestui.store import Store, now_ms
from console_data import record


def event(kind: str, n: int, at_ms: int, set_name: str = "default") -> str:
    when = datetime.fromtimestamp(at_ms / 1000, timezone.utc)
    rec = record(kind, n, f"r{n}@example.com", when, when, "hello")
    rec["mail"]["tags"]["ses:configuration-set"] = [set_name]
    return json.dumps(rec)

REGIONS = itertools.cycle(["ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
                           "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-2", "eu-west-3", "sa-east-1",
                           "us-east-2", "us-west-1", "us-west-2", "af-south-1", "me-south-1", "eu-south-1"])


@pytest.fixture
def region(sandbox, clients_for):
    """A region nobody else in this worker uses (SES account and CloudWatch of its own)."""
    return next(REGIONS)


def publish(sandbox, clients_for, region, **figures):
    """Put Reputation.* points into the sandbox's CloudWatch as SES publishes them:
    publish(..., bounce=0.02, complaint=0.0003, set_name=None)."""
    cloudwatch = clients_for(sandbox.info.endpoint_url, region, "cloudwatch")
    set_name = figures.pop("set_name", None)
    dims = [{"Name": "ses:configuration-set", "Value": set_name}] if set_name else []
    names = {"bounce": "Reputation.BounceRate", "complaint": "Reputation.ComplaintRate"}
    cloudwatch.put_metric_data(Namespace="AWS/SES", MetricData=[
        {"MetricName": names[kind], "Value": value, "Dimensions": dims} for kind, value in figures.items()])


def test_the_rates_shown_are_cloudwatchs(sandbox, clients_for, region, store):
    before = now_ms()
    publish(sandbox, clients_for, region, bounce=0.0123, complaint=0.0004)
    now = now_ms()
    data = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now,
                         queue_url=None)
    hours = {t - t % 3_600_000 for t in (before, now)}  # the period of AWS's newest point: this hour's
    assert data["rates"]["bounce"].pop("at_ms") in hours and data["rates"]["complaint"].pop("at_ms") in hours
    assert data["rates"]["bounce"] == {"value": pytest.approx(0.0123), "source": "cloudwatch", "review": 0.05, "pause": 0.10}
    assert data["rates"]["complaint"] == {"value": pytest.approx(0.0004), "source": "cloudwatch", "review": 0.001,
                                          "pause": 0.005}
    assert data["status"] == "OK"
    assert data["account"] == {"production": True, "sending_enabled": True, "enforcement_status": "HEALTHY"}
    assert set(data["quota"]) == {"max_24h", "sent_24h", "max_rate"}
    assert data["feed"]["state"] == "NO FEED" and "sestui setup" in data["feed"]["reason"]


def test_without_cloudwatch_figures_the_estimate_is_labelled(sandbox, region, store):
    now = now_ms()
    store.save_send_stats([(now - 3_600_000, 200, 12, 0, 0)])
    data = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now, queue_url=None)
    assert data["rates"]["bounce"]["source"] == "send_statistics"
    assert data["rates"]["bounce"]["value"] == pytest.approx(12 / 200)
    assert data["status"] == "WARNING"  # 6% is past the review line, even as an estimate


def test_a_set_without_reputation_metrics_shows_the_local_figure(sandbox, region, store):
    now = now_ms()
    bodies = [event("Send", i, now - 60_000, "newsletters") for i in range(20)]
    bodies += [event("Bounce", i, now - 50_000, "newsletters") for i in range(3)]
    bodies += [event("Send", i, now - 60_000, "transactional") for i in range(100, 300)]
    store.add((body, parse_body(body)) for body in bodies)
    data = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now, queue_url=None)
    [newsletters] = [s for s in data["configuration_sets"] if s["name"] == "newsletters"]
    assert newsletters["bounce"]["source"] == "local"
    assert newsletters["bounce"]["value"] == pytest.approx(3 / 20)
    assert data["rates"]["bounce"] == {"value": pytest.approx(3 / 220), "source": "local", "review": 0.05,
                                       "pause": 0.10}
    # 15% for the set: shown, but a local figure of one set is never paged on
    assert data["status"] == "OK"
    assert any("newsletters" in p["message"] and p["status"] == "OK" for p in data["problems"])


def sestui_status(sandbox, region, db, *extra):
    env_cmd = [sys.executable, "-m", "sestui", "status", "--region", region, "--endpoint-url",
               sandbox.info.endpoint_url, "--db", str(db), *extra]
    return subprocess.run(env_cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("bounce, complaint, expected, code", [
    (0.01, 0.0005, "OK", 0),
    (0.05, 0.0, "WARNING", 1),
    (0.0, 0.001, "WARNING", 1),
    (0.10, 0.0, "CRITICAL", 2),
    (0.02, 0.005, "CRITICAL", 2),
])
def test_exit_codes_at_each_threshold(sandbox, clients_for, region, tmp_path, isolated_environment,
                                      bounce, complaint, expected, code):
    publish(sandbox, clients_for, region, bounce=bounce, complaint=complaint)
    proc = sestui_status(sandbox, region, tmp_path / "e.db", "--json")
    assert proc.returncode == code, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == expected
    assert data["rates"]["bounce"]["value"] == pytest.approx(bounce)
    plain = sestui_status(sandbox, region, tmp_path / "e.db")
    assert plain.returncode == code
    assert plain.stdout.startswith(f"SESTUI {expected} - ")
    assert f"bounce={bounce:.6g};0.05;0.1;0;1" in plain.stdout


def test_overrides_page_earlier(sandbox, clients_for, region, tmp_path, isolated_environment):
    publish(sandbox, clients_for, region, bounce=0.03, complaint=0.0)
    db = tmp_path / "e.db"
    assert sestui_status(sandbox, region, db).returncode == 0
    assert sestui_status(sandbox, region, db, "--warning", "bounce=2.5%").returncode == 1
    assert sestui_status(sandbox, region, db, "--warning", "bounce=0.02", "--critical", "bounce=0.03").returncode == 2
    bad = sestui_status(sandbox, region, db, "--warning", "bounce=lots")
    assert bad.returncode == 3 and "bounce=lots" in bad.stderr and bad.stderr.count("\n") == 1


def test_unreachable_aws_is_unknown(tmp_path, isolated_environment):
    proc = subprocess.run([sys.executable, "-m", "sestui", "status", "--json", "--region", "eu-west-1",
                           "--endpoint-url", "http://127.0.0.1:9", "--db", str(tmp_path / "e.db")],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 3, proc.stderr
    assert json.loads(proc.stdout)["status"] == "UNKNOWN"


def test_quota_used_up_is_critical(sandbox, region, store):
    data = status.report(_FixedAccount(sent=2000, most=2000), store, now_ms=now_ms(), queue_url=None)
    assert data["status"] == "CRITICAL"
    assert any("daily quota used up" in p["message"] for p in data["problems"])


class _FixedAccount:
    """An account whose GetAccount answers are given; CloudWatch and the SES lists unreachable."""

    def __init__(self, *, sent, most):
        from types import SimpleNamespace

        from sestui.aws import AccountStatus
        status = AccountStatus(production_access=True, sending_enabled=True, enforcement_status="HEALTHY",
                               max_24_hour_send=most, max_send_rate=1.0, sent_last_24_hours=sent,
                               suppressed_reasons=[], review_status=None)
        self.ses = SimpleNamespace(account_status=lambda: status)
        self.configuration_sets = SimpleNamespace(names=self._unreachable)
        self.metrics = SimpleNamespace(reputation=self._unreachable)

    def _unreachable(self, *args, **kwargs):
        from sestui.aws import AwsError
        raise AwsError("unavailable here", kind="unreachable")


def test_the_metrics_endpoint_serves_what_status_says(sandbox, clients_for, region, tmp_path):
    publish(sandbox, clients_for, region, bounce=0.021, complaint=0.0002)
    path = tmp_path / "events.db"
    aws = Aws(region=region, endpoint_url=sandbox.info.endpoint_url)
    with Store(path) as store:
        now = now_ms()
        store.add((b, parse_body(b)) for b in [event("Send", 1, now - 1000)])
        reading = status.reputation.read(aws, store, now_ms=now)
        store.save_account_snapshot(taken_ms=now, profile=None, region=region,
                                    status={"reputation": reading.to_json()})
        expected = status.report(aws, store, now_ms=now, queue_url=None)
    server, thread = metrics.serve("127.0.0.1:0", metrics.SestuiMetrics(lambda: Store(path, readonly=True)))
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            text = resp.read().decode()
    finally:
        server.shutdown()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    rates = {(s.labels["kind"], s.labels["source"], s.labels["configuration_set"]): s.value
             for s in families["sestui_reputation_rate"].samples}
    assert rates[("bounce", "cloudwatch", "")] == pytest.approx(expected["rates"]["bounce"]["value"])
    assert rates[("complaint", "cloudwatch", "")] == pytest.approx(expected["rates"]["complaint"]["value"])
    sends = [s for s in families["sestui_events_24h"].samples if s.labels["type"] == "send"]
    assert sends[0].value == 1
    assert all(name.startswith("sestui_") for name in families)


@pytest.mark.parametrize("text, expected", [("9464", ("127.0.0.1", 9464)), (":9464", ("127.0.0.1", 9464)),
                                            ("0.0.0.0:80", ("0.0.0.0", 80)), ("[::1]:9464", ("::1", 9464))])
def test_metrics_address_is_loopback_unless_told(text, expected):
    assert metrics.parse_address(text) == expected


@pytest.mark.parametrize("text", ["host:", "127.0.0.1:99999", "x", "-1"])
def test_bad_metrics_address(text):
    with pytest.raises(ValueError):
        metrics.parse_address(text)



def test_sestui_collect_serves_metrics_on_loopback(sandbox, aws, tmp_path, isolated_environment):
    import re
    import time

    url = aws.sqs.create_queue(QueueName=f"metrics-{next(REGIONS)}-{time.monotonic_ns()}")["QueueUrl"]
    proc = subprocess.Popen([sys.executable, "-m", "sestui", "collect", "--queue-url", url, "--db", str(tmp_path / "m.db"),
                             "--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
                             "--wait-seconds", "1", "--metrics", "0"], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            found = re.search(r"metrics at http://127\.0\.0\.1:(\d+)/metrics", proc.stderr.readline())
            port = int(found.group(1)) if found else None
        assert port, "collect never said where its metrics are"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            families = {f.name: f for f in text_string_to_metric_families(resp.read().decode())}
    finally:
        proc.terminate()
        proc.wait(10)
    assert {"sestui_events_24h", "sestui_feed_state", "sestui_collector_events"} <= set(families)
    stored = {s.labels["outcome"]: s.value for s in families["sestui_collector_events"].samples
              if s.name == "sestui_collector_events_total"}
    assert stored == {"stored": 0, "duplicates": 0, "quarantined": 0}


def test_cloudwatch_denied_falls_back_to_the_labelled_estimate_and_names_the_action(sandbox, clients_for, region,
                                                                                     store):
    publish(sandbox, clients_for, region, bounce=0.0123, complaint=0.0004)
    now = now_ms()
    store.save_send_stats([(now - 3_600_000, 400, 8, 0, 0)])
    sandbox.faults.fail_next("GetMetricData", "AccessDenied",
                             message="User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
                                     "cloudwatch:GetMetricData")
    data = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now, queue_url=None)
    assert data["rates"]["bounce"] == {"value": pytest.approx(8 / 400), "source": "send_statistics",
                                       "at_ms": now - 3_600_000, "review": 0.05, "pause": 0.10}
    assert any("cloudwatch:GetMetricData" in p["message"] for p in data["problems"])
    again = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now, queue_url=None)
    assert again["rates"]["bounce"]["source"] == "cloudwatch"  # the fault passed: AWS's figure again


def test_cloudwatch_denied_without_an_estimate_does_not_say_estimates_are_shown(sandbox, region, store):
    sandbox.faults.fail_next("GetMetricData", "AccessDenied",
                             message="User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
                                     "cloudwatch:GetMetricData")
    data = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now_ms(),
                         queue_url=None)
    assert data["rates"]["bounce"]["value"] is None and data["rates"]["complaint"]["value"] is None
    (said,) = [p["message"] for p in data["problems"] if "cloudwatch:GetMetricData" in p["message"]]
    assert "estimates shown" not in said and "no local estimate" in said, said


def test_the_doctor_names_the_missing_iam_action_for_awss_rates(sandbox, region, store):
    from sestui.ops.doctor import OK, WARN, Doctor, DoctorOptions

    aws = Aws(region=region, endpoint_url=sandbox.info.endpoint_url)
    doctor = Doctor(aws, store, DoctorOptions(queue_url=None, send=False))
    sandbox.faults.fail_next("GetMetricData", "AccessDenied",
                             message="User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
                                     "cloudwatch:GetMetricData")
    denied = doctor.check_reputation()
    assert denied.status == WARN and "cloudwatch:GetMetricData" in denied.fix
    assert doctor.check_reputation().status == OK  # readable again


def test_a_paused_configuration_set_is_a_warning(sandbox, clients_for, region, store):
    """A guard paused a set (or a person did): SES refuses mail through it. status said only its
    rates; it says the set is paused (WARNING) and how to resume it, and the JSON carries it."""
    sesv2 = clients_for(sandbox.info.endpoint_url, region, "sesv2")
    for name in ("paused-stream", "open-stream"):
        sesv2.create_configuration_set(ConfigurationSetName=name)
    sesv2.put_configuration_set_sending_options(ConfigurationSetName="paused-stream", SendingEnabled=False)
    now = now_ms()
    bodies = [event("Send", i, now - 60_000, "paused-stream") for i in range(5)]
    bodies += [event("Send", i, now - 60_000, "open-stream") for i in range(10, 15)]
    store.add((body, parse_body(body)) for body in bodies)
    data = status.report(Aws(region=region, endpoint_url=sandbox.info.endpoint_url), store, now_ms=now, queue_url=None)
    sending = {s["name"]: s["sending_enabled"] for s in data["configuration_sets"]}
    assert sending == {"paused-stream": False, "open-stream": True}
    assert data["status"] == "WARNING"
    [paused] = [p for p in data["problems"] if "sending paused" in p["message"]]
    assert paused["status"] == "WARNING" and "sestui resume --configuration-set paused-stream" in paused["message"]


def test_the_feed_is_the_configured_queues_into_this_database(tmp_path):
    """As the console's header: `status` took any collector row of any queue, and with a queue
    configured but no collector on it said NO FEED, "no queue configured" (found in the ops trial)."""
    now = now_ms()
    row = {"queue_url": "q-a", "state": "running", "started": now - 5000, "heartbeat": now, "last_success": now,
           "events_per_s": 0.0, "received": 0, "stored": 0, "duplicates": 0, "quarantined": 0}
    account = _FixedAccount(sent=0, most=200)
    with Store(tmp_path / "events.db") as store, Store(tmp_path / "copy.db") as copy:
        store.save_collector_state("c1", dict(row, db_path=store.identity))
        copy.save_collector_state("c1", dict(row, db_path=store.identity))  # a copied file: not its feed
        assert status.report(account, store, now_ms=now, queue_url="q-a")["feed"]["state"] == "LIVE"
        other = status.report(account, store, now_ms=now, queue_url="q-b")["feed"]
        assert other["state"] == "STOPPED" and other["reason"] == "no collector reads this queue into this database"
        assert status.report(account, copy, now_ms=now, queue_url="q-a")["feed"]["state"] == "STOPPED"
        assert status.report(account, store, now_ms=now, queue_url=None)["feed"]["state"] == "LIVE"  # any queue's
    with Store(tmp_path / "fresh.db") as fresh:
        none = status.report(account, fresh, now_ms=now, queue_url=None)["feed"]
        assert none["state"] == "NO FEED" and none["reason"] == "no queue configured: `sestui setup` creates one"


def test_a_collector_on_a_relative_path_is_the_feed_of_the_same_file_named_absolutely(tmp_path, monkeypatch):
    """`sestui collect --db events.db` in a folder, `sestui status --db /that/folder/events.db` elsewhere:
    one file, so one feed (the rows name the database by its identity)."""
    monkeypatch.chdir(tmp_path)
    with Store("events.db") as relative:
        monkeypatch.chdir("/")
        with Store(tmp_path / "events.db") as absolute:
            assert relative.identity == absolute.identity == str(tmp_path / "events.db")
