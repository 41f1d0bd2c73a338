"""`Aws`: one profile, region and endpoint; its boto3 clients; the three ways sestui calls AWS.

One call style: a service's operations are methods of its facade on `Aws` —

    aws.sqs.receive(url)            aws.sns.find_topic("sestui-events")      aws.ses.account_status()
    aws.suppressions.get(email)     aws.configuration_sets.get("sestui")     aws.contacts.get(lst, email)
    aws.metrics.reputation(["sestui"], start, end)      aws.vdm.by_isp(start, end)

and every facade goes through `Aws.call` (one API call), `Aws.call_or_none` (a read whose "not
found" means None) or `Aws.pages` (a botocore paginator), so that every botocore failure leaves
this package as `AwsError` (see errors.py). Knows boto3, not the database.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from sestui.aws.cloudwatch import ReputationMetrics
from sestui.aws.config_sets import ConfigurationSets
from sestui.aws.contacts import ContactLists
from sestui.aws.errors import ABSENT, AwsError, ErrorKind, is_daily_quota, one_line, translate
from sestui.aws.ses import Ses
from sestui.aws.sns import Sns
from sestui.aws.sqs import Sqs
from sestui.aws.suppression import SuppressionList
from sestui.aws.vdm import Vdm

DEFAULT_REGION = "us-east-1"


class Aws:
    """Clients for one profile/region/endpoint. Thread-safe: clients are made once, under a lock."""

    def __init__(self, profile: str | None = None, region: str | None = None,
                 endpoint_url: str | None = None, *, sqs_wait_seconds: int = 20):
        self.profile = profile
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        keys = {}
        if endpoint_url and _is_loopback(endpoint_url) and not profile and "AWS_ACCESS_KEY_ID" not in os.environ:
            # A local emulator (`sestui sandbox`) accepts any key; don't make demo users configure one.
            keys = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
        try:
            self._session = boto3.session.Session(profile_name=profile, region_name=region, **keys)
        except bce.ProfileNotFound:
            raise AwsError(f"AWS profile {profile!r} not found in ~/.aws/config or ~/.aws/credentials",
                           kind=ErrorKind.CREDENTIALS) from None
        self.region: str = self._session.region_name or region or DEFAULT_REGION
        self._config = Config(
            region_name=self.region,
            retries={"mode": "adaptive", "total_max_attempts": 4},  # ("max_attempts" would mean 4 retries)
            connect_timeout=5,
            read_timeout=max(15, sqs_wait_seconds + 10),
            user_agent_extra="sestui",
            max_pool_connections=32,
        )
        self.sqs = Sqs(self)
        self.sns = Sns(self)
        self.ses = Ses(self)
        self.configuration_sets = ConfigurationSets(self)
        self.suppressions = SuppressionList(self)
        self.contacts = ContactLists(self)
        self.metrics = ReputationMetrics(self)
        self.vdm = Vdm(self)

    def client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                try:
                    client = self._session.client(service, endpoint_url=self.endpoint_url, config=self._config)
                except ValueError as exc:  # botocore: "Invalid endpoint: host:port" (no scheme)
                    raise AwsError(f"{one_line(str(exc))} (give the endpoint URL as http(s)://host:port)",
                                   kind=ErrorKind.REJECTED) from None
                if service in ("ses", "sesv2"):
                    _no_retry_on_daily_quota(client)
                self._clients[service] = client
            return client

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """Run one API call; any botocore failure becomes an AwsError naming what went wrong."""
        try:
            # Making the client resolves the credentials: PartialCredentialsError can come from here.
            method = getattr(self.client(service), _snake(operation))
            response: dict[str, Any] = method(**params)
            return response
        except Exception as exc:  # botocore raises many unrelated types; all become one
            raise translate(exc, service, operation) from None

    def call_or_none(self, service: str, operation: str, **params: Any) -> dict[str, Any] | None:
        """`call`, or None when AWS answers that the thing asked about does not exist."""
        try:
            return self.call(service, operation, **params)
        except AwsError as exc:
            if exc.kind in ABSENT:
                return None
            raise

    def pages(self, service: str, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated operation, through botocore's paginator for it."""
        try:
            paginator = self.client(service).get_paginator(_snake(operation))
            yield from paginator.paginate(**params)
        except Exception as exc:
            raise translate(exc, service, operation) from None

    def caller_identity(self) -> tuple[str, str]:
        """(account id, caller ARN) of the credentials (STS GetCallerIdentity: needs no IAM permission)."""
        resp = self.call("sts", "GetCallerIdentity")
        return resp["Account"], resp.get("Arn", "")

    def caller_account(self) -> str:
        return self.caller_identity()[0]


def _no_retry_on_daily_quota(client: Any) -> None:
    """botocore retries SES's "Daily message quota exceeded" as a throttle (its codes are Throttling
    and LimitExceededException), and its adaptive mode then slows every later call: hours of retrying
    that cannot succeed. Hide the code from the retry handlers, then put it back before the error is
    raised, so the caller still sees what AWS sent."""
    service = client.meta.service_model.service_id.hyphenize()

    def hide(response: Any = None, **_: Any) -> None:
        error = response[1].get("Error") if response and isinstance(response[1], dict) else None
        if error and is_daily_quota(str(error.get("Message", ""))) and "Code" in error:
            error["SestuiCode"] = error.pop("Code")

    def restore(parsed: Any = None, **_: Any) -> None:
        error = parsed.get("Error") if isinstance(parsed, dict) else None
        if error and "SestuiCode" in error:
            error["Code"] = error.pop("SestuiCode")

    client.meta.events.register_first(f"needs-retry.{service}", hide)
    client.meta.events.register(f"after-call.{service}", restore)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
