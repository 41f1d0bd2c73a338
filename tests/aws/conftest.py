"""Fixtures of the sestui.aws tests (the sandbox ones are in the root conftest)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest

_serial = itertools.count(1)


@pytest.fixture
def unique() -> Callable[[str], str]:
    """`unique(prefix)` -> a name no other test of the session uses (queues, topics, lists...)."""
    return lambda prefix: f"{prefix}-{next(_serial)}-{time.monotonic_ns()}"


@pytest.fixture
def requests_of(sestui_aws) -> Callable[[str, str], list[int]]:
    """`requests_of(service, operation)` -> [n]: n counts the HTTP requests `sestui_aws` sends for
    that operation from now on, botocore's retries included."""
    def start(service: str, operation: str) -> list[int]:
        seen = [0]

        def count(**_: object) -> None:
            seen[0] += 1

        sestui_aws.client(service).meta.events.register(f"before-send.{service}.{operation}", count)
        return seen

    return start


@pytest.fixture
def no_backoff(monkeypatch) -> None:
    """botocore retries at once: what it sleeps between attempts (its backoff, and the adaptive
    mode's client-side rate limit once throttled) is seconds of waiting no test here checks."""
    from botocore.retries.bucket import TokenBucket
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(TokenBucket, "acquire", lambda self, amount=1, block=True: True)
