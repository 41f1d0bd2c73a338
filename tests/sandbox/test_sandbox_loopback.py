"""A page in the operator's browser must not reach the sandbox: no foreign Host, no CORS."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest


def request(sandbox, method: str, host: str, headers: dict | None = None) -> http.client.HTTPResponse:
    port = urlsplit(sandbox.info.endpoint_url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = "Action=GetSendQuota&Version=2010-12-01"
    conn.request(method, "/", body=body if method == "POST" else None,
                 headers={"Host": host, "Content-Type": "application/x-www-form-urlencoded",
                          "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/ses/aws4_request, "
                                           "SignedHeaders=host, Signature=x", **(headers or {})})
    return conn.getresponse()


@pytest.mark.parametrize("host", ["evil.example:80", "rebind.attacker.test", "10.0.0.5:4566"])
def test_a_foreign_host_header_is_refused(sandbox, host):
    resp = request(sandbox, "POST", host)
    assert resp.status == 403 and b"loopback clients only" in resp.read()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST"])
def test_loopback_names_are_served(sandbox, host):
    port = urlsplit(sandbox.info.endpoint_url).port
    resp = request(sandbox, "POST", host.format(port=port))
    assert resp.status == 200 and b"Max24HourSend" in resp.read()


def test_no_origin_is_reflected_and_no_preflight_succeeds(sandbox):
    port = urlsplit(sandbox.info.endpoint_url).port
    resp = request(sandbox, "POST", f"127.0.0.1:{port}", {"Origin": "http://evil.example"})
    resp.read()
    assert not [h for h in resp.getheaders() if h[0].lower().startswith("access-control-")]
    preflight = request(sandbox, "OPTIONS", f"127.0.0.1:{port}",
                        {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    preflight.read()
    assert preflight.status == 403
    assert not [h for h in preflight.getheaders() if h[0].lower().startswith("access-control-")]
