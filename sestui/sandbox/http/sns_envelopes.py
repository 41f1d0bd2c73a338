"""SNS envelopes as SNS writes them, for the SQS (and HTTP) subscriptions moto delivers to.

moto signs every message with a certificate made for it (slow, and never served where a client
can fetch it), always as SignatureVersion 2, leaves Subject out of the string it signs, and
writes an UnsubscribeURL naming a subscription that does not exist. Here one key per process
signs as the topic's `SignatureVersion` attribute says (1, SHA1, by default; 2, SHA256), over
the string SNS signs (Subject included when present); `SigningCertURL` points at this sandbox's
own endpoint, which serves the certificate (`serve`), and `UnsubscribeURL` at the real
subscription, which a GET there unsubscribes, as with SNS.
"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from moto.core.utils import iso_8601_datetime_with_milliseconds

_SIGNED_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CERT_PATH = re.compile(r"^/SimpleNotificationService-([0-9a-f]{32})\.pem$")
_endpoints: dict[str, str] = {}  # account id -> endpoint URL of the sandbox that owns it
_endpoints_lock = threading.Lock()


def register(account_id: str, endpoint_url: str) -> None:
    with _endpoints_lock:
        _endpoints[account_id] = endpoint_url


def forget(account_id: str) -> None:
    with _endpoints_lock:
        _endpoints.pop(account_id, None)


class _Signer:
    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        issuer = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sestui sandbox"),
                            x509.NameAttribute(NameOID.COMMON_NAME, "sestui sandbox SNS signing")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(self.key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=365)).sign(self.key, hashes.SHA256()))
        self.pem = cert.public_bytes(serialization.Encoding.PEM)

    @property
    def file_name(self) -> str:
        return f"SimpleNotificationService-{self.key_id}.pem"

    def sign(self, data: bytes, version: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        digest = hashes.SHA256() if version == "2" else hashes.SHA1()
        return base64.b64encode(self.key.sign(data, padding.PKCS1v15(), digest)).decode()


@cache
def signer() -> _Signer:
    return _Signer()


def string_to_sign(envelope: dict) -> bytes:
    """`Name\\nValue\\n` for each signed key present, in SNS's order (Subject only when present)."""
    return "".join(f"{key}\n{envelope[key]}\n" for key in _SIGNED_KEYS if envelope.get(key) is not None).encode()


def post_data(subscription, message: str, message_id: str, subject: str | None,
              message_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Replaces moto's Subscription.get_post_data."""
    topic = subscription.topic
    # moto keeps topic attributes as snake_case attributes of the topic
    version = str(getattr(topic, "signature_version", None) or getattr(topic, "SignatureVersion", None) or "1")
    version = version if version in ("1", "2") else "1"
    region = topic.sns_backend.region_name
    with _endpoints_lock:
        base = _endpoints.get(subscription.account_id) or f"https://sns.{region}.amazonaws.com"
    envelope: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic.arn}
    if subject:
        envelope["Subject"] = subject
    envelope |= {"Message": message, "Timestamp": iso_8601_datetime_with_milliseconds()}
    keys = signer()
    envelope |= {
        "SignatureVersion": version,
        "Signature": keys.sign(string_to_sign(envelope), version),
        "SigningCertURL": f"{base}/{keys.file_name}",
        "UnsubscribeURL": f"{base}/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
    }
    if message_attributes:
        envelope["MessageAttributes"] = message_attributes
    return envelope


def serve(environ: dict, account_id: str) -> tuple[int, str, bytes] | None:
    """The unsigned GETs SNS answers: the signing certificate and UnsubscribeURL. None if this
    request is neither (status, content type, body otherwise)."""
    if environ.get("REQUEST_METHOD", "GET").upper() != "GET" or environ.get("HTTP_AUTHORIZATION"):
        return None
    path = environ.get("PATH_INFO", "")
    match = _CERT_PATH.match(path)
    if match:
        keys = signer()
        if match.group(1) != keys.key_id:
            return 404, "text/plain", b"no such certificate\n"
        return 200, "application/x-pem-file", keys.pem
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path in ("", "/") and query.get("Action") == ["Unsubscribe"] and query.get("SubscriptionArn"):
        return _unsubscribe(query["SubscriptionArn"][0], account_id)
    return None


def _unsubscribe(arn: str, account_id: str) -> tuple[int, str, bytes]:
    from moto.sns.models import sns_backends

    parts = arn.split(":")
    request_id = uuid.uuid4()
    if len(parts) != 7 or parts[2] != "sns" or parts[4] != account_id:
        body = (f'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
                f"<Code>InvalidParameter</Code><Message>Invalid parameter: SubscriptionArn</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        return 400, "text/xml", body.encode()
    sns_backends[account_id][parts[3]].unsubscribe(arn)
    body = (f'<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata>'
            f"<RequestId>{request_id}</RequestId></ResponseMetadata></UnsubscribeResponse>")
    return 200, "text/xml", body.encode()


def apply() -> None:
    """Idempotent."""
    from moto.sns.models import Subscription

    Subscription.get_post_data = post_data
