"""Optional SNS signature verification for received notifications.

The queue's IAM policy already decides who may write to it, so this is off by default. When on, a
notification must be signed by a certificate served from https://sns.<region>.amazonaws.com/ (the
region of its topic) and, if an allowlist is given, come from one of the listed topics; anything else
is quarantined. A certificate that cannot be fetched is not the body's fault: the verifier raises
CertificateUnavailable and the collector leaves the message in the queue for a later try.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# sns.<region>.amazonaws.com with a real region name (us-east-1, us-gov-west-1, cn-north-1 with
# .com.cn): a looser pattern would accept sns.s3.amazonaws.com, which is anybody's S3 bucket "sns".
_CERT_HOST = re.compile(r"^sns\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(?:\.cn)?$")
_SIGNED_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
RETRY_FETCH_AFTER_S = 30.0  # a failed certificate fetch is not repeated for every message

Fetch = Callable[[str], bytes]


class CertificateUnavailable(Exception):
    """The signing certificate could not be fetched: the message is neither good nor bad yet."""


def string_to_sign(envelope: dict[str, Any]) -> bytes:
    """`Name\\nValue\\n` for each signed key present, in the order SNS uses (Subject only if present)."""
    parts = []
    for key in _SIGNED_KEYS:
        if key == "Subject" and envelope.get("Subject") is None:
            continue
        parts.append(f"{key}\n{envelope.get(key, '')}\n")
    return "".join(parts).encode("utf-8")


def _origin(url: str | None) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url or "")
        return (parts.scheme, (parts.hostname or "").lower(), parts.port) if parts.hostname else None
    except ValueError:
        return None


def cert_url_problem(url: str, topic_arn: str | None = None, *, endpoint_url: str | None = None) -> str | None:
    """Why the certificate must not be fetched from `url` (None: it may). With `topic_arn`, the
    certificate must also come from the topic's own region. With `endpoint_url` (the operator's
    `--endpoint-url`, which they trust for every AWS call already, `sestui sandbox` say), a
    certificate served by that same origin is accepted too."""
    refusal = f"signing certificate URL is not an SNS one: {url[:120]!r}"
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return refusal
    if endpoint_url and _origin(url) == _origin(endpoint_url) and parts.path.endswith(".pem") \
            and parts.username is None and parts.password is None:
        return None
    host = _CERT_HOST.match(parts.hostname or "")
    if (parts.scheme != "https" or host is None or port not in (None, 443) or parts.username is not None
            or parts.password is not None or not parts.path.endswith(".pem")):
        return refusal
    topic_region = _arn_region(topic_arn)
    if topic_region and host.group(1) != topic_region:
        return f"signing certificate URL is not in the topic's region {topic_region}: {url[:120]!r}"
    return None


def _arn_region(arn: str | None) -> str | None:
    parts = str(arn or "").split(":")
    return parts[3] if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "sns" else None


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:  # checked: https SNS, or the operator's endpoint
        body: bytes = resp.read()
        return body


class SnsVerifier:
    """Callable for `events.parse_body(verify=...)`: returns a refusal reason or None, and raises
    CertificateUnavailable when the signing certificate cannot be had now."""

    def __init__(self, topic_allowlist: list[str] | None = None, fetch: Fetch = _fetch, *,
                 endpoint_url: str | None = None):
        try:
            from cryptography import x509  # noqa: F401
        except ImportError:
            raise RuntimeError("verify_signatures needs the cryptography package: pip install cryptography") from None
        self.allow = set(topic_allowlist or [])
        self.endpoint_url = endpoint_url
        self._fetch = fetch
        self._keys: dict[str, object] = {}
        self._failed: dict[str, tuple[float, str]] = {}  # url -> (monotonic time, why)
        self._lock = threading.Lock()

    def __call__(self, envelope: dict[str, Any]) -> str | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        topic = envelope.get("TopicArn")
        if self.allow and topic not in self.allow:
            return f"SNS topic {str(topic)[:120]!r} is not in topic_allowlist"
        version = str(envelope.get("SignatureVersion", ""))
        if version not in ("1", "2"):
            return f"unsupported SNS SignatureVersion {version[:10]!r}"
        url = str(envelope.get("SigningCertURL", ""))
        problem = cert_url_problem(url, topic, endpoint_url=self.endpoint_url)
        if problem:
            return problem
        try:
            signature = base64.b64decode(envelope.get("Signature", ""), validate=True)
        except (ValueError, TypeError):
            return "SNS Signature is not base64"
        try:
            key = self._public_key(url)
        except ValueError as exc:  # fetched, but not a certificate: no later try will do better
            return f"the SNS signing certificate at {url[:120]!r} is not a PEM certificate: {exc}"
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        try:
            key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), digest)
        except InvalidSignature:
            return "SNS signature does not verify"
        return None

    def _public_key(self, url: str) -> Any:  # a cryptography public key (RSA for SNS)
        """The certificate's key, fetched once per URL. Raises CertificateUnavailable when the fetch
        fails (and, for RETRY_FETCH_AFTER_S, without trying again), ValueError for a non-certificate."""
        from cryptography import x509

        with self._lock:
            key = self._keys.get(url)
            failed = self._failed.get(url)
        if key is not None:
            return key
        if failed and time.monotonic() - failed[0] < RETRY_FETCH_AFTER_S:
            raise CertificateUnavailable(failed[1])
        try:
            pem = self._fetch(url)
        except Exception as exc:
            why = f"could not get the SNS signing certificate {url[:120]!r}: {exc}"
            with self._lock:
                self._failed[url] = (time.monotonic(), why)
            raise CertificateUnavailable(why) from None
        key = x509.load_pem_x509_certificate(pem).public_key()
        with self._lock:
            self._keys[url] = key
            self._failed.pop(url, None)
        return key
