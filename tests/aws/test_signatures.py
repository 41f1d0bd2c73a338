"""SNS signature verification (verify_signatures = true) with a key and certificate made here:
SignatureVersion 1 (SHA1) and 2 (SHA256), the certificate URL rule, the topic allowlist, the
certificate cache, tampered and unsigned bodies quarantined with the reason, and a certificate that
cannot be fetched leaving the message in the queue instead."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from sestui import cli
from sestui.aws import Aws, signatures
from sestui.aws.signatures import CertificateUnavailable, SnsVerifier, cert_url_problem, string_to_sign
from sestui.core.events import parse_body
from sestui.ops import build
from sestui.ops.collector import Collector, CollectorOptions
from sestui.store import Store

REGION = "us-east-1"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:ses-events"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"


def make_key_and_pem() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def signer():
    return make_key_and_pem()


class Certificates:
    """The `fetch` given to SnsVerifier: serves PEMs by URL, counts fetches, can be made to fail."""

    def __init__(self, pems: dict[str, bytes]):
        self.pems = pems
        self.fetched: list[str] = []
        self.down = False

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        if self.down:
            raise OSError("connection timed out")
        return self.pems[url]


@pytest.fixture
def certs(signer) -> Certificates:
    return Certificates({CERT_URL: signer[1]})


def record(message_id: str = "0100018f-sig-test") -> dict:
    return {
        "eventType": "Delivery",
        "mail": {"timestamp": "2026-03-01T12:00:00.000Z", "messageId": message_id, "source": "a@sestui.test",
                 "destination": ["success@simulator.amazonses.com"]},
        "delivery": {"timestamp": "2026-03-01T12:00:01.500Z", "recipients": ["success@simulator.amazonses.com"]},
    }


def envelope(key, version: str = "2", *, subject: str | None = "Amazon SES Email Event Notification",
             topic: str = TOPIC, cert_url: str = CERT_URL, message_id: str = "0100018f-sig-test") -> dict:
    """An SNS Notification signed the way SNS signs it."""
    env = {"Type": "Notification", "MessageId": f"sns-{message_id}", "TopicArn": topic,
           "Message": json.dumps(record(message_id)), "Timestamp": "2026-03-01T12:00:02.000Z",
           "SignatureVersion": version, "SigningCertURL": cert_url,
           "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe"}
    if subject is not None:
        env["Subject"] = subject
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    env["Signature"] = base64.b64encode(key.sign(string_to_sign(env), padding.PKCS1v15(), digest)).decode()
    return env


# --- the verifier --------------------------------------------------------------------------------


def test_string_to_sign_follows_the_sns_order_with_subject_only_when_present():
    env = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "x", "Timestamp": "ts",
           "Subject": "s", "SignatureVersion": "1"}
    assert string_to_sign(env) == \
        b"Message\nx\nMessageId\nm\nSubject\ns\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n"
    del env["Subject"]
    assert b"Subject" not in string_to_sign(env)


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("subject", ["Amazon SES Email Event Notification", None])
def test_a_good_signature_verifies(signer, certs, version, subject):
    assert SnsVerifier(fetch=certs)(envelope(signer[0], version, subject=subject)) is None


def test_the_certificate_is_fetched_once(signer, certs):
    verify = SnsVerifier(fetch=certs)
    for n in range(3):
        assert verify(envelope(signer[0], message_id=f"m{n}")) is None
    assert certs.fetched == [CERT_URL]


@pytest.mark.parametrize("change", [
    {"Message": json.dumps(record("0100018f-another-message"))},
    {"Subject": "changed"},
    {"Timestamp": "2026-03-01T12:00:03.000Z"},
    {"TopicArn": TOPIC + "-other"},
    {"MessageId": "sns-other"},
])
def test_a_tampered_notification_does_not_verify(signer, certs, change):
    assert SnsVerifier(fetch=certs)({**envelope(signer[0]), **change}) == "SNS signature does not verify"


def test_the_digest_follows_the_signature_version(signer, certs):
    signed_with_sha1 = {**envelope(signer[0], "1"), "SignatureVersion": "2"}
    assert SnsVerifier(fetch=certs)(signed_with_sha1) == "SNS signature does not verify"


def test_a_signature_by_another_key_does_not_verify(certs):
    other_key, _ = make_key_and_pem()
    assert SnsVerifier(fetch=certs)(envelope(other_key)) == "SNS signature does not verify"


@pytest.mark.parametrize("change, reason", [
    ({"SignatureVersion": "3"}, "unsupported SNS SignatureVersion '3'"),
    ({"SignatureVersion": None}, "unsupported SNS SignatureVersion 'None'"),
    ({"Signature": "not base64!"}, "SNS Signature is not base64"),
])
def test_malformed_signature_fields(signer, certs, change, reason):
    assert SnsVerifier(fetch=certs)({**envelope(signer[0]), **change}) == reason


@pytest.mark.parametrize("url", [
    f"http://sns.{REGION}.amazonaws.com/cert.pem",  # not https
    "https://sns.s3.amazonaws.com/cert.pem",  # anybody's S3 bucket named "sns"
    "https://sns.s3-us-west-2.amazonaws.com/cert.pem",
    f"https://sns.{REGION}.amazonaws.com.attacker.example/cert.pem",
    "https://attacker.example/sns.us-east-1.amazonaws.com/cert.pem",
    f"https://sns.{REGION}.amazonaws.com@attacker.example/cert.pem",
    f"https://user@sns.{REGION}.amazonaws.com/cert.pem",
    f"https://sns.{REGION}.amazonaws.com:8443/cert.pem",
    f"https://sns.{REGION}.amazonaws.com/cert.txt",
    "",
])
def test_certificates_come_only_from_sns_hosts(signer, certs, url):
    reason = SnsVerifier(fetch=certs)(envelope(signer[0], cert_url=url))
    assert reason == f"signing certificate URL is not an SNS one: {url!r}"
    assert certs.fetched == []


def test_the_certificate_must_come_from_the_topics_region(signer, certs):
    url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem"
    reason = SnsVerifier(fetch=certs)(envelope(signer[0], cert_url=url))
    assert reason == f"signing certificate URL is not in the topic's region {REGION}: {url!r}"
    assert certs.fetched == []


@pytest.mark.parametrize("url", [
    CERT_URL,
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-1.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem",
    "https://sns.ap-southeast-2.amazonaws.com:443/SimpleNotificationService-1.pem",
])
def test_real_sns_certificate_urls_are_accepted(url):
    assert cert_url_problem(url) is None


def test_topic_allowlist(signer, certs):
    verify = SnsVerifier([TOPIC], fetch=certs)
    assert verify(envelope(signer[0])) is None
    other = TOPIC.replace("ses-events", "someone-elses")
    assert verify(envelope(signer[0], topic=other)) == f"SNS topic {other!r} is not in topic_allowlist"


def test_a_certificate_that_cannot_be_fetched_is_not_the_bodys_fault(signer, certs, monkeypatch):
    certs.down = True
    verify = SnsVerifier(fetch=certs)
    for _ in range(3):
        with pytest.raises(CertificateUnavailable, match="connection timed out"):
            verify(envelope(signer[0]))
    assert certs.fetched == [CERT_URL]  # not tried again for every message
    certs.down = False
    monkeypatch.setattr(signatures, "RETRY_FETCH_AFTER_S", 0.0)
    assert verify(envelope(signer[0])) is None


def test_a_url_that_serves_no_certificate_is_refused(signer, certs):
    certs.pems[CERT_URL] = b"<html>not a certificate</html>"
    reason = SnsVerifier(fetch=certs)(envelope(signer[0]))
    assert reason.startswith(f"the SNS signing certificate at {CERT_URL!r} is not a PEM certificate")


def test_parse_body_quarantines_what_fails(signer, certs):
    verify = SnsVerifier(fetch=certs)
    good = envelope(signer[0])
    assert parse_body(json.dumps(good), verify).ok
    parsed = parse_body(json.dumps({**good, "Message": json.dumps(record("forged"))}), verify)
    assert parsed.reason == "SNS signature does not verify"


def test_verify_signatures_in_the_config_gives_collect_a_verifier(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'verify_signatures = true\ntopic_allowlist = ["{TOPIC}"]\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(config))
    settings = cli.Context(cli.build_parser().parse_args(["collect"])).settings
    verify = build.verifier(settings)
    assert isinstance(verify, SnsVerifier) and verify.allow == {TOPIC}
    monkeypatch.setenv("SESTUI_VERIFY_SIGNATURES", "false")
    assert build.verifier(cli.Context(cli.build_parser().parse_args(["collect"])).settings) is None


# --- in the collector ----------------------------------------------------------------------------


def test_the_collector_stores_good_quarantines_bad_and_waits_for_the_certificate(
        signer, certs, sandbox, aws, tmp_path, monkeypatch):
    key = signer[0]
    unreachable_url = CERT_URL.replace("0123456789abcdef", "fedcba9876543210")
    certs.pems[unreachable_url] = signer[1]
    host_up = {unreachable_url: False}

    def fetch(url: str) -> bytes:
        if not host_up.get(url, True):
            raise OSError("no route to host")
        return certs(url)

    monkeypatch.setattr(signatures, "RETRY_FETCH_AFTER_S", 0.0)
    good = json.dumps(envelope(key, "1", message_id="good"))
    forged = json.dumps({**envelope(key, "2", message_id="forged"), "Message": json.dumps(record("forged-2"))})
    unsigned = json.dumps(record("raw-delivery"))  # raw message delivery: no envelope, no signature
    later = json.dumps(envelope(key, message_id="later", cert_url=unreachable_url))
    url = aws.sqs.create_queue(QueueName=f"signed-{os.getpid()}-{time.monotonic_ns()}")["QueueUrl"]
    for body in (good, forged, unsigned, later):
        aws.sqs.send_message(QueueUrl=url, MessageBody=body)
    store = Store(tmp_path / "signed.db")
    sestui_aws = Aws(region=sandbox.info.region, endpoint_url=sandbox.info.endpoint_url, sqs_wait_seconds=1)
    options = CollectorOptions(url, receivers=1, wait_seconds=1, visibility_timeout=1, account_interval=3600,
                               stats_interval=3600)
    collector = Collector(sestui_aws, store, options, verify=SnsVerifier([TOPIC], fetch=fetch))
    collector.start()
    try:
        wait(lambda: len(store.quarantined()) == 2 and store.message("good"))
        quarantined = {row["body"]: row["reason"] for row in store.quarantined()}
        assert set(quarantined) == {forged, unsigned}
        assert quarantined[forged] == "SNS signature does not verify"
        assert quarantined[unsigned].startswith("not an SNS envelope, so its signature cannot be verified")
        wait(lambda: "could not get the SNS signing certificate" in (collector.stats.last_error or ""))
        assert store.message("later") is None  # neither stored nor quarantined: left in the queue

        host_up[unreachable_url] = True  # once the host is back, the redelivered message goes through
        wait(lambda: store.message("later"))
        wait(lambda: sestui_aws.sqs.depth(url) == {"visible": 0, "in_flight": 0, "delayed": 0})
        assert len(store.quarantined()) == 2
    finally:
        collector.stop()
        store.close()
        aws.sqs.delete_queue(QueueUrl=url)


def wait(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
