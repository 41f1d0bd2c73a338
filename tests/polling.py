"""Polling for tests that wait on real components (threads, child processes, the sandbox).

Import as `from polling import wait_for` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import time


def wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)
