"""Optional SNS signature verification for received notifications.

The queue's IAM policy already decides who may write to it, so this is off by default. When on, a
notification must be signed by a certificate served from https://sns.<region>.amazonaws.com/ and
(if an allowlist is given) come from one of the listed topics; anything else is quarantined.
"""

from __future__ import annotations

import base64
import re
import threading
import urllib.request
from typing import Callable
from urllib.parse import urlsplit

_CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_SIGNED_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")

Fetch = Callable[[str], bytes]


def string_to_sign(envelope: dict) -> bytes:
    """`Name\\nValue\\n` for each signed key present, in the order SNS uses (Subject only if present)."""
    parts = []
    for key in _SIGNED_KEYS:
        if key == "Subject" and envelope.get("Subject") is None:
            continue
        parts.append(f"{key}\n{envelope.get(key, '')}\n")
    return "".join(parts).encode("utf-8")


def cert_url_problem(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not _CERT_HOST.match(parts.hostname or "") or not parts.path.endswith(".pem"):
        return f"signing certificate URL is not an SNS one: {url[:120]!r}"
    return None


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 (URL checked to be https SNS)
        return resp.read()


class SnsVerifier:
    """Callable for `events.parse_body(verify=...)`: returns a refusal reason or None."""

    def __init__(self, topic_allowlist: list[str] | None = None, fetch: Fetch = _fetch):
        try:
            from cryptography import x509  # noqa: F401
        except ImportError:
            raise RuntimeError("verify_signatures needs the cryptography package: pip install cryptography") from None
        self.allow = set(topic_allowlist or [])
        self._fetch = fetch
        self._keys: dict[str, object] = {}
        self._lock = threading.Lock()

    def __call__(self, envelope: dict) -> str | None:
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
        problem = cert_url_problem(url)
        if problem:
            return problem
        try:
            signature = base64.b64decode(envelope.get("Signature", ""), validate=True)
        except (ValueError, TypeError):
            return "SNS Signature is not base64"
        try:
            key = self._public_key(url)
        except Exception as exc:
            return f"could not get the SNS signing certificate: {exc}"
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        try:
            key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), digest)
        except InvalidSignature:
            return "SNS signature does not verify"
        return None

    def _public_key(self, url: str):
        from cryptography import x509

        with self._lock:
            key = self._keys.get(url)
        if key is None:
            key = x509.load_pem_x509_certificate(self._fetch(url)).public_key()
            with self._lock:
                self._keys[url] = key
        return key
