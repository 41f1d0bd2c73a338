"""boto3 clients for the sandbox's endpoint, used where the sandbox acts as an AWS customer would
(building its wiring, generating traffic)."""

from __future__ import annotations

from functools import cached_property

import boto3
from botocore.config import Config

# Any credentials work: the sandbox does not check signatures. These are moto's conventional ones.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"


class Clients:
    """Lazily created, thread-safe once created (create them before sharing between threads)."""

    def __init__(self, endpoint_url: str, region: str, max_attempts: int = 3):
        self._endpoint_url = endpoint_url
        self._region = region
        self._config = Config(retries={"total_max_attempts": max_attempts, "mode": "standard"},
                              connect_timeout=5, read_timeout=30)
        self._session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name=region
        )

    def client(self, service: str):
        return self._session.client(service, endpoint_url=self._endpoint_url, config=self._config)

    @cached_property
    def ses(self):
        return self.client("ses")

    @cached_property
    def sesv2(self):
        return self.client("sesv2")

    @cached_property
    def sns(self):
        return self.client("sns")

    @cached_property
    def sqs(self):
        return self.client("sqs")
